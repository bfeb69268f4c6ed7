"""Retrieval and decision metrics. Pure functions over plain lists, so each is testable by hand.

Conventions: ``ranked`` is a list of FAQ ids best first; ``gold`` is the set of ids that answer the query
(empty for out-of-scope questions); BEIR ``qrels`` map an id to a graded relevance. The decision and ranking
metrics the publish quality gate compares are product code in ``knowledge.quality_metrics``; this module adds
the benchmarks' measures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from knowledge.quality_metrics import (
    Outcome,
    decision_metrics,
    hit_at_k,
    mean,
    one_tap_rate,
    ranking_metrics,
    reciprocal_rank,
    unrelated_suggest_rate,
)

__all__ = ["Outcome", "decision_metrics", "hit_at_k", "mean", "ndcg_at_k", "one_tap_rate", "percentile",
           "precision_coverage_curve", "ranking_metrics", "recall_at_k", "reciprocal_rank", "unrelated_suggest_rate"]


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


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100] (numpy's default method)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


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
