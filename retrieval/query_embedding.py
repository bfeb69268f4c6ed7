"""A question's query vector as the retriever computed it, with the embedder that made it.

Read by models trained on those vectors (the hand-off's topic classifier, ``handoff.topic_classifier``), which
must not be asked about another embedder's vectors; taken from the retriever's memo, so nothing is embedded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class QueryEmbedding:
    """A question's query vector and the embedder that made it (a model trained on another one's vectors is
    not asked)."""

    model: str
    vector: np.ndarray


class EmbeddingSource(Protocol):
    """What ``embedding_of`` needs of the retriever (``retrieval.engine.Retriever``)."""

    def query_vector(self, text: str) -> np.ndarray: ...

    @property
    def embedder_name(self) -> str: ...


def embedding_of(retriever: EmbeddingSource, question: str) -> QueryEmbedding | None:
    """The query vector of ``question`` as the retriever computed it for its decision (memoised there, so not
    embedded again); None when it has none (empty text, no embedder)."""
    try:
        vector = retriever.query_vector(question)
    except Exception:  # noqa: BLE001 - routing must never fail a hand-off; the table alone then decides
        return None
    return QueryEmbedding(retriever.embedder_name, np.asarray(vector, dtype=np.float32).reshape(-1))
