"""Embedding cache keyed by (model, text hash): a rebuild embeds only text that changed."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from retrieval.embedders import Embedder
from retrieval.models import CachedEmbedding

PROGRESS_BATCH = 64  # texts per encoder call when progress is reported: small enough for a bar to move

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)``, e.g. texts embedded so far out of all the texts of a build."""


class ProgressCounter:
    """Adds up the per-batch counts of several ``embed`` calls into one ``progress(done, total)`` report."""

    def __init__(self, progress: ProgressCallback, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def __call__(self, count: int) -> None:
        self.done += count
        self.progress(self.done, self.total)


def text_key(text: str, *, is_query: bool) -> str:
    """Hash of the text and its side (query and document vectors differ for the same text)."""
    side = "q" if is_query else "d"
    return hashlib.sha256(f"{side}\x00{text}".encode()).hexdigest()


class VectorStore(Protocol):
    """Where cached vectors live."""

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None: ...


class MemoryVectorStore:
    """Keeps vectors in a dict (benchmarks, tests, temporary packs)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], np.ndarray] = {}

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self._data[(model, k)] for k in keys if (model, k) in self._data}

    def put_many(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        for key, vector in items:
            self._data[(model, key)] = vector

    def clear(self) -> None:
        self._data.clear()

    def export(self, model: str) -> dict[str, np.ndarray]:
        """Every vector of one model (to hand a warm cache to another process)."""
        return {key: vector for (name, key), vector in self._data.items() if name == model}


class SqlVectorStore:
    """Keeps vectors in the ``embedding_cache`` table of the application database."""

    def __init__(self, engine: Engine, chunk: int = 500) -> None:
        self.engine = engine
        self.chunk = chunk

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with Session(self.engine) as session:
            for start in range(0, len(keys), self.chunk):
                part = list(keys[start : start + self.chunk])
                rows = session.exec(
                    select(CachedEmbedding).where(
                        CachedEmbedding.model == model, col(CachedEmbedding.text_hash).in_(part)
                    )
                ).all()
                for row in rows:
                    found[row.text_hash] = np.frombuffer(row.vector, dtype=np.float32).copy()
        return found

    def put_many(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with Session(self.engine) as session:
            for key, vector in items:
                vec = np.asarray(vector, dtype=np.float32)
                session.merge(CachedEmbedding(model=model, text_hash=key, dim=vec.size, vector=vec.tobytes()))
            session.commit()


class CachedEmbedder:
    """Embeds texts through a cache; only texts never seen with this model reach the embedder.

    Args:
        embedder: the backend that computes missing vectors.
        store: where vectors are kept.
    """

    def __init__(self, embedder: Embedder, store: VectorStore) -> None:
        self.embedder = embedder
        self.store = store
        self.misses = 0

    def embed(
        self, texts: Sequence[str], *, is_query: bool, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """(n, dim) unit vectors for ``texts``, computing only the ones not cached yet.

        Without ``progress`` the missing texts go to the encoder in one call (the cheapest). With it they go
        in batches of ``PROGRESS_BATCH``, and ``progress(count)`` is called with how many of ``texts`` are
        done: first the cached ones, then after each batch.
        """
        keys = [text_key(t, is_query=is_query) for t in texts]
        cached = self.store.get_many(self.embedder.name, sorted(set(keys)))
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
        if progress is None:
            if missing:
                cached.update(self._embed_missing(missing, is_query=is_query))
        else:
            occurrences = Counter(keys)  # a text given twice is embedded once but counts twice
            progress(sum(n for k, n in occurrences.items() if k in cached))
            for start in range(0, len(missing), PROGRESS_BATCH):
                batch = missing[start : start + PROGRESS_BATCH]
                cached.update(self._embed_missing(batch, is_query=is_query))
                progress(sum(occurrences[k] for k, _ in batch))
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([cached[k] for k in keys]).astype(np.float32)

    def _embed_missing(self, missing: Sequence[tuple[str, str]], *, is_query: bool) -> dict[str, np.ndarray]:
        """Encode ``(key, text)`` pairs, store their vectors and return them by key."""
        encode = self.embedder.embed_queries if is_query else self.embedder.embed_documents
        vectors = encode([t for _, t in missing])
        fresh = {k: v for (k, _), v in zip(missing, vectors, strict=True)}
        self.store.put_many(self.embedder.name, fresh.items())
        self.misses += len(missing)
        return fresh
