"""Calibration on the dev split: fusion weights for the best ranking, thresholds for a target precision."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eval.datasets import DEFAULT_DATASET, EvalQuestion, load_questions
from eval.metrics import decision_metrics, ranking_metrics
from eval.scoring import (
    NEVER_ANSWER,
    FusionParams,
    build_pack_retriever,
    guarded_traits,
    outcomes_for,
    rank_all,
    score_all,
    settings_params,
    traits_all,
)
from eval.settings import EvalSettings, Migrate
from retrieval.decision import DecisionPolicy, QueryTraits, Thresholds
from retrieval.fusion import Candidate


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


def with_suggest_thresholds(
    policy: DecisionPolicy,
    questions: Sequence[EvalQuestion],
    ranked: Sequence[list[Candidate]],
    traits: Sequence[QueryTraits],
    max_unrelated_suggest: float,
) -> DecisionPolicy:
    """``policy`` with each script group's suggest threshold as low as unrelated questions allow.

    Choices (「もしかして…」) cost a citizen one tap when the right entry is among them, so a lower suggest
    threshold helps in-scope questions; but an unrelated question (weather, shopping) offered FAQ entries looks
    broken. The threshold is the lowest top score at which at most ``max_unrelated_suggest`` of the group's
    unrelated questions (out of scope and not a near miss) would be offered choices; a group without unrelated
    questions keeps the policy's own threshold.
    """
    chosen = []
    for latin, limits in ((False, policy.thresholds), (True, policy.latin_thresholds)):
        tops = sorted((c[0].score for q, c, t in zip(questions, ranked, traits, strict=True)
                       if c and t.latin_script == latin and not q.in_scope and not q.near_miss), reverse=True)
        if not tops:
            chosen.append(limits)
            continue
        allowed = int(max_unrelated_suggest * len(tops))  # unrelated questions that may score at or above it
        floor = tops[allowed] + 1e-6 if allowed < len(tops) else 0.0
        chosen.append(replace(limits, suggest_min_score=min(max(floor, 0.0), limits.answer_min_score)))
    return DecisionPolicy(chosen[0], chosen[1], policy.suggest_max_candidates)


def calibrate(settings: EvalSettings, *, migrate: Migrate, target_precision: float,
              question_sets: Sequence[Path] = (DEFAULT_DATASET,), tune_fusion: bool = True,
              max_unrelated_suggest: float = 0.4) -> dict[str, Any]:
    """Propose fusion parameters (best dev MRR) and thresholds (target precision) from dev splits only.

    The dev splits of all ``question_sets`` are pooled: the pack's own set (written from the entries) rewards
    answering, the blind set (written without seeing them, with near misses) punishes answering a neighbour's
    entry, and a city needs both. With the coverage guard on, its downgrades count as they would in use.
    The suggest thresholds then follow ``with_suggest_thresholds``. ``migrate`` prepares the schema of the
    settings' database (the vector cache).
    """
    retriever = build_pack_retriever(settings, migrate)
    questions = [q for path in question_sets for q in load_questions(path, "dev")]
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
    if settings.coverage_guard:
        traits = guarded_traits(retriever.coverage, questions, ranked, traits)
    policy, _ = calibrate_policy(questions, ranked, traits, target_precision)
    policy = with_suggest_thresholds(policy, questions, ranked, traits, max_unrelated_suggest)
    outcomes = outcomes_for(questions, ranked, policy, traits)
    ranking, metrics = ranking_metrics(outcomes), decision_metrics(outcomes)
    return {
        "split": "dev",
        "question_sets": [path.name for path in question_sets],
        "questions": len(questions),
        "coverage_guard": settings.coverage_guard,
        "target_precision": target_precision,
        "max_unrelated_suggest": max_unrelated_suggest,
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
