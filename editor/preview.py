"""The LINE preview on the edit page: the messages the bot would send for the entry as typed.

The bubbles come from the bot's own rendering (``bot.answers.AnswerView``, rendered by ``bot.line.messages``), so
the preview cannot drift from what citizens get: the short answer first with 「くわしく見る」, the full answer with its
「詳しくは」 and contact lines after the tap, the quick-reply buttons, the split of long text into messages.
LINE's limits are checked on the built messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.answers import AnswerView
from bot.line.messages import MAX_LABEL_CHARS, MAX_MESSAGES, MAX_QUICK_REPLY_ITEMS, Message, render
from bot.postback import PostbackSigner
from knowledge.schema import LINE_TEXT_LIMIT, FaqEntryData, utf16_length

PREVIEW_ID = "preview"  # the postback data is signed for a made-up user; the id only has to be valid
PREVIEW_USER = "U" + "0" * 32
_SIGNER = PostbackSigner("editor-preview")  # never sent: the preview's buttons are not clickable


@dataclass(frozen=True)
class Scene:
    """One exchange: what the citizen sends (a question or a button tap), then the bot's messages."""

    title: str
    sent: str
    bubbles: list[str]
    quick_replies: list[str]


@dataclass(frozen=True)
class LimitCheck:
    label: str
    ok: bool
    detail: str


@dataclass
class Preview:
    scenes: list[Scene] = field(default_factory=list)
    checks: list[LimitCheck] = field(default_factory=list)
    button_label: str = ""
    error: str = ""


def build_preview(entry: FaqEntryData) -> Preview:
    """The scenes a citizen would see for ``entry`` (typed in Japanese; in English when it has English
    questions) and the limit checks on every message built."""
    if not (entry.answer or "").strip():
        return Preview(error="回答を入力すると、LINEでの見え方がここに表示されます。")
    shown = entry.model_copy(update={"id": PREVIEW_ID})
    view = AnswerView(_SIGNER, {PREVIEW_ID: shown})
    preview = Preview(button_label=shown.button_label())
    question = entry.question or "（質問）"
    try:
        first = render(view.first(PREVIEW_USER, shown))
        preview.scenes.append(_scene("質問したとき", question, first))
        built = [first]
        if shown.short_answer:
            full = render(view.full(PREVIEW_USER, shown))
            preview.scenes.append(_scene("「くわしく見る」を押したとき", "くわしく見る", full))
            built.append(full)
        if shown.questions_en:
            english = render(view.first(PREVIEW_USER, shown, english=True))
            preview.scenes.append(_scene("英語で質問したとき", shown.questions_en[0], english))
            built.append(english)
    except ValueError as exc:  # MessageLimitError or a label/postback LINE would refuse
        preview.error = f"LINEの制限のため、このままでは送信できません（{exc}）。"
        return preview
    preview.checks = limit_checks(entry, built)
    return preview


def _scene(title: str, sent: str, messages: list[Message]) -> Scene:
    quick = messages[-1].get("quickReply", {}).get("items", []) if messages else []
    labels = [str(item["action"]["label"]) for item in quick]
    return Scene(title, sent, [str(m.get("text", "")) for m in messages], labels)


def limit_checks(entry: FaqEntryData, replies: list[list[Message]]) -> list[LimitCheck]:
    """LINE's limits, checked on every reply built: message count, text length, quick replies and labels."""
    most = max((len(reply) for reply in replies), default=0)
    longest = max((utf16_length(str(m.get("text", ""))) for reply in replies for m in reply), default=0)
    items = max((len(_quick_items(reply)) for reply in replies), default=0)
    label = entry.label or ""
    return [
        LimitCheck("1回の返信のメッセージ数", most <= MAX_MESSAGES, f"{most}件（上限{MAX_MESSAGES}件）"),
        LimitCheck("1つのメッセージの文字数", longest <= LINE_TEXT_LIMIT,
                   f"最長{longest}文字（上限{LINE_TEXT_LIMIT:,}文字。超える分は次のメッセージに分かれます）"),
        LimitCheck("クイックリプライのボタン数", items <= MAX_QUICK_REPLY_ITEMS,
                   f"{items}個（上限{MAX_QUICK_REPLY_ITEMS}個）"),
        LimitCheck("ボタンの表示名（label）", len(label) <= MAX_LABEL_CHARS,
                   f"{len(label)}文字（上限{MAX_LABEL_CHARS}文字）" if label else "未設定（質問の先頭を使います）"),
    ]


def _quick_items(reply: list[Message]) -> list[Any]:
    if not reply:
        return []
    items: list[Any] = reply[-1].get("quickReply", {}).get("items", [])
    return items
