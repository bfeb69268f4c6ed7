"""The FAQ edit form: its fields, reading them from a posted form, and validation errors in Japanese.

The form keeps what the editor typed as strings (``FormValues``), so a refused save shows every value again;
``FaqEntryData`` decides what is valid, and its errors are translated per field here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from knowledge.schema import LABEL_MAX_CHARS, LINE_TEXT_LIMIT, FaqEntryData

FormValues = dict[str, Any]

FIELD_LABELS = {
    "id": "ID", "category": "分類", "question": "質問", "label": "ボタンの表示名", "alt_questions": "言い換えの質問",
    "questions_en": "英語の質問", "short_answer": "短い回答", "answer": "回答", "answer_en": "英語の回答",
    "source_url": "根拠のページ（URL）", "department": "担当課", "contact": "問い合わせ先", "tags": "タグ",
    "last_reviewed": "最終確認日", "needs_review": "要確認", "status": "状態",
}
TEXT_FIELDS = ("id", "category", "question", "label", "short_answer", "answer", "answer_en", "source_url",
               "department", "contact", "last_reviewed", "status")
LIST_FIELDS = ("alt_questions", "questions_en", "tags")
OPTIONAL_FIELDS = ("label", "short_answer", "answer_en", "source_url", "department", "contact", "last_reviewed")
STATUS_LABELS = {"published": "公開", "draft": "下書き（公開しない）", "archived": "アーカイブ"}
RESERVED_IDS = ("new", "preview")  # would collide with /staff/faq/new and /staff/faq/preview
TAG_SEPARATORS = re.compile(r"[\n,、，]")

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


def empty_values() -> FormValues:
    """A blank form for a new entry."""
    values: FormValues = {name: "" for name in (*TEXT_FIELDS, *LIST_FIELDS)}
    values.update(needs_review=False, status="published")
    return values


def values_from_entry(entry: FaqEntryData) -> FormValues:
    """The form filled with a stored entry; lists are one item a line."""
    data = entry.model_dump(mode="json")
    values = empty_values()
    for name in TEXT_FIELDS:
        values[name] = data.get(name) or ""
    for name in LIST_FIELDS:
        values[name] = "\n".join(data.get(name) or [])
    values["needs_review"] = bool(data.get("needs_review"))
    values["status"] = data.get("status") or "published"
    return values


def values_from_form(form: Mapping[str, Any]) -> FormValues:
    """The posted fields as typed (missing ones blank); ``needs_review`` is a checkbox."""
    values = empty_values()
    for name in (*TEXT_FIELDS, *LIST_FIELDS):
        raw = form.get(name)
        values[name] = raw.replace("\r\n", "\n") if isinstance(raw, str) else ""
    values["needs_review"] = form.get("needs_review") in ("on", "true", "1")
    values["status"] = values["status"] or "published"
    return values


def entry_input(values: FormValues) -> dict[str, Any]:
    """The form as ``FaqEntryData`` input: blank optional fields are None, lists drop their blank lines."""
    data: dict[str, Any] = {name: values[name].strip() for name in TEXT_FIELDS}
    for name in OPTIONAL_FIELDS:
        data[name] = data[name] or None
    for name in ("alt_questions", "questions_en"):
        data[name] = [line.strip() for line in values[name].split("\n") if line.strip()]
    data["tags"] = [tag.strip() for tag in TAG_SEPARATORS.split(values["tags"]) if tag.strip()]
    data["needs_review"] = bool(values["needs_review"])
    return data


def preview_entry(values: FormValues) -> FaqEntryData:
    """The entry as typed, without validation, for the preview and its warnings (may be half-written)."""
    data = entry_input(values)
    data["answer"] = data["answer"] or ""
    data["last_reviewed"] = None  # the preview does not use it, and a half-typed date is no date
    return FaqEntryData.model_construct(**data)


def validate(values: FormValues) -> tuple[FaqEntryData | None, dict[str, str]]:
    """The entry, or Japanese error messages by field name."""
    try:
        return FaqEntryData.model_validate(entry_input(values)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "answer"
            errors.setdefault(name, japanese_message(name, error))
        return None, errors


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
