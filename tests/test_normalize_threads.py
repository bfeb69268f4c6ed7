"""One Normalizer shared by threads parses exactly as it does alone (issue 10).

The worker thread and the thread-pool routes (/api/ask, the console's FAQ search) share the retriever's
Normalizer. A fugashi tagger parsed from several threads at once returned wrong lemmas, and the parse cache
kept them; this test parses thousands of varied texts from several threads through one Normalizer.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from knowledge.packs import read_pack
from retrieval.normalize import Normalizer, Word

ROOT = Path(__file__).resolve().parent.parent
TOYAMA_PACK = ROOT / "knowledge" / "packs" / "toyama"
DATASETS = ROOT / "eval" / "datasets"
SENTENCE_END = re.compile(r"(?<=[。？！?!\n])")
TEXT_COUNT = 6000
THREADS = 4
ROUNDS = 3  # each with a fresh Normalizer, so every text is parsed concurrently three times


def _pack_texts() -> list[str]:
    texts: list[str] = []
    for entry in read_pack(TOYAMA_PACK).entries:
        texts += [entry.question, *entry.alt_questions, entry.answer]
        texts += [entry.short_answer] if entry.short_answer else []
    return texts


def _dataset_texts() -> list[str]:
    return [json.loads(line)["text"] for path in sorted(DATASETS.rglob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if '"text"' in line]


def varied_texts(count: int = TEXT_COUNT) -> list[str]:
    """``count`` distinct Japanese texts: pack and eval sentences, then pairs of them joined."""
    sentences = list(dict.fromkeys(
        part.strip() for text in _pack_texts() + _dataset_texts() for part in SENTENCE_END.split(text)
        if part.strip()
    ))
    texts = list(sentences)
    step = 1
    while len(texts) < count:
        texts += [a + b for a, b in zip(sentences, sentences[step:], strict=False)]
        step += 1
    return list(dict.fromkeys(texts))[:count]


def test_the_texts_are_many_and_distinct() -> None:
    texts = varied_texts()
    assert len(texts) == TEXT_COUNT == len(set(texts))


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Let threads take turns every 10 µs instead of 5 ms, so an unsafe parse is interleaved often."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_threads_sharing_one_normalizer_get_the_single_threaded_parse() -> None:
    texts = varied_texts()
    alone = Normalizer(cache_size=0)
    expected = [alone.words(text) for text in texts]

    for _ in range(ROUNDS):
        shared = Normalizer(cache_size=len(texts))  # empty cache, large enough to keep every parse
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            results = list(pool.map(shared.words, texts, chunksize=1))
        cached = [shared.words(text) for text in texts]  # what later callers get from the cache

        wrong = [(text, got) for text, got, want in zip(texts, results, expected, strict=True) if got != want]
        wrong_cached = [text for text, got, want in zip(texts, cached, expected, strict=True) if got != want]
        assert len(wrong) == 0, f"{len(wrong)} of {len(texts)} concurrent parses differ, e.g. {_first(wrong)}"
        assert len(wrong_cached) == 0, f"{len(wrong_cached)} wrong parses stayed cached, e.g. {wrong_cached[:3]}"


def _first(wrong: list[tuple[str, tuple[Word, ...]]]) -> str:
    text, words = wrong[0]
    return f"{text!r} -> {[w.lemma for w in words]}"


def test_every_normalizer_shares_one_tagger() -> None:
    """MeCab never frees a tagger (about 10 MB each): a tagger per normaliser grew the process for every
    retriever built (the test suite reached 24 GB)."""
    first, second = Normalizer(), Normalizer(synonyms=[["保育園", "保育所"]])
    assert first._tagger is second._tagger and first._tagger_lock is second._tagger_lock
