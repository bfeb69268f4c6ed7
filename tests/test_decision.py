import pytest

from retrieval.decision import DecisionKind, DecisionPolicy, QueryTraits, Reason, Thresholds
from retrieval.fusion import Candidate


def cands(*scores: float) -> list[Candidate]:
    return [Candidate(f"e{i}", s, s, 0.0) for i, s in enumerate(scores)]


POLICY = DecisionPolicy(Thresholds(0.8, 0.05, 0.6), Thresholds(0.5, 0.0, 0.4), suggest_max_candidates=2)
LATIN = QueryTraits(latin_script=True)


def test_answer_at_exact_thresholds() -> None:
    decision = POLICY.decide(cands(0.8, 0.75))
    assert decision.kind is DecisionKind.ANSWER
    assert decision.faq_id == "e0"
    assert decision.confidence == 0.8


def test_small_margin_suggests_instead_of_answering() -> None:
    decision = POLICY.decide(cands(0.9, 0.86, 0.7, 0.65))
    assert decision.kind is DecisionKind.SUGGEST
    assert decision.reason is Reason.AMBIGUOUS
    assert [c.faq_id for c in decision.suggestions] == ["e0", "e1"]
    assert len(decision.candidates) == 4


def test_score_just_below_answer_threshold_suggests() -> None:
    decision = POLICY.decide(cands(0.7999, 0.1))
    assert decision.kind is DecisionKind.SUGGEST
    assert decision.reason is Reason.LOW_CONFIDENCE


def test_suggestion_leaves_out_candidates_below_suggest_threshold() -> None:
    decision = POLICY.decide(cands(0.7, 0.59))
    assert [c.faq_id for c in decision.suggestions] == ["e0"]


def test_below_suggest_threshold_hands_off() -> None:
    decision = POLICY.decide(cands(0.5999, 0.2))
    assert decision.kind is DecisionKind.HANDOFF
    assert decision.faq_id is None


def test_no_candidates_hands_off_with_no_match() -> None:
    decision = POLICY.decide([])
    assert (decision.kind, decision.reason) == (DecisionKind.HANDOFF, Reason.NO_MATCH)


def test_single_candidate_margin_is_its_score() -> None:
    assert POLICY.decide(cands(0.85)).kind is DecisionKind.ANSWER


def test_thresholds_reject_suggest_above_answer() -> None:
    with pytest.raises(ValueError):
        Thresholds(answer_min_score=0.5, answer_min_margin=0.0, suggest_min_score=0.6)


def test_latin_script_questions_use_their_own_thresholds() -> None:
    assert POLICY.decide(cands(0.55, 0.2)).kind is DecisionKind.HANDOFF
    assert POLICY.decide(cands(0.55, 0.2), LATIN).kind is DecisionKind.ANSWER
    assert POLICY.decide(cands(0.45, 0.2), LATIN).kind is DecisionKind.SUGGEST


def test_latin_thresholds_default_to_japanese_ones() -> None:
    policy = DecisionPolicy(Thresholds(0.8, 0.0, 0.6))
    assert policy.decide(cands(0.7), LATIN).kind is DecisionKind.SUGGEST


def test_unknown_place_is_suggested_never_answered() -> None:
    decision = POLICY.decide(cands(0.95, 0.1), QueryTraits(unknown_place=True))
    assert decision.kind is DecisionKind.SUGGEST
    assert decision.reason is Reason.OTHER_PLACE
    assert decision.faq_id is None


def test_decision_to_dict_is_json_ready() -> None:
    data = POLICY.decide(cands(0.8, 0.1)).to_dict()
    assert data["decision"] == "ANSWER"
    assert data["faq_id"] == "e0"
    assert data["candidates"][1] == {"faq_id": "e1", "score": 0.1, "dense": 0.1, "lexical": 0.0, "reading": 0.0}
    assert data["suggestions"] == []
