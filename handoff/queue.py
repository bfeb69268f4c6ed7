"""Reading the ticket queue for the console: filters, ordering (urgent first, then oldest), threads.

Tickets no team is sure of (振り分け待ち, ``handoff.routing.UNROUTED``) are in every staff member's queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from handoff.models import OPEN_STATUSES, Ticket, TicketMessage, TicketStatus
from handoff.routing import UNROUTED

STATUS_LABELS = {
    TicketStatus.WAITING: "受付待ち",
    TicketStatus.ASSIGNED: "対応中",
    TicketStatus.ANSWERED: "回答済み",
    TicketStatus.RESOLVED: "終了",
    TicketStatus.CANCELLED: "取り消し",
}
STATUS_FILTERS = {"open": "未終了", **{status.value: label for status, label in STATUS_LABELS.items()}, "all": "すべて"}


@dataclass(frozen=True)
class QueueFilter:
    """What the queue page shows: a team (or all), a status group, and optionally only my tickets."""

    team: str = ""
    status: str = "open"
    mine: bool = False

    @classmethod
    def parse(cls, team: str | None, status: str | None, mine: str | None, teams: list[str]) -> QueueFilter:
        """Unknown values fall back to the defaults instead of failing; 振り分け待ち is a team anyone may pick."""
        return cls(
            team=team if team in teams or team == UNROUTED else "",
            status=status if status in STATUS_FILTERS else "open",
            mine=mine in ("1", "true", "on"),
        )


def list_tickets(session: Session, queue: QueueFilter, staff_id: int | None, limit: int = 200, *,
                 teams: frozenset[str] | None = None) -> list[Ticket]:
    """Tickets matching ``queue`` within ``teams`` (None: every team) and 振り分け待ち, which every staff member
    sees: open ones urgent first then oldest first; closed ones newest first."""
    query = select(Ticket)
    if teams is not None:
        query = query.where(col(Ticket.team).in_(sorted({*teams, UNROUTED})))
    if queue.team:
        query = query.where(col(Ticket.team) == queue.team)
    if queue.mine:
        query = query.where(col(Ticket.assignee_id) == staff_id)
    if queue.status == "open":
        query = query.where(col(Ticket.status).in_(OPEN_STATUSES))
    elif queue.status != "all":
        query = query.where(col(Ticket.status) == queue.status)
    if queue.status in ("open", TicketStatus.WAITING, TicketStatus.ASSIGNED, TicketStatus.ANSWERED):
        query = query.order_by(col(Ticket.urgent).desc(), col(Ticket.created_at), col(Ticket.id))
    else:
        query = query.order_by(col(Ticket.id).desc())
    return list(session.exec(query.limit(limit)))


def thread(session: Session, ticket_id: int) -> list[TicketMessage]:
    """A ticket's messages, oldest first."""
    query = select(TicketMessage).where(col(TicketMessage.ticket_id) == ticket_id).order_by(col(TicketMessage.id))
    return list(session.exec(query))
