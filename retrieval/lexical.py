"""Lexical search: BM25 (bm25s) over the normaliser's lemma and reading tokens, one document per entry."""

from __future__ import annotations

import logging
import math
from collections import Counter

import bm25s
import numpy as np

# bm25s sets its own logger to DEBUG, which would print a line on every index build through any root handler.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 over pre-tokenised documents.

    ``coverage`` divides a document's BM25 score by the most the query could score (every term's IDF, which
    BM25 approaches as term frequency grows). The result is in [0, 1] whatever the query length, so it can be
    compared against a fixed threshold; terms the index has never seen count with the highest IDF, which
    pulls down questions about things the FAQ does not cover.

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
        self._idf: dict[str, float] = {}
        self._unseen_idf = 0.0

    def build(self, doc_ids: list[str], documents: list[list[str]]) -> None:
        """Index one token list per document (an empty list is allowed)."""
        self.doc_ids = list(doc_ids)
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._bm25.index([doc or [""] for doc in documents], show_progress=False)
        self._vocab = frozenset(self._bm25.vocab_dict)
        n = len(documents)
        document_frequency = Counter(token for doc in documents for token in set(doc))
        # Lucene's IDF, as bm25s computes it.
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in document_frequency.items()}
        self._unseen_idf = math.log(1 + (n + 0.5) / 0.5)

    def __len__(self) -> int:
        return len(self.doc_ids)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every document, aligned with ``doc_ids`` (zeros when nothing matches)."""
        known = [t for t in query_tokens if t in self._vocab and t]
        if self._bm25 is None or not known:
            return np.zeros(len(self.doc_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def query_weight(self, query_tokens: list[str]) -> float:
        """The score a document would approach by matching every query term many times."""
        return sum(self._idf.get(t, self._unseen_idf) for t in query_tokens if t)

    def coverage(self, query_tokens: list[str], k: int = 50) -> dict[str, float]:
        """The ``k`` best documents with BM25 divided by ``query_weight`` (in [0, 1])."""
        weight = self.query_weight(query_tokens)
        if weight <= 0:
            return {}
        return {doc_id: score / weight for doc_id, score in self.search(query_tokens, k).items()}

    def search(self, query_tokens: list[str], k: int = 50) -> dict[str, float]:
        """The ``k`` best documents with a positive score."""
        scores = self.scores(query_tokens)
        if not scores.size:
            return {}
        top = np.argsort(-scores)[:k]
        return {self.doc_ids[i]: float(scores[i]) for i in top if scores[i] > 0}
