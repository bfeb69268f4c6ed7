"""Ranking ablation of fusion methods on the eval sets: is the convex score fusion the right ordering?

The issue behind it (9, §3) asked whether rank- or z-score fusion orders candidates better than the convex
combination of absolute scores (``retrieval.fusion``), since on an external benchmark a z-score fusion of the
same signals did better. This compares, on the same raw per-entry scores (``Retriever.score_parts``):

* ``convex``: the settings' fusion, as the bot ranks;
* ``zscore``: each signal (dense, lemma BM25, reading BM25) standardised over the entries it scored, then
  added with weights 1 : ``LEXICAL_WEIGHT`` : ``READING_WEIGHT`` (an entry a lexical signal did not score
  counts as a zero score);
* ``rrf``: reciprocal rank fusion, sum of ``weight / (60 + rank)`` per signal.

Only ordering is compared (accuracy@1, recall@3, MRR on in-scope questions): the decision keeps the convex score,
whose absolute scale the thresholds need. Run on dev splits while deciding, never tune on test:

    TSUNAGU_DATABASE_URL=sqlite:///<vector cache> python -m eval.fusion_ablation --split dev
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence

from eval.datasets import DATASETS, EvalQuestion, load_questions
from eval.metrics import hit_at_k, mean, reciprocal_rank
from eval.schema import upgrade_with_cli
from eval.scoring import build_pack_retriever, score_all
from eval.settings import EvalSettings
from retrieval.engine import Retriever, ScoreParts

LEXICAL_WEIGHT = 1.0
READING_WEIGHT = 0.5
RRF_K = 60


def dense_scores(parts: ScoreParts) -> dict[str, float]:
    """Best of question and answer cosine per entry, as ``Retriever.combine`` takes it."""
    dense = dict(parts.by_question)
    for faq_id, score in parts.by_answer.items():
        dense[faq_id] = max(dense.get(faq_id, 0.0), score)
    return dense


def standardised(scores: dict[str, float], keys: set[str], missing: float) -> dict[str, float]:
    """z-scores over the entries scored; ``keys`` not scored get the z-score of ``missing``."""
    if not scores:
        return dict.fromkeys(keys, 0.0)
    values = list(scores.values())
    centre, spread = statistics.fmean(values), statistics.pstdev(values) or 1.0
    return {k: (scores.get(k, missing) - centre) / spread for k in keys}


def zscore_ranking(parts: ScoreParts) -> list[str]:
    dense = dense_scores(parts)
    keys = set(dense) | set(parts.lexical) | set(parts.reading)
    signals = (
        (1.0, standardised(dense, keys, min(dense.values(), default=0.0))),
        (LEXICAL_WEIGHT, standardised(parts.lexical, keys, 0.0)),
        (READING_WEIGHT, standardised(parts.reading, keys, 0.0)),
    )
    fused = {k: sum(weight * z[k] for weight, z in signals) for k in keys}
    return sorted(fused, key=lambda k: (-fused[k], k))


def rrf_ranking(parts: ScoreParts) -> list[str]:
    fused: dict[str, float] = {}
    signals = ((1.0, dense_scores(parts)), (LEXICAL_WEIGHT, parts.lexical), (READING_WEIGHT, parts.reading))
    for weight, scores in signals:
        for rank, faq_id in enumerate(sorted(scores, key=lambda k: -scores[k]), start=1):
            fused[faq_id] = fused.get(faq_id, 0.0) + weight / (RRF_K + rank)
    return sorted(fused, key=lambda k: (-fused[k], k))


def ranking_quality(questions: Sequence[EvalQuestion], rankings: Sequence[list[str]]) -> dict[str, float]:
    pairs = [(set(q.faq_ids), ranked) for q, ranked in zip(questions, rankings, strict=True) if q.in_scope]
    return {
        "accuracy_at_1": round(mean([hit_at_k(ranked, gold, 1) for gold, ranked in pairs]), 4),
        "recall_at_3": round(mean([hit_at_k(ranked, gold, 3) for gold, ranked in pairs]), 4),
        "mrr": round(mean([reciprocal_rank(ranked, gold) for gold, ranked in pairs]), 4),
    }


def ablation(retriever: Retriever, split: str) -> dict[str, dict[str, dict[str, float]]]:
    methods: dict[str, Callable[[ScoreParts], list[str]]] = {
        "convex": lambda p: [c.faq_id for c in retriever.combine(p)],
        "zscore": zscore_ranking,
        "rrf": rrf_ranking,
    }
    table = {}
    for name, path in DATASETS.items():
        questions = load_questions(path, split)
        parts = score_all(retriever, questions)
        table[name] = {m: ranking_quality(questions, [rank(p) for p in parts]) for m, rank in methods.items()}
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Compare convex, z-score and rank fusion orderings.")
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    args = parser.parse_args(argv)
    retriever = build_pack_retriever(EvalSettings(), upgrade_with_cli)
    sys.stdout.write(json.dumps(ablation(retriever, args.split), indent=2) + "\n")


if __name__ == "__main__":
    main()
