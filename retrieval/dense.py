"""Dense search: a FAISS inner-product index over unit vectors, rows mapped back to FAQ ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

import faiss
import numpy as np


class DenseIndex:
    """Inner-product (= cosine on unit vectors) search; several rows may belong to one FAQ entry.

    A query's score for an entry is the best score among that entry's rows (max pooling), so an entry is found
    through whichever of its questions is closest. Pack-sized corpora are searched exactly (``IndexFlatIP``);
    above ``exact_max_rows`` rows, an HNSW graph over float16 vectors is used: a flat scan of tens of thousands
    of rows for one query costs nearly as much as embedding the query on a small machine, and float16 halves
    the memory at a score error near 1e-3.

    Args:
        dim: vector size.
        exact_max_rows: the largest index that is searched exactly.
    """

    HNSW_NEIGHBOURS = 32
    HNSW_EF_SEARCH = 256

    def __init__(self, dim: int, exact_max_rows: int = 5_000) -> None:
        self.dim = dim
        self.exact_max_rows = exact_max_rows
        self._index: faiss.Index = faiss.IndexFlatIP(dim)
        self.row_ids: list[str] = []

    @property
    def exact(self) -> bool:
        return isinstance(self._index, faiss.IndexFlat)

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Add one row per id; ``vectors`` must be unit length."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(ids) != vectors.shape[0]:
            raise ValueError("one id per vector")
        if not self.row_ids and len(ids) > self.exact_max_rows:
            hnsw = faiss.IndexHNSWSQ(
                self.dim, faiss.ScalarQuantizer.QT_fp16, self.HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT  # type: ignore[arg-type]
            )
            hnsw.train(vectors)  # float16 needs no statistics, but faiss requires the call
            hnsw.hnsw.efSearch = self.HNSW_EF_SEARCH
            self._index = hnsw
        self._index.add(vectors)
        self.row_ids.extend(ids)

    def __len__(self) -> int:
        return len(self.row_ids)

    def search(self, query: np.ndarray, k_rows: int = 200) -> dict[str, float]:
        """Best score per entry among the ``k_rows`` nearest rows."""
        if not self.row_ids:
            return {}
        k = min(k_rows, len(self.row_ids))
        scores, rows = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        best: dict[str, float] = {}
        for score, row in zip(scores[0], rows[0], strict=True):
            if row < 0:
                continue
            entry_id = self.row_ids[row]
            if float(score) > best.get(entry_id, -1.0):
                best[entry_id] = float(score)
        return best

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(folder / "dense.faiss"))
        (folder / "dense_ids.json").write_text(json.dumps(self.row_ids, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Self:
        index = faiss.read_index(str(folder / "dense.faiss"))
        loaded = cls(index.d)
        loaded._index = index
        loaded.row_ids = json.loads((folder / "dense_ids.json").read_text(encoding="utf-8"))
        return loaded
