"""The blind scope and routing sets (issue 17): sizes, labels, splits, and no overlap with the pack's questions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.blind_sets import (
    CITY_MATTERS_FILE,
    ROUTING_FILE,
    TEAMS,
    load_city_matters,
    load_other_languages,
    load_routing,
    load_unrelated,
    split_of,
)
from knowledge.packs import read_pack

PACK_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "packs" / "toyama"


def _all_texts() -> list[str]:
    return [example.text for example in load_city_matters()] + [example.text for example in load_unrelated()] + [
        example.text for example in load_routing()] + [example.text for example in load_other_languages()]


def _all_ids() -> list[str]:
    return [example.id for example in load_city_matters()] + [example.id for example in load_unrelated()] + [
        example.id for example in load_routing()] + [example.id for example in load_other_languages()]


def test_each_set_is_big_enough() -> None:
    assert len(load_city_matters()) >= 100
    assert len(load_unrelated()) >= 100
    assert len(load_routing()) >= 100
    assert len(load_other_languages()) >= 40


def test_ids_and_texts_are_unique_across_the_files() -> None:
    ids, texts = _all_ids(), _all_texts()
    assert [item for item, count in Counter(ids).items() if count > 1] == []
    assert [item for item, count in Counter(texts).items() if count > 1] == []
    assert all(text.strip() for text in texts)


def test_ids_carry_their_file_prefix() -> None:
    assert all(example.id.startswith("city-") for example in load_city_matters())
    assert all(example.id.startswith("unrel-") for example in load_unrelated())
    assert all(example.id.startswith("route-") for example in load_routing())
    assert all(example.id.startswith("lang-") for example in load_other_languages())


def test_every_team_is_present_in_both_splits_of_the_routing_set() -> None:
    for split in ("dev", "test"):
        teams = {question.team for question in load_routing(split)}
        assert teams == set(TEAMS), split


def test_city_matters_name_a_known_team() -> None:
    assert {matter.team for matter in load_city_matters()} <= set(TEAMS)


def test_other_languages_mix_city_matters_and_unrelated_messages() -> None:
    messages = load_other_languages()
    assert {message.city for message in messages} == {True, False}
    assert len({message.language for message in messages}) >= 8


def test_no_city_matter_or_routing_text_is_a_pack_question() -> None:
    pack = read_pack(PACK_DIR)
    pack_questions = {question for entry in pack.entries for question in (entry.question, *entry.alt_questions)}
    texts = [matter.text for matter in load_city_matters()] + [question.text for question in load_routing()]
    assert [text for text in texts if text in pack_questions] == []


def test_split_follows_the_hash_of_the_id_and_partitions_each_set() -> None:
    # sha256("city-001") ends in hex f (odd), sha256("city-002") in 2 (even): the rule of the brief.
    assert (split_of("city-001"), split_of("city-002")) == ("test", "dev")
    for load in (load_city_matters, load_unrelated, load_routing, load_other_languages):
        dev, test, everything = load("dev"), load("test"), load("all")
        assert dev and test
        assert {example.id for example in dev} | {example.id for example in test} == {
            example.id for example in everything}
        assert {example.id for example in dev}.isdisjoint({example.id for example in test})
        assert all(example.split == "dev" for example in dev)


def test_an_unknown_team_is_refused(tmp_path: Path) -> None:
    row = {"id": "route-999", "text": "x", "team": "総務課", "style": "standard", "note": "n"}
    (tmp_path / ROUTING_FILE).write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown team"):
        load_routing(root=tmp_path)


def test_an_unknown_split_is_refused(tmp_path: Path) -> None:
    row = {"id": "city-999", "text": "x", "topic": "t", "style": "standard", "team": TEAMS[0]}
    (tmp_path / CITY_MATTERS_FILE).write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown split"):
        load_city_matters("train", root=tmp_path)  # type: ignore[arg-type]
