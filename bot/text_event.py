"""One citizen text message, classified once (``classify``) and passed on, so no step derives it again.

The dispatcher classifies each text message as it arrives: the emergency check (``bot.emergency.check``, made by
the caller), whether it is a command (「データ削除」, 「キャンセル」), over-long, a bare greeting or thanks (the
canned reply), and, when first needed, the language the bot does not speak. The dispatcher and the conversation
read these instead of checking the text again (issue 18 item 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from bot.emergency import EmergencyCheck
from bot.language import unsupported_language
from bot.texts import TEXT
from retrieval.normalize import fold

__all__ = ["CANCEL_COMMANDS", "DELETE_COMMANDS", "GREETINGS", "MAX_TEXT_CHARS", "THANKS", "Command", "TextEvent",
           "canned_reply", "classify"]

MAX_TEXT_CHARS = 1000
DELETE_COMMANDS = ("データ削除", "データさくじょ", "でーたさくじょ")
CANCEL_COMMANDS = ("キャンセル", "きゃんせる", "取り消し", "取消", "とりけし", "取り消す")
GREETINGS = ("こんにちは", "こんばんは", "おはよう", "はじめまして", "hello", "hi")
THANKS = ("ありがとう", "助かりました", "たすかりました", "thank")


class Command(StrEnum):
    """A text message that is a command rather than a question."""

    DELETE = "delete"  # 「データ削除」: asks to confirm, then removes the citizen's records
    CANCEL = "cancel"  # 「キャンセル」: withdraws the open ticket (only while one is open)


@dataclass(frozen=True)
class TextEvent:
    """What one text message is, decided once.

    ``emergency``: its emergency check; ``command``: a command it is (else None); ``too_long``: over
    ``MAX_TEXT_CHARS``; ``canned``: the short reply to a bare greeting or thanks (None otherwise, and for over-long
    text). ``language``: the language the bot does not speak it is written in, decided on first use (only a
    question the bot answers needs it).
    """

    text: str
    emergency: EmergencyCheck
    command: Command | None
    too_long: bool
    canned: str | None

    @property
    def is_question(self) -> bool:
        """Whether the conversation answers it as a question (not a sure emergency, over-long text or small
        talk); a possible emergency is still a question."""
        sure_emergency = bool(self.emergency) and self.emergency.sure
        return not sure_emergency and not self.too_long and self.canned is None

    @cached_property
    def language(self) -> str | None:
        """The ISO 639-1 code of a language the bot does not speak (``bot.language``), else None."""
        return unsupported_language(self.text)


def classify(text: str, emergency: EmergencyCheck) -> TextEvent:
    """The classification of one text message whose emergency check ``emergency`` the caller made."""
    stripped = text.strip()
    command = Command.DELETE if stripped in DELETE_COMMANDS else Command.CANCEL if stripped in CANCEL_COMMANDS else None
    too_long = len(text) > MAX_TEXT_CHARS
    return TextEvent(text, emergency, command, too_long, None if too_long else canned_reply(text))


def canned_reply(text: str) -> str | None:
    """A short reply for a bare greeting or thanks (not for a question that starts with one)."""
    folded = fold(text).strip("!！。.、,～〜 ")
    if len(folded) > 12:
        return None
    if any(folded.startswith(word) for word in THANKS):
        return TEXT["thanks"]
    if any(folded.startswith(word) for word in GREETINGS):
        return TEXT["greeting"]
    return None
