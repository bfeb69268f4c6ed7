"""Pending changes: what editors have saved but not yet published.

Citizens are answered from ``faq_entry`` (the published knowledge) only. An editor's edit, a new entry, an
archive, an alternative question added from an unanswered question or a FAQ案 taken over is first a pending
change: one row per entry id holding the whole entry as it will be published (``FaqEntryData``), so the editor
can come back to it, preview it and see its diff. ``knowledge.publish`` applies pending changes as one new
knowledge version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow
from knowledge.models import FaqEntry
from knowledge.schema import FaqEntryData
from knowledge.service import entry_data


class PendingChange(SQLModel, table=True):
    """The next version of one entry (``data``: a ``FaqEntryData`` dump), waiting to be published."""

    __tablename__ = "faq_pending_change"

    id: int | None = Field(default=None, primary_key=True)
    faq_id: str = Field(max_length=120, unique=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    author: str = Field(max_length=100)
    source: str | None = Field(default=None, max_length=100)  # e.g. "draft:12", "unanswered:5", "import"
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)

    def entry(self) -> FaqEntryData:
        return FaqEntryData.model_validate(self.data)


def stage_change(
    session: Session, *, entry: FaqEntryData, author: str, source: str | None = None
) -> PendingChange:
    """Save ``entry`` as the pending version of ``entry.id`` (a new id is a new entry), replacing an earlier
    pending version of it; the caller commits."""
    row = session.exec(select(PendingChange).where(col(PendingChange.faq_id) == entry.id)).first()
    data = entry.model_dump(mode="json")
    if row is None:
        row = PendingChange(faq_id=entry.id, data=data, author=author, source=source)
    else:
        row.data, row.author, row.updated_at = data, author, utcnow()
        row.source = source or row.source
    session.add(row)
    return row


def stage_alt_question(
    session: Session, *, faq_id: str, text: str, author: str, source: str | None = None
) -> PendingChange:
    """Add ``text`` as an alternative question of the entry (on top of its pending version, if any); raises
    KeyError for an unknown entry and ValueError when the entry already has that question."""
    entry = working_entry(session, faq_id)
    if entry is None:
        raise KeyError(faq_id)
    text = text.strip()
    if text in entry.questions():
        raise ValueError("この質問はすでにこのFAQの質問か言い換えに含まれています。")
    updated = FaqEntryData.model_validate({**entry.model_dump(), "alt_questions": [*entry.alt_questions, text]})
    return stage_change(session, entry=updated, author=author, source=source)


def pending_changes(session: Session) -> list[PendingChange]:
    """Every pending change, oldest first."""
    return list(session.exec(select(PendingChange).order_by(col(PendingChange.id))))


def pending_change(session: Session, faq_id: str) -> PendingChange | None:
    return session.exec(select(PendingChange).where(col(PendingChange.faq_id) == faq_id)).first()


def discard_change(session: Session, faq_id: str) -> bool:
    """Drop the pending version of ``faq_id``; True when there was one (the caller commits)."""
    row = pending_change(session, faq_id)
    if row is not None:
        session.delete(row)
    return row is not None


def working_entry(session: Session, faq_id: str) -> FaqEntryData | None:
    """The entry as an editor sees it: its pending version if there is one, else the published one."""
    row = pending_change(session, faq_id)
    if row is not None:
        return row.entry()
    published = session.get(FaqEntry, faq_id)
    return entry_data(session, published) if published is not None else None
