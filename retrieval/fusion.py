"""Hybrid fusion of dense and lexical scores into one comparable confidence.

Method: a convex combination of the dense cosine and a saturated BM25 score,

    fused = w * dense + (1 - w) * bm25 / (bm25 + s)

where ``w`` is ``dense_weight`` and ``s`` is ``bm25_saturation``. Unlike rank fusion (RRF) or per-query
min-max scaling, both parts keep their absolute meaning, so one fixed threshold can tell a confident match
from a weak one; the saturation maps BM25's unbounded scale into [0, 1) without depending on the other hits.
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


class HybridFusion:
    """Combines per-entry dense and BM25 scores.

    Args:
        dense_weight: ``w`` above, in [0, 1]; 1.0 is dense only, 0.0 lexical only.
        bm25_saturation: ``s`` above; the BM25 score that maps to 0.5.
    """

    def __init__(self, dense_weight: float = 0.6, bm25_saturation: float = 8.0) -> None:
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError("dense_weight must be within [0, 1]")
        if bm25_saturation <= 0:
            raise ValueError("bm25_saturation must be positive")
        self.dense_weight = dense_weight
        self.bm25_saturation = bm25_saturation

    def fuse(self, dense: dict[str, float], lexical: dict[str, float], dense_floor: float = 0.0) -> list[Candidate]:
        """Candidates from either side, best first; an entry missing on the dense side gets ``dense_floor``."""
        w = self.dense_weight
        candidates = []
        for faq_id in dense.keys() | lexical.keys():
            d = dense.get(faq_id, dense_floor)
            raw = lexical.get(faq_id, 0.0)
            lex = raw / (raw + self.bm25_saturation) if raw > 0 else 0.0
            candidates.append(Candidate(faq_id, w * d + (1 - w) * lex, d, raw))
        candidates.sort(key=lambda c: (-c.score, c.faq_id))
        return candidates

    def __repr__(self) -> str:
        return f"HybridFusion(dense_weight={self.dense_weight}, bm25_saturation={self.bm25_saturation})"
