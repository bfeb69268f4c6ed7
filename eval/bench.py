"""``tsunagu bench``: latency, build time and memory of the retriever on this machine.

* decision_p50/p95/p99_ms: ``Retriever.decide`` on every eval question (one at a time, after a warm-up).
* embed_p50_ms, embed_p95_ms: the raw query embedding alone on the same questions; overhead_ratio = decision
  p50 / embed p50. Embedding time grows with the length of the question (the long, rambling eval questions
  take several times longer than short ones), so short_decision_p95_ms repeats the decision p95 on the
  questions of at most 60 characters.
* build_s: building the pack's index from nothing (every text embedded); rebuild_one_s: rebuilding after one
  entry was edited (the cache supplies every other vector).
* search10k_p95_ms, rss10k_mb: a synthetic 10,000-entry corpus (pack entries copied with noise added to their
  vectors, so no hour of embedding is needed), searched in a fresh process whose resident memory is reported.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import numpy as np

from eval.datasets import load_questions
from eval.metrics import percentile
from eval.settings import EvalSettings
from knowledge.packs import read_pack
from knowledge.schema import FaqEntryData
from retrieval.cache import MemoryVectorStore, text_key
from retrieval.engine import Retriever
from retrieval.factory import make_retriever
from retrieval.memory import release_free_memory


def _timed_ms(fn: Any, items: list[str]) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run_bench(settings: EvalSettings, *, synthetic_size: int = 10_000) -> dict[str, Any]:
    pack = read_pack(settings.pack_dir)
    store = MemoryVectorStore()
    retriever = make_retriever(settings, synonyms=pack.synonyms, store=store)
    started = time.perf_counter()
    retriever.build(pack.entries)
    build_s = time.perf_counter() - started

    edited = list(pack.entries)
    first = edited[0]
    edited[0] = first.model_copy(update={"answer": first.answer + "\n（編集テスト）",
                                         "alt_questions": [*first.alt_questions[:-1], "編集した質問の言い方"]})
    rebuild_one_s = retriever.build(edited).seconds

    texts = [q.text for q in load_questions()]
    for text in texts[:20]:  # warm-up
        retriever.decide(text)
    retriever.forget_queries()  # every timed decision embeds its question, as a new question would
    decision = _timed_ms(retriever.decide, texts)
    embedder = retriever.embedder.embedder
    embed = _timed_ms(lambda t: embedder.embed_queries([retriever.normalizer.clean(t)]), texts)
    short = [t for t in texts if len(t) <= 60]
    retriever.forget_queries()
    short_decision = _timed_ms(retriever.decide, short)
    results: dict[str, Any] = {
        "queries": len(texts),
        "decision_p50_ms": round(percentile(decision, 50), 2),
        "decision_p95_ms": round(percentile(decision, 95), 2),
        "decision_p99_ms": round(percentile(decision, 99), 2),
        "embed_p50_ms": round(percentile(embed, 50), 2),
        "embed_p95_ms": round(percentile(embed, 95), 2),
        "short_queries": len(short),
        "short_decision_p95_ms": round(percentile(short_decision, 95), 2),
        "overhead_ratio": round(percentile(decision, 50) / percentile(embed, 50), 3),
        "build_s": round(build_s, 2),
        "rebuild_one_s": round(rebuild_one_s, 3),
    }
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        vectors = store.export(embedder.name)
        results.update(pool.apply(synthetic_search, (settings, synthetic_size, texts[:300], vectors)))
    return results


def synthetic_entries(pack_entries: list[FaqEntryData], size: int) -> list[tuple[FaqEntryData, FaqEntryData]]:
    """``size`` (copy, original) pairs; each copy's texts are marked so they hash differently."""
    pairs = []
    for number in range(size):
        original = pack_entries[number % len(pack_entries)]
        tag = f"（写し{number}）"
        copy = original.model_copy(update={
            "id": f"synthetic-{number}",
            "question": original.question + tag,
            "alt_questions": [a + tag for a in original.alt_questions],
            "questions_en": [q + tag for q in original.questions_en],
            "answer": original.answer + tag,
        })
        pairs.append((copy, original))
    return pairs


def synthetic_search(
    settings: EvalSettings, size: int, queries: list[str], pack_vectors: dict[str, np.ndarray]
) -> dict[str, float]:
    """Run in a fresh process: build a ``size``-entry corpus from noisy copies of pack vectors and search it.

    The vector cache is emptied after the build, as a server's is (it keeps vectors in the database), so
    ``rss10k_mb`` is what a process serving the 10,000 entries holds.
    """
    import psutil

    pack = read_pack(settings.pack_dir)
    store = MemoryVectorStore()
    retriever = make_retriever(settings, synonyms=pack.synonyms, store=store)
    entries = _fill_synthetic_cache(retriever, store, pack.entries, size, pack_vectors)
    del pack_vectors
    stats = retriever.build(entries)
    del entries
    store.clear()
    release_free_memory()
    for text in queries[:20]:
        retriever.decide(text)
    retriever.forget_queries()
    latency = _timed_ms(retriever.decide, queries)
    retriever.forget_queries()
    short_latency = _timed_ms(retriever.decide, [q for q in queries if len(q) <= 60])
    return {
        "search10k_entries": stats.entries,
        "search10k_p50_ms": round(percentile(latency, 50), 2),
        "search10k_p95_ms": round(percentile(latency, 95), 2),
        "search10k_short_p95_ms": round(percentile(short_latency, 95), 2),
        "rss10k_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        "build10k_s": round(stats.seconds, 2),
    }


def _fill_synthetic_cache(
    retriever: Retriever, store: MemoryVectorStore, pack_entries: list[FaqEntryData], size: int,
    pack_vectors: dict[str, np.ndarray],
) -> list[FaqEntryData]:
    """Put a noisy copy of its original's vectors in the cache for every synthetic entry; return the entries."""
    cached = retriever.embedder
    name = cached.embedder.name
    store.put_many(name, pack_vectors.items())
    rng = np.random.default_rng(0)
    pairs = synthetic_entries(pack_entries, size)
    originals = {o.id: o for _, o in pairs}
    base_q = {oid: cached.embed(retriever.question_texts(o), is_query=True) for oid, o in originals.items()}
    base_a = {oid: cached.embed([retriever.answer_passage(o)], is_query=False)[0] for oid, o in originals.items()}
    for copy, original in pairs:
        q_vectors = base_q[original.id] + rng.normal(0, 0.02, base_q[original.id].shape).astype(np.float32)
        a_vector = base_a[original.id] + rng.normal(0, 0.02, base_a[original.id].shape).astype(np.float32)
        items = [(text_key(t, is_query=True), v / np.linalg.norm(v))
                 for t, v in zip(retriever.question_texts(copy), q_vectors, strict=True)]
        items.append((text_key(retriever.answer_passage(copy), is_query=False), a_vector / np.linalg.norm(a_vector)))
        store.put_many(name, items)
    return [copy for copy, _ in pairs]
