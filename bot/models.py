"""Database tables owned by the bot package."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class InboxEvent(SQLModel, table=True):
    """One event exactly as its channel sent it (LINE: a webhook event), stored before the channel gets its 200.

    ``webhook_event_id`` is unique, so a redelivered event is stored (and processed) once. ``channel`` names the
    channel that reads it (``bot.channel``); ``line_user_id`` holds the citizen's key (``bot.channel.Citizen``).
    """

    __tablename__ = "bot_inbox_event"

    id: int | None = Field(default=None, primary_key=True)
    webhook_event_id: str = Field(max_length=100, unique=True)
    event_type: str = Field(max_length=40)
    channel: str = Field(default="line", max_length=20)
    line_user_id: str | None = Field(default=None, max_length=100, index=True)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    is_redelivery: bool = False
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    received_at: dt.datetime = Field(default_factory=utcnow)
    claimed_at: dt.datetime | None = None
    processed_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)


class LineUser(SQLModel, table=True):
    """One LINE user: conversation state, follow status and the message-rate window.

    Whether staff or the bot answers the user is not kept here: an open ticket of the user's says so (the desk,
    ``bot.desk.CityDesk.open_ticket_of``).
    """

    __tablename__ = "bot_line_user"

    user_id: str = Field(primary_key=True, max_length=100)
    active: bool = True
    last_question: str | None = Field(default=None, max_length=1000)
    # What the one search for ``last_question`` found (``Conversation.bot_view`` rows: faq_id, question, score,
    # category, shown) and whether the question itself had emergency words: a hand-off or a decline of it reuses
    # them instead of searching again. None when not known (an entry's question, rows from before 0016): the
    # hand-off then searches.
    last_candidates: list[dict[str, Any]] | None = Field(default=None,
                                                          sa_column=Column(JSON(none_as_null=True), nullable=True))
    last_question_urgent: bool | None = None
    first_seen: dt.datetime = Field(default_factory=utcnow)
    last_seen: dt.datetime = Field(default_factory=utcnow)
    window_started_at: dt.datetime | None = None
    window_count: int = 0
    slowed_until: dt.datetime | None = None
    last_emergency_at: dt.datetime | None = None  # a hand-off soon after emergency words is urgent
    last_emergency_text: str | None = Field(default=None, max_length=1000)  # shown to staff in that ticket
    # The entry or category the citizen last chose, and a digest of the question it was chosen for: it routes
    # a hand-off of that question to the team of the chosen topic (handoff/routing.py).
    last_category: str | None = Field(default=None, max_length=40)
    last_entry: str | None = Field(default=None, max_length=120)
    last_choice_for: str | None = Field(default=None, max_length=16)


class OutboxMessage(SQLModel, table=True):
    """Messages stored for sending, as ``channel`` renders them; the worker delivers them through that channel
    (LINE: reply token while valid, else push)."""

    __tablename__ = "bot_outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    line_user_id: str = Field(max_length=100, index=True)  # the chat pushed to: a citizen's key, or a group/room id
    channel: str = Field(default="line", max_length=20)
    inbox_event_id: int | None = Field(default=None, foreign_key="bot_inbox_event.id", ondelete="SET NULL")
    messages: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reply_token: str | None = Field(default=None, max_length=100)
    reply_token_expires_at: dt.datetime | None = None
    retry_key: str = Field(max_length=36, unique=True)
    status: str = Field(default="pending", max_length=20, index=True)  # pending | sending | delivered | failed
    claimed_at: dt.datetime | None = None
    attempts: int = 0  # requests made to LINE, each counted before it is sent
    reply_attempted_at: dt.datetime | None = None  # the reply token was tried: never reply again, only push
    next_attempt_at: dt.datetime | None = None  # a retry waits until then (None: due at once)
    outcome: str | None = Field(default=None, max_length=20)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow)
    delivered_at: dt.datetime | None = None

