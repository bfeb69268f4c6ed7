"""Decision policy: answer, suggest, hand off, or ask the user to rephrase.

* ``ANSWER(faq, confidence)``: the top candidate is strong and clearly ahead of the next one.
* ``SUGGEST(candidates)``: something relevant was found but not surely; the user picks ("もしかして…").
* ``HANDOFF(reason)``: nothing relevant; offer city staff.
* ``REPHRASE(reason)``: the input itself cannot be searched (empty, only emoji or symbols, far too long).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from retrieval.fusion import Candidate


class DecisionKind(StrEnum):
    ANSWER = "ANSWER"
    SUGGEST = "SUGGEST"
    HANDOFF = "HANDOFF"
    REPHRASE = "REPHRASE"


class Reason(StrEnum):
    CONFIDENT = "confident"
    AMBIGUOUS = "ambiguous"
    LOW_CONFIDENCE = "low_confidence"
    NO_MATCH = "no_match"
    EMPTY = "empty"
    NO_TEXT = "no_text"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Decision:
    """What the bot should do with one question."""

    kind: DecisionKind
    reason: Reason
    confidence: float = 0.0
    faq_id: str | None = None
    candidates: list[Candidate] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "decision": self.kind.value,
            "reason": self.reason.value,
            "faq_id": self.faq_id,
            "confidence": round(self.confidence, 4),
            "candidates": [
                {"faq_id": c.faq_id, "score": round(c.score, 4), "dense": round(c.dense, 4),
                 "lexical": round(c.lexical, 4)}
                for c in self.candidates
            ],
        }


class DecisionPolicy:
    """Thresholds on the fused score of the best candidate and its lead over the second.

    Args:
        answer_min_score: the top score needed to answer.
        answer_min_margin: how far the top must lead the second to answer.
        suggest_min_score: the top score needed to suggest; below it, hand off.
        suggest_max_candidates: how many candidates a suggestion offers.
    """

    def __init__(
        self,
        answer_min_score: float = 0.8,
        answer_min_margin: float = 0.03,
        suggest_min_score: float = 0.7,
        suggest_max_candidates: int = 3,
    ) -> None:
        if suggest_min_score > answer_min_score:
            raise ValueError("suggest_min_score must not be above answer_min_score")
        self.answer_min_score = answer_min_score
        self.answer_min_margin = answer_min_margin
        self.suggest_min_score = suggest_min_score
        self.suggest_max_candidates = suggest_max_candidates

    def decide(self, candidates: list[Candidate]) -> Decision:
        """Decide from candidates sorted best first."""
        if not candidates:
            return Decision(DecisionKind.HANDOFF, Reason.NO_MATCH)
        top = candidates[0]
        margin = top.score - candidates[1].score if len(candidates) > 1 else top.score
        if top.score >= self.answer_min_score and margin >= self.answer_min_margin:
            return Decision(DecisionKind.ANSWER, Reason.CONFIDENT, top.score, top.faq_id, candidates)
        if top.score >= self.suggest_min_score:
            shortlist = [c for c in candidates if c.score >= self.suggest_min_score][: self.suggest_max_candidates]
            reason = Reason.AMBIGUOUS if top.score >= self.answer_min_score else Reason.LOW_CONFIDENCE
            return Decision(DecisionKind.SUGGEST, reason, top.score, None, shortlist)
        return Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE, top.score, None, candidates)

    def __repr__(self) -> str:
        return (
            f"DecisionPolicy(answer_min_score={self.answer_min_score}, answer_min_margin={self.answer_min_margin}, "
            f"suggest_min_score={self.suggest_min_score})"
        )
