"""Hybrid fusion of dense and lexical scores into one comparable confidence.

Method: a convex combination of the dense cosine and two saturated BM25 scores (lemmas, and kana-reading
character trigrams):

    lexical = (1 - r) * bm25 / (bm25 + s) + r * reading / (reading + s_r)
    fused   = w * dense + (1 - w) * lexical

with ``w`` = ``dense_weight``, ``r`` = ``reading_weight`` and ``s``, ``s_r`` the saturations. Unlike rank fusion
(RRF) or per-query min-max scaling, every part keeps its absolute meaning, so one fixed threshold can tell a
confident match from a weak one; saturation maps BM25's unbounded scale into [0, 1) independently of the
other hits.
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


def saturate(score: float, saturation: float) -> float:
    return score / (score + saturation) if score > 0 else 0.0


class HybridFusion:
    """Combines per-entry dense and BM25 scores.

    Args:
        dense_weight: ``w`` above, in [0, 1]; 1.0 is dense only, 0.0 lexical only.
        bm25_saturation: ``s`` above; the lemma BM25 score that maps to 0.5.
        reading_weight: ``r`` above, the share of the reading trigrams within the lexical part.
        reading_saturation: ``s_r`` above.
    """

    def __init__(
        self,
        dense_weight: float = 0.6,
        bm25_saturation: float = 8.0,
        reading_weight: float = 0.0,
        reading_saturation: float = 8.0,
    ) -> None:
        if not 0.0 <= dense_weight <= 1.0 or not 0.0 <= reading_weight <= 1.0:
            raise ValueError("dense_weight and reading_weight must be within [0, 1]")
        if bm25_saturation <= 0 or reading_saturation <= 0:
            raise ValueError("saturations must be positive")
        self.dense_weight = dense_weight
        self.bm25_saturation = bm25_saturation
        self.reading_weight = reading_weight
        self.reading_saturation = reading_saturation

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
            lex, read = lexical.get(faq_id, 0.0), reading.get(faq_id, 0.0)
            lexical_part = (1 - r) * saturate(lex, self.bm25_saturation) + r * saturate(read, self.reading_saturation)
            candidates.append(Candidate(faq_id, w * d + (1 - w) * lexical_part, d, lex, read))
        candidates.sort(key=lambda c: (-c.score, c.faq_id))
        return candidates

    def __repr__(self) -> str:
        return (
            f"HybridFusion(dense_weight={self.dense_weight}, bm25_saturation={self.bm25_saturation}, "
            f"reading_weight={self.reading_weight}, reading_saturation={self.reading_saturation})"
        )
