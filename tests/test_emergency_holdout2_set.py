"""The third held-out blind emergency set (issue 17, item 1): well formed, big enough, and new.

``eval/datasets/emergency-holdout-2/`` is only for measuring the detector after it was tuned on the earlier sets,
so these tests check its shape and that none of its texts already appears in the three earlier emergency sets.
Texts are compared through the loader with all whitespace removed, so nobody has to read the earlier sets.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.emergency_set import KINDS, EmergencyExample, load_emergency_set

DATASETS = Path(__file__).resolve().parents[1] / "eval" / "datasets"
HOLDOUT2 = DATASETS / "emergency-holdout-2"
EARLIER_SETS = ("emergency", "emergency-holdout", "emergency-train")

STYLES = {
    "standard", "dialect-toyama", "dialect-kanazawa", "dialect-kansai", "dialect-nagoya", "dialect-hakata",
    "dialect-tohoku", "dialect-hiroshima", "dialect-okinawa", "dialect-hokkaido", "dialect-kagoshima", "hiragana",
    "katakana", "typo", "panic", "short", "long", "english", "easy-japanese", "line", "emoji", "voice",
    "grandparent", "sibling",
}
EMERGENCY_ID = re.compile(r"^h2-(life|poisoning|abuse|suicide)-\d{3}$")
ORDINARY_ID = re.compile(r"^h2o-\d{3}$")


def _normalised(text: str) -> str:
    """The text with all whitespace removed, so a re-wrapped copy still counts as the same message."""
    return re.sub(r"\s+", "", text)


def _rows(name: str) -> list[dict[str, object]]:
    lines = (HOLDOUT2 / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def holdout2() -> list[EmergencyExample]:
    return load_emergency_set("all", root=HOLDOUT2)


def test_counts_per_kind(holdout2: list[EmergencyExample]) -> None:
    kinds = Counter(example.kind for example in holdout2 if example.is_emergency)
    assert sum(kinds.values()) >= 200
    assert all(kinds[kind] >= 45 for kind in KINDS), kinds
    assert sum(1 for example in holdout2 if not example.is_emergency) >= 400


def test_ids_and_texts_are_unique(holdout2: list[EmergencyExample]) -> None:
    ids = Counter(example.id for example in holdout2)
    texts = Counter(_normalised(example.text) for example in holdout2)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [example.id for example in holdout2 if texts[_normalised(example.text)] > 1] == []


def test_emergency_rows_are_valid() -> None:
    for row in _rows("emergencies.jsonl"):
        assert set(row) == {"id", "text", "kind", "style", "note"}, row["id"]
        match = EMERGENCY_ID.match(str(row["id"]))
        assert match is not None and match.group(1) == row["kind"], row["id"]
        assert row["style"] in STYLES, row["id"]
        assert str(row["text"]).strip() and str(row["note"]).strip(), row["id"]


def test_ordinary_rows_are_valid() -> None:
    for row in _rows("ordinary.jsonl"):
        assert set(row) == {"id", "text", "topic", "style", "near"}, row["id"]
        assert ORDINARY_ID.match(str(row["id"])), row["id"]
        assert row["style"] in STYLES, row["id"]
        assert row["near"] is None or row["near"] in KINDS, row["id"]
        assert str(row["text"]).strip() and str(row["topic"]).strip(), row["id"]


def test_every_kind_has_dialect_and_foreign_resident_messages(holdout2: list[EmergencyExample]) -> None:
    for kind in KINDS:
        styles = {example.style for example in holdout2 if example.kind == kind}
        assert len({style for style in styles if style.startswith("dialect-")}) >= 8, kind
        assert {"english", "easy-japanese", "hiragana", "katakana"} <= styles, kind


@pytest.mark.parametrize("earlier", EARLIER_SETS)
def test_no_text_from_an_earlier_set(holdout2: list[EmergencyExample], earlier: str) -> None:
    old = {_normalised(example.text) for example in load_emergency_set("all", root=DATASETS / earlier)}
    assert old, earlier
    assert [example.id for example in holdout2 if _normalised(example.text) in old] == []
