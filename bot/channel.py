"""The boundary between the conversation and the channels citizens write on (LINE, a city web chat, ...).

A channel turns what it stored in the inbox into a neutral ``Incoming`` event for the dispatcher, renders the
dispatcher's neutral replies (``bot.replies.Say``) into the messages stored in the outbox, and delivers an
outbox row. The worker picks the channel by the ``channel`` column of inbox events and outbox messages;
tickets record theirs, so a staff answer goes back the way the question came. The conversation knows no channel.

A citizen is ``(channel, external id)``. What the tables store is its ``key``: a LINE user's key is the LINE
user id itself (the ids stored before channels existed stay valid), any other channel's is
``"<channel>:<external id>"``. LINE user ids never hold a colon, so a key tells its channel (``citizen_of``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlmodel import Session

from bot.delivery import BeforeCall, DeliveryResult, Outgoing
from bot.models import InboxEvent
from bot.replies import Say

DEFAULT_CHANNEL = "line"  # the channel of every row stored before channels existed (the columns' default)
KEY_SEPARATOR = ":"


@dataclass(frozen=True)
class Citizen:
    """One person on one channel; ``key`` is how every table refers to them."""

    channel: str
    external_id: str

    @property
    def key(self) -> str:
        """The stored user id: the LINE user id as it is, ``"<channel>:<external id>"`` for other channels."""
        if self.channel == DEFAULT_CHANNEL:
            return self.external_id
        return f"{self.channel}{KEY_SEPARATOR}{self.external_id}"


def citizen_of(key: str) -> Citizen:
    """The citizen a stored user id (``Citizen.key``) stands for."""
    channel, separator, external_id = key.partition(KEY_SEPARATOR)
    if not separator:
        return Citizen(DEFAULT_CHANNEL, key)
    return Citizen(channel, external_id)


class EventKind(StrEnum):
    FOLLOW = "follow"  # the citizen added the bot (LINE: follow; a web chat: opened)
    UNFOLLOW = "unfollow"  # the citizen blocked or left it
    TEXT = "text"
    POSTBACK = "postback"  # a tapped choice (``bot.replies.Choice.data``)
    OTHER_MESSAGE = "other_message"  # a message that is not text (image, sticker, ...)
    OTHER = "other"  # anything else: nothing to answer


@dataclass(frozen=True)
class Incoming:
    """One event of a citizen, as the dispatcher reads it.

    ``text``: the message (``TEXT``); ``data``: the tapped choice's data (``POSTBACK``); ``message_kind``: what
    was sent instead of text (``OTHER_MESSAGE``), at most 20 characters, shown to staff on an open ticket.
    """

    kind: EventKind
    citizen: Citizen | None
    text: str = ""
    data: str = ""
    message_kind: str = "?"


@dataclass(frozen=True)
class Inbound:
    """What a channel read from one stored event.

    Args:
        at: when the citizen acted (replies, rate limits and tickets follow it).
        reply_to: the chat that replies go to (stored as the outbox row's ``line_user_id``); None: no replies.
        incoming: the event for the dispatcher; None when there is nothing for the conversation (the channel
            answered it itself, e.g. LINE group chats, or it is not a citizen's).
        replies: what the channel answered itself, when ``incoming`` is None.
        reply_token: the channel's one-time handle for answering this event, if it has one (LINE's).
    """

    at: dt.datetime
    reply_to: str | None
    incoming: Incoming | None = None
    replies: list[Say] = field(default_factory=list)
    reply_token: str | None = None


class Renderer(Protocol):
    """Renders replies as a channel stores them in the outbox."""

    def render(self, replies: Sequence[Say]) -> list[dict[str, Any]]: ...


class Channel(Renderer, Protocol):
    """A channel the worker reads events from and delivers replies to."""

    @property
    def name(self) -> str: ...

    @property
    def max_attempts(self) -> int:
        """Requests one delivery may make in total before it fails."""
        ...

    def read(self, session: Session, event: InboxEvent, received_at: dt.datetime) -> Inbound:
        """What ``event`` (stored with this channel's name) says; runs in the worker's transaction, which
        commits whatever the channel changes (e.g. trimming a stored payload it does not need)."""
        ...

    async def deliver(self, outgoing: Outgoing, before_call: BeforeCall) -> DeliveryResult:
        """Deliver one outbox row's messages; ``before_call`` is awaited before each request (it counts it)."""
        ...


@dataclass(frozen=True)
class Said:
    """What one stored event of a citizen showed in their one-to-one chat, as staff read it.

    ``kind``: ``TEXT`` (``text``: what they wrote), ``POSTBACK`` (``data``: the tapped choice's) or
    ``OTHER_MESSAGE`` (``message_kind``: what they sent instead of text, e.g. image, sticker).
    """

    at: dt.datetime  # when the citizen acted (as ``Inbound.at``)
    kind: EventKind
    text: str = ""
    data: str = ""
    message_kind: str = ""


@dataclass(frozen=True)
class Offered:
    """A button the bot offered: ``label``; ``data`` it sends back when tapped (None: it sends nothing back, e.g.
    a link); ``shows``: what the chat shows as the citizen's when it is tapped."""

    label: str
    data: str | None
    shows: str


@dataclass(frozen=True)
class Shown:
    """One stored message of the bot as the citizen saw it: its text and the buttons offered with it."""

    text: str
    buttons: tuple[Offered, ...] = ()


class Transcriber(Protocol):
    """Reads a channel's stored rows back for staff: the console shows a ticket's chat with it
    (``handoff.timeline``)."""

    @property
    def name(self) -> str: ...

    def said(self, event: InboxEvent) -> Said | None:
        """What ``event`` (stored with this channel's name) showed in the citizen's one-to-one chat; None for the
        rest (follows, group chats, ...)."""
        ...

    def shown(self, messages: Sequence[dict[str, Any]]) -> list[Shown]:
        """An outbox row's messages (as this channel's ``render`` stored them), as the citizen saw them."""
        ...


class UnknownChannelError(LookupError):
    """A row names a channel this process has not wired."""


def render_for(renderers: Mapping[str, Renderer], channel: str, replies: Sequence[Say]) -> list[dict[str, Any]]:
    """``replies`` as ``channel`` stores them in the outbox."""
    renderer = renderers.get(channel)
    if renderer is None:
        raise UnknownChannelError(f"no channel {channel!r} is wired")
    return renderer.render(replies)
