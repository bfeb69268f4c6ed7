"""Display helpers for the console templates: Japan time, category names, match scores and audit details.

Times are stored in UTC and shown in Japan time. Everything here is display only: the stored values stay as
they are (slugs, floats, ``key=value`` audit details), so nothing else depends on the wording.
"""

from __future__ import annotations

import datetime as dt

from bot.categories import CATEGORIES
from core.clock import JAPAN, as_utc

# The pack's category slugs in the words staff use: the names of the bot's category buttons.
CATEGORY_LABELS = {category.slug: category.label for category in CATEGORIES}
SCORE_EXPLANATION = ("ボットが計算した、問い合わせとこのFAQとの近さ（0〜1、1に近いほど近い）。"
                     "回答として使えるかは内容を読んで判断してください。")
# Audit details are stored as ``key=value`` words (never citizen text); these are their Japanese names.
DETAIL_KEYS = {"team": "担当課", "draft": "FAQ案", "tickets": "削除した問い合わせ",
               "open": "受付中だった問い合わせ", "drafts_blanked": "質問を消したFAQ案", "faq": "FAQ", "source": "元",
               "version": "版", "entries": "件数", "restored": "戻した版",
               "accuracy_at_1": "1位正解率の変化（ポイント）", "answer_precision": "回答の正確さの変化（ポイント）",
               "note": "内部メモ", "canned": "定型文"}
RATINGS = {"up": "役に立った", "down": "役に立たなかった"}


def jst(value: dt.datetime | None) -> str:
    """``2026-11-23 09:30`` in Japan time; naive values are UTC (SQLite returns them so)."""
    if value is None:
        return "—"
    return as_utc(value).astimezone(JAPAN).strftime("%Y-%m-%d %H:%M")


def category_label(slug: str | None) -> str:
    """``childcare`` → ``子育て``; a slug without a name is shown as it is, none as ``—``."""
    if not slug:
        return "—"
    return CATEGORY_LABELS.get(slug, slug)


def score_label(score: object) -> str:
    """``一致度 0.72`` (two decimals; more would suggest a precision the score does not have)."""
    try:
        return f"一致度 {float(score):.2f}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "一致度 —"


def audit_detail(detail: str) -> str:
    """An audit detail in Japanese: ``team=市民相談課 urgent=True`` → ``担当課：市民相談課、至急``.

    Details that are not ``key=value`` words (``市民相談課 → 観光振興課``) are shown as they are.
    """
    if detail in RATINGS:
        return RATINGS[detail]
    pairs = [word.partition("=") for word in detail.split()]
    if not pairs or not all(sep and key for key, sep, _ in pairs):
        return detail
    labels = []
    for key, _, value in pairs:
        if key == "urgent":
            labels.extend(["至急"] if value == "True" else [])
        else:
            labels.append(f"{DETAIL_KEYS.get(key, key)}：{value}")
    return "、".join(labels)
