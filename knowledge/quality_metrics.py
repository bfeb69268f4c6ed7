"""Decision and ranking metrics of the bot over labelled questions: what the publish quality gate compares.

Pure functions over plain lists, so each is testable by hand. Conventions: ``ranked`` is a list of FAQ ids best
first; ``gold`` is the set of ids that answer the query (empty for out-of-scope questions). Product code (the
quality gate in ``editor.quality_gate``), so it imports nothing of the project; ``eval.metrics`` adds the
benchmarks' measures (BEIR recall and nDCG, percentiles, the precision-coverage curve) on top.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


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
