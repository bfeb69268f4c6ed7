"""No city matter is refused without a way to a person (issue 17 item 2).

A question about the city's services the bot cannot answer gets the staff offer and is kept for editors
(``no_answer``); only clearly unrelated messages get the scope reply, and that reply ends with 「職員に聞く」, which
sends the question to staff like 「はい」. A question in a language the bot does not speak gets a short reply in
that language with the staff offer. Analytics counts refusals, offers and real hand-offs apart.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlmodel import Session

from analytics.queries import Period, staff_paths
from bot.conversation import TEXT, Conversation, ReplyKind
from bot.interactions import Interaction
from bot.scope import clearly_unrelated, offers_staff
from eval.blind_sets import split_of as blind_split
from eval.datasets import split_of as pack_split
from eval.scope_eval import run_scope_eval, scope_messages, summarize
from eval.settings import EvalSettings
from handoff.models import Ticket
from knowledge.unanswered import UnansweredQuestion
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from tests.test_conversation_flows import last_items
from tests.test_line_client import FakeMessagingApi, assert_requests_match_spec
from tests.test_worker import SIGNER, USER, Bot, send, tap
from tests.utils.line import LineRendered
from tsunagu.db import migrate

NOTHING_FOUND = Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE)
CITY_MATTERS = [
    "公園の遊具が壊れとるんやけど誰に言えばいい？",
    "子どもの自転車ヘルメット補助ってある？",
    "子どもの夜泣きがひどくて眠れません",
    "離乳食っていつから始めればいい？",
    "じょせつ いつ きますか",
    "図書館のカード なくした",
]
UNRELATED = ["明日の天気は？", "おすすめのケーキ屋さん", "tell me a joke", "新潟市役所の窓口はどこ？",
             "しりとりしよ", "ひまー"]


@pytest.fixture
def bot(sqlite_url: str, mini_retriever: Retriever) -> Bot:
    return Bot(sqlite_url, mini_retriever, FakeMessagingApi())


@pytest.mark.parametrize("question", CITY_MATTERS)
def test_a_city_matter_the_pack_cannot_answer_gets_the_staff_offer(mini_retriever: Retriever, question: str) -> None:
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    messages = conversation.reply_to_decision(USER, NOTHING_FOUND, question)
    assert messages[0]["text"] == TEXT["handoff_offer"]
    assert offers_staff(question, other_place=False) and not clearly_unrelated(question)


@pytest.mark.parametrize("question", UNRELATED)
def test_only_clearly_unrelated_messages_get_the_scope_reply(mini_retriever: Retriever, question: str) -> None:
    conversation = LineRendered(Conversation(mini_retriever, SIGNER))
    messages = conversation.reply_to_decision(USER, NOTHING_FOUND, question)
    assert "職員に聞く" in messages[0]["text"] or "Ask city staff" in messages[0]["text"]
    assert not offers_staff(question, other_place="新潟" in question)


def test_a_message_of_no_known_kind_gets_the_staff_offer_when_in_doubt() -> None:
    assert offers_staff("うちの町内の集会所の鍵は誰が持ってるの", other_place=False)


def test_the_scope_reply_ends_with_ask_staff_which_sends_the_question(bot: Bot) -> None:
    send(bot, "q", "明日の天気は晴れますか")
    assert bot.texts_sent()[-1] == TEXT["out_of_scope"]
    ask = last_items(bot)[-1]
    assert ask["label"] == "職員に聞く"
    tap(bot, "ask", ask["data"])
    [ticket] = bot.rows(Ticket)
    assert ticket.question == "明日の天気は晴れますか"
    assert f"受付番号 {ticket.id}" in bot.texts_sent()[-1]
    assert_requests_match_spec(bot.api)


def test_a_staff_offer_keeps_the_question_for_editors_masked(bot: Bot) -> None:
    question = "公園の遊具が壊れとるんやけど誰に言えばいい？電話は090-1234-5678です"
    send(bot, "q", question)
    assert bot.texts_sent()[-1] == TEXT["handoff_offer"]
    [row] = bot.rows(UnansweredQuestion)
    assert (row.reason, row.status, row.line_user_id) == ("no_answer", "open", USER)
    assert "090-1234-5678" not in row.text and row.text.startswith("公園の遊具が壊れとる")
    send(bot, "q2", question)  # asked again: still one row
    assert len(bot.rows(UnansweredQuestion)) == 1


def test_an_unrelated_message_is_not_kept_for_editors(bot: Bot) -> None:
    send(bot, "q", "明日の天気は晴れますか")
    assert bot.rows(UnansweredQuestion) == []


@pytest.mark.parametrize(("question", "code", "yes"), [
    ("我想让孩子上保育园，需要准备什么材料？", "zh", "是，转给工作人员"),
    ("Tôi muốn đăng ký cho con đi nhà trẻ thì phải làm sao?", "vi", "Có, hỏi nhân viên"),
])
def test_a_question_in_another_language_gets_a_reply_in_it_with_the_staff_offer(
        bot: Bot, question: str, code: str, yes: str) -> None:
    send(bot, "q", question)
    text = bot.texts_sent()[-1]
    assert "ごめんなさい" not in text and "Sorry, I cannot answer" not in text
    assert "Shall we send your question to city staff?" in text  # the English line under the reply
    labels = [a["label"] for a in last_items(bot)]
    assert labels[0] == yes and len(labels) == 2
    [row] = bot.rows(UnansweredQuestion)
    assert row.reason == "no_answer"
    languages = [(i.kind, i.language) for i in bot.rows(Interaction)]
    assert ("staff_offered", code) in languages
    tap(bot, "yes", last_items(bot)[0]["data"])
    [ticket] = bot.rows(Ticket)
    assert ticket.question == question
    assert_requests_match_spec(bot.api)


def test_refusals_offers_and_real_hand_offs_are_counted_apart(bot: Bot) -> None:
    send(bot, "w1", "明日の天気は晴れますか")  # refused (scope reply)
    send(bot, "c1", "公園の遊具が壊れとるんやけど誰に言えばいい？")  # offered
    send(bot, "c2", "道路に穴があいてる")  # offered, then sent
    tap(bot, "yes", last_items(bot)[0]["data"])
    kinds = Counter(i.kind for i in bot.rows(Interaction))
    assert (kinds["scope_reply"], kinds["staff_offered"], kinds["handoff_sent"]) == (1, 2, 1)
    with Session(bot.engine) as session:
        paths = staff_paths(session, Period.last(30, dt.datetime.now(dt.UTC)))
    assert (paths.refused, paths.offered, paths.handed_off) == (1, 2, 1)


def test_scope_eval_counts_reply_kinds_and_reads_the_dev_split_only() -> None:
    summary = summarize([ReplyKind.STAFF_OFFER, ReplyKind.SUGGEST, ReplyKind.SCOPE, ReplyKind.LANGUAGE])
    assert (summary["offered_staff"], summary["explicit_offer"], summary["scope_reply"]) == (0.75, 0.5, 0.25)
    dev = scope_messages("dev")
    assert {m.set_name for m in dev} >= {"scope-blind/city_matters", "scope-blind/unrelated", "toyama/oos"}
    assert all((blind_split(m.id) if m.set_name.startswith("scope-blind") else pack_split(m.id)) == "dev"
               for m in dev)
    with pytest.raises(ValueError):
        run_scope_eval(EvalSettings(), migrate=migrate, split="test", misses=True)  # test texts are never listed
