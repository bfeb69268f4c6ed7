"""FAQ drafts: answers staff gave to questions the bot could not answer, waiting for an editor.

A draft is never searched or sent to citizens; an editor rewrites it into a reviewed FAQ entry. It keeps no
LINE user id, only the question and the staff answer text (staff are asked not to copy personal details).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from tsunagu.clock import utcnow


class FaqDraft(SQLModel, table=True):
    """A proposed FAQ entry made from a staff answer."""

    __tablename__ = "faq_draft"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    category: str | None = Field(default=None, max_length=40)
    source_ticket_id: int | None = Field(default=None, index=True)  # no foreign key: tickets may be deleted
    created_by: str = Field(max_length=100)
    status: str = Field(default="draft", max_length=20, index=True)  # draft | adopted | rejected
    created_at: dt.datetime = Field(default_factory=utcnow)


def create_draft(
    session: Session, *, question: str, answer: str, category: str | None, source_ticket_id: int | None,
    created_by: str,
) -> FaqDraft:
    """Add a draft to ``session`` (the caller commits)."""
    draft = FaqDraft(question=question.strip(), answer=answer.strip(), category=category,
                     source_ticket_id=source_ticket_id, created_by=created_by)
    session.add(draft)
    return draft


def list_drafts(session: Session, *, status: str = "draft", limit: int = 200) -> list[FaqDraft]:
    """Newest first."""
    query = select(FaqDraft).where(col(FaqDraft.status) == status).order_by(col(FaqDraft.id).desc()).limit(limit)
    return list(session.exec(query))
