"""Warnings shown beside the LINE preview: things an answer may get wrong that the schema cannot refuse.

Pure functions of the entry as typed, so they are easy to test and cheap to run on every keystroke.

The phone screen: a citizen reads the answer on a phone in LINE, and an answer they have to scroll through
is one they do not finish. The reference phone is 390×844 pt (iPhone 12–15, the most common screen size in
Japan). Of its 844 pt height, LINE's chat leaves roughly 600 pt for messages: status bar 47, chat header 52,
quick-reply row 52, input bar 56, home indicator 34, and about 40 for the bubble's padding and the time stamp.
A text bubble is at most about 250 pt wide; at LINE's standard font size (about 15 pt, line height about 21 pt)
that is 16 full-width characters a line and 28 lines. These are estimates from those sizes, not a measurement
on a device: ``screen_lines`` counts 16 full-width (32 half-width) characters a line, every line break
starting a new line, and more than ``SCREEN_LINES`` lines gets a warning.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from knowledge.schema import LABEL_MAX_CHARS, FaqEntryData

SCREEN_CHARS_PER_LINE = 16  # full-width characters in one line of a LINE bubble on a 390 pt wide phone
SCREEN_LINES = 28  # lines of bubble text that fit the chat area of a 390×844 pt phone
SUBSTANCE_MIN_CHARS = 15  # fewer characters than this besides 「…へお問い合わせください」 is no answer

# A sentence that only sends the reader elsewhere: 「…にお問い合わせください」「…へご確認ください」 and the like.
DEFLECTION = re.compile(
    r"(お?問い?合わ?せ|ご?確認|ご?相談|ご?連絡|ご?照会|お尋ね|ご覧|参照)(を)?(して|になって|いただ[きく])?"
    r"(ください|下さい|願います|お願いします)"
)
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
NOT_SUBSTANCE = re.compile(r"https?://\S+|[0-9０-９()（）\-－‐ー#＃]{6,}|\s")


@dataclass(frozen=True)
class EditorWarning:
    """One warning: ``code`` for tests and styling, ``message`` in Japanese for the editor."""

    code: str
    message: str


def display_width(text: str) -> float:
    """Width in full-width characters: a half-width (Latin, digit, half-width kana) character counts ½."""
    return sum(0.5 if unicodedata.east_asian_width(char) in ("Na", "H") else 1.0 for char in text)


def screen_lines(text: str) -> int:
    """Estimated lines ``text`` takes in a LINE bubble on the reference phone (see the module docstring)."""
    return sum(max(1, math.ceil(display_width(line) / SCREEN_CHARS_PER_LINE)) for line in text.split("\n"))


def only_deflects(answer: str) -> bool:
    """True when the answer's sentences, besides those that send the reader elsewhere, say (almost) nothing.

    URLs, phone numbers and spaces do not count as substance; an answer with no deflecting sentence at all is
    never flagged here (it may be short and still answer).
    """
    sentences = [s for s in SENTENCE.findall(answer) if s.strip()]
    deflecting = [s for s in sentences if DEFLECTION.search(s)]
    if not deflecting:
        return False
    rest = "".join(s for s in sentences if not DEFLECTION.search(s))
    return len(NOT_SUBSTANCE.sub("", rest)) < SUBSTANCE_MIN_CHARS


def first_shown_text(entry: FaqEntryData) -> str:
    """What the citizen sees first: the short answer when there is one, else the whole answer."""
    return entry.short_answer or entry.answer or ""


def entry_warnings(entry: FaqEntryData) -> list[EditorWarning]:
    """Every warning for ``entry`` (built with ``model_construct`` from a half-typed form is fine)."""
    warnings: list[EditorWarning] = []
    answer = entry.answer or ""
    if answer.strip() and only_deflects(answer):
        warnings.append(EditorWarning("deflects", "回答が「…にお問い合わせください」などの案内だけになっています。"
                                      "手続きの期限・必要なもの・場所など、答えそのものを書いてください。"))
    lines = screen_lines(first_shown_text(entry))
    if lines > SCREEN_LINES:
        hint = "" if entry.short_answer else "「短い回答」を書くと、最初はそれだけが表示されます。"
        warnings.append(EditorWarning("too_long", f"最初に表示される文章がスマートフォン1画面（約{SCREEN_LINES}行）"
                                      f"を超えます（約{lines}行）。{hint}"))
    if not entry.source_url:
        warnings.append(EditorWarning("no_source", "根拠のページ（source_url）がありません。"
                                      "市のページのURLを入れると「詳しくは」として案内されます。"))
    warnings.extend(_label_warnings(entry))
    if entry.questions_en and not entry.label_en:
        warnings.append(EditorWarning("no_label_en", "英語の質問がありますが、英語のボタン名（label_en）がありません。"
                                      "英語で質問した人の選択肢ボタンに日本語の名前が出ます。"))
    if entry.questions_en and not entry.answer_en:
        warnings.append(EditorWarning("no_answer_en", "英語の質問がありますが、英語の回答（answer_en）がありません。"
                                      "英語で質問した人には日本語の回答が届きます。"))
    return warnings


def _label_warnings(entry: FaqEntryData) -> list[EditorWarning]:
    """A label over LINE's 20 characters, or no label and a question that the button will cut."""
    if entry.label and len(entry.label) > LABEL_MAX_CHARS:
        return [EditorWarning("label_too_long", f"ボタンの表示名は{LABEL_MAX_CHARS}文字までです"
                              f"（今は{len(entry.label)}文字）。")]
    if not entry.label and len(entry.question or "") > LABEL_MAX_CHARS:
        return [EditorWarning("label_cut", f"ボタンの表示名がないため、質問が{LABEL_MAX_CHARS}文字で切れて"
                              f"「{entry.button_label()}」と表示されます。")]
    return []
