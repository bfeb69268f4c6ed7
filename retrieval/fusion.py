"""Hybrid fusion of dense and lexical scores into one comparable confidence.

Method: a convex combination of the dense cosine and two lexical coverages (BM25 on lemmas and on kana-reading
character trigrams, each divided by the most the query could score, see ``LexicalIndex.coverage``):

    lexical = (1 - r) * lemma_coverage + r * reading_coverage
    fused   = w * dense + (1 - w) * lexical

with ``w`` = ``dense_weight`` and ``r`` = ``reading_weight``. Unlike rank fusion (RRF) or per-query min-max
scaling, every part keeps an absolute meaning in [0, 1], so one fixed threshold can tell a confident match from
a weak one, for a two-word query as for a long story.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """An FAQ entry that may answer the query, with the scores that ranked it."""

    faq_id: str
    score: float
    dense: float
    lexical: float
    reading: float = 0.0


class HybridFusion:
    """Combines per-entry dense and lexical scores.

    Args:
        dense_weight: ``w`` above, in [0, 1]; 1.0 is dense only, 0.0 lexical only.
        reading_weight: ``r`` above, the share of the reading trigrams within the lexical part.
    """

    def __init__(self, dense_weight: float = 0.5, reading_weight: float = 0.0) -> None:
        if not 0.0 <= dense_weight <= 1.0 or not 0.0 <= reading_weight <= 1.0:
            raise ValueError("dense_weight and reading_weight must be within [0, 1]")
        self.dense_weight = dense_weight
        self.reading_weight = reading_weight

    def fuse(
        self,
        dense: dict[str, float],
        lexical: dict[str, float],
        dense_floor: float = 0.0,
        reading: dict[str, float] | None = None,
    ) -> list[Candidate]:
        """Candidates from any side, best first; an entry missing on the dense side gets ``dense_floor``."""
        reading = reading or {}
        w, r = self.dense_weight, self.reading_weight
        candidates = []
        for faq_id in dense.keys() | lexical.keys() | reading.keys():
            d = dense.get(faq_id, dense_floor)
            lex, read = min(lexical.get(faq_id, 0.0), 1.0), min(reading.get(faq_id, 0.0), 1.0)
            candidates.append(Candidate(faq_id, w * d + (1 - w) * ((1 - r) * lex + r * read), d, lex, read))
        candidates.sort(key=lambda c: (-c.score, c.faq_id))
        return candidates

    def __repr__(self) -> str:
        return f"HybridFusion(dense_weight={self.dense_weight}, reading_weight={self.reading_weight})"
