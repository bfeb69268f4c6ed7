"""How an entry is shown (bot/answers.py): short answer first, full text on 「くわしく見る」, topic links only,
English for English questions; every message valid for LINE."""

from __future__ import annotations

import pytest

from bot.answers import JAPANESE_ONLY_NOTE, AnswerView, answer_text, is_topic_page, split_language
from bot.conversation import Conversation
from bot.postback import PostbackSigner
from bot.texts import LABELS_EN, TEXT_EN
from knowledge.schema import FaqEntryData
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from retrieval.fusion import Candidate
from tests.test_conversation import USER, assert_valid_for_line, quick_labels
from tests.utils.line import LineRendered

SIGNER = PostbackSigner("secret")
ENTRY = FaqEntryData(
    id="childcare-x", category="childcare", question="保育所（保育園）の入所申込みに必要な書類は何ですか？",
    label="入所申込みの書類", short_answer="申込書と、保護者の就労証明書などが必要です。",
    answer="入所の申込みには、申込書のほか、保護者が保育を必要とすることを確かめる書類（就労証明書など）が必要です。",
    answer_en="To apply, you need the application form and a document showing why childcare is needed.",
    source_url="https://www.city.toyama.lg.jp/kurashi/kosodate/hoiku.html", contact="こども家庭部の担当課",
    questions_en=["What documents do I need to apply for a nursery school?"],
)


@pytest.mark.parametrize(("url", "topic"), [
    ("https://www.city.toyama.lg.jp/", False), ("https://www.city.toyama.lg.jp", False),
    ("https://www.city.toyama.lg.jp/index.html", False), (None, False),
    ("https://www.city.toyama.lg.jp/kurashi/kosodate/hoiku.html", True), ("https://www.cfa.go.jp/policies/", True),
])
def test_only_pages_about_a_topic_are_linked(url: str | None, topic: bool) -> None:
    assert is_topic_page(url) is topic
    entry = ENTRY.model_copy(update={"source_url": url})
    assert ("詳しくは：" in answer_text(entry)) is topic


def test_the_short_answer_comes_first_and_more_gives_the_full_text() -> None:
    view = LineRendered(AnswerView(SIGNER, {ENTRY.id: ENTRY}))
    first = view.first(USER, ENTRY)
    assert first[0]["text"] == f"{ENTRY.short_answer}\n\n詳しくは：{ENTRY.source_url}"  # the page, before more
    assert quick_labels(first) == ["くわしく見る", "解決した", "解決しない", "職員に聞く"]
    more = first[-1]["quickReply"]["items"][0]["action"]["data"]
    postback = SIGNER.verify(USER, more)
    assert postback is not None and (postback.action, split_language(postback.argument)) == ("more", (ENTRY.id,
                                                                                                     False))
    full = view.full(USER, ENTRY)
    assert full[0]["text"].startswith(ENTRY.answer) and "お問い合わせ：こども家庭部の担当課" in full[0]["text"]
    assert_valid_for_line(first)
    assert_valid_for_line(full)


def test_an_entry_without_a_short_answer_is_shown_in_full() -> None:
    entry = ENTRY.model_copy(update={"short_answer": None})
    messages = LineRendered(AnswerView(SIGNER, {entry.id: entry})).first(USER, entry)
    assert messages[0]["text"].startswith(entry.answer)
    assert "くわしく見る" not in quick_labels(messages)


def test_english_gets_the_english_answer_or_says_it_is_japanese_only() -> None:
    view = LineRendered(AnswerView(SIGNER, {ENTRY.id: ENTRY}))
    english = view.first(USER, ENTRY, english=True)
    assert english[0]["text"].startswith(ENTRY.answer_en or "")
    assert quick_labels(english) == ["Solved", "Not solved", "Ask city staff"]
    no_english = ENTRY.model_copy(update={"answer_en": None})
    fallback = LineRendered(AnswerView(SIGNER, {ENTRY.id: no_english})).first(USER, no_english, english=True)
    assert fallback[0]["text"].startswith(JAPANESE_ONLY_NOTE + no_english.answer)
    assert_valid_for_line(english)
    assert_valid_for_line(fallback)


def test_choices_use_the_short_label_and_english_phrasings_for_english() -> None:
    view = LineRendered(AnswerView(SIGNER, {ENTRY.id: ENTRY}))
    assert view.choice(USER, "choose", ENTRY.id).label == "入所申込みの書類"
    english = view.choice(USER, "choose", ENTRY.id, english=True)
    assert english.label == "What documents do I…" and len(english.label) <= 20
    untitled = ENTRY.model_copy(update={"label": None})
    assert LineRendered(AnswerView(SIGNER, {ENTRY.id: untitled})).choice(USER, "choose", ENTRY.id).label == \
        "保育所（保育園）の入所申込みに必要な書…"


def test_an_english_question_gets_english_texts_for_every_decision(mini_retriever: Retriever) -> None:
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    question = "When can I apply for a nursery school?"
    faq_id = "childcare-nursery-apply-period"
    answer = conversation.reply_to_decision(
        USER, Decision(DecisionKind.ANSWER, Reason.CONFIDENT, 0.9, faq_id, candidates=[Candidate(faq_id, 0.9, 0.9,
                                                                                                  0.9)]), question)
    assert quick_labels(answer)[-3:] == ["Solved", "Not solved", "Ask city staff"]
    suggest = conversation.reply_to_decision(
        USER, Decision(DecisionKind.SUGGEST, Reason.AMBIGUOUS, 0.5, None, suggestions=[Candidate(faq_id, 0.5, 0.5,
                                                                                                   0.0)]), question)
    assert suggest[0]["text"].startswith(TEXT_EN["suggest"] + "\n1. ")
    assert quick_labels(suggest)[-1] == LABELS_EN["handoff_none_fit"]
    handoff = conversation.reply_to_decision(USER, Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE), question)
    assert handoff[0]["text"] == TEXT_EN["handoff_offer"]
    assert quick_labels(handoff) == [LABELS_EN["handoff_yes"], LABELS_EN["no"]]
    for messages in (answer, suggest, handoff):
        assert_valid_for_line(messages)
