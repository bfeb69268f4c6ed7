"""Retention for tickets and their threads: expired tickets keep their numbers and figures, lose every text.

A ticket expires when its citizen expired (no interaction within the retention period) or when it was closed
(resolved or cancelled) longer ago than the period. Its row stays, because ticket numbers are shown to citizens and
kept in the audit log and FAQ drafts, and because its figures are what the city reports on (team, category, times,
``first_response_business_s``, rating): the LINE user id and the notification error are blanked and the
citizen's question is replaced by a note saying why. Its thread messages keep author and time (how many messages,
how fast) with the text replaced the same way, staff answers included (they quote and address the citizen), and
so do its internal notes (staff quote the citizen there too). An
open ticket of an expired citizen is closed as cancelled: nobody can answer it any more.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, or_, select, update

from handoff.models import OPEN_STATUSES, Ticket, TicketMessage, TicketStatus
from handoff.notes import TicketNote

EXPIRED_USER = "-"  # stands in for the LINE user id of an expired ticket (the column is NOT NULL)
EXPIRED_TEXT = "（保存期間を過ぎたため削除しました）"  # what the console shows instead of the question and messages
CLOSED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CANCELLED)


def expired_tickets(session: Session, cutoff: dt.datetime, user_ids: list[str]) -> list[int]:
    """Ids of tickets not yet blanked whose citizen expired or that were closed before ``cutoff``."""
    query = select(Ticket.id).where(col(Ticket.line_user_id) != EXPIRED_USER, or_(
        col(Ticket.line_user_id).in_(user_ids),
        (col(Ticket.status).in_(CLOSED_STATUSES)) & (col(Ticket.updated_at) < cutoff)))
    return [ticket_id for ticket_id in session.exec(query) if ticket_id is not None]


def purge_tickets(session: Session, ticket_ids: list[int]) -> dict[str, int]:
    """Blank the texts of ``ticket_ids`` and of their threads; how many rows were blanked per table."""
    if not ticket_ids:
        return {Ticket.__tablename__: 0, TicketMessage.__tablename__: 0, TicketNote.__tablename__: 0}
    chosen = col(Ticket.id).in_(ticket_ids)
    session.exec(update(Ticket).where(chosen, col(Ticket.status).in_(OPEN_STATUSES))
                 .values(status=TicketStatus.CANCELLED))
    tickets = session.exec(update(Ticket).where(chosen).values(
        line_user_id=EXPIRED_USER, question=EXPIRED_TEXT, notify_error=None)).rowcount
    messages = session.exec(update(TicketMessage).where(col(TicketMessage.ticket_id).in_(ticket_ids))
                            .values(text=EXPIRED_TEXT)).rowcount
    notes = session.exec(update(TicketNote).where(col(TicketNote.ticket_id).in_(ticket_ids))
                         .values(text=EXPIRED_TEXT)).rowcount
    return {Ticket.__tablename__: tickets, TicketMessage.__tablename__: messages, TicketNote.__tablename__: notes}
