"""Choices stay visible (issue 17 item 6): the 「もしかして」 text lists the numbered choices, English answers come
short first with 「More details」 and English labels, 「解決した」 gets a fitting reply, and the topic page shows
under the short answer too."""

from __future__ import annotations

from typing import Any

from bot.answers import SHORT_ENGLISH_CHARS, AnswerView, short_english, split_language
from bot.conversation import TEXT, Conversation
from bot.texts import TEXT_EN
from knowledge.schema import FaqEntryData
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from retrieval.fusion import Candidate
from tests.test_line_client import FakeMessagingApi, assert_requests_match_spec
from tests.test_worker import SIGNER, USER, Bot, send, tap
from tests.utils.line import LineRendered

LONG_EN = ("You can apply from October for April. Bring the application form and a work certificate. "
           "Applications for other months close on the 10th of the month before. "
           "Ask the childcare section if your situation is special.")
ENTRY = FaqEntryData(
    id="childcare-y", category="childcare", question="保育所の入所申込みはいつからできますか？",
    label="入所申込みの時期", label_en="When to apply", short_answer="4月入所は10月から申し込めます。",
    answer="4月からの入所は、前年の10月から申し込めます。年度途中の入所は、入所希望月の前月10日までです。",
    answer_en=LONG_EN, source_url="https://www.city.toyama.lg.jp/kurashi/kosodate/hoiku.html",
    questions_en=["When can I apply for a nursery school?"],
)
OTHER = ENTRY.model_copy(update={"id": "childcare-z", "question": "保育料はいくらですか？", "label": "保育料",
                                 "label_en": None, "questions_en": ["How much is the nursery fee?"]})


def labels(messages: list[dict[str, Any]]) -> list[str]:
    return [item["action"]["label"] for item in messages[-1]["quickReply"]["items"]]


def test_suggestions_list_the_numbered_choices_in_the_text(mini_retriever: Retriever) -> None:
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    decision = Decision(DecisionKind.SUGGEST, Reason.AMBIGUOUS, 0.5, None,
                        suggestions=[Candidate("childcare-nursery-apply-period", 0.5, 0.5, 0.0),
                                     Candidate("childcare-nursery-documents", 0.49, 0.5, 0.0)])
    [message] = conversation.reply_to_decision(USER, decision, "保育園")
    lines = message["text"].split("\n")
    entries = mini_retriever.entries
    assert lines == [TEXT["suggest"], f"1. {entries['childcare-nursery-apply-period'].question}",
                     f"2. {entries['childcare-nursery-documents'].question}"]
    assert len(labels([message])) == 3  # two choices and 「どれも違う（職員に聞く）」


def test_a_long_english_answer_comes_short_first_with_more_details() -> None:
    view = LineRendered(AnswerView(SIGNER, {ENTRY.id: ENTRY}))
    [first] = view.first(USER, ENTRY, english=True)
    short = short_english(LONG_EN)
    assert short == ("You can apply from October for April. Bring the application form and a work certificate. "
                     "Applications for other months close on the 10th of the month before.")
    assert len(short) <= SHORT_ENGLISH_CHARS
    assert first["text"] == f"{short}\n\nDetails: {ENTRY.source_url}"
    assert labels([first])[0] == "More details"
    more = SIGNER.verify(USER, first["quickReply"]["items"][0]["action"]["data"])
    assert more is not None and (more.action, split_language(more.argument)) == ("more", (ENTRY.id, True))
    [full] = view.full(USER, ENTRY, english=True)
    assert full["text"].startswith(LONG_EN)


def test_a_short_english_answer_is_shown_whole_and_one_long_sentence_is_cut() -> None:
    assert short_english("Apply at the city hall.") is None
    cut = short_english("x" * 400 + ". Then more.")
    assert cut is not None and len(cut) == SHORT_ENGLISH_CHARS and cut.endswith("…")


def test_english_buttons_use_the_english_label_else_the_english_question() -> None:
    view = LineRendered(AnswerView(SIGNER, {ENTRY.id: ENTRY, OTHER.id: OTHER}))
    assert view.choice(USER, "choose", ENTRY.id, english=True).label == "When to apply"
    assert view.choice(USER, "choose", OTHER.id, english=True).label == "How much is the nur…"
    assert view.choice(USER, "choose", ENTRY.id).label == "入所申込みの時期"


def test_the_japanese_short_answer_shows_the_topic_page() -> None:
    [first] = LineRendered(AnswerView(SIGNER, {ENTRY.id: ENTRY})).first(USER, ENTRY)
    assert first["text"] == f"{ENTRY.short_answer}\n\n詳しくは：{ENTRY.source_url}"
    assert labels([first])[0] == "くわしく見る"


def test_solved_gets_a_fitting_reply_in_the_readers_language(sqlite_url: str, mini_retriever: Retriever) -> None:
    bot = Bot(sqlite_url, mini_retriever, FakeMessagingApi())
    send(bot, "q", "粗大ごみの出し方を教えて")
    solved = next(item["action"]["data"] for item in bot.api.calls[-1][1]["messages"][-1]["quickReply"]["items"]
                  if item["action"]["label"] == "解決した")
    tap(bot, "up", solved)
    assert bot.texts_sent()[-1] == TEXT["solved"] != TEXT["feedback_thanks"]
    english = LineRendered(Conversation(mini_retriever, SIGNER)).on_postback(USER, SIGNER.sign(USER, "feedback",
                                                                                   "up:en:procedures-garbage-bulky"))
    assert english[0]["text"] == TEXT_EN["solved"]
    assert_requests_match_spec(bot.api)
