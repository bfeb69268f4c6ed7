"""``tsunagu eval routing`` (eval/routing_eval.py): each blind hand-off question goes through the bot's decision and
the ticket routing, and counts as right team, 振り分け待ち or wrong team."""

from __future__ import annotations

from sqlmodel import Session

from eval.blind_sets import RoutingQuestion, load_routing
from eval.routing_eval import route_questions, summarize
from handoff.tickets import Routing
from retrieval.engine import Retriever
from tsunagu.db import make_engine, migrate

ROUTING = Routing(routes={"childcare": "こども家庭部"})


def question(qid: str, text: str, team: str) -> RoutingQuestion:
    return RoutingQuestion(id=qid, text=text, team=team, style="standard", note="")


def test_each_question_is_counted_as_right_unrouted_or_wrong(sqlite_url: str, mini_retriever: Retriever) -> None:
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    questions = [question("a", "保育園の申し込みはいつまでですか", "こども家庭部"),  # the pack's topic
                 question("b", "保育園の申し込みはいつまでですか", "市民課"),  # same text, another label: wrong
                 question("c", "公園の遊具が壊れています", "市民相談課")]  # not the pack's: the general desk
    with Session(engine) as session:
        rows = route_questions(mini_retriever, ROUTING, session, questions)
    engine.dispose()
    assert [row.outcome for row in rows] == ["right", "wrong", "right"]
    summary = summarize(rows, split="dev", details=True)
    assert summary["counts"] == {"right": 2, "unrouted": 0, "wrong": 1}
    assert summary["by_team"]["市民課"]["wrong"] == 1.0
    assert summary["misses"] == [{"id": "b", "team": "市民課", "routed": "こども家庭部", "share": 1.0, "why": "topic"}]
    assert "text" not in summary["misses"][0]  # ids only: the test split's texts stay unread


def test_the_blind_set_has_every_team_in_both_splits() -> None:
    assert {q.team for q in load_routing("dev")} == {q.team for q in load_routing("test")}
