"""The second, held-out blind emergency set (issue 17, item 1): well formed, big enough, and new.

The set in ``eval/datasets/emergency-holdout/`` is only for the detector's final measurement, so these tests check
its shape and that none of its messages already appears in the first blind set (which the detector was tuned on).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.emergency_set import EMERGENCIES_FILE, KINDS, ORDINARY_FILE, STYLES, EmergencyExample, load_emergency_set

HOLDOUT_DIR = Path(__file__).resolve().parents[1] / "eval" / "datasets" / "emergency-holdout"

# The holdout set varies the register more than the first set; these styles are described in its README.md.
HOLDOUT_STYLES = frozenset(STYLES) | {
    "dialect-hokkaido", "dialect-tosa", "dialect-kagoshima", "line", "emoji", "halfwidth", "katakana", "voice",
    "grandparent", "sibling",
}
EMERGENCY_FIELDS = {"id", "text", "kind", "style", "note"}
ORDINARY_FIELDS = {"id", "text", "topic", "style", "near"}


def _rows(name: str) -> list[dict[str, object]]:
    lines = (HOLDOUT_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _squeeze(text: str) -> str:
    """The text without whitespace and case, so a copy with other spacing or line breaks still counts as a copy."""
    return "".join(text.split()).casefold()


@pytest.fixture(scope="module")
def holdout() -> list[EmergencyExample]:
    return load_emergency_set("all", root=HOLDOUT_DIR)


def test_counts_per_kind(holdout: list[EmergencyExample]) -> None:
    counts = Counter(example.kind or "ordinary" for example in holdout)
    assert sum(counts[kind] for kind in KINDS) >= 180
    assert all(counts[kind] >= 40 for kind in KINDS), counts
    assert counts["ordinary"] >= 360


def test_ids_and_texts_are_unique(holdout: list[EmergencyExample]) -> None:
    ids = [example.id for example in holdout]
    texts = [_squeeze(example.text) for example in holdout]
    assert len(set(ids)) == len(ids)
    assert len(set(texts)) == len(texts)
    assert all(example.text.strip() for example in holdout)


def test_ids_name_their_kind(holdout: list[EmergencyExample]) -> None:
    for example in holdout:
        if example.kind is None:
            assert re.fullmatch(r"hxo-\d{3}", example.id), example.id
        else:
            assert re.fullmatch(rf"hx-{example.kind}-\d{{3}}", example.id), example.id


def test_rows_have_exactly_the_documented_fields() -> None:
    for row in _rows(EMERGENCIES_FILE):
        assert set(row) == EMERGENCY_FIELDS, row["id"]
        assert row["kind"] in KINDS and isinstance(row["note"], str) and row["note"], row["id"]
    for row in _rows(ORDINARY_FILE):
        assert set(row) == ORDINARY_FIELDS, row["id"]
        assert row["near"] is None or row["near"] in KINDS, row["id"]
        assert isinstance(row["topic"], str) and row["topic"], row["id"]


def test_styles_are_known_and_varied(holdout: list[EmergencyExample]) -> None:
    assert {example.style for example in holdout} <= HOLDOUT_STYLES
    for kind in KINDS:
        styles = {example.style for example in holdout if example.kind == kind}
        assert len(styles) >= 15, (kind, styles)
        standard = sum(1 for example in holdout if example.kind == kind and example.style == "standard")
        assert standard * 2 < sum(1 for example in holdout if example.kind == kind), kind


def test_no_text_is_copied_from_the_first_set(holdout: list[EmergencyExample]) -> None:
    first = {_squeeze(example.text) for example in load_emergency_set("all")}
    copied = [example.id for example in holdout if _squeeze(example.text) in first]
    assert copied == []


def test_both_splits_are_usable(holdout: list[EmergencyExample]) -> None:
    """Reported on ``all``, but the hash split must still leave every kind in each half."""
    for split in ("dev", "test"):
        counts = Counter(example.kind or "ordinary" for example in load_emergency_set(split, root=HOLDOUT_DIR))
        assert all(counts[kind] >= 10 for kind in (*KINDS, "ordinary")), (split, counts)
