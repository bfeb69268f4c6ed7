"""The quality gate of a publish: the pack's eval set asked of the candidate knowledge and of the served one.

The editor sees accuracy@1 and answer precision before and after; a drop of more than ``MAX_DROP_POINTS``
percentage points in either needs an explicit, audited confirmation. Each question goes through
``Retriever.decide`` as a citizen's would (topic menu, coverage guard, thresholds). Query vectors are
remembered by the retriever, so after the first check a run costs only the searches (a few seconds for the
Toyama set's 621 questions).

Product code (issue 18 item 6): the publish page, the console import and the app factory use it, and ``eval/``
(the publish benchmark) imports it from here. It lives in ``editor/`` because it asks ``retrieval``'s
``Retriever``, a layer below the editor; the questions and metrics it needs import nothing of the project and
live lower still, in ``knowledge.eval_set`` and ``knowledge.quality_metrics``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.eval_set import EvalQuestion, load_questions
from knowledge.quality_metrics import Outcome, decision_metrics, ranking_metrics
from retrieval.engine import Retriever

GATE_METRICS = ("accuracy_at_1", "answer_precision")
METRIC_LABELS = {"accuracy_at_1": "1位正解率 (accuracy@1)", "answer_precision": "回答の正確さ (answer precision)"}
MAX_DROP_POINTS = 2.0


@dataclass(frozen=True)
class GateResult:
    """Metrics (0-1) of the served and the candidate knowledge on the same questions."""

    questions: int
    before: dict[str, float]
    after: dict[str, float]

    def change_points(self, metric: str) -> float:
        """after - before, in percentage points."""
        return round((self.after[metric] - self.before[metric]) * 100, 1)

    @property
    def needs_confirmation(self) -> bool:
        return any(self.change_points(m) < -MAX_DROP_POINTS for m in GATE_METRICS)

    def as_dict(self) -> dict[str, object]:
        return {"questions": self.questions, "before": self.before, "after": self.after,
                "change_points": {m: self.change_points(m) for m in GATE_METRICS}}


def measure(retriever: Retriever, questions: Sequence[EvalQuestion]) -> dict[str, float]:
    """accuracy@1 and answer precision of ``retriever`` on ``questions``, decided as for a citizen."""
    outcomes = []
    for question in questions:
        decision = retriever.decide(question.text, counted=False)
        outcomes.append(Outcome(
            ranked=[c.faq_id for c in decision.candidates], gold=set(question.faq_ids),
            decision=decision.kind.value, answered_id=decision.faq_id,
            confidence=decision.candidates[0].score if decision.candidates else 0.0,
            offered=tuple(c.faq_id for c in decision.suggestions),
        ))
    metrics = {**ranking_metrics(outcomes), **decision_metrics(outcomes)}
    return {m: round(metrics[m], 4) for m in GATE_METRICS}


class QualityGate:
    """The eval set of the pack, and the served knowledge's metrics remembered per version (one run each)."""

    def __init__(self, questions: Sequence[EvalQuestion]) -> None:
        self.questions = list(questions)
        self._baselines: dict[int | None, dict[str, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_dataset(cls, dataset: Path | None) -> QualityGate | None:
        """The gate over ``dataset``'s questions (both splits: it compares versions, nothing is tuned on it);
        None when the pack has no eval set."""
        if dataset is None or not dataset.is_dir():
            return None
        questions = load_questions(dataset)
        return cls(questions) if questions else None

    def check(self, served: Retriever, served_version: int | None, candidate: Retriever) -> GateResult:
        with self._lock:  # one check at a time: each takes both cores' worth of searches
            before = self._baseline(served, served_version)
            after = measure(candidate, self.questions)
        return GateResult(len(self.questions), before, after)

    def _baseline(self, served: Retriever, served_version: int | None) -> dict[str, float]:
        before = self._baselines.get(served_version)
        if before is None:
            before = self._baselines[served_version] = measure(served, self.questions)
        return before

    def warm_in_background(self, served: Retriever, served_version: int | None) -> threading.Thread | None:
        """Measure the served knowledge now, in a thread (an editor opened the publish page), so the check on
        「公開する」 only measures the candidate: the first measure also embeds every eval question (~12 s)."""
        if served_version in self._baselines or self._lock.locked():
            return None

        def warm() -> None:
            with self._lock:
                self._baseline(served, served_version)

        thread = threading.Thread(target=warm, name="tsunagu-gate-warm", daemon=True)
        thread.start()
        return thread
