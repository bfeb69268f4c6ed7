"""What the bot says, independent of the channel it is said on: a text, optionally with choice buttons.

The conversation, the answers, the emergency menu and the ticket replies build ``Say`` values; each channel
renders them (``bot.channel.Channel.render``): LINE as text messages with quick replies
(``bot.line.messages``), another channel as it shows a text and buttons. A choice sends its ``data`` back
to the bot when tapped (a postback on LINE), and may show ``display_text`` in the chat as if the citizen had
written it.

The bounds here are the bot's own and fit every channel: at most ``MAX_REPLIES`` replies to one message and
``MAX_CHOICES`` choices under one reply (LINE's five messages per reply and 13 quick replies; a channel with
stricter limits checks them when it renders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_REPLIES = 5  # replies to one message (each ``Say`` is one LINE message unless its text is over 5,000 units)
MAX_CHOICES = 13  # choices under one reply
MAX_CHOICE_DATA_CHARS = 300  # a choice's data, as channels carry it back (LINE's postback data limit)


@dataclass(frozen=True)
class Choice:
    """A button under a reply that sends ``data`` back to the bot (and shows ``display_text`` in the chat)."""

    label: str
    data: str
    display_text: str | None = None


PostbackChoice = Choice  # the name the conversation used before channels: a LINE postback quick reply


@dataclass(frozen=True)
class Say:
    """One reply: ``text``, with ``choices`` offered under it (a channel shows them with this reply)."""

    text: str
    choices: tuple[Choice, ...] = ()


def say(text: str, choices: Sequence[Choice] = ()) -> list[Say]:
    """``text`` (with ``choices``) as the list of replies the conversation returns."""
    return [Say(text, tuple(choices))]


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
