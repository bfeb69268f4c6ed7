import math

import pytest

from eval.metrics import (
    Outcome,
    decision_metrics,
    hit_at_k,
    ndcg_at_k,
    percentile,
    precision_coverage_curve,
    ranking_metrics,
    recall_at_k,
    reciprocal_rank,
)


def test_hit_and_reciprocal_rank() -> None:
    ranked = ["a", "b", "c"]
    assert hit_at_k(ranked, {"b"}, 1) == 0.0
    assert hit_at_k(ranked, {"b"}, 2) == 1.0
    assert reciprocal_rank(ranked, {"c"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {"c"}, k=2) == 0.0
    assert reciprocal_rank(ranked, {"z"}) == 0.0


def test_recall_at_k_is_share_of_relevant_found() -> None:
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 3) == 0.5
    assert recall_at_k(["a"], set(), 3) == 0.0


def test_ndcg_by_hand() -> None:
    # relevant: a (2), b (1); ranked b, x, a
    dcg = 1 / math.log2(2) + 2 / math.log2(4)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(["b", "x", "a"], {"a": 2, "b": 1}, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b"], {"a": 2, "b": 1}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x"], {"a": 1}, 10) == 0.0


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0
    assert percentile([], 50) == 0.0


OUTCOMES = [
    Outcome(["a", "b"], {"a"}, "ANSWER", "a", 0.9),      # in-scope, answered right
    Outcome(["b", "a"], {"a"}, "ANSWER", "b", 0.8),      # in-scope, answered wrong
    Outcome(["c", "a"], {"a"}, "SUGGEST", None, 0.6),    # in-scope, suggested (a at rank 2)
    Outcome(["d", "e"], {"z"}, "HANDOFF", None, 0.3),    # in-scope, not found
    Outcome(["a", "b"], set(), "ANSWER", "a", 0.7),      # out-of-scope, wrongly answered
    Outcome(["a", "b"], set(), "HANDOFF", None, 0.2),    # out-of-scope, handed off
]


def test_ranking_metrics_by_hand() -> None:
    metrics = ranking_metrics(OUTCOMES)
    assert metrics["accuracy_at_1"] == pytest.approx(1 / 4)
    assert metrics["recall_at_3"] == pytest.approx(3 / 4)
    assert metrics["recall_at_5"] == pytest.approx(3 / 4)
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 0.5 + 0) / 4)


def test_decision_metrics_by_hand() -> None:
    metrics = decision_metrics(OUTCOMES)
    assert metrics["oos_handoff_recall"] == pytest.approx(1 / 2)
    assert metrics["answer_precision"] == pytest.approx(1 / 3)
    assert metrics["coverage"] == pytest.approx(2 / 4)


def test_near_miss_answer_rate_by_hand() -> None:
    near_misses = [
        Outcome(["a"], set(), "ANSWER", "a", 0.8, near_miss=True),    # a neighbour's answer, confidently
        Outcome(["a"], set(), "SUGGEST", None, 0.5, near_miss=True),
        Outcome(["a"], set(), "HANDOFF", None, 0.2, near_miss=True),
        Outcome(["a"], set(), "HANDOFF", None, 0.2, near_miss=True),
    ]
    metrics = decision_metrics(OUTCOMES + near_misses)
    assert metrics["near_miss_answer_rate"] == pytest.approx(1 / 4)
    assert metrics["oos_handoff_recall"] == pytest.approx(4 / 6)  # near misses count as out of scope too
    assert "near_miss_answer_rate" not in decision_metrics(OUTCOMES)  # no near misses: no rate


def test_decision_metrics_with_no_answers_has_full_precision() -> None:
    metrics = decision_metrics([Outcome(["a"], {"a"}, "SUGGEST", None, 0.5)])
    assert metrics["answer_precision"] == 1.0
    assert metrics["coverage"] == 0.0


def test_precision_coverage_curve_by_hand() -> None:
    points = precision_coverage_curve(OUTCOMES)
    # sorted by confidence: 0.9 right(in), 0.8 wrong(in), 0.7 oos, 0.6 wrong top-1 (c), 0.3 wrong, 0.2 oos
    assert points[0] == pytest.approx((0.9, 0.25, 1.0))
    assert points[1] == pytest.approx((0.8, 0.5, 0.5))
    assert points[2] == pytest.approx((0.7, 0.5, 1 / 3))
    assert points[-1][1] == 1.0


def test_one_tap_rate_counts_right_answers_and_right_choices() -> None:
    outcomes = [
        Outcome(["a"], {"a"}, "ANSWER", "a", 0.9),                       # answered right
        Outcome(["b", "a"], {"a"}, "SUGGEST", None, 0.6, offered=("b", "a")),  # right entry among the choices
        Outcome(["b", "c"], {"a"}, "SUGGEST", None, 0.6, offered=("b", "c")),  # choices without it
        Outcome(["b"], {"a"}, "ANSWER", "b", 0.9),                       # answered wrong
        Outcome(["x"], set(), "SUGGEST", None, 0.5, offered=("x",)),     # unrelated, offered choices
        Outcome(["x"], set(), "HANDOFF", None, 0.2),                     # unrelated, scope message / staff
        Outcome(["x"], set(), "SUGGEST", None, 0.5, near_miss=True, offered=("x",)),  # near miss: not unrelated
    ]
    metrics = decision_metrics(outcomes)
    assert metrics["one_tap_rate"] == pytest.approx(2 / 4)
    assert metrics["unrelated_suggest_rate"] == pytest.approx(1 / 2)
