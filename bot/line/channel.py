"""The LINE channel (``bot.channel.Channel``): stored webhook events in, LINE message JSON out, delivered by
``bot.line.client.LineSender``.

A one-to-one event becomes a neutral ``Incoming`` for the dispatcher, its citizen keyed by the LINE user id.
Group and room chats are LINE's alone and never reach the conversation: ``bot.line.group_chat`` answers a
mention there, a question it searched is counted (without the chat's or the member's id), and a message not
meant for the bot is not kept either (its stored text is trimmed away).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from bot import capture
from bot.channel import DEFAULT_CHANNEL, Citizen, EventKind, Inbound, Incoming
from bot.delivery import BeforeCall, DeliveryResult, Outgoing
from bot.inbox import event_time
from bot.line.client import LineSender
from bot.line.group_chat import GroupChat, chat_id_of
from bot.line.messages import Message, render
from bot.line.transcript import LineTranscriber
from bot.models import InboxEvent
from bot.replies import Say
from retrieval.engine import Retriever

LINE = DEFAULT_CHANNEL
MAX_MESSAGE_KIND_CHARS = 20


class LineRenderer(LineTranscriber):
    """Renders replies as LINE messages (``bot.line.messages.render``) and reads the stored rows back for staff
    (``bot.channel.Transcriber``): all the staff console needs of LINE."""

    name = LINE

    def render(self, replies: Sequence[Say]) -> list[Message]:
        return render(replies)


class LineChannel(LineRenderer):
    """LINE for the worker.

    Args:
        sender: delivers to the Messaging API (reply token while valid, else keyed push; 429/5xx retried later).
        retriever: the FAQ search, for mentions in group and room chats.
    """

    def __init__(self, sender: LineSender, retriever: Retriever) -> None:
        self.sender = sender
        self.group_chat = GroupChat(retriever)

    @property
    def max_attempts(self) -> int:
        return self.sender.max_attempts

    def read(self, session: Session, event: InboxEvent, received_at: dt.datetime) -> Inbound:
        """The event as the dispatcher reads it, at LINE's event time; a group's or room's event is answered
        here, into that chat."""
        payload = event.payload
        at = event_time(payload, received_at)
        token = payload.get("replyToken")
        reply_token = token if isinstance(token, str) else None
        chat = chat_id_of(payload)
        if chat is not None:
            return Inbound(at, chat, replies=self._group(session, event, at), reply_token=reply_token)
        return Inbound(at, event.line_user_id, incoming_of(payload, event.line_user_id), reply_token=reply_token)

    def _group(self, session: Session, event: InboxEvent, at: dt.datetime) -> list[Say]:
        """Group and room chats (``bot.line.group_chat``): a message not meant for the bot is not kept either; a
        question it searched is counted, without the chat's or the member's id."""
        payload = event.payload
        replies, question, decision = self.group_chat.reply(payload)
        if question is not None and decision is not None:
            capture.question(session, user_id=None, at=at, text=question, decision=decision)
        if not replies and isinstance(payload.get("message"), dict):
            message = payload["message"]
            event.payload = {**payload, "message": {"type": message.get("type"), "id": message.get("id")}}
        return replies

    async def deliver(self, outgoing: Outgoing, before_call: BeforeCall) -> DeliveryResult:
        return await self.sender.send(outgoing, before_call)


def incoming_of(payload: dict[str, Any], user_id: str | None) -> Incoming | None:
    """A one-to-one webhook event as a neutral event of the LINE user ``user_id``; None without a user."""
    if not user_id:
        return None  # events without a user: nothing to answer
    citizen = Citizen(LINE, user_id)
    kind = payload.get("type")
    if kind == "follow":
        return Incoming(EventKind.FOLLOW, citizen)
    if kind == "unfollow":
        return Incoming(EventKind.UNFOLLOW, citizen)
    if kind == "postback":
        postback = payload.get("postback")
        data = postback.get("data") if isinstance(postback, dict) else None
        return Incoming(EventKind.POSTBACK, citizen, data=data if isinstance(data, str) else "")
    if kind != "message":
        return Incoming(EventKind.OTHER, citizen)
    message = payload.get("message")
    if not isinstance(message, dict) or message.get("type") != "text" or not isinstance(message.get("text"), str):
        message_kind = str(message.get("type", "?"))[:MAX_MESSAGE_KIND_CHARS] if isinstance(message, dict) else "?"
        return Incoming(EventKind.OTHER_MESSAGE, citizen, message_kind=message_kind)
    return Incoming(EventKind.TEXT, citizen, text=message["text"])
