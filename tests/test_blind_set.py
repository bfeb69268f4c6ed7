"""The blind eval set: questions written without seeing the pack, labelled afterwards (``eval/datasets``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.datasets import BLIND_DATASET, load_blind_questions, load_questions
from knowledge.packs import read_pack
from tests.conftest import TOYAMA_PACK
from tests.utils.text import squash


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def test_questions_are_joined_with_their_labels(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "questions_childcare.jsonl", [
        {"id": "b-1", "text": "児童手当 いつ", "domain": "childcare", "style": "keywords"},
        {"id": "b-2", "text": "保育園の見学は予約いる？", "domain": "childcare", "style": "colloquial"},
        {"id": "b-3", "text": "明日の天気", "domain": "other", "style": "unrelated"},
    ])
    write_jsonl(tmp_path / "labels_childcare.jsonl", [
        {"id": "b-1", "label": "answered", "faq_ids": ["x"], "closest": None, "contact_only": True, "multi": False},
        {"id": "b-2", "label": "near_miss", "faq_ids": [], "closest": "y", "contact_only": False, "multi": False},
        {"id": "b-3", "label": "out_of_scope", "faq_ids": [], "closest": None, "contact_only": False,
         "multi": False},
    ])
    answered, near, unrelated = load_questions(tmp_path)
    assert (answered.faq_ids, answered.in_scope, answered.contact_only, answered.near_miss) == (("x",), True, True,
                                                                                              False)
    assert (near.in_scope, near.near_miss) == (False, True)
    assert (unrelated.in_scope, unrelated.near_miss) == (False, False)
    assert {q.split for q in load_questions(tmp_path, "dev")} <= {"dev"}


def test_an_unlabelled_question_is_an_error(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "questions_x.jsonl", [{"id": "b-1", "text": "q", "domain": "x", "style": "keywords"}])
    write_jsonl(tmp_path / "labels_x.jsonl", [])
    with pytest.raises(ValueError, match="b-1"):
        load_blind_questions(tmp_path)


def test_the_committed_blind_set_is_complete_and_names_pack_entries() -> None:
    questions = load_blind_questions(BLIND_DATASET)
    ids = {entry.id for entry in read_pack(TOYAMA_PACK).entries}
    assert len(questions) >= 400
    assert len({q.id for q in questions}) == len(questions)
    assert max(Counter(squash(q.text) for q in questions).values()) == 1
    assert [(q.id, f) for q in questions for f in q.faq_ids if f not in ids] == []
    near_misses = sum(q.near_miss for q in questions)
    assert near_misses >= 0.1 * len(questions)  # a realistic share of questions the pack cannot answer
    assert sum(q.in_scope for q in questions) >= 0.4 * len(questions)
    dev, test = load_questions(BLIND_DATASET, "dev"), load_questions(BLIND_DATASET, "test")
    assert abs(len(dev) - len(test)) < 0.15 * len(questions)
