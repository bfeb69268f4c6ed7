"""Calibration on the dev split: fusion weights for the best ranking, thresholds for a target precision."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import DEFAULT_DATASET, EvalQuestion, load_questions
from eval.metrics import decision_metrics, ranking_metrics
from eval.runner import (
    NEVER_ANSWER,
    FusionParams,
    build_pack_retriever,
    outcomes_for,
    rank_all,
    score_all,
    settings_params,
    traits_all,
)
from retrieval.decision import DecisionPolicy, QueryTraits, Thresholds
from retrieval.fusion import Candidate
from tsunagu.settings import Settings


@dataclass(frozen=True)
class _Option:
    """What one threshold choice does to one group of questions."""

    thresholds: Thresholds
    answered: int
    correct: int
    answered_in_scope: int


def _group_options(
    questions: Sequence[EvalQuestion], ranked: Sequence[list[Candidate]], traits: Sequence[QueryTraits]
) -> list[_Option]:
    """Every (answer score, margin) pair worth trying, with what the policy then answers in this group."""
    options = []
    scores = sorted({round(c[0].score, 3) for c in ranked if c})
    for score, margin in itertools.product(scores, MARGINS):
        thresholds = Thresholds(score, margin, score)
        outcomes = outcomes_for(questions, ranked, DecisionPolicy(thresholds), traits)
        answered = [o for o in outcomes if o.decision == "ANSWER"]
        options.append(_Option(
            thresholds, len(answered), sum(o.answered_id in o.gold for o in answered), sum(o.in_scope for o in answered)
        ))
    return options


MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05)


def calibrate_policy(
    questions: Sequence[EvalQuestion],
    ranked: Sequence[list[Candidate]],
    traits: Sequence[QueryTraits],
    target_precision: float,
) -> tuple[DecisionPolicy, dict[str, float]]:
    """Thresholds (Japanese and Latin-script questions apart) with the highest coverage at the target precision.

    Among equal coverage the higher thresholds win (fewer out-of-scope answers). The suggest threshold sits
    0.1 of the group's score spread below the answer threshold.
    """
    groups = []
    for latin in (False, True):
        members = [i for i, t in enumerate(traits) if t.latin_script == latin]
        group_q, group_r = [questions[i] for i in members], [ranked[i] for i in members]
        group_t = [traits[i] for i in members]
        options = _group_options(group_q, group_r, group_t) or [_Option(Thresholds(1.0, 0.0, 1.0), 0, 0, 0)]
        tops = [c[0].score for c in group_r if c]
        spread = max(tops) - min(tops) if tops else 0.0
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
    return policy, decision_metrics(outcomes_for(questions, ranked, policy, traits))


def calibrate(settings: Settings, *, target_precision: float,
              questions_path: Path = DEFAULT_DATASET, tune_fusion: bool = True) -> dict[str, Any]:
    """Propose fusion parameters (best dev MRR) and thresholds (target precision) from the dev split only."""
    retriever = build_pack_retriever(settings)
    questions = load_questions(questions_path, "dev")
    parts, traits = score_all(retriever, questions), traits_all(retriever, questions)
    params = settings_params(settings)
    if tune_fusion:
        grid = itertools.product(
            (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.7, 0.8, 0.9, 1.0), (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
        )
        scored = []
        for w, a, r in grid:
            candidate = FusionParams(w, a, r)
            ranked = rank_all(retriever, parts, candidate)
            ranking = ranking_metrics(outcomes_for(questions, ranked, NEVER_ANSWER, traits))
            scored.append((ranking["mrr"], ranking["accuracy_at_1"], candidate))
        params = max(scored, key=lambda t: (t[0], t[1]))[2]
    ranked = rank_all(retriever, parts, params)
    policy, metrics = calibrate_policy(questions, ranked, traits, target_precision)
    ranking = ranking_metrics(outcomes_for(questions, ranked, policy, traits))
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
