"""``tsunagu eval routing`` (eval/routing_eval.py): each blind hand-off question goes through the bot's decision and
the ticket routing, and counts as right team, 振り分け待ち or wrong team."""

from __future__ import annotations

import numpy as np
from sqlmodel import Session

from core.db import make_engine
from eval.blind_sets import RoutingQuestion, load_routing
from eval.routing_eval import SETS, fold_of, route_questions, summarize, with_classifier
from eval.train_routing import TrainingData, class_of_team, development_questions, fit
from handoff.tickets import Routing
from handoff.topic_classifier import OTHER
from retrieval.engine import Retriever
from retrieval.query_embedding import QueryEmbedding
from tsunagu.db import migrate

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


def test_the_holdout_set_is_measured_from_its_own_folder() -> None:
    assert SETS["holdout"].name == "routing-holdout" and SETS["blind"].name == "routing-blind"
    assert summarize([], split="all", set_name="routing-holdout")["set"] == "routing-holdout"


def test_folds_split_the_development_questions_by_id_hash() -> None:
    questions = development_questions()
    assert {q.id[:5] for q in questions} == {"route", "city-"}  # the first routing set and the city matters
    folds = [fold_of(q.id, 5) for q in questions]
    assert set(folds) == {0, 1, 2, 3, 4} and all(folds.count(f) > 50 for f in range(5))
    assert fold_of("route-001", 5) == fold_of("route-001", 5)


def test_teams_become_the_classifiers_classes_through_the_routes() -> None:
    classes = class_of_team({"childcare": "こども家庭部", "tourism": "観光振興課"}, "市民相談課")
    assert classes == {"こども家庭部": "childcare", "観光振興課": "tourism", "市民相談課": OTHER}


def test_the_fit_is_deterministic_and_learns_the_classes() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8)
    vectors = np.concatenate([centres[i] + rng.normal(0, 0.1, (20, 8)) for i in range(3)])
    labels = tuple(label for label in ("childcare", "tourism", OTHER) for _ in range(20))
    data = TrainingData(vectors, labels, np.ones(60))
    first, second = fit(data, "m", c=10.0), fit(data, "m", c=10.0)
    assert first.classes == (OTHER, "childcare", "tourism")
    assert np.array_equal(first.weights, second.weights) and np.array_equal(first.bias, second.bias)
    guess = first.probabilities(QueryEmbedding("m", centres[1].astype(np.float32)))
    assert guess is not None and max(guess, key=lambda c: guess[c]) == "tourism"


def test_cross_validation_can_route_with_the_table_alone() -> None:
    assert with_classifier(ROUTING, None).router.classifier is None
    assert ROUTING.router.classifier is not None  # the shipped one, unless told otherwise
