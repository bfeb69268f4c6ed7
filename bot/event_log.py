"""What a log line may say about one LINE webhook event: never what the citizen wrote, nor their LINE user id."""

from __future__ import annotations

from typing import Any

from core.logging_setup import user_ref


def event_fields(payload: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    """The event's type, its message's type and length, and the sender as ``user_ref`` (a keyed hash), as
    ``extra=`` fields of a log call."""
    fields: dict[str, Any] = {"event_type": payload.get("type"), "user": user_ref(user_id)}
    message = payload.get("message")
    if isinstance(message, dict):
        fields["message_type"] = message.get("type")
        if isinstance(message.get("text"), str):
            fields["text_chars"] = len(message["text"])
    return fields
