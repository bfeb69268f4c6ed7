"""Run the pack's eval set: ranking and decision metrics for hybrid and the two ablations.

Each question is embedded and searched once (``eval.scoring``); the modes are then different fusions of the same
raw scores, and the ablations' thresholds are calibrated on the dev split (``eval.calibration``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.calibration import calibrate_policy
from eval.datasets import DEFAULT_DATASET, EvalQuestion, load_questions
from eval.metrics import Outcome, decision_metrics, ranking_metrics
from eval.scoring import (
    ablation_params,
    build_pack_retriever,
    outcomes_for,
    rank_all,
    score_all,
    settings_params,
    traits_all,
)
from eval.settings import EvalSettings, Migrate
from retrieval.decision import QueryTraits
from retrieval.engine import Retriever, ScoreParts
from retrieval.factory import make_policy
from retrieval.settings import RetrievalSettings


def run_pack_eval(
    settings: EvalSettings, *, migrate: Migrate, split: str = "test", questions_path: Path = DEFAULT_DATASET,
    report_path: Path | None = None,
) -> dict[str, Any]:
    """Metrics on ``split``: the hybrid with the settings' thresholds, and ablations at dev-calibrated thresholds.
    ``migrate`` prepares the schema of the settings' database (the vector cache)."""
    retriever = build_pack_retriever(settings, migrate)
    questions = load_questions(questions_path, split)
    parts, traits = score_all(retriever, questions), traits_all(retriever, questions)
    dev_questions = load_questions(questions_path, "dev")
    dev_parts = score_all(retriever, dev_questions) if split != "dev" else parts
    dev_traits = traits_all(retriever, dev_questions) if split != "dev" else traits

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
    settings: RetrievalSettings,
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
