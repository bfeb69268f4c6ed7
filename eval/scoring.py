"""Scoring the pack's eval questions: each question embedded and searched once (``Retriever.score_parts``), then
fused, ranked and decided under any fusion parameters and policy. Shared by the eval run (``eval.runner``) and the
calibration (``eval.calibration``), and by the evals that need the pack's retriever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.db import make_engine
from eval.datasets import EvalQuestion
from eval.metrics import Outcome
from eval.settings import EvalSettings, Migrate
from knowledge.packs import read_pack
from retrieval.cache import SqlVectorStore
from retrieval.coverage import CoverageGuard
from retrieval.decision import DecisionPolicy, QueryTraits, Thresholds
from retrieval.engine import TOP_CANDIDATES, Retriever, ScoreParts
from retrieval.factory import make_retriever
from retrieval.fusion import Candidate, HybridFusion
from retrieval.settings import RetrievalSettings

NEVER_ANSWER = DecisionPolicy(Thresholds(2.0, 0.0, 2.0))


@dataclass(frozen=True)
class FusionParams:
    dense_weight: float
    answer_field_weight: float
    reading_weight: float

    def fusion(self) -> HybridFusion:
        return HybridFusion(self.dense_weight, self.reading_weight)

    def with_dense_weight(self, weight: float) -> FusionParams:
        return replace(self, dense_weight=weight)


def build_pack_retriever(settings: EvalSettings, migrate: Migrate) -> Retriever:
    """A retriever over the configured pack's files, with embeddings cached in the configured database (brought
    to the newest schema by ``migrate`` first)."""
    migrate(settings.database_url)
    pack = read_pack(settings.pack_dir)
    store = SqlVectorStore(make_engine(settings.database_url))
    retriever = make_retriever(settings, synonyms=pack.synonyms, store=store)
    retriever.build(pack.entries)
    return retriever


def score_all(retriever: Retriever, questions: Sequence[EvalQuestion]) -> list[ScoreParts]:
    return [retriever.score_parts(q.text) for q in questions]


def rank_all(retriever: Retriever, parts: Sequence[ScoreParts], params: FusionParams) -> list[list[Candidate]]:
    """Fused candidates (top 10) of every question under one set of fusion parameters."""
    return [retriever.combine(p, params.fusion(), params.answer_field_weight)[:10] for p in parts]


def traits_all(retriever: Retriever, questions: Sequence[EvalQuestion]) -> list[QueryTraits]:
    return [retriever.traits(q.text) for q in questions]


def guarded_traits(
    coverage: CoverageGuard, questions: Sequence[EvalQuestion], ranked: Sequence[list[Candidate]],
    traits: Sequence[QueryTraits],
) -> list[QueryTraits]:
    """``traits`` with what the coverage guard finds missing in each question's best entry (as ``decide`` does)."""
    return [replace(t, uncovered=coverage.missing(q.text, c[0].faq_id)) if c else t
            for q, c, t in zip(questions, ranked, traits, strict=True)]


def outcomes_for(
    questions: Sequence[EvalQuestion],
    ranked: Sequence[list[Candidate]],
    policy: DecisionPolicy,
    traits: Sequence[QueryTraits],
    coverage: CoverageGuard | None = None,
) -> list[Outcome]:
    """Decisions and rankings for every question under one policy (with the coverage guard when given)."""
    if coverage is not None:
        traits = guarded_traits(coverage, questions, ranked, traits)
    outcomes = []
    for question, candidates, trait in zip(questions, ranked, traits, strict=True):
        decision = policy.decide(candidates[:TOP_CANDIDATES], trait)
        outcomes.append(
            Outcome(
                ranked=[c.faq_id for c in candidates],
                gold=set(question.faq_ids),
                decision=decision.kind.value,
                answered_id=decision.faq_id,
                confidence=candidates[0].score if candidates else 0.0,
                near_miss=question.near_miss,
                offered=tuple(c.faq_id for c in decision.suggestions),
            )
        )
    return outcomes


def settings_params(settings: RetrievalSettings) -> FusionParams:
    return FusionParams(settings.dense_weight, settings.answer_field_weight, settings.reading_weight)


def ablation_params(settings: RetrievalSettings) -> dict[str, FusionParams]:
    base = settings_params(settings)
    return {"hybrid": base, "dense": base.with_dense_weight(1.0), "lexical": base.with_dense_weight(0.0)}
