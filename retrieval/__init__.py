"""Retrieval: normalisation, embedders, FAISS + BM25 hybrid search and the decision policy."""
