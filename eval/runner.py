"""Run the pack's eval set: ranking and decision metrics for hybrid and the two ablations; calibration.

Each question is embedded and searched once (``Retriever.score_parts``); the modes and any parameter grid are
then different fusions of the same raw scores, which keeps a full calibration sweep to seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


from eval.datasets import DEFAULT_DATASET, EvalQuestion, load_questions
from eval.metrics import Outcome, decision_metrics, ranking_metrics
from knowledge.packs import read_pack
from retrieval.cache import SqlVectorStore
from retrieval.decision import DecisionPolicy, Thresholds
from retrieval.engine import Retriever, ScoreParts
from retrieval.factory import make_policy, make_retriever
from retrieval.fusion import Candidate, HybridFusion
from retrieval.normalize import is_latin_script

NEVER_ANSWER = DecisionPolicy(Thresholds(2.0, 0.0, 2.0))
from tsunagu.db import make_engine, migrate
from tsunagu.settings import Settings


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
    retriever = make_retriever(settings, synonyms=pack.synonyms, store=SqlVectorStore(make_engine(settings.database_url)))
    retriever.build(pack.entries)
    return retriever


def score_all(retriever: Retriever, questions: Sequence[EvalQuestion]) -> list[ScoreParts]:
    return [retriever.score_parts(q.text) for q in questions]


def rank_all(retriever: Retriever, parts: Sequence[ScoreParts], params: FusionParams) -> list[list[Candidate]]:
    """Fused candidates (top 10) of every question under one set of fusion parameters."""
    return [retriever.combine(p, params.fusion(), params.answer_field_weight)[:10] for p in parts]


def outcomes_for(
    questions: Sequence[EvalQuestion], ranked: Sequence[list[Candidate]], policy: DecisionPolicy
) -> list[Outcome]:
    """Decisions and rankings for every question under one policy."""
    outcomes = []
    for question, candidates in zip(questions, ranked, strict=True):
        decision = policy.decide(candidates[:5], latin_script=is_latin_script(question.text))
        outcomes.append(
            Outcome(
                ranked=[c.faq_id for c in candidates],
                gold=set(question.faq_ids),
                decision=decision.kind.value,
                answered_id=decision.faq_id,
                confidence=candidates[0].score if candidates else 0.0,
            )
        )
    return outcomes


def settings_params(settings: Settings) -> FusionParams:
    return FusionParams(settings.dense_weight, settings.answer_field_weight, settings.reading_weight)


def ablation_params(settings: Settings) -> dict[str, FusionParams]:
    base = settings_params(settings)
    return {"hybrid": base, "dense": base.with_dense_weight(1.0), "lexical": base.with_dense_weight(0.0)}


@dataclass(frozen=True)
class _Option:
    """What one threshold choice does to one group of questions."""

    thresholds: Thresholds
    answered: int
    correct: int
    answered_in_scope: int


def _group_options(questions: Sequence[EvalQuestion], ranked: Sequence[list[Candidate]]) -> list[_Option]:
    options = []
    scores = sorted({round(c[0].score, 3) for c in ranked if c})
    for score, margin in itertools.product(scores, MARGINS):
        answered = correct = answered_in = 0
        for question, candidates in zip(questions, ranked, strict=True):
            if not candidates:
                continue
            lead = candidates[0].score - candidates[1].score if len(candidates) > 1 else candidates[0].score
            if candidates[0].score >= score and lead >= margin:
                answered += 1
                correct += candidates[0].faq_id in question.faq_ids
                answered_in += question.in_scope
        options.append(_Option(Thresholds(score, margin, score), answered, correct, answered_in))
    return options


MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05)


def calibrate_policy(
    questions: Sequence[EvalQuestion], ranked: Sequence[list[Candidate]], target_precision: float
) -> tuple[DecisionPolicy, dict[str, float]]:
    """Thresholds (Japanese and Latin-script questions apart) with the highest coverage at the target precision.

    Among equal coverage the higher thresholds win (fewer out-of-scope answers). The suggest threshold sits
    0.1 of the group's score spread below the answer threshold.
    """
    latin = [is_latin_script(q.text) for q in questions]
    groups = []
    for want in (False, True):
        group_q = [q for q, is_latin in zip(questions, latin, strict=True) if is_latin == want]
        group_r = [r for r, is_latin in zip(ranked, latin, strict=True) if is_latin == want]
        options = _group_options(group_q, group_r) or [_Option(Thresholds(1.0, 0.0, 1.0), 0, 0, 0)]
        spread = max((c[0].score for c in group_r if c), default=1.0) - min((c[0].score for c in group_r if c), default=0.0)
        groups.append((options, spread))
    n_in = sum(q.in_scope for q in questions) or 1
    best: tuple[tuple[float, float], _Option, _Option] | None = None
    for japanese, roman in itertools.product(groups[0][0], groups[1][0]):
        answered = japanese.answered + roman.answered
        correct = japanese.correct + roman.correct
        if answered and correct / answered < target_precision:
            continue
        key = ((japanese.answered_in_scope + roman.answered_in_scope) / n_in,
               japanese.thresholds.answer_min_score + roman.thresholds.answer_min_score)
        if best is None or key > best[0]:
            best = (key, japanese, roman)
    if best is None:
        never = Thresholds(2.0, 0.0, 2.0)
        return DecisionPolicy(never, never), {"coverage": 0.0, "answer_precision": 1.0}
    chosen = []
    for option, (_, spread) in zip(best[1:], groups, strict=True):
        t = option.thresholds
        chosen.append(Thresholds(t.answer_min_score, t.answer_min_margin, t.answer_min_score - 0.1 * spread))
    policy = DecisionPolicy(chosen[0], chosen[1])
    return policy, decision_metrics(outcomes_for(questions, ranked, policy))


def run_pack_eval(
    settings: Settings, *, split: str = "test", questions_path: Path = DEFAULT_DATASET, report_path: Path | None = None
) -> dict[str, Any]:
    """Metrics on ``split``: the hybrid with the settings' thresholds, and ablations at dev-calibrated thresholds."""
    retriever = build_pack_retriever(settings)
    questions = load_questions(questions_path, split)
    parts = score_all(retriever, questions)
    dev_questions = load_questions(questions_path, "dev")
    dev_parts = score_all(retriever, dev_questions) if split != "dev" else parts
    results: dict[str, Any] = {"split": split, "questions": len(questions),
                               "in_scope": sum(q.in_scope for q in questions),
                               "out_of_scope": sum(not q.in_scope for q in questions), "modes": {}}
    curves = {}
    for mode, params in ablation_params(settings).items():
        if mode == "hybrid":
            policy = make_policy(settings)
        else:
            dev_ranked = rank_all(retriever, dev_parts, params)
            policy, _ = calibrate_policy(dev_questions, dev_ranked, settings.calibration_target_precision)
        outcomes = outcomes_for(questions, rank_all(retriever, parts, params), policy)
        metrics = {**ranking_metrics(outcomes), **decision_metrics(outcomes)}
        results["modes"][mode] = {k: round(v, 4) for k, v in metrics.items()}
        curves[mode] = outcomes
    results.update(results["modes"]["hybrid"])
    results["by_style"] = by_style(retriever, questions, parts, settings)
    if report_path is not None:
        from eval.report import write_eval_report

        write_eval_report(report_path, results, curves)
    return results


def by_style(
    retriever: Retriever, questions: Sequence[EvalQuestion], parts: Sequence[ScoreParts], settings: Settings
) -> dict[str, dict[str, float]]:
    """Hybrid accuracy@1 and recall@3 per question style (and out-of-scope hand-off per kind)."""
    outcomes = outcomes_for(questions, rank_all(retriever, parts, settings_params(settings)), make_policy(settings))
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


def calibrate(settings: Settings, *, target_precision: float,
              questions_path: Path = DEFAULT_DATASET, tune_fusion: bool = True) -> dict[str, Any]:
    """Propose fusion parameters (best dev MRR) and thresholds (target precision) from the dev split only."""
    retriever = build_pack_retriever(settings)
    questions = load_questions(questions_path, "dev")
    parts = score_all(retriever, questions)
    params = settings_params(settings)
    if tune_fusion:
        grid = itertools.product(
            (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.7, 0.8, 0.9, 1.0), (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
        )
        scored = []
        for w, a, r in grid:
            candidate = FusionParams(w, a, r)
            ranked = rank_all(retriever, parts, candidate)
            ranking = ranking_metrics(outcomes_for(questions, ranked, NEVER_ANSWER))
            scored.append((ranking["mrr"], ranking["accuracy_at_1"], candidate))
        params = max(scored, key=lambda t: (t[0], t[1]))[2]
    ranked = rank_all(retriever, parts, params)
    policy, metrics = calibrate_policy(questions, ranked, target_precision)
    ranking = ranking_metrics(outcomes_for(questions, ranked, policy))
    return {
        "split": "dev",
        "target_precision": target_precision,
        "proposed_settings": {
            "TSUNAGU_DENSE_WEIGHT": params.dense_weight,
            "TSUNAGU_ANSWER_FIELD_WEIGHT": params.answer_field_weight,
            "TSUNAGU_READING_WEIGHT": params.reading_weight,
            "TSUNAGU_ANSWER_MIN_SCORE": round(policy.thresholds.answer_min_score, 4),
            "TSUNAGU_ANSWER_MIN_MARGIN": policy.thresholds.answer_min_margin,
            "TSUNAGU_SUGGEST_MIN_SCORE": round(policy.thresholds.suggest_min_score, 4),
            "TSUNAGU_LATIN_ANSWER_MIN_SCORE": round(policy.latin_thresholds.answer_min_score, 4),
            "TSUNAGU_LATIN_ANSWER_MIN_MARGIN": policy.latin_thresholds.answer_min_margin,
            "TSUNAGU_LATIN_SUGGEST_MIN_SCORE": round(policy.latin_thresholds.suggest_min_score, 4),
        },
        "dev_metrics": {**{k: round(v, 4) for k, v in ranking.items()}, **{k: round(v, 4) for k, v in metrics.items()}},
    }
