"""Run the pack's eval set: ranking and decision metrics for hybrid and the two ablations; calibration.

Each question is embedded and searched once (``Retriever.score_parts``); the modes and any parameter grid are
then different fusions of the same raw scores, which keeps a full calibration sweep to seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.db import make_engine
from eval.datasets import DEFAULT_DATASET, EvalQuestion, load_questions
from eval.metrics import Outcome, decision_metrics, ranking_metrics
from knowledge.packs import read_pack
from retrieval.cache import SqlVectorStore
from retrieval.coverage import CoverageGuard
from retrieval.decision import DecisionPolicy, QueryTraits, Thresholds
from retrieval.engine import TOP_CANDIDATES, Retriever, ScoreParts
from retrieval.factory import make_policy, make_retriever
from retrieval.fusion import Candidate, HybridFusion
from tsunagu.db import migrate
from tsunagu.settings import Settings

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


def build_pack_retriever(settings: Settings) -> Retriever:
    """A retriever over the configured pack's files, with embeddings cached in the configured database."""
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


def settings_params(settings: Settings) -> FusionParams:
    return FusionParams(settings.dense_weight, settings.answer_field_weight, settings.reading_weight)


def ablation_params(settings: Settings) -> dict[str, FusionParams]:
    base = settings_params(settings)
    return {"hybrid": base, "dense": base.with_dense_weight(1.0), "lexical": base.with_dense_weight(0.0)}


def run_pack_eval(
    settings: Settings, *, split: str = "test", questions_path: Path = DEFAULT_DATASET, report_path: Path | None = None
) -> dict[str, Any]:
    """Metrics on ``split``: the hybrid with the settings' thresholds, and ablations at dev-calibrated thresholds."""
    retriever = build_pack_retriever(settings)
    questions = load_questions(questions_path, split)
    parts, traits = score_all(retriever, questions), traits_all(retriever, questions)
    dev_questions = load_questions(questions_path, "dev")
    dev_parts = score_all(retriever, dev_questions) if split != "dev" else parts
    dev_traits = traits_all(retriever, dev_questions) if split != "dev" else traits
    from eval.calibration import calibrate_policy  # calibration builds on this module

    results: dict[str, Any] = {"set": questions_path.name, "split": split, "questions": len(questions),
                               "in_scope": sum(q.in_scope for q in questions),
                               "out_of_scope": sum(not q.in_scope for q in questions),
                               "near_misses": sum(q.near_miss for q in questions), "modes": {}}
    curves = {}
    guard = retriever.coverage if settings.coverage_guard else None
    for mode, params in ablation_params(settings).items():
        if mode == "hybrid":
            policy = make_policy(settings)
        else:
            dev_ranked = rank_all(retriever, dev_parts, params)
            policy, _ = calibrate_policy(
                dev_questions, dev_ranked, dev_traits, settings.calibration_target_precision
            )
        outcomes = outcomes_for(questions, rank_all(retriever, parts, params), policy, traits, guard)
        metrics = {**ranking_metrics(outcomes), **decision_metrics(outcomes)}
        results["modes"][mode] = {k: round(v, 4) for k, v in metrics.items()}
        curves[mode] = outcomes
    if guard is not None:  # what the coverage guard changes (retrieval/coverage.py)
        unguarded = outcomes_for(questions, rank_all(retriever, parts, settings_params(settings)),
                                 make_policy(settings), traits)
        metrics = {**ranking_metrics(unguarded), **decision_metrics(unguarded)}
        results["modes"]["hybrid_without_coverage_guard"] = {k: round(v, 4) for k, v in metrics.items()}
    results.update(results["modes"]["hybrid"])
    results["by_style"] = by_style(retriever, questions, parts, traits, settings)
    if report_path is not None:
        from eval.report import write_eval_report

        write_eval_report(report_path, results, curves)
    return results


def by_style(
    retriever: Retriever,
    questions: Sequence[EvalQuestion],
    parts: Sequence[ScoreParts],
    traits: Sequence[QueryTraits],
    settings: Settings,
) -> dict[str, dict[str, float]]:
    """Hybrid accuracy@1 and recall@3 per question style (and out-of-scope hand-off per kind)."""
    ranked = rank_all(retriever, parts, settings_params(settings))
    guard = retriever.coverage if settings.coverage_guard else None
    outcomes = outcomes_for(questions, ranked, make_policy(settings), traits, guard)
    groups: dict[str, list[Outcome]] = {}
    for question, outcome in zip(questions, outcomes, strict=True):
        key = question.style if question.in_scope else f"oos:{question.style}"
        groups.setdefault(key, []).append(outcome)
    table = {}
    for key, group in sorted(groups.items()):
        if key.startswith("oos:"):
            table[key] = {"n": len(group), **{k: round(v, 4) for k, v in decision_metrics(group).items()
                                              if k == "oos_handoff_recall"}}
        else:
            ranking = ranking_metrics(group)
            table[key] = {"n": len(group), "accuracy_at_1": round(ranking["accuracy_at_1"], 4),
                          "recall_at_3": round(ranking["recall_at_3"], 4)}
    return table
