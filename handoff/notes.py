"""Internal notes on a ticket: what staff tell each other about it, never sent to the citizen.

A note is shown in the ticket's thread marked 「内部メモ」 to staff who may see the ticket. Adding one is audited
without its text (the audit log outlives a 「データ削除」, a note may quote the citizen). Notes go with their
ticket: the foreign key cascades, and ``handoff.tickets.forget_citizen`` deletes them explicitly too.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, Session, SQLModel, col, select

from console import audit
from console.text import normalize_newlines
from core.clock import utcnow

MAX_NOTE_CHARS = 2000


class TicketNote(SQLModel, table=True):
    """One staff-only note on a ticket."""

    __tablename__ = "handoff_ticket_note"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="handoff_ticket.id", index=True, ondelete="CASCADE")
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    text: str = Field(max_length=MAX_NOTE_CHARS)
    created_at: dt.datetime = Field(default_factory=utcnow)


class NoteError(ValueError):
    """A note that cannot be stored; the message is Japanese and shown to staff as it is."""


def add_note(session: Session, *, ticket_id: int, staff_id: int | None, actor: str, text: str,
             now: dt.datetime | None = None) -> TicketNote:
    """Store a note (line ends normalised to ``\\n``) and audit it by id only; the caller commits."""
    text = normalize_newlines(text).strip()
    if not text:
        raise NoteError("メモを入力してください。")
    if len(text) > MAX_NOTE_CHARS:
        raise NoteError(f"メモは{MAX_NOTE_CHARS}文字以内にしてください（現在{len(text)}文字）。")
    note = TicketNote(ticket_id=ticket_id, staff_user_id=staff_id, text=text, created_at=now or utcnow())
    session.add(note)
    session.flush()
    audit.record(session, action="ticket_note_added", actor=actor, actor_staff_id=staff_id, ticket_id=ticket_id,
                 detail=f"note={note.id}")
    return note


def notes_of(session: Session, ticket_id: int) -> list[TicketNote]:
    """A ticket's notes, oldest first."""
    query = select(TicketNote).where(col(TicketNote.ticket_id) == ticket_id).order_by(col(TicketNote.id))
    return list(session.exec(query))
