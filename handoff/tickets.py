"""The citizen's side of a ticket: open it, add to its thread, cancel it, rate the staff answer.

These run inside the bot worker's transaction (the caller commits), so a ticket, its thread and the reply to the
citizen are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from bot.messages import Message
from bot.models import LineUser
from handoff import audit
from handoff.hours import BusinessCalendar
from handoff.models import OPEN_STATUSES, Ticket, TicketMessage, TicketStatus
from handoff.replies import CitizenReplies
from tsunagu.clock import as_utc

ACK_INTERVAL = dt.timedelta(minutes=10)  # at most one "staff will see it" note per interval

USER_STATE = {
    TicketStatus.WAITING: "waiting_for_staff",
    TicketStatus.ASSIGNED: "with_staff",
    TicketStatus.ANSWERED: "with_staff",
}


@dataclass(frozen=True)
class Routing:
    """Which team answers which FAQ category, and how many open tickets one staff member may hold."""

    routes: dict[str, str] = field(default_factory=dict)
    default_team: str = "市民相談課"
    max_open_per_staff: int = 10

    def team_for(self, category: str | None) -> str:
        return self.routes.get(category or "", self.default_team)

    @property
    def teams(self) -> list[str]:
        return sorted({*self.routes.values(), self.default_team})


def open_ticket_of(session: Session, user_id: str) -> Ticket | None:
    """The user's open ticket, if any (a user has at most one)."""
    query = select(Ticket).where(col(Ticket.line_user_id) == user_id, col(Ticket.status).in_(OPEN_STATUSES))
    return session.exec(query.order_by(col(Ticket.id).desc())).first()


def sync_user_state(user: LineUser, ticket: Ticket | None) -> None:
    """The bot answers again only when the user has no open ticket."""
    user.state = USER_STATE.get(TicketStatus(ticket.status), "bot") if ticket is not None else "bot"


class CitizenDesk:
    """Turns the citizen's actions into ticket changes and replies.

    Args:
        routing: category → team table.
        calendar: business hours, to tell the citizen when to expect a reply.
        replies: the fixed messages.
    """

    def __init__(self, routing: Routing, calendar: BusinessCalendar, replies: CitizenReplies) -> None:
        self.routing = routing
        self.calendar = calendar
        self.replies = replies

    def open_ticket(
        self, session: Session, user: LineUser, *, question: str, candidates: list[dict[str, Any]],
        category: str | None, urgent: bool, now: dt.datetime,
    ) -> list[Message]:
        """A new ticket for ``question``; when one is already open, the question joins its thread instead."""
        existing = open_ticket_of(session, user.user_id)
        if existing is not None:
            return self.add_message(session, user, existing, question, now)
        ticket = Ticket(
            line_user_id=user.user_id, question=question[:1000], candidates=candidates, category=category,
            team=self.routing.team_for(category), urgent=urgent, created_at=now, updated_at=now, last_ack_at=now,
        )
        session.add(ticket)
        session.flush()
        assert ticket.id is not None
        session.add(TicketMessage(ticket_id=ticket.id, author="user", text=question[:5000], created_at=now))
        audit.record(session, action="ticket_opened", actor=audit.CITIZEN, ticket_id=ticket.id,
                     detail=f"team={ticket.team} urgent={urgent}")
        sync_user_state(user, ticket)
        return self.replies.opened(user.user_id, ticket.id, self.calendar.reply_expectation(now))

    def add_message(
        self, session: Session, user: LineUser, ticket: Ticket, text: str, now: dt.datetime, *, urgent: bool = False,
    ) -> list[Message]:
        """The citizen's message joins the thread; a short acknowledgement at most once per ``ACK_INTERVAL``."""
        assert ticket.id is not None
        session.add(TicketMessage(ticket_id=ticket.id, author="user", text=text[:5000], created_at=now))
        ticket.unread += 1
        ticket.updated_at = now
        if urgent and not ticket.urgent:
            ticket.urgent = True
            audit.record(session, action="ticket_urgent", actor=audit.CITIZEN, ticket_id=ticket.id)
        last_ack = as_utc(ticket.last_ack_at)
        if last_ack is not None and now - last_ack < ACK_INTERVAL:
            session.add(ticket)
            return []
        ticket.last_ack_at = now
        session.add(ticket)
        return self.replies.joined(user.user_id, ticket.id)

    def cancel(self, session: Session, user: LineUser, now: dt.datetime) -> list[Message]:
        """The citizen withdraws their open ticket."""
        ticket = open_ticket_of(session, user.user_id)
        if ticket is None:
            sync_user_state(user, None)
            return self.replies.nothing_to_cancel()
        assert ticket.id is not None
        ticket.status, ticket.updated_at = TicketStatus.CANCELLED, now
        session.add(TicketMessage(ticket_id=ticket.id, author="system", text="利用者が質問を取り消しました。",
                                  created_at=now))
        session.add(ticket)
        audit.record(session, action="ticket_cancelled", actor=audit.CITIZEN, ticket_id=ticket.id)
        sync_user_state(user, None)
        return self.replies.cancelled(ticket.id)

    def rate(self, session: Session, user: LineUser, argument: str) -> list[Message]:
        """👍/👎 on a staff answer (``staff-up:<id>`` or ``staff-down:<id>``), for the user's own ticket only."""
        verdict, _, raw_id = argument.partition(":")
        ticket = session.get(Ticket, int(raw_id)) if raw_id.isdigit() else None
        if ticket is not None and ticket.line_user_id == user.user_id:
            ticket.rating = "up" if verdict == "staff-up" else "down"
            session.add(ticket)
            audit.record(session, action="ticket_rated", actor=audit.CITIZEN, ticket_id=ticket.id,
                         detail=ticket.rating)
        return self.replies.rating_thanks()
