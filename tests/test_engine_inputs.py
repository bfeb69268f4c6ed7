"""Odd input never raises; each kind gets a defined decision."""

import pytest

from retrieval.decision import DecisionKind, Reason
from retrieval.engine import Retriever


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", Reason.EMPTY), ("   \n\t　", Reason.EMPTY), ("\u0000\u0007\u200b", Reason.EMPTY),
     ("😭🙏✨", Reason.NO_TEXT), ("！？…", Reason.NO_TEXT), ("あ" * 10_000, Reason.TOO_LONG)],
)
def test_unsearchable_input_asks_to_rephrase(mini_retriever: Retriever, text: str, reason: Reason) -> None:
    decision = mini_retriever.decide(text)
    assert decision.kind is DecisionKind.REPHRASE
    assert decision.reason is reason


@pytest.mark.parametrize(
    "text", ["How do I ride the tram?", "保育園のapplicationはいつ？😊", "子ども\u0000手当", "ｶﾞｰﾃﾞﾝ 🌸 ＡＢＣ"]
)
def test_mixed_scripts_english_and_control_characters_get_a_decision(mini_retriever: Retriever, text: str) -> None:
    decision = mini_retriever.decide(text)
    assert decision.kind in (DecisionKind.ANSWER, DecisionKind.SUGGEST, DecisionKind.HANDOFF)


def test_clear_question_is_answered(mini_retriever: Retriever) -> None:
    decision = mini_retriever.decide("粗大ごみの出し方を教えて")
    assert decision.kind is DecisionKind.ANSWER
    assert decision.faq_id == "procedures-garbage-bulky"


def test_unrelated_question_is_not_answered(mini_retriever: Retriever) -> None:
    decision = mini_retriever.decide("明日の天気は晴れますか")
    assert decision.kind is not DecisionKind.ANSWER


def test_question_about_a_place_the_pack_never_mentions_is_not_answered(mini_retriever: Retriever) -> None:
    assert mini_retriever.decide("粗大ごみの出し方を教えて").kind is DecisionKind.ANSWER
    decision = mini_retriever.decide("金沢市の粗大ごみの出し方を教えて")
    assert decision.kind is not DecisionKind.ANSWER
    assert mini_retriever.traits("金沢市の粗大ごみ").unknown_place
    assert not mini_retriever.traits("粗大ごみ").unknown_place
