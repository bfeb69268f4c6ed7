"""Replies for LINE events (rendered by the LINE renderer): order of precedence, decisions, postbacks; every reply
valid for LINE."""

import pytest

from bot.conversation import TEXT, Conversation
from bot.line.messages import batch
from bot.postback import PostbackSigner
from bot.several_questions import asks_several
from bot.texts import TEXT_EN
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from retrieval.fusion import Candidate
from tests.utils.line import LineRendered
from tests.utils.openapi import errors as spec_errors

USER = "U" + "c" * 32


@pytest.fixture
def conversation(mini_retriever: Retriever) -> Conversation:
    """The conversation, its replies rendered as LINE messages."""
    return LineRendered(Conversation(mini_retriever, PostbackSigner("secret")))  # type: ignore[return-value]


def assert_valid_for_line(messages: list[dict[str, object]]) -> None:
    for group in batch(messages):
        request = {"replyToken": "r" * 32, "messages": group}
        assert spec_errors("messaging-api.yml", "ReplyMessageRequest", request) == []


def quick_labels(messages: list[dict[str, object]]) -> list[str]:
    quick = messages[-1].get("quickReply") or {"items": []}
    return [item["action"]["label"] for item in quick["items"]]  # type: ignore[index]


def test_emergency_words_come_before_everything(conversation: Conversation) -> None:
    messages = conversation.on_text(USER, "こんにちは。子どもがけいれんしてます 粗大ごみ")
    assert "119" in messages[0]["text"]
    assert len(messages) == 1
    assert_valid_for_line(messages)


def test_confident_answer_has_related_entries_and_the_way_on(conversation: Conversation) -> None:
    messages = conversation.on_text(USER, "粗大ごみの出し方を教えて")
    assert messages[0]["text"].startswith("粗大ごみは事前の申込みが必要です")
    labels = quick_labels(messages)
    assert labels[-3:] == ["解決した", "解決しない", "職員に聞く"]
    assert 1 <= len(labels) - 3 <= 2
    assert_valid_for_line(messages)


def test_answer_footer_names_the_contact_but_not_a_bare_home_page(conversation: Conversation) -> None:
    data = conversation.signer.sign(USER, "choose", "childcare-nursery-apply-period")
    messages = conversation.on_postback(USER, data)
    assert "詳しくは：" not in messages[0]["text"]  # the mini pack links only https://www.city.toyama.lg.jp/
    assert "お問い合わせ：こども家庭部の担当課にお問い合わせください。" in messages[0]["text"]


def test_suggestion_offers_candidates_and_staff(conversation: Conversation) -> None:
    decision = Decision(DecisionKind.SUGGEST, Reason.AMBIGUOUS, 0.5, None,
                        suggestions=[Candidate("childcare-nursery-apply-period", 0.5, 0.5, 0.0),
                                     Candidate("childcare-nursery-documents", 0.49, 0.5, 0.0)])
    messages = conversation.reply_to_decision(USER, decision)
    assert messages[0]["text"] == (f"{TEXT['suggest']}\n1. 保育所の入所申込みはいつからできますか？\n"
                                   "2. 保育所の入所申込みに必要な書類は何ですか？")
    assert quick_labels(messages)[-1] == "どれも違う（職員に聞く）"
    assert len(quick_labels(messages)) == 3
    assert_valid_for_line(messages)


def test_handoff_offers_yes_and_no(conversation: Conversation) -> None:
    messages = conversation.reply_to_decision(USER, Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE))
    assert messages[0]["text"] == TEXT["handoff_offer"]
    assert quick_labels(messages) == ["はい（職員に送る）", "いいえ"]
    assert_valid_for_line(messages)


@pytest.mark.parametrize(("text", "key"), [("ありがとう！", "thanks"), ("こんにちは", "greeting"),
                                           ("あ" * 1001, "too_long"), ("😭😭", "no_text")])
def test_canned_and_rephrase_replies(conversation: Conversation, text: str, key: str) -> None:
    assert conversation.on_text(USER, text)[0]["text"] == TEXT[key]


def test_question_starting_with_a_greeting_is_still_answered(conversation: Conversation) -> None:
    messages = conversation.on_text(USER, "こんにちは、粗大ごみの出し方を教えてください")
    assert messages[0]["text"] != TEXT["greeting"]


def test_follow_sends_greeting_privacy_notice_and_categories(conversation: Conversation) -> None:
    messages = conversation.on_follow(USER)
    assert "データ削除" in messages[-1]["text"]
    assert "最後のやり取りから365日" in messages[-1]["text"]
    assert quick_labels(messages) == ["子育て", "観光", "手続き"]
    assert_valid_for_line(messages)


def test_forged_postback_acts_on_nothing(conversation: Conversation) -> None:
    forged = PostbackSigner("secret").sign("U" + "d" * 32, "choose", "childcare-nursery-apply-period")
    assert conversation.on_postback(USER, forged)[0]["text"] == TEXT["unknown_postback"]
    assert conversation.on_postback(USER, "action=choose&faq=x")[0]["text"] == TEXT["unknown_postback"]


def test_solved_gets_a_fitting_reply(conversation: Conversation) -> None:
    data = conversation.signer.sign(USER, "feedback", "up:procedures-garbage-bulky")
    assert conversation.on_postback(USER, data)[0]["text"] == TEXT["solved"]


def test_non_text_messages_get_a_polite_reply(conversation: Conversation) -> None:
    assert conversation.on_non_text()[0]["text"] == TEXT["non_text"]


@pytest.mark.parametrize(("text", "several"), [
    ("保育園の申し込みいつから？見学もしたいです", True),
    ("児童手当の申請ってどこでできる? あと必要なものも教えて", True),
    ("保育園の申し込みはいつからですか？", False),
    ("保育園の申し込みはいつから？？😭", False),
    ("保育園 申し込み", False),
])
def test_asks_several_needs_words_after_a_question_mark(text: str, several: bool) -> None:
    assert asks_several(text) is several


def test_choices_for_a_message_with_several_questions_ask_for_one_at_a_time(conversation: Conversation) -> None:
    decision = Decision(DecisionKind.SUGGEST, Reason.AMBIGUOUS, 0.5, None,
                        suggestions=[Candidate("childcare-nursery-apply-period", 0.5, 0.5, 0.0)])
    several = conversation.reply_to_decision(USER, decision, question="保育園の申し込みいつから？見学もしたいです")
    single = conversation.reply_to_decision(USER, decision, question="保育園の申し込みはいつから？")
    listed = "1. 保育所の入所申込みはいつからできますか？"
    assert several[0]["text"] == f"{TEXT['suggest']}\n{TEXT['one_at_a_time']}\n{listed}"
    assert single[0]["text"] == f"{TEXT['suggest']}\n{listed}"
    english = conversation.reply_to_decision(USER, decision, question="When can I apply? And where?")
    assert english[0]["text"].split("\n")[1] == TEXT_EN["one_at_a_time"]
    assert_valid_for_line(several)
