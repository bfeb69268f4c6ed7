"""Builders for LINE message objects (JSON as the Messaging API takes it) that enforce LINE's limits.

Limits: 1-5 messages per call, text <= 5,000 UTF-16 code units, <= 13 quick-reply items, action labels
<= 20 characters, postback data <= 300 characters, altText <= 1,500 characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.schema import LINE_TEXT_LIMIT, utf16_length

MAX_MESSAGES = 5
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL_CHARS = 20
MAX_POSTBACK_DATA_CHARS = 300
MAX_ALT_TEXT_CHARS = 1500

Message = dict[str, Any]

SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")


class MessageLimitError(ValueError):
    """A message cannot be built within LINE's limits (the caller built something wrong)."""


@dataclass(frozen=True)
class PostbackChoice:
    """A quick-reply button that sends ``data`` back to the bot (and shows ``display_text`` in the chat)."""

    label: str
    data: str
    display_text: str | None = None


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_text(text: str, limit: int = LINE_TEXT_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` UTF-16 code units, cut at sentence ends where possible."""
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in SENTENCE_END.split(text) if s):
        while utf16_length(sentence) > limit:  # a single sentence longer than the limit: hard cut
            head, sentence = _cut_utf16(sentence, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if utf16_length(current + sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current += sentence
    if current:
        pieces.append(current)
    return [p.strip("\n") or p for p in pieces if p.strip()]


def _cut_utf16(text: str, limit: int) -> tuple[str, str]:
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index], text[index:]
    return text, ""


def postback_action(choice: PostbackChoice) -> dict[str, Any]:
    if len(choice.data) > MAX_POSTBACK_DATA_CHARS:
        raise MessageLimitError(f"postback data is {len(choice.data)} characters; LINE allows 300")
    action: dict[str, Any] = {"type": "postback", "label": shorten(choice.label, MAX_LABEL_CHARS), "data": choice.data}
    if choice.display_text:
        action["displayText"] = shorten(choice.display_text, 300)
    return action


def quick_reply(choices: Sequence[PostbackChoice]) -> dict[str, Any]:
    if not choices:
        raise MessageLimitError("a quick reply needs at least one item")
    if len(choices) > MAX_QUICK_REPLY_ITEMS:
        raise MessageLimitError(f"{len(choices)} quick-reply items; LINE allows 13")
    return {"items": [{"type": "action", "action": postback_action(c)} for c in choices]}


def text_messages(text: str, choices: Sequence[PostbackChoice] = ()) -> list[Message]:
    """``text`` as one or more text messages; quick replies go on the last one (LINE shows only that one's)."""
    messages: list[Message] = [{"type": "text", "text": piece} for piece in split_text(text)]
    if not messages:
        raise MessageLimitError("no text to send")
    if choices:
        messages[-1]["quickReply"] = quick_reply(choices)
    return messages


def batch(messages: Sequence[Message]) -> list[list[Message]]:
    """Messages in groups of at most five, one group per API call, order kept."""
    return [list(messages[i : i + MAX_MESSAGES]) for i in range(0, len(messages), MAX_MESSAGES)]
