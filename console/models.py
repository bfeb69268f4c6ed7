"""Database tables owned by the console: the audit log (staff accounts and sessions are ``console.accounts.models``)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from core.clock import utcnow


class AuditEvent(SQLModel, table=True):
    """Who changed what, when. Keeps no citizen text, so it can outlive a "データ削除"."""

    __tablename__ = "handoff_audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor_staff_id: int | None = Field(default=None, index=True)  # None: the citizen or the system
    actor: str = Field(max_length=100)  # staff username, "citizen" or "system"
    action: str = Field(max_length=40)
    ticket_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="", max_length=300)
