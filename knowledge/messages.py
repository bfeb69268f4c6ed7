"""Validation messages of FAQ entries in Japanese, for editors: the console's form and the CSV import.

``FaqEntryData`` (knowledge/schema.py) decides what is valid; pydantic words its errors in English for
developers, and ``japanese_message`` turns one of them into a sentence an editor can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowledge.schema import LABEL_MAX_CHARS, LINE_TEXT_LIMIT

FIELD_LABELS = {
    "id": "ID", "category": "分類", "question": "質問", "label": "ボタンの表示名", "alt_questions": "言い換えの質問",
    "questions_en": "英語の質問", "short_answer": "短い回答", "answer": "回答", "answer_en": "英語の回答",
    "label_en": "英語のボタン名",
    "source_url": "根拠のページ（URL）", "department": "担当課", "contact": "問い合わせ先", "tags": "タグ",
    "last_reviewed": "最終確認日", "needs_review": "要確認", "status": "状態",
}

# Messages of the schema's own validators (knowledge/schema.py), by field.
CUSTOM_MESSAGES = {
    "id": "IDは半角の英小文字・数字と「-」で書いてください（例：childcare-nursery-apply）。",
    "category": "分類を選んでください。",
    "alt_questions": "同じ質問が2回入っています。1行に1つ、違う言い方を書いてください。",
    "questions_en": "同じ英語の質問が2回入っています。1行に1つ書いてください。",
    "answer": f"回答が長すぎます。LINEの1メッセージは{LINE_TEXT_LIMIT:,}文字までです。",
    "answer_en": f"英語の回答が長すぎます。LINEの1メッセージは{LINE_TEXT_LIMIT:,}文字までです。",
    "source_url": "URLは http:// または https:// で始まる市のページのアドレスを入れてください。",
}


def japanese_message(name: str, error: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence an editor can act on."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    label = FIELD_LABELS.get(name, name)
    if kind in ("missing", "string_too_short") and not (context.get("min_length", 1) > 1):
        return f"{label}を選んでください。" if name in ("category", "status") else f"{label}を入力してください。"
    if kind == "string_too_long":
        limit = context.get("max_length", LABEL_MAX_CHARS)
        return f"{label}は{limit}文字以内にしてください（今は{len(str(error.get('input', '')))}文字）。"
    if kind.startswith("date"):
        return f"{label}は 2026-04-01 のように「年-月-日」で入力してください。"
    if kind == "literal_error":
        return f"{label}は「公開」「下書き」「アーカイブ」から選んでください。"
    if kind == "value_error" and name in CUSTOM_MESSAGES:
        return CUSTOM_MESSAGES[name]
    return f"{label}の内容を確認してください。"
