from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, select

from core.db import make_engine
from knowledge.packs import Pack
from retrieval.cache import CachedEmbedder, MemoryVectorStore, SqlVectorStore
from retrieval.dense import DenseIndex
from retrieval.errors import IndexNotReady
from retrieval.factory import make_retriever
from retrieval.lexical import LexicalIndex
from retrieval.models import CachedEmbedding
from tests.utils.embedders import HashingEmbedder
from tsunagu.db import migrate
from tsunagu.settings import Settings


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_dense_index_maps_rows_to_entries_with_best_score() -> None:
    index = DenseIndex(2)
    index.add(["a", "a", "b"], np.stack([unit(1, 0), unit(0.6, 0.8), unit(0, 1)]))
    scores = index.search(unit(0, 1))
    assert set(scores) == {"a", "b"}
    assert scores["b"] == pytest.approx(1.0)
    assert scores["a"] == pytest.approx(0.8)  # best of a's two rows


def test_dense_index_save_load_round_trip(tmp_path: Path) -> None:
    index = DenseIndex(2)
    index.add(["a", "b"], np.stack([unit(1, 0), unit(1, 1)]))
    index.save(tmp_path)
    loaded = DenseIndex.load(tmp_path)
    assert loaded.row_ids == ["a", "b"]
    assert loaded.search(unit(1, 0.2)) == pytest.approx(index.search(unit(1, 0.2)))


def test_dense_index_rejects_id_count_mismatch() -> None:
    with pytest.raises(ValueError):
        DenseIndex(2).add(["a"], np.stack([unit(1, 0), unit(0, 1)]))


def test_lexical_index_scores_matching_documents_only() -> None:
    index = LexicalIndex()
    index.build(["a", "b", "c"], [["保育", "申し込み"], ["児童", "手当"], []])
    hits = index.search(["児童", "未知の語"])
    assert list(hits) == ["b"]
    assert hits["b"] > 0
    assert index.search(["未知の語"]) == {}


def test_cache_embeds_only_changed_text_on_rebuild(mini_pack: Pack) -> None:
    embedder = HashingEmbedder()
    retriever = make_retriever(Settings(), synonyms=mini_pack.synonyms, store=MemoryVectorStore(), embedder=embedder)
    first = retriever.build(mini_pack.entries)
    assert first.embedded == sum(len(e.questions()) + 1 for e in mini_pack.entries)
    edited = list(mini_pack.entries)
    edited[0] = edited[0].model_copy(update={"answer": "新しい答え"})
    second = retriever.build(edited)
    assert second.embedded == 1  # only the changed answer passage


def test_sql_vector_store_round_trip(sqlite_url: str) -> None:
    migrate(sqlite_url)
    store = SqlVectorStore(make_engine(sqlite_url))
    cached = CachedEmbedder(HashingEmbedder(), store)
    first = cached.embed(["保育園", "児童手当"], is_query=True)
    fresh = CachedEmbedder(HashingEmbedder(), store)
    again = fresh.embed(["児童手当", "保育園"], is_query=True)
    assert fresh.misses == 0
    np.testing.assert_allclose(again, first[::-1])
    with Session(make_engine(sqlite_url)) as session:
        assert len(session.exec(select(CachedEmbedding)).all()) == 2


def test_query_and_document_sides_are_cached_apart() -> None:
    cached = CachedEmbedder(HashingEmbedder(), MemoryVectorStore())
    cached.embed(["同じ文"], is_query=True)
    cached.embed(["同じ文"], is_query=False)
    assert cached.misses == 2


def test_search_before_build_raises_index_not_ready(mini_pack: Pack) -> None:
    retriever = make_retriever(Settings(), store=MemoryVectorStore(), embedder=HashingEmbedder())
    with pytest.raises(IndexNotReady):
        retriever.search("保育園")


def test_retriever_finds_entry_through_alt_question_and_synonym(mini_retriever) -> None:  # type: ignore[no-untyped-def]
    assert mini_retriever.search("子ども手当の手続き", k=1)[0].faq_id == "childcare-allowance-apply"
    assert mini_retriever.search("保育園 申込期間", k=1)[0].faq_id == "childcare-nursery-apply-period"


def test_draft_entries_are_not_indexed(mini_pack: Pack) -> None:
    retriever = make_retriever(Settings(), store=MemoryVectorStore(), embedder=HashingEmbedder())
    entries = [mini_pack.entries[0].model_copy(update={"status": "draft"}), *mini_pack.entries[1:]]
    retriever.build(entries)
    assert mini_pack.entries[0].id not in retriever.entries


def test_lexical_coverage_is_share_of_query_weight() -> None:
    index = LexicalIndex()
    index.build(["a", "b"], [["保育", "申し込み"] * 3, ["児童", "手当"]])
    full = index.coverage(["保育", "申し込み"])["a"]
    half = index.coverage(["保育", "未知の語"])["a"]
    assert 0 < half < full <= 1.0
    assert index.query_weight(["未知の語"]) > index.query_weight(["保育"])  # unseen terms weigh the most
    assert index.coverage([]) == {}


def test_dense_index_switches_to_hnsw_above_exact_limit_and_finds_the_same_best() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"e{i // 3}" for i in range(300)]
    exact, approximate = DenseIndex(16), DenseIndex(16, exact_max_rows=100)
    exact.add(ids, vectors)
    approximate.add(ids, vectors)
    assert exact.exact and not approximate.exact
    query = vectors[42] + 0.05 * rng.normal(size=16).astype(np.float32)
    query /= np.linalg.norm(query)
    best_exact = max(exact.search(query, 20).items(), key=lambda kv: kv[1])
    best_approx = max(approximate.search(query, 20).items(), key=lambda kv: kv[1])
    assert best_approx[0] == best_exact[0] == "e14"
    assert best_approx[1] == pytest.approx(best_exact[1], abs=1e-2)  # float16 storage
