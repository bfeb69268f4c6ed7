"""The FAQ edit form: its fields, reading them from a posted form, and validation errors in Japanese.

The form keeps what the editor typed as strings (``FormValues``), so a refused save shows every value again;
``FaqEntryData`` decides what is valid, and its errors are translated per field here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from knowledge.messages import japanese_message
from knowledge.schema import FaqEntryData

FormValues = dict[str, Any]

TEXT_FIELDS = ("id", "category", "question", "label", "label_en", "short_answer", "answer", "answer_en",
               "source_url", "department", "contact", "last_reviewed", "status")
LIST_FIELDS = ("alt_questions", "questions_en", "tags")
OPTIONAL_FIELDS = ("label", "label_en", "short_answer", "answer_en", "source_url", "department", "contact",
                   "last_reviewed")
STATUS_LABELS = {"published": "公開", "draft": "下書き（公開しない）", "archived": "アーカイブ"}
RESERVED_IDS = ("new", "preview", "transfer")  # would collide with /staff/faq/new, /preview, /transfer
TAG_SEPARATORS = re.compile(r"[\n,、，]")
TAG_JOINER = "、"



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
    # Tags are edited in a one-line input, where a browser drops line breaks: join them with 「、」.
    values["tags"] = TAG_JOINER.join(data.get("tags") or [])
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
