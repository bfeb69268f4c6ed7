"""Decision policy: answer, suggest, hand off, or ask the user to rephrase.

* ``ANSWER(faq, confidence)``: the top candidate is strong and clearly ahead of the next one.
* ``SUGGEST(candidates)``: something relevant was found but not surely; the user picks ("もしかして…").
* ``HANDOFF(reason)``: nothing relevant; offer city staff.
* ``REPHRASE(reason)``: the input itself cannot be searched (empty, only emoji or symbols, far too long).

Questions typed in Latin script (English, romaji) score on a lower scale than Japanese ones, because the FAQ
is Japanese and only its question phrasings have English versions; they get their own thresholds. A question
naming a place the pack never mentions (金沢市の保育園…) is probably about another city: it is never answered
outright, at most suggested.
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
    OTHER_PLACE = "other_place"
    UNCOVERED = "uncovered"  # confident, but the best entry never mentions a content word of the question
    TOPIC = "topic"  # a bare topic word (「保育園」): its entries to choose from (retrieval.topic_menu)
    EMPTY = "empty"
    NO_TEXT = "no_text"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Decision:
    """What the bot should do with one question.

    ``candidates`` are the best entries found, best first (staff see them on a hand-off); ``suggestions`` are
    the ones to offer the user, set only for SUGGEST.
    """

    kind: DecisionKind
    reason: Reason
    confidence: float = 0.0
    faq_id: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    suggestions: list[Candidate] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "decision": self.kind.value,
            "reason": self.reason.value,
            "faq_id": self.faq_id,
            "confidence": round(self.confidence, 4),
            "candidates": [_candidate_dict(c) for c in self.candidates],
            "suggestions": [c.faq_id for c in self.suggestions],
        }


def _candidate_dict(candidate: Candidate) -> dict[str, object]:
    return {
        "faq_id": candidate.faq_id,
        "score": round(candidate.score, 4),
        "dense": round(candidate.dense, 4),
        "lexical": round(candidate.lexical, 4),
        "reading": round(candidate.reading, 4),
    }


@dataclass(frozen=True)
class QueryTraits:
    """What the policy needs to know about the question itself, besides its candidates."""

    latin_script: bool = False
    unknown_place: bool = False
    uncovered: tuple[str, ...] = ()  # content nouns the best entry does not contain (retrieval.coverage)


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs on the fused score of the best candidate and on its lead over the second.

    Args:
        answer_min_score: the top score needed to answer.
        answer_min_margin: how far the top must lead the second to answer.
        suggest_min_score: the top score needed to suggest; below it, hand off.
    """

    answer_min_score: float
    answer_min_margin: float
    suggest_min_score: float

    def __post_init__(self) -> None:
        if self.suggest_min_score > self.answer_min_score:
            raise ValueError("suggest_min_score must not be above answer_min_score")


class DecisionPolicy:
    """Turns ranked candidates into a decision.

    Args:
        thresholds: for questions with Japanese text.
        latin_thresholds: for questions in Latin script only (defaults to ``thresholds``).
        suggest_max_candidates: how many candidates a suggestion offers.
    """

    def __init__(
        self, thresholds: Thresholds, latin_thresholds: Thresholds | None = None, suggest_max_candidates: int = 3
    ) -> None:
        self.thresholds = thresholds
        self.latin_thresholds = latin_thresholds or thresholds
        self.suggest_max_candidates = suggest_max_candidates

    def decide(self, candidates: list[Candidate], traits: QueryTraits = QueryTraits()) -> Decision:
        """Decide from candidates sorted best first."""
        if not candidates:
            return Decision(DecisionKind.HANDOFF, Reason.NO_MATCH)
        limits = self.latin_thresholds if traits.latin_script else self.thresholds
        top = candidates[0]
        margin = top.score - candidates[1].score if len(candidates) > 1 else top.score
        confident = top.score >= limits.answer_min_score and margin >= limits.answer_min_margin
        if confident and not traits.unknown_place and not traits.uncovered:
            return Decision(DecisionKind.ANSWER, Reason.CONFIDENT, top.score, top.faq_id, candidates)
        if top.score >= limits.suggest_min_score:
            shortlist = [c for c in candidates if c.score >= limits.suggest_min_score]
            if confident and traits.unknown_place:
                reason = Reason.OTHER_PLACE
            elif confident:
                reason = Reason.UNCOVERED
            elif top.score >= limits.answer_min_score:
                reason = Reason.AMBIGUOUS
            else:
                reason = Reason.LOW_CONFIDENCE
            return Decision(
                DecisionKind.SUGGEST, reason, top.score, None, candidates, shortlist[: self.suggest_max_candidates]
            )
        return Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE, top.score, None, candidates)

    def __repr__(self) -> str:
        return f"DecisionPolicy({self.thresholds}, latin={self.latin_thresholds})"
