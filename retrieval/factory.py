"""Build a ``Retriever`` from settings: the one place that knows which parts go together."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from retrieval.cache import CachedEmbedder, MemoryVectorStore, VectorStore
from retrieval.decision import DecisionPolicy, Thresholds
from retrieval.embedders import Embedder, make_embedder
from retrieval.engine import Retriever
from retrieval.fusion import HybridFusion
from retrieval.normalize import Normalizer

if TYPE_CHECKING:
    from retrieval.settings import RetrievalSettings


def make_policy(settings: RetrievalSettings) -> DecisionPolicy:
    return DecisionPolicy(
        Thresholds(settings.answer_min_score, settings.answer_min_margin, settings.suggest_min_score),
        Thresholds(
            settings.latin_answer_min_score, settings.latin_answer_min_margin, settings.latin_suggest_min_score
        ),
        suggest_max_candidates=settings.suggest_max_candidates,
    )


def make_retriever(
    settings: RetrievalSettings,
    *,
    synonyms: Iterable[Iterable[str]] = (),
    store: VectorStore | None = None,
    embedder: Embedder | None = None,
) -> Retriever:
    """A retriever configured by ``settings`` (not built yet: call ``build(entries)``)."""
    return Retriever(
        CachedEmbedder(embedder or make_embedder(settings), store or MemoryVectorStore()),
        Normalizer(synonyms),
        HybridFusion(settings.dense_weight, settings.reading_weight),
        make_policy(settings),
        answer_field_weight=settings.answer_field_weight,
        max_query_chars=settings.max_query_chars,
        coverage_guard=settings.coverage_guard,
    )
