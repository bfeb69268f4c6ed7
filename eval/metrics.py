"""Retrieval and decision metrics. Pure functions over plain lists, so each is testable by hand.

Conventions: ``ranked`` is a list of FAQ ids best first; ``gold`` is the set of ids that answer the query
(empty for out-of-scope questions); BEIR ``qrels`` map an id to a graded relevance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def hit_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """1.0 when any gold id is within the first ``k``."""
    return 1.0 if any(r in gold for r in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: set[str], k: int | None = None) -> float:
    """1 / rank of the first gold id (0 when none within ``k``)."""
    for rank, item in enumerate(ranked[:k] if k else ranked, start=1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant ids found within the first ``k`` (BEIR's recall)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k with graded relevance and the standard log2 discount (as BEIR / pytrec_eval compute it)."""
    dcg = sum(qrels.get(item, 0.0) / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100] (numpy's default method)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class Outcome:
    """What the bot did with one eval question."""

    ranked: list[str]
    gold: set[str]
    decision: str  # ANSWER / SUGGEST / HANDOFF / REPHRASE
    answered_id: str | None
    confidence: float
    near_miss: bool = False  # a question of the city's domains that no entry answers
    offered: tuple[str, ...] = ()  # the choices shown on SUGGEST


    @property
    def in_scope(self) -> bool:
        return bool(self.gold)


def decision_metrics(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """oos_handoff_recall, answer_precision and coverage as the issue defines them.

    * oos_handoff_recall: share of out-of-scope questions that did NOT get ANSWER.
    * answer_precision: among all ANSWER decisions (in- and out-of-scope), the share whose answer is gold.
    * coverage: share of in-scope questions that got ANSWER.
    * near_miss_answer_rate (only when there are near misses): share of near misses that got ANSWER, i.e. a
      neighbour's answer given with confidence to a question the pack cannot answer (they also count as
      out-of-scope above).
    * one_tap_rate and unrelated_suggest_rate: see those functions.
    """
    oos = [o for o in outcomes if not o.in_scope]
    in_scope = [o for o in outcomes if o.in_scope]
    answered = [o for o in outcomes if o.decision == "ANSWER"]
    correct = [o for o in answered if o.answered_id in o.gold]
    metrics = {
        "oos_handoff_recall": mean([0.0 if o.decision == "ANSWER" else 1.0 for o in oos]),
        "answer_precision": len(correct) / len(answered) if answered else 1.0,
        "coverage": mean([1.0 if o.decision == "ANSWER" else 0.0 for o in in_scope]),
    }
    near_misses = [o for o in outcomes if o.near_miss]
    if near_misses:
        metrics["near_miss_answer_rate"] = mean([1.0 if o.decision == "ANSWER" else 0.0 for o in near_misses])
    if in_scope:
        metrics["one_tap_rate"] = one_tap_rate(outcomes)
    if any(not o.in_scope and not o.near_miss for o in outcomes):
        metrics["unrelated_suggest_rate"] = unrelated_suggest_rate(outcomes)
    return metrics


def one_tap_rate(outcomes: Sequence[Outcome]) -> float:
    """Share of in-scope questions the citizen gets the right answer for in at most one tap: answered with a
    gold entry, or offered one among the choices (「もしかして…」)."""
    in_scope = [o for o in outcomes if o.in_scope]
    return mean([1.0 if (o.decision == "ANSWER" and o.answered_id in o.gold)
                 or (o.decision == "SUGGEST" and o.gold & set(o.offered)) else 0.0 for o in in_scope])


def unrelated_suggest_rate(outcomes: Sequence[Outcome]) -> float:
    """Share of unrelated questions (out of scope, not near misses) offered FAQ choices instead of the scope
    message or staff: choices for 「明日の天気」 look broken."""
    unrelated = [o for o in outcomes if not o.in_scope and not o.near_miss]
    return mean([1.0 if o.decision == "SUGGEST" else 0.0 for o in unrelated])


def ranking_metrics(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """accuracy@1, recall@3, recall@5 (any gold id within k) and MRR over in-scope questions."""
    in_scope = [o for o in outcomes if o.in_scope]
    return {
        "accuracy_at_1": mean([hit_at_k(o.ranked, o.gold, 1) for o in in_scope]),
        "recall_at_3": mean([hit_at_k(o.ranked, o.gold, 3) for o in in_scope]),
        "recall_at_5": mean([hit_at_k(o.ranked, o.gold, 5) for o in in_scope]),
        "mrr": mean([reciprocal_rank(o.ranked, o.gold) for o in in_scope]),
    }


def precision_coverage_curve(outcomes: Sequence[Outcome]) -> list[tuple[float, float, float]]:
    """(threshold, coverage, precision) when answering the top-1 of every question whose confidence >= threshold.

    Out-of-scope questions count against precision when answered, as in ``decision_metrics``.
    """
    n_in = sum(1 for o in outcomes if o.in_scope)
    ordered = sorted(outcomes, key=lambda o: -o.confidence)
    points, correct, answered_in = [], 0, 0
    for count, o in enumerate(ordered, start=1):
        top = o.ranked[0] if o.ranked else None
        correct += 1 if top in o.gold else 0
        answered_in += 1 if o.in_scope else 0
        points.append((o.confidence, answered_in / n_in if n_in else 0.0, correct / count))
    return points
