"""Progress reporting while embedding: batches through the cache, one (done, total) count for a whole build."""

import numpy as np

from knowledge.packs import Pack
from retrieval.cache import PROGRESS_BATCH, CachedEmbedder, MemoryVectorStore
from retrieval.factory import make_retriever
from tests.utils.embedders import HashingEmbedder
from tsunagu.settings import Settings


def texts(count: int) -> list[str]:
    return [f"質問その{number}" for number in range(count)]


def test_embed_reports_each_batch_and_gives_the_same_vectors() -> None:
    corpus = texts(PROGRESS_BATCH * 2 + 5)
    plain = CachedEmbedder(HashingEmbedder(), MemoryVectorStore()).embed(corpus, is_query=False)
    counts: list[int] = []
    batched = CachedEmbedder(HashingEmbedder(), MemoryVectorStore()).embed(
        corpus, is_query=False, progress=counts.append
    )
    assert counts == [0, PROGRESS_BATCH, PROGRESS_BATCH, 5]
    np.testing.assert_allclose(batched, plain)


def test_embed_counts_cached_and_repeated_texts_as_done() -> None:
    embedder = HashingEmbedder()
    cached = CachedEmbedder(embedder, MemoryVectorStore())
    cached.embed(texts(3), is_query=True)
    counts: list[int] = []
    cached.embed([*texts(3), "新しい質問", "新しい質問"], is_query=True, progress=counts.append)
    assert counts == [3, 2]
    assert embedder.calls.count("新しい質問") == 1


def test_default_embed_makes_one_encoder_call() -> None:
    calls: list[int] = []

    class Counting(HashingEmbedder):
        def _encode(self, batch: list[str], *, is_query: bool) -> np.ndarray:
            calls.append(len(batch))
            return super()._encode(batch, is_query=is_query)

    CachedEmbedder(Counting(), MemoryVectorStore()).embed(texts(PROGRESS_BATCH * 3), is_query=False)
    assert calls == [PROGRESS_BATCH * 3]


def test_build_reports_questions_and_answers_as_one_total(mini_pack: Pack) -> None:
    retriever = make_retriever(Settings(), store=MemoryVectorStore(), embedder=HashingEmbedder())
    reports: list[tuple[int, int]] = []
    stats = retriever.build(mini_pack.entries, progress=lambda done, total: reports.append((done, total)))
    published = [e for e in mini_pack.entries if e.status == "published"]
    total = sum(len(retriever.question_texts(e)) for e in published) + len(published)
    assert {t for _, t in reports} == {total}
    assert reports[-1] == (total, total)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert stats.embedded == total
