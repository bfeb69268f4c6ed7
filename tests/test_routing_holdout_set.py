"""The held-out routing set (issue 17 item 3): big enough, well formed, and new.

The first blind routing set was used up tuning the router, so ``eval/datasets/routing-holdout/`` is a fresh
one. These tests check its size per team, its ids and texts, and that no text repeats one of the first routing
set or the scope-blind sets (compared through the loaders, after Unicode and whitespace normalisation).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from eval.blind_sets import (
    DATASET_DIR,
    TEAMS,
    RoutingQuestion,
    load_city_matters,
    load_other_languages,
    load_routing,
    load_unrelated,
)

HOLDOUT_DIR = DATASET_DIR / "routing-holdout"
MIN_TOTAL = 160
MIN_PER_TEAM = 35
ID_PATTERN = re.compile(r"rh-\d{3}")


def _holdout() -> list[RoutingQuestion]:
    return load_routing("all", root=HOLDOUT_DIR)


def _key(text: str) -> str:
    """NFKC-folded text without whitespace: two texts that differ only in width or spaces count as equal."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _earlier_texts() -> set[str]:
    """Texts of the first routing set and of every scope-blind set."""
    texts = [question.text for question in load_routing("all")]
    texts += [matter.text for matter in load_city_matters("all")]
    texts += [message.text for message in load_unrelated("all")]
    texts += [message.text for message in load_other_languages("all")]
    return {_key(text) for text in texts}


def test_set_is_big_enough_for_every_team() -> None:
    counts = Counter(question.team for question in _holdout())
    assert sum(counts.values()) >= MIN_TOTAL
    assert {team: counts[team] for team in TEAMS if counts[team] < MIN_PER_TEAM} == {}


def test_ids_are_unique_and_numbered_in_order() -> None:
    ids = [question.id for question in _holdout()]
    assert all(ID_PATTERN.fullmatch(example_id) for example_id in ids)
    assert ids == [f"rh-{number:03d}" for number in range(1, len(ids) + 1)]


def test_texts_are_unique_and_not_empty() -> None:
    keys = [_key(question.text) for question in _holdout()]
    assert all(keys)
    assert [key for key, count in Counter(keys).items() if count > 1] == []


def test_every_question_has_a_known_team_a_style_and_a_note() -> None:
    for question in _holdout():
        assert question.team in TEAMS, question.id
        assert question.style.strip(), question.id
        assert question.note.strip(), question.id


def test_every_team_is_in_both_splits() -> None:
    for split in ("dev", "test"):
        assert {question.team for question in load_routing(split, root=HOLDOUT_DIR)} == set(TEAMS)


def test_no_text_repeats_the_first_routing_set_or_the_scope_sets() -> None:
    earlier = _earlier_texts()
    assert earlier, "the earlier sets must load, or the comparison proves nothing"
    assert [question.id for question in _holdout() if _key(question.text) in earlier] == []
