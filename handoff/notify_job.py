"""Tell staff about new tickets, from the worker loop, after the ticket is committed.

Each ticket is claimed for notification with one conditional UPDATE before anything is sent, so several workers
never notify twice; a failing notifier is recorded on the ticket and never blocks or loses it (the queue in the
console is the source of truth). Urgent tickets go first.

The job runs on the worker's event loop, beside the outbox: its database work runs in a thread, and the notices
of one round are sent together (urgent ones first), so neither a slow database nor a slow chat tool holds the
loop or the other notices.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from handoff.models import Ticket
from handoff.notify import NotificationHub, TicketNotice

logger = logging.getLogger(__name__)


class TicketNotificationJob:
    """Sends one notice per new ticket through the configured notifiers.

    Args:
        engine: the application database.
        hub: the notifiers (webhook, e-mail); an empty hub just marks tickets as notified.
        console_base_url: where staff open the console (the notice links to the ticket there).
        batch_size: tickets per round.
    """

    def __init__(self, engine: Engine, hub: NotificationHub, console_base_url: str, batch_size: int = 20) -> None:
        self.engine = engine
        self.hub = hub
        self.console_base_url = console_base_url.rstrip("/")
        self.batch_size = batch_size

    def _claim(self) -> list[TicketNotice]:
        now = dt.datetime.now(dt.UTC)
        with Session(self.engine) as session:
            query = (select(Ticket).where(col(Ticket.notified_at).is_(None))
                     .order_by(col(Ticket.urgent).desc(), col(Ticket.id)).limit(self.batch_size))
            notices = []
            for ticket in session.exec(query).all():
                taken = session.exec(update(Ticket).where(
                    col(Ticket.id) == ticket.id, col(Ticket.notified_at).is_(None)).values(notified_at=now)).rowcount
                if taken == 1 and ticket.id is not None:
                    notices.append(TicketNotice(
                        ticket_id=ticket.id, team=ticket.team, category=ticket.category, urgent=ticket.urgent,
                        created_at=ticket.created_at, console_url=f"{self.console_base_url}/staff/tickets/{ticket.id}",
                    ))
            session.commit()
        return notices

    async def run_once(self) -> int:
        """Notify every new ticket; return how many were handled."""
        notices = await asyncio.to_thread(self._claim)
        urgent = [notice for notice in notices if notice.urgent]
        for group in (urgent, [notice for notice in notices if not notice.urgent]):
            await asyncio.gather(*(self._notify(notice) for notice in group))
        return len(notices)

    async def _notify(self, notice: TicketNotice) -> None:
        results = await self.hub.notify(notice)
        failed = [result.notifier for result in results if not result.ok]
        if failed:
            await asyncio.to_thread(self._record_failure, notice.ticket_id, "通知に失敗: " + ", ".join(failed))

    def _record_failure(self, ticket_id: int, error: str) -> None:
        with Session(self.engine) as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is not None:
                ticket.notify_error = error[:200]
                session.add(ticket)
                session.commit()
