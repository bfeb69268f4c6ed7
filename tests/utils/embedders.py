"""A fast deterministic embedder for tests: hashed character bigrams, so similar strings get similar vectors."""

from __future__ import annotations

import hashlib

import numpy as np

from retrieval.embedders import Embedder


class HashingEmbedder(Embedder):
    """Bag of character bigrams hashed into ``dim`` buckets; queries and documents share one space."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"test-hashing-{dim}"
        self.calls: list[str] = []

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        self.calls.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f" {text} "
            for i in range(len(padded) - 1):
                bucket = int.from_bytes(hashlib.md5(padded[i : i + 2].encode()).digest()[:4], "little") % self.dim
                out[row, bucket] += 1.0
            if not out[row].any():
                out[row, 0] = 1.0
        return out
