from eval.bench import _fill_synthetic_cache, synthetic_entries
from knowledge.packs import Pack
from retrieval.cache import MemoryVectorStore
from retrieval.factory import make_retriever
from tests.utils.embedders import HashingEmbedder
from tsunagu.settings import Settings


def test_synthetic_entries_are_distinct_copies(mini_pack: Pack) -> None:
    pairs = synthetic_entries(mini_pack.entries, 15)
    copies = [copy for copy, _ in pairs]
    assert len({c.id for c in copies}) == 15
    assert len({c.question for c in copies}) == 15
    assert pairs[7][1].id == mini_pack.entries[7 % 6].id


def test_synthetic_corpus_is_built_from_cached_vectors_only(mini_pack: Pack) -> None:
    embedder = HashingEmbedder()
    warm = make_retriever(Settings(), store=MemoryVectorStore(), embedder=embedder)
    warm.build(mini_pack.entries)
    pack_vectors = warm.embedder.store.export(embedder.name)  # type: ignore[attr-defined]
    store = MemoryVectorStore()
    retriever = make_retriever(Settings(), store=store, embedder=embedder)
    entries = _fill_synthetic_cache(retriever, store, mini_pack.entries, 60, pack_vectors)
    stats = retriever.build(entries)
    assert stats.entries == 60
    assert stats.embedded == 0
