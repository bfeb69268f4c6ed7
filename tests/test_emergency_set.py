"""The blind emergency-detection set (``eval/datasets/emergency``) and its loader (``eval/emergency_set``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.emergency_set import (
    EMERGENCY_SET_DIR,
    KINDS,
    STYLES,
    EmergencyExample,
    load_emergency_set,
    split_of,
)

MIN_EMERGENCIES = 150
MIN_PER_KIND = 25
MIN_ORDINARY = 300
MIN_PER_KIND_AND_SPLIT = 10


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def test_the_loader_reads_both_files_and_splits_by_the_hash_of_the_id(tmp_path: Path) -> None:
    ids = [f"em-life-{n:03d}" for n in range(1, 21)]
    write_jsonl(tmp_path / "emergencies.jsonl", [
        {"id": i, "text": f"息してない {i}", "kind": "life", "style": "short", "note": "n"} for i in ids])
    write_jsonl(tmp_path / "ordinary.jsonl", [
        {"id": "ord-001", "text": "#8000って何時まで?", "topic": "#8000", "style": "standard", "near": "life"}])
    everything = load_emergency_set(root=tmp_path)
    assert everything[0] == EmergencyExample("em-life-001", "息してない em-life-001", "life", "short", "n")
    assert everything[-1] == EmergencyExample("ord-001", "#8000って何時まで?", None, "standard", "#8000")
    dev, test = load_emergency_set("dev", tmp_path), load_emergency_set("test", tmp_path)
    assert {e.id for e in dev} == {i for i in ids + ["ord-001"] if split_of(i) == "dev"}
    assert {e.id for e in test} == {i for i in ids + ["ord-001"] if split_of(i) == "test"}
    assert dev and test  # twenty ids never all land on one side of a fair hash


def test_the_split_is_the_parity_of_the_sha256_of_the_id() -> None:
    # sha256("a") ends in ...bb (odd), sha256("c") ends in ...c6 (even)
    assert (split_of("a"), split_of("c")) == ("test", "dev")


def test_an_unknown_kind_is_an_error(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "emergencies.jsonl", [
        {"id": "em-x-001", "text": "t", "kind": "fire", "style": "short", "note": "n"}])
    write_jsonl(tmp_path / "ordinary.jsonl", [])
    with pytest.raises(ValueError, match="em-x-001"):
        load_emergency_set(root=tmp_path)


@pytest.fixture(scope="module")
def committed() -> list[EmergencyExample]:
    return load_emergency_set(root=EMERGENCY_SET_DIR)


def test_the_committed_set_is_large_enough_per_kind(committed: list[EmergencyExample]) -> None:
    kinds = Counter(e.kind for e in committed if e.kind is not None)
    assert sum(kinds.values()) >= MIN_EMERGENCIES
    assert all(kinds[kind] >= MIN_PER_KIND for kind in KINDS), kinds
    assert sum(e.kind is None for e in committed) >= MIN_ORDINARY


def test_ids_and_texts_are_unique(committed: list[EmergencyExample]) -> None:
    assert [i for i, n in Counter(e.id for e in committed).items() if n > 1] == []
    assert [t for t, n in Counter(e.text.strip() for e in committed).items() if n > 1] == []


def test_ids_kinds_and_styles_are_valid(committed: list[EmergencyExample]) -> None:
    assert [e.id for e in committed if e.style not in STYLES] == []
    assert [e.id for e in committed if e.kind is not None and not e.id.startswith(f"em-{e.kind}-")] == []
    assert [e.id for e in committed if e.kind is None and not e.id.startswith("ord-")] == []
    assert {e.kind for e in committed} <= {*KINDS, None}
    assert all(e.text.strip() and e.note_or_topic.strip() for e in committed)


def test_ordinary_rows_name_a_valid_near_kind() -> None:
    rows = [json.loads(line) for line in (EMERGENCY_SET_DIR / "ordinary.jsonl").read_text("utf-8").splitlines()]
    assert [row["id"] for row in rows if row["near"] not in {*KINDS, None}] == []


def test_every_kind_is_in_both_splits(committed: list[EmergencyExample]) -> None:
    dev, test = load_emergency_set("dev"), load_emergency_set("test")
    for split in (dev, test):
        kinds = Counter(e.kind for e in split)
        assert all(kinds[kind] >= MIN_PER_KIND_AND_SPLIT for kind in (*KINDS, None)), kinds


def test_the_two_splits_partition_the_set(committed: list[EmergencyExample]) -> None:
    dev, test = load_emergency_set("dev"), load_emergency_set("test")
    assert {e.id for e in dev}.isdisjoint({e.id for e in test})
    assert sorted(e.id for e in dev + test) == sorted(e.id for e in committed)
    assert all(e.split == "dev" for e in dev) and all(e.split == "test" for e in test)
