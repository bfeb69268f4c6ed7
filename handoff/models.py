"""Database tables owned by the handoff package: tickets and their threads (the audit log is ``console.models``)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class TicketStatus(StrEnum):
    WAITING = "waiting"  # in the queue, nobody has it
    ASSIGNED = "assigned"  # a staff member claimed it
    ANSWERED = "answered"  # staff replied at least once; still open for follow-ups
    RESOLVED = "resolved"
    CANCELLED = "cancelled"  # the citizen withdrew it


OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.ASSIGNED, TicketStatus.ANSWERED)
HELD_STATUSES = (TicketStatus.ASSIGNED, TicketStatus.ANSWERED)  # count against the per-staff cap


class Ticket(SQLModel, table=True):
    """One citizen question handed to city staff, with what the bot thought of it."""

    __tablename__ = "handoff_ticket"
    # Ticket numbers are shown to citizens and kept in the audit log and FAQ drafts after a 「データ削除」, so
    # SQLite must never hand out a deleted number again (PostgreSQL sequences never do).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    line_user_id: str = Field(max_length=100, index=True)  # the citizen's key (``bot.channel.Citizen``)
    channel: str = Field(default="line", max_length=20)  # where the citizen asked, and staff answers go
    question: str = Field(max_length=1000)
    candidates: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    category: str | None = Field(default=None, max_length=40)
    team: str = Field(max_length=100, index=True)
    urgent: bool = Field(default=False, index=True)  # the ticket's own messages have emergency words
    emergency_before_at: dt.datetime | None = None  # emergency words sent shortly before it (shown, not 至急)
    status: str = Field(default=TicketStatus.WAITING, max_length=20, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True, ondelete="SET NULL")
    unread: int = 0  # citizen messages the staff side has not opened yet
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    first_response_at: dt.datetime | None = None
    first_response_business_s: float | None = None
    resolved_at: dt.datetime | None = None
    last_ack_at: dt.datetime | None = None  # last "staff will see it" note sent to the citizen
    notified_at: dt.datetime | None = None
    notify_error: str | None = Field(default=None, max_length=200)
    rating: str | None = Field(default=None, max_length=10)  # citizen's 👍/👎 on the staff answer


class TicketMessage(SQLModel, table=True):
    """One message of a ticket's thread: from the citizen, from staff, or a system note."""

    __tablename__ = "handoff_ticket_message"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="handoff_ticket.id", index=True, ondelete="CASCADE")
    author: str = Field(max_length=10)  # user | staff | system
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    text: str = Field(max_length=5000)
    outbox_message_id: int | None = Field(default=None, foreign_key="bot_outbox_message.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    emergency: bool = False  # the citizen used emergency words here (why the ticket is urgent)
