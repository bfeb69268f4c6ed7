"""Database tables owned by the knowledge package."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class FaqEntry(SQLModel, table=True):
    """An approved FAQ entry; its alternative questions live in ``FaqAltQuestion``."""

    __tablename__ = "faq_entry"

    id: str = Field(primary_key=True, max_length=120)
    category: str = Field(index=True, max_length=40)
    question: str = Field(sa_column=Column(Text, nullable=False))
    label: str | None = Field(default=None, max_length=20)
    short_answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    answer_en: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    label_en: str | None = Field(default=None, max_length=20)  # English quick-reply label
    source_url: str | None = Field(default=None, max_length=1000)
    department: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=500)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    questions_en: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_reviewed: dt.date | None = None
    needs_review: bool = False
    status: str = Field(default="published", index=True, max_length=20)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class FaqAltQuestion(SQLModel, table=True):
    """One alternative phrasing of an entry's question."""

    __tablename__ = "faq_alt_question"

    id: int | None = Field(default=None, primary_key=True)
    faq_id: str = Field(foreign_key="faq_entry.id", index=True, max_length=120, ondelete="CASCADE")
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))
