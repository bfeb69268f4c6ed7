"""The retriever: builds the hybrid index from FAQ entries and answers ``search`` and ``decide``.

Built once at start-up and injected (never a module-level global). ``build`` can be called again after
an edit: embeddings come from the cache, so only changed text is embedded. Everything one build makes is one
immutable ``IndexGeneration``; a query reads the current generation once and uses it throughout, so swapping
in a new one (``prepare`` then ``swap``, or ``build``) never shows a query half of each.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from knowledge.schema import FaqEntryData
from retrieval.cache import CachedEmbedder, ProgressCallback, ProgressCounter
from retrieval.coverage import CoverageGuard
from retrieval.decision import Decision, DecisionKind, DecisionPolicy, QueryTraits, Reason
from retrieval.dense import DenseIndex
from retrieval.errors import IndexNotReady
from retrieval.fusion import Candidate, HybridFusion
from retrieval.lexical import LexicalIndex
from retrieval.memory import release_free_memory
from retrieval.metrics import EMBED_SECONDS, record_decision
from retrieval.normalize import Analysis, Normalizer, has_meaningful_text, is_latin_script
from retrieval.topic_menu import TopicMenu

logger = logging.getLogger(__name__)

QUERY_MEMO_SIZE = 2048  # query vectors kept in memory: 2048 x 384 floats = 3 MB with e5-small
TOP_CANDIDATES = 5  # kept with every decision: enough for staff and for the margin to the runner-up


@dataclass
class ScoreParts:
    """Per-entry raw scores: best question cosine, answer cosine, BM25 coverage of lemmas and reading trigrams."""

    by_question: dict[str, float]
    by_answer: dict[str, float]
    lexical: dict[str, float]
    reading: dict[str, float]


@dataclass(frozen=True)
class IndexGeneration:
    """Every index one build made from one set of published entries; replaced whole, never changed."""

    entries: dict[str, FaqEntryData]
    questions: DenseIndex | None
    answers: DenseIndex | None
    lexical: LexicalIndex
    reading: LexicalIndex
    known_places: frozenset[str]
    coverage: CoverageGuard
    topics: TopicMenu


@dataclass(frozen=True)
class BuildStats:
    entries: int
    vectors: int
    embedded: int
    seconds: float


class Retriever:
    """Hybrid FAQ search over question, alternative questions and answer text.

    Args:
        embedder: cached embedder used for both FAQ text and queries.
        normalizer: text normalisation and tokenisation (with the pack's synonyms).
        fusion: how dense and lexical scores combine.
        policy: thresholds that turn candidates into a decision.
        answer_field_weight: weight of the answer-text vector relative to the question vectors.
        max_query_chars: longer input gets REPHRASE(too_long).
    """

    def __init__(
        self,
        embedder: CachedEmbedder,
        normalizer: Normalizer,
        fusion: HybridFusion,
        policy: DecisionPolicy,
        *,
        answer_field_weight: float = 1.0,
        max_query_chars: int = 1000,
        coverage_guard: bool = True,
    ) -> None:
        self.embedder = embedder
        self.normalizer = normalizer
        self.fusion = fusion
        self.policy = policy
        self.answer_field_weight = answer_field_weight
        self.max_query_chars = max_query_chars
        self.coverage_guard = coverage_guard
        self._query_memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_lock = threading.Lock()
        self._generation = IndexGeneration(
            {}, None, None, LexicalIndex(), LexicalIndex(), frozenset(), CoverageGuard(normalizer),
            TopicMenu(normalizer),
        )

    @property
    def entries(self) -> dict[str, FaqEntryData]:
        """The published entries of the index being served, by id."""
        return self._generation.entries

    @property
    def coverage(self) -> CoverageGuard:
        return self._generation.coverage

    @property
    def topics(self) -> TopicMenu:
        return self._generation.topics

    # -- building -------------------------------------------------------------------------------------------
    def build(self, entries: Sequence[FaqEntryData], progress: ProgressCallback | None = None) -> BuildStats:
        """(Re)build every index from the published entries and serve them at once; ``progress(done, total)``
        counts texts embedded."""
        generation, stats = self.prepare(entries, progress)
        self.swap(generation)
        return stats

    def prepare(
        self, entries: Sequence[FaqEntryData], progress: ProgressCallback | None = None
    ) -> tuple[IndexGeneration, BuildStats]:
        """Build a new generation beside the one being served (which keeps answering meanwhile)."""
        started = time.perf_counter()
        misses_before = self.embedder.misses
        entries = [e for e in entries if e.status == "published"]
        question_ids, question_texts = [], []
        for entry in entries:
            for text in self.question_texts(entry):
                question_ids.append(entry.id)
                question_texts.append(text)
        answer_texts = [self.answer_passage(e) for e in entries]
        dim = self.embedder.embedder.dim
        questions, answers = DenseIndex(dim), DenseIndex(dim)
        advance = ProgressCounter(progress, len(question_texts) + len(answer_texts)) if progress else None
        questions.add(question_ids, self.embedder.embed(question_texts, is_query=True, progress=advance))
        answers.add([e.id for e in entries], self.embedder.embed(answer_texts, is_query=False, progress=advance))
        documents = [self._lexical_documents(e) for e in entries]
        lexical, reading = LexicalIndex(), LexicalIndex()
        lexical.build([e.id for e in entries], [d.tokens for d in documents])
        reading.build([e.id for e in entries], [d.reading_grams for d in documents])
        coverage, topics = CoverageGuard(self.normalizer), TopicMenu(self.normalizer)
        coverage.build(entries)
        topics.build(entries)
        generation = IndexGeneration(
            {e.id: e for e in entries}, questions, answers, lexical, reading,
            frozenset().union(*(d.places for d in documents)), coverage, topics,
        )
        del documents  # token lists of every entry: by far the largest temporary of a build
        release_free_memory()
        stats = BuildStats(
            len(entries), len(questions) + len(answers), self.embedder.misses - misses_before,
            time.perf_counter() - started,
        )
        logger.info("index built: %d entries, %d vectors, %d newly embedded, %.2fs", *stats.__dict__.values())
        return generation, stats

    def swap(self, generation: IndexGeneration) -> None:
        """Serve ``generation`` from now on: one reference assignment, so a query sees the old or the new."""
        self._generation = generation

    def serving(self, generation: IndexGeneration) -> Retriever:
        """A retriever sharing this one's settings and embedder that serves ``generation`` (the quality gate
        evaluates a candidate generation this way without serving it to citizens)."""
        other = copy.copy(self)
        other._generation = generation
        return other

    def question_texts(self, entry: FaqEntryData) -> list[str]:
        """The texts embedded on the query side for an entry (one index row each)."""
        return [self.normalizer.clean(text) for text in entry.search_questions()]

    def answer_passage(self, entry: FaqEntryData) -> str:
        """The text embedded on the document side for an entry: its question followed by its answer."""
        return self.normalizer.clean(f"{entry.question}\n{entry.answer}")

    def _lexical_documents(self, entry: FaqEntryData) -> Analysis:
        """One entry's BM25 tokens (questions, tags, answer), reading trigrams (questions) and place names."""
        tokens: list[str] = []
        grams: list[str] = []
        places: set[str] = set()
        for text in entry.search_questions():
            analysis = self.normalizer.analyze(text)
            tokens += analysis.tokens
            grams += analysis.reading_grams
            places |= analysis.places
        for text in [*entry.tags, entry.answer]:
            analysis = self.normalizer.analyze(text)
            tokens += analysis.tokens
            places |= analysis.places
        for office in (entry.department or "", entry.contact or ""):
            places |= self.normalizer.place_names(office)
        return Analysis(tokens, grams, places)

    # -- searching ------------------------------------------------------------------------------------------
    def search(self, text: str, k: int = 5) -> list[Candidate]:
        """The ``k`` best entries for ``text`` (no decision)."""
        return self._candidates(text)[:k]

    def score_parts(self, text: str, generation: IndexGeneration | None = None) -> ScoreParts:
        """Raw per-entry scores of each signal for ``text`` (the eval reuses them to tune fusion)."""
        gen = generation or self._generation
        if gen.questions is None or gen.answers is None:
            raise IndexNotReady("build() the retriever before searching")
        vector = self._query_vector(self.normalizer.clean(text))
        return ScoreParts(
            by_question=gen.questions.search(vector, k_rows=200),
            by_answer=gen.answers.search(vector, k_rows=100),
            lexical=gen.lexical.coverage(self.normalizer.tokens(text)),
            reading=gen.reading.coverage(self.normalizer.reading_grams(text)),
        )

    def _query_vector(self, cleaned: str) -> np.ndarray:
        """The query's embedding, remembered for the most recent ``QUERY_MEMO_SIZE`` texts in this process
        (repeated questions and the quality gate's eval set are not embedded again; never written anywhere)."""
        with self._memo_lock:
            remembered = self._query_memo.get(cleaned)
            if remembered is not None:
                self._query_memo.move_to_end(cleaned)
                return remembered
        with EMBED_SECONDS.time():
            vector: np.ndarray = self.embedder.embedder.embed_queries([cleaned])[0]
        with self._memo_lock:
            self._query_memo[cleaned] = vector
            if len(self._query_memo) > QUERY_MEMO_SIZE:
                self._query_memo.popitem(last=False)
        return vector

    def query_vector(self, text: str) -> np.ndarray:
        """The query vector ``decide`` used for ``text`` (memoised, so the hand-off's routing does not embed the
        question again)."""
        return self._query_vector(self.normalizer.clean(text))

    @property
    def embedder_name(self) -> str:
        """The embedder behind the vectors (a model trained on its vectors checks it)."""
        return self.embedder.embedder.name

    def forget_queries(self) -> None:
        """Empty the query memo (benchmarks time real embeddings)."""
        with self._memo_lock:
            self._query_memo.clear()

    def combine(
        self, parts: ScoreParts, fusion: HybridFusion | None = None, answer_field_weight: float | None = None
    ) -> list[Candidate]:
        """Fuse score parts into ranked candidates (defaults: this retriever's own fusion settings).

        Ablations pass ``HybridFusion(1.0)`` for dense only or ``HybridFusion(0.0, r)`` for lexical only.
        """
        fusion = fusion or self.fusion
        weight = self.answer_field_weight if answer_field_weight is None else answer_field_weight
        dense = dict(parts.by_question)
        for faq_id, score in parts.by_answer.items():
            dense[faq_id] = max(dense.get(faq_id, 0.0), weight * score)
        # Entries beyond the dense top-k get the lowest dense score seen, a safe upper bound for them.
        floor = min(dense.values()) if dense else 0.0
        return fusion.fuse(dense, parts.lexical, floor, parts.reading)

    def traits(self, text: str, generation: IndexGeneration | None = None) -> QueryTraits:
        """Script of the question, and whether it names a place that no entry mentions."""
        gen = generation or self._generation
        return QueryTraits(
            latin_script=is_latin_script(text),
            unknown_place=bool(self.normalizer.place_names(text) - gen.known_places),
        )

    def _candidates(self, text: str) -> list[Candidate]:
        return self.combine(self.score_parts(text))

    def decide(self, text: str, *, counted: bool = True) -> Decision:
        """The decision for one user message; never raises on odd input. Counted and timed (retrieval.metrics)
        unless ``counted`` is False (the quality gate's eval questions are no citizen's)."""
        started = time.perf_counter()
        decision = self._decide(text, self._generation)
        if counted:
            record_decision(decision, time.perf_counter() - started)
        return decision

    def _decide(self, text: str, gen: IndexGeneration) -> Decision:
        stripped = self.normalizer.clean(text or "")
        if not stripped:
            return Decision(DecisionKind.REPHRASE, Reason.EMPTY)
        if len(stripped) > self.max_query_chars:
            return Decision(DecisionKind.REPHRASE, Reason.TOO_LONG)
        if not has_meaningful_text(stripped):
            return Decision(DecisionKind.REPHRASE, Reason.NO_TEXT)
        ranked = self.combine(self.score_parts(stripped, gen))
        candidates = ranked[:TOP_CANDIDATES]
        menu = gen.topics.menu(stripped, ranked)
        if menu:
            return Decision(DecisionKind.SUGGEST, Reason.TOPIC, candidates[0].score, None, candidates, menu)
        return self.policy.decide(candidates, self.traits_with_top(stripped, candidates, gen))

    def traits_with_top(
        self, text: str, candidates: Sequence[Candidate], generation: IndexGeneration | None = None
    ) -> QueryTraits:
        """``traits`` plus what the best candidate leaves uncovered (``retrieval.coverage``), when guarded."""
        gen = generation or self._generation
        traits = self.traits(text, gen)
        if not self.coverage_guard or not candidates:
            return traits
        return replace(traits, uncovered=gen.coverage.missing(text, candidates[0].faq_id))
