"""Lexical search: BM25 (bm25s) over the normaliser's lemma and reading tokens, one document per entry."""

from __future__ import annotations

import logging

import bm25s
import numpy as np

# bm25s sets its own logger to DEBUG, which would print a line on every index build through any root handler.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 over pre-tokenised documents.

    Args:
        k1: term-frequency saturation of BM25.
        b: length normalisation of BM25.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.doc_ids: list[str] = []
        self._bm25: bm25s.BM25 | None = None
        self._vocab: frozenset[str] = frozenset()

    def build(self, doc_ids: list[str], documents: list[list[str]]) -> None:
        """Index one token list per document (an empty list is allowed)."""
        self.doc_ids = list(doc_ids)
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._bm25.index([doc or [""] for doc in documents], show_progress=False)
        self._vocab = frozenset(self._bm25.vocab_dict)

    def __len__(self) -> int:
        return len(self.doc_ids)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every document, aligned with ``doc_ids`` (zeros when nothing matches)."""
        known = [t for t in query_tokens if t in self._vocab and t]
        if self._bm25 is None or not known:
            return np.zeros(len(self.doc_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def search(self, query_tokens: list[str], k: int = 50) -> dict[str, float]:
        """The ``k`` best documents with a positive score."""
        scores = self.scores(query_tokens)
        if not scores.size:
            return {}
        top = np.argsort(-scores)[:k]
        return {self.doc_ids[i]: float(scores[i]) for i in top if scores[i] > 0}
