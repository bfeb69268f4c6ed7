"""LINE's stored rows read back for staff (``bot.channel.Transcriber``): webhook events and message objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.channel import DEFAULT_CHANNEL, EventKind, Offered, Said, Shown
from bot.inbox import event_time
from bot.models import InboxEvent
from core.clock import as_utc


class LineTranscriber:
    """What a LINE user saw in their chat: their texts, tapped buttons and other messages, and the bot's
    message objects with their quick replies."""

    name = DEFAULT_CHANNEL

    def said(self, event: InboxEvent) -> Said | None:
        """A one-to-one event's message or tapped button, at LINE's event time; None for the rest (a group's or
        room's events, follows, ...)."""
        payload = event.payload
        if (payload.get("source") or {}).get("type", "user") != "user":
            return None
        at = event_time(payload, as_utc(event.received_at))
        if event.event_type == "postback":
            return Said(at, EventKind.POSTBACK, data=str((payload.get("postback") or {}).get("data", "")))
        message = payload.get("message") or {}
        if event.event_type != "message" or not isinstance(message, dict):
            return None
        if message.get("type") == "text":
            return Said(at, EventKind.TEXT, text=str(message.get("text", "")))
        return Said(at, EventKind.OTHER_MESSAGE, message_kind=str(message.get("type")))

    def shown(self, messages: Sequence[dict[str, Any]]) -> list[Shown]:
        """Each message's text (else its alt text, else its type) and its quick reply buttons."""
        shown = []
        for message in messages:
            if message.get("type") == "text":
                text = str(message.get("text", ""))
            else:
                text = str(message.get("altText") or f"（{message.get('type', 'メッセージ')}）")
            items = (message.get("quickReply") or {}).get("items", [])
            shown.append(Shown(text, tuple(_offered(item.get("action") or {}) for item in items)))
        return shown


def _offered(action: dict[str, Any]) -> Offered:
    """A quick reply's action: a postback sends its data back and shows its display text (else its label)."""
    data = action.get("data")
    shows = str(action.get("displayText") or action.get("label") or "")
    return Offered(str(action.get("label", "")), data if isinstance(data, str) else None, shows)
