"""Database tables owned by the bot package."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class InboxEvent(SQLModel, table=True):
    """One webhook event exactly as LINE sent it, stored before LINE gets its 200.

    ``webhook_event_id`` is unique, so a redelivered event is stored (and processed) once.
    """

    __tablename__ = "bot_inbox_event"

    id: int | None = Field(default=None, primary_key=True)
    webhook_event_id: str = Field(max_length=100, unique=True)
    event_type: str = Field(max_length=40)
    line_user_id: str | None = Field(default=None, max_length=100, index=True)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    is_redelivery: bool = False
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    received_at: dt.datetime = Field(default_factory=_utcnow)
    processed_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
