"""LINE's rendering of the bot's replies (``bot.replies.Say``): message objects as the Messaging API takes
them (JSON), built within LINE's limits.

A reply is one text message, split at sentence ends when its text is over 5,000 UTF-16 code units; its choices
become quick-reply postback buttons on its last message (LINE shows only that one's). ``render`` turns the
replies to one event into the messages stored in the outbox; the sender sends them in ``batch``es of five.

Limits: 1-5 messages per call, text <= 5,000 UTF-16 code units, <= 13 quick-reply items, action labels
<= 20 characters, postback data <= 300 characters, altText <= 1,500 characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.replies import Choice, Say, shorten
from knowledge.schema import LINE_TEXT_LIMIT, utf16_length

__all__ = ["MAX_ALT_TEXT_CHARS", "MAX_LABEL_CHARS", "MAX_MESSAGES", "MAX_POSTBACK_DATA_CHARS",
           "MAX_QUICK_REPLY_ITEMS", "Message", "MessageLimitError", "PostbackChoice", "batch", "postback_action",
           "quick_reply", "render", "shorten", "split_text", "text_messages"]

MAX_MESSAGES = 5
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL_CHARS = 20
MAX_POSTBACK_DATA_CHARS = 300
MAX_ALT_TEXT_CHARS = 1500

Message = dict[str, Any]

SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")


class MessageLimitError(ValueError):
    """A message cannot be built within LINE's limits (the caller built something wrong)."""


PostbackChoice = Choice  # a choice is a quick-reply postback button on LINE


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


def render(replies: Sequence[Say]) -> list[Message]:
    """The LINE messages for ``replies``, in order: each reply's text messages, its choices on the last one."""
    return [message for reply in replies for message in text_messages(reply.text, reply.choices)]


def batch(messages: Sequence[Message]) -> list[list[Message]]:
    """Messages in groups of at most five, one group per API call, order kept."""
    return [list(messages[i : i + MAX_MESSAGES]) for i in range(0, len(messages), MAX_MESSAGES)]
