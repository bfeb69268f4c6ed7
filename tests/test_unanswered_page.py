"""The improvement loop page ``/staff/unanswered``: themes of unanswered questions (clustering on hand-made vectors),
roles and CSRF, escaping, and the three actions: add as an alternative question (answered after publishing),
start a new entry, dismiss."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session

from console.models import AuditEvent
from core.clock import utcnow
from editor.themes import THRESHOLD, cluster, find_themes
from knowledge.changes import PendingChange
from knowledge.drafts import create_draft
from knowledge.unanswered import UnansweredQuestion, record_unanswered
from tests.test_console import HOSTILE, Console, csrf_of, make_console
from tests.test_editor_publish import APPLY, GATE_QUESTIONS, ask, publish

UNANSWERED = "育休明けの入園申し込みはいつ"  # the mini pack suggests, does not answer; nearest: APPLY


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float64)
    return vector / np.linalg.norm(vector)


# -- clustering -----------------------------------------------------------------------------------------------
def test_near_duplicates_group_and_unrelated_questions_stay_apart() -> None:
    vectors = np.stack([
        unit(1, 0.05, 0, 0), unit(0, 0, 1, 0), unit(1, 0, 0.05, 0), unit(1, 0.02, 0.02, 0), unit(0, 1, 0, 0),
        unit(0, 0.05, 1, 0),
    ])
    assert cluster(vectors) == [[0, 2, 3], [1, 5], [4]]
    themes = find_themes(vectors)
    assert [theme.members for theme in themes] == [(0, 2, 3), (1, 5), (4,)]  # size, then newest first
    assert themes[0].representative == 3  # the middle one of the three


def test_the_threshold_decides_and_groups_are_order_independent() -> None:
    close = np.stack([unit(1, 0, 0), unit(np.cos(0.3), np.sin(0.3), 0)])  # cosine 0.955
    assert cluster(close, threshold=0.95) == [[0, 1]] and cluster(close, threshold=0.96) == [[0], [1]]
    apart = np.stack([unit(1, 0, 0), unit(np.cos(0.5), np.sin(0.5), 0)])  # cosine 0.878: two needs
    assert cluster(apart) == [[0], [1]] and THRESHOLD > 0.878
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(4, 32))
    vectors = np.stack([c + rng.normal(scale=0.05, size=32) for c in centres for _ in range(3)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    order = rng.permutation(len(vectors))
    grouped = {frozenset(group) for group in cluster(vectors)}
    permuted = {frozenset(int(order[i]) for i in group) for group in cluster(vectors[order])}
    assert grouped == permuted == {frozenset(range(k * 3, k * 3 + 3)) for k in range(4)}


def test_average_link_does_not_chain_a_drift_into_one_theme() -> None:
    angles = np.arange(8) * 0.25  # each neighbour at cosine 0.969, the ends far apart
    vectors = np.stack([unit(np.cos(a), np.sin(a)) for a in angles])
    groups = cluster(vectors)
    assert len(groups) > 1 and all(len(group) < 8 for group in groups)
    assert cluster(np.zeros((0, 4))) == []


# -- the page ---------------------------------------------------------------------------------------------------
@pytest.fixture
def console(sqlite_url: str, tmp_path: Path) -> Iterator[Console]:
    yield from gated_console(sqlite_url, tmp_path)


def gated_console(database_url: str, tmp_path: Path) -> Iterator[Console]:
    """A console whose quality gate asks the two mini-pack questions (as in the publish tests)."""
    gate = tmp_path / "gate"
    gate.mkdir(exist_ok=True)
    lines = [json.dumps({**q, "style": "plain"}, ensure_ascii=False) for q in GATE_QUESTIONS]
    (gate / "questions.jsonl").write_text("\n".join(lines), encoding="utf-8")
    yield from make_console(database_url, quality_gate_set=gate, answer_min_score=0.35, answer_min_margin=0.02,
                            suggest_min_score=0.2)


def store(console: Console, text: str, reason: str = "none_of_these", minutes_ago: int = 30) -> int:
    with Session(console.services.engine) as session:
        row = record_unanswered(session, at=utcnow() - dt.timedelta(minutes=minutes_ago), line_user_id="U" + "9" * 32,
                                text=text, reason=reason, candidate_ids=[APPLY])
        session.commit()
        assert row.id is not None
        return row.id


def status_of(console: Console, row_id: int) -> str:
    with Session(console.services.engine) as session:
        row = session.get(UnansweredQuestion, row_id)
        assert row is not None
        return row.status


def test_only_editors_and_admins_see_the_page(console: Console) -> None:
    store(console, UNANSWERED)
    for role, expected in (("staff", 403), ("editor", 200), ("admin", 200)):
        console.login(role)
        response = console.client.get("/staff/unanswered")
        assert response.status_code == expected, role
        assert (UNANSWERED in response.text) == (expected == 200)


def test_actions_need_the_csrf_token(console: Console) -> None:
    row_id = store(console, UNANSWERED)
    console.login("editor")
    for path in ("/staff/unanswered/dismiss", "/staff/unanswered/add", "/staff/unanswered/draft"):
        response = console.client.post(path, data={"csrf_token": "forged", "id": str(row_id), "faq_id": APPLY},
                                       follow_redirects=False)
        assert response.status_code == 403, path
    assert status_of(console, row_id) == "open" and console.rows(PendingChange) == []


def test_question_text_is_escaped(console: Console) -> None:
    store(console, "保育園について" + HOSTILE)
    console.login("editor")
    page = console.client.get("/staff/unanswered").text
    assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;" in page


def test_a_theme_shows_its_questions_reasons_nearest_entries_and_drafts(console: Console) -> None:
    store(console, UNANSWERED, reason="feedback_down")
    store(console, UNANSWERED + "？", reason="handoff_declined")
    store(console, "ソファの捨て方と料金を詳しく教えてください", reason="suggest_not_chosen")
    store(console, "公園の遊具が壊れているのはどこに連絡すればいいですか", reason="no_answer")
    store(console, "まだ選べる質問", reason="suggest_not_chosen", minutes_ago=1)  # the citizen may still tap
    with Session(console.services.engine) as session:
        create_draft(session, question="職員が答えた質問", answer="回答", category=None, source_ticket_id=None,
                     created_by="staff")
        session.commit()
    console.login("editor")
    page = console.client.get("/staff/unanswered").text
    assert "2件" in page and "回答に👎 1" in page and "職員への引き継ぎを断った 1" in page
    assert "候補から選ばなかった 1" in page and "答えが見つからず職員を案内した 1" in page  # no raw reason names
    assert page.index(UNANSWERED) < page.index("ソファの捨て方")  # the larger theme first
    assert "まだ選べる質問" not in page
    assert f'href="/staff/faq/{APPLY}"' in page and "保育所の入所申込みはいつからできますか" in page
    assert "職員が答えた質問" in page and 'href="/staff/faq/new?draft=' in page


def test_reloading_does_not_embed_the_questions_again(console: Console) -> None:
    store(console, UNANSWERED)
    console.login("editor")
    calls = console.services.retriever.embedder.embedder.calls  # type: ignore[attr-defined]
    console.client.get("/staff/unanswered")
    seen = sum(UNANSWERED in text for text in calls)
    assert seen >= 1
    console.client.get("/staff/unanswered")
    assert sum(UNANSWERED in text for text in calls) == seen


def add_as_alt(console: Console, *row_ids: int, faq_id: str = APPLY) -> object:
    """Post 「言い換えとして追加」, already confirmed (tests/test_unanswered_targets.py covers the confirmation)."""
    csrf = csrf_of(console.client.get("/staff/unanswered").text)
    return console.client.post("/staff/unanswered/add", data={
        "csrf_token": csrf, "id": [str(i) for i in row_ids], "faq_id": faq_id, "confirmed": "true"},
        follow_redirects=False)


def check_add_then_publish(console: Console) -> None:
    """Add the stored question as an alternative of APPLY, publish, and the bot answers it with APPLY."""
    assert ask(console, UNANSWERED)["faq_id"] != APPLY
    row_id = store(console, UNANSWERED)
    console.login("editor")
    response = add_as_alt(console, row_id)
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = console.client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert "公開ページで公開すると" in page and 'href="/staff/publish"' in page and UNANSWERED not in page
    [change] = console.rows(PendingChange)
    assert change.faq_id == APPLY and change.source == f"unanswered:{row_id}"
    assert UNANSWERED in change.data["alt_questions"]
    assert status_of(console, row_id) == "added"
    event = console.rows(AuditEvent)[-1]
    assert event.action == "unanswered_added" and event.detail == f"unanswered={row_id} faq={APPLY}"
    assert ask(console, UNANSWERED)["faq_id"] != APPLY  # not live before publishing
    assert publish(console, APPLY).status_code == 303  # type: ignore[attr-defined]
    answered = ask(console, UNANSWERED)
    assert answered["decision"] == "ANSWER" and answered["faq_id"] == APPLY


def test_adding_as_alternative_question_is_answered_after_publishing(database_url: str, tmp_path: Path) -> None:
    for console in gated_console(database_url, tmp_path):
        check_add_then_publish(console)


def test_a_whole_theme_goes_to_one_entry_and_a_repeat_is_refused(console: Console) -> None:
    first, second = store(console, UNANSWERED), store(console, "入園の受付開始日を知りたい")
    console.login("editor")
    assert add_as_alt(console, first, second).status_code == 303  # type: ignore[attr-defined]
    [change] = console.rows(PendingChange)
    assert {UNANSWERED, "入園の受付開始日を知りたい"} <= set(change.data["alt_questions"])
    assert status_of(console, first) == status_of(console, second) == "added"
    again = store(console, UNANSWERED)
    refused = add_as_alt(console, again)
    assert refused.status_code == 400 and "すでにこのFAQの質問か言い換え" in refused.text  # type: ignore[attr-defined]
    assert status_of(console, again) == "open"
    assert add_as_alt(console, first).status_code == 409  # type: ignore[attr-defined]
    assert add_as_alt(console, again, faq_id="no-such-entry").status_code == 404  # type: ignore[attr-defined]


def test_dismiss_hides_the_question(console: Console) -> None:
    row_id = store(console, UNANSWERED)
    csrf = console.login("editor")
    response = console.client.post("/staff/unanswered/dismiss", data={"csrf_token": csrf, "id": str(row_id)},
                                   follow_redirects=False)
    assert response.status_code == 303
    assert UNANSWERED not in console.client.get("/staff/unanswered").text
    assert status_of(console, row_id) == "dismissed"
    assert console.rows(AuditEvent)[-1].action == "unanswered_dismissed"
    assert console.client.post("/staff/unanswered/dismiss", data={"csrf_token": csrf}).status_code == 400


def test_a_new_entry_starts_from_the_question(console: Console) -> None:
    row_id = store(console, UNANSWERED)
    csrf = console.login("editor")
    response = console.client.post("/staff/unanswered/draft",
                                   data={"csrf_token": csrf, "id": str(row_id), "rep": str(row_id)},
                                   follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/faq/new?question=")
    form = console.client.get(response.headers["location"]).text
    assert UNANSWERED in form and f'name="unanswered" value="{row_id}"' in form
    assert status_of(console, row_id) == "open"  # an abandoned form loses nothing
    saved = console.client.post("/staff/faq/new", data={
        "csrf_token": csrf, "unanswered": str(row_id), "id": "childcare-new-from-question",
        "category": "childcare", "question": UNANSWERED, "answer": "新しい回答です。", "status": "published"},
        follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert status_of(console, row_id) == "drafted"
    assert "unanswered_drafted" in [event.action for event in console.rows(AuditEvent)]


def test_the_same_question_twice_in_a_theme_is_added_once(console: Console) -> None:
    first, second = store(console, UNANSWERED), store(console, UNANSWERED, reason="feedback_down")
    console.login("editor")
    assert add_as_alt(console, first, second).status_code == 303  # type: ignore[attr-defined]
    [change] = console.rows(PendingChange)
    assert change.data["alt_questions"].count(UNANSWERED) == 1
    assert status_of(console, first) == status_of(console, second) == "added"


def test_themes_past_the_shown_ones_are_counted(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("editor.unanswered.THEMES_SHOWN", 1)
    store(console, UNANSWERED)
    store(console, "ソファの捨て方と料金を詳しく教えてください")
    console.login("editor")
    page = console.client.get("/staff/unanswered").text
    assert "未対応 2 件・テーマ 1 件" in page and "ほかの 1 件は" in page
