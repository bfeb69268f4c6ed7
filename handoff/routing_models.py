"""The routing table editors own: which team answers tickets about a category, an entry or a topic word."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow

MAX_KEY_CHARS = 120  # an entry id is at most 120 characters (knowledge.schema)
MAX_WORD_CHARS = 40


class RuleKind(StrEnum):
    """What a rule's key names; the value is stored."""

    CATEGORY = "category"  # a category slug of the pack (childcare)
    ENTRY = "entry"  # one FAQ entry id: wins over its category's rule
    WORD = "word"  # a topic word found in the citizen's question (保育園, 粗大ごみ)


RULE_KIND_LABELS = {RuleKind.CATEGORY: "分類", RuleKind.ENTRY: "FAQ", RuleKind.WORD: "言葉"}


class RoutingRule(SQLModel, table=True):
    """One row of the routing table; the settings' ``handoff_routes`` seed the category rules it lacks."""

    __tablename__ = "handoff_routing_rule"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_handoff_routing_rule_kind_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # a RuleKind
    key: str = Field(max_length=MAX_KEY_CHARS)  # category slug, entry id, or folded topic word
    team: str = Field(max_length=100)  # a team, or 振り分け待ち (decide by hand)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=64)  # the editor's username
