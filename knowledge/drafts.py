"""FAQ drafts: answers staff gave to questions the bot could not answer, waiting for an editor.

A draft is never searched or sent to citizens; an editor rewrites it into a reviewed FAQ entry. It keeps no
LINE user id, only the question and the staff answer text, with personal data (phone numbers, e-mail addresses,
postal codes, My Number-like numbers, street addresses, names after 「私は」「名前は」) masked when the draft is
made (``knowledge/pii.py``).

When a citizen deletes their data, the drafts made from their tickets keep the staff answer (the city's own
text, already masked, and the editors' work) but lose the citizen's question: ``forget_questions`` replaces it
with a fixed note, so nothing the citizen wrote outlives their 「データ削除」.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow
from knowledge.pii import mask_personal_data

FORGOTTEN_QUESTION = "（利用者の削除依頼により、質問文を削除しました）"


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
    """Add a draft to ``session`` with personal data masked in the question and answer (the caller commits)."""
    draft = FaqDraft(question=mask_personal_data(question.strip()), answer=mask_personal_data(answer.strip()),
                     category=category, source_ticket_id=source_ticket_id, created_by=created_by)
    session.add(draft)
    return draft


def list_drafts(session: Session, *, status: str = "draft", limit: int = 200) -> list[FaqDraft]:
    """Newest first."""
    query = select(FaqDraft).where(col(FaqDraft.status) == status).order_by(col(FaqDraft.id).desc()).limit(limit)
    return list(session.exec(query))


def forget_questions(session: Session, ticket_ids: list[int]) -> int:
    """Replace the citizen's question in the drafts made from ``ticket_ids``; return how many drafts changed."""
    if not ticket_ids:
        return 0
    query = select(FaqDraft).where(col(FaqDraft.source_ticket_id).in_(ticket_ids))
    drafts = [d for d in session.exec(query) if d.question != FORGOTTEN_QUESTION]
    for draft in drafts:
        draft.question = FORGOTTEN_QUESTION
        session.add(draft)
    return len(drafts)
