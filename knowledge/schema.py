"""Validated shape of one FAQ entry, shared by pack files, the database and the API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LINE_TEXT_LIMIT = 5000  # LINE counts text length in UTF-16 code units
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATUSES = ("published", "draft", "archived")
LABEL_MAX_CHARS = 20  # LINE's limit for an action label
SHORT_ANSWER_MAX_CHARS = 120  # fits a phone screen above the quick replies


def utf16_length(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


class FaqEntryData(BaseModel):
    """One FAQ entry as editors write it in a pack file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=120)
    category: str = Field(min_length=1, max_length=40)
    question: str = Field(min_length=1, max_length=500)
    label: str | None = Field(default=None, min_length=1, max_length=LABEL_MAX_CHARS)  # quick-reply button text
    alt_questions: list[str] = Field(default_factory=list)
    questions_en: list[str] = Field(default_factory=list)
    short_answer: str | None = Field(default=None, min_length=1, max_length=SHORT_ANSWER_MAX_CHARS)
    answer: str = Field(min_length=1)
    answer_en: str | None = Field(default=None, min_length=1)  # from answers_en.yaml
    label_en: str | None = Field(default=None, min_length=1, max_length=LABEL_MAX_CHARS)  # English button text
    source_url: str | None = None
    department: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=500)
    tags: list[str] = Field(default_factory=list)
    last_reviewed: dt.date | None = None
    needs_review: bool = False
    status: Literal["published", "draft", "archived"] = "published"

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_PATTERN.match(value):
            raise ValueError("id must be a slug: lowercase a-z, 0-9 and single '-' (e.g. childcare-nursery-apply)")
        return value

    @field_validator("category")
    @classmethod
    def _category_slug(cls, value: str) -> str:
        if not SLUG_PATTERN.match(value):
            raise ValueError("category must be a lowercase slug such as childcare, tourism or procedures")
        return value

    @field_validator("alt_questions", "questions_en")
    @classmethod
    def _alt_questions(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(not v for v in cleaned):
            raise ValueError("alternative questions must not be empty")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("alternative questions must not repeat")
        return cleaned

    @field_validator("answer")
    @classmethod
    def _answer_fits_line(cls, value: str) -> str:
        length = utf16_length(value)
        if length > LINE_TEXT_LIMIT:
            raise ValueError(f"answer is {length} UTF-16 code units; LINE allows at most {LINE_TEXT_LIMIT}")
        return value

    @field_validator("answer_en")
    @classmethod
    def _english_answer_fits_line(cls, value: str | None) -> str | None:
        if value is not None and utf16_length(value) > LINE_TEXT_LIMIT:
            raise ValueError(f"answer_en is over LINE's {LINE_TEXT_LIMIT} UTF-16 code units")
        return value

    @field_validator("source_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
            raise ValueError("source_url must be an http(s) URL")
        return value or None

    def button_label(self) -> str:
        """The text of a quick-reply button for this entry: its label, else the question cut to 20 characters."""
        if self.label:
            return self.label
        return self.question if len(self.question) <= LABEL_MAX_CHARS else self.question[:LABEL_MAX_CHARS - 1] + "…"

    def questions(self) -> list[str]:
        """The canonical question followed by its alternatives."""
        return [self.question, *self.alt_questions]

    def search_questions(self) -> list[str]:
        """Every phrasing search matches against: the questions and their English versions."""
        return [*self.questions(), *self.questions_en]
