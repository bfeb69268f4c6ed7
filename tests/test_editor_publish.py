"""Publishing from the console: the pending changes with their diff, the quality gate and its audited
confirmation, the version history, rollback; the bot answers from the new version without a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from console.models import AuditEvent
from knowledge.changes import stage_change, working_entry
from knowledge.versions import KnowledgeVersion
from tests.test_console import HOSTILE, Console, csrf_of, make_console

APPLY = "childcare-nursery-apply-period"
DOCS = "childcare-nursery-documents"
NEW_ANSWER = "4月入所の申込みは10月1日から31日までです。"
GATE_QUESTIONS = [
    {"id": "q1", "text": "保育所の入所申込みはいつからできますか？", "faq_ids": [APPLY]},
    {"id": "q2", "text": "保育所の入所申込みに必要な書類は何ですか？", "faq_ids": [DOCS]},
]


def gated_console(sqlite_url: str, tmp_path: Path) -> Iterator[Console]:
    """A console whose quality gate asks ``GATE_QUESTIONS`` (one question per entry: dropping one costs 50
    points), with thresholds the test embedder's scores reach."""
    gate = tmp_path / "gate"
    gate.mkdir()
    lines = [json.dumps({**q, "style": "plain"}, ensure_ascii=False) for q in GATE_QUESTIONS]
    (gate / "questions.jsonl").write_text("\n".join(lines), encoding="utf-8")
    yield from make_console(sqlite_url, quality_gate_set=gate, answer_min_score=0.35, answer_min_margin=0.02,
                            suggest_min_score=0.2)


@pytest.fixture
def console(sqlite_url: str, tmp_path: Path) -> Iterator[Console]:
    yield from gated_console(sqlite_url, tmp_path)


def stage(console: Console, faq_id: str, **changes: object) -> None:
    with Session(console.services.engine) as session:
        entry = working_entry(session, faq_id)
        assert entry is not None
        stage_change(session, entry=entry.model_copy(update=changes), author="editor")
        session.commit()


def publish(console: Console, *faq_ids: str, **extra: str) -> object:
    csrf = csrf_of(console.client.get("/staff/publish").text)
    return console.client.post("/staff/publish", data={"csrf_token": csrf, "faq_id": list(faq_ids), **extra},
                               follow_redirects=False)


def ask(console: Console, text: str) -> dict[str, object]:
    response = console.client.post("/api/ask", json={"text": text})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_publish_page_shows_each_change_with_its_diff_escaped(console: Console) -> None:
    console.login("editor")
    stage(console, APPLY, answer=NEW_ANSWER + HOSTILE)
    page = console.client.get("/staff/publish").text
    assert "変更前" in page and NEW_ANSWER in page and "回答" in page
    assert HOSTILE not in page and "&lt;script&gt;" in page


def test_publishing_serves_the_new_answer_at_once_and_records_a_version(console: Console) -> None:
    console.login("editor")
    stage(console, APPLY, answer=NEW_ANSWER)
    assert ask(console, "保育所の入所申込みはいつからできますか？").get("answer") != NEW_ANSWER
    response = publish(console, APPLY, note="10月の受付期間")
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith("/staff/versions/") and location.endswith("done=published")
    assert console.services.retriever.entries[APPLY].answer == NEW_ANSWER
    page = console.client.get(location).text
    assert "公開しました" in page and "10月の受付期間" in page and "この版で回答しています" in page
    versions = console.rows(KnowledgeVersion)
    assert versions[-1].changed_ids == [APPLY] and versions[-1].metrics["gate"]["questions"] == 2
    assert [e.action for e in console.rows(AuditEvent)][-1] == "faq_published"


def test_a_drop_in_accuracy_needs_an_audited_confirmation(console: Console) -> None:
    console.login("editor")
    stage(console, DOCS, status="archived")
    refused = publish(console, DOCS)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "2ポイント以上下がりました" in refused.text and "-50.0 ポイント" in refused.text  # type: ignore[attr-defined]
    assert DOCS in console.services.retriever.entries  # nothing published
    confirmed = publish(console, DOCS, confirm_drop="true")
    assert confirmed.status_code == 303  # type: ignore[attr-defined]
    assert DOCS not in console.services.retriever.entries
    event = console.rows(AuditEvent)[-1]
    assert event.action == "faq_published_despite_drop" and "accuracy_at_1=-50.0" in event.detail
    assert console.rows(KnowledgeVersion)[-1].gate_confirmed


def test_only_the_selected_changes_are_published(console: Console) -> None:
    console.login("editor")
    stage(console, APPLY, answer=NEW_ANSWER)
    stage(console, DOCS, answer="申込書と就労証明書が必要です。")
    assert publish(console, DOCS).status_code == 303  # type: ignore[attr-defined]
    assert console.services.retriever.entries[APPLY].answer != NEW_ANSWER
    assert "申込書と就労証明書" in console.services.retriever.entries[DOCS].answer
    assert APPLY in console.client.get("/staff/publish").text  # still pending
    nothing = publish(console)
    assert nothing.status_code == 400 and "1つ以上選んで" in nothing.text  # type: ignore[attr-defined]


def test_history_and_rollback(console: Console) -> None:
    console.login("editor")
    stage(console, APPLY, answer=NEW_ANSWER)
    publish(console, APPLY)
    first = console.rows(KnowledgeVersion)[0]
    history = console.client.get("/staff/versions").text
    assert "パック読み込み" in history and "公開" in history
    newest = console.rows(KnowledgeVersion)[-1]
    newest_page = console.client.get(f"/staff/versions/{newest.id}").text
    assert "これが最新の版です" in newest_page and "/rollback" not in newest_page
    page = console.client.get(f"/staff/versions/{first.id}").text
    assert f'action="/staff/versions/{first.id}/rollback"' in page
    csrf = csrf_of(page)
    unconfirmed = console.client.post(f"/staff/versions/{first.id}/rollback", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 400
    assert console.services.retriever.entries[APPLY].answer == NEW_ANSWER
    done = console.client.post(f"/staff/versions/{first.id}/rollback", data={"csrf_token": csrf, "confirm": "true"},
                               follow_redirects=False)
    assert done.status_code == 303
    assert console.services.retriever.entries[APPLY].answer != NEW_ANSWER
    assert console.rows(KnowledgeVersion)[-1].kind == "rollback"
    assert console.rows(AuditEvent)[-1].action == "faq_rolled_back"
    assert console.client.get("/staff/versions/9999").status_code == 404


def test_staff_may_not_publish(console: Console) -> None:
    stage(console, APPLY, answer=NEW_ANSWER)
    console.login("staff")
    assert console.client.get("/staff/publish").status_code == 403
    csrf = csrf_of(console.client.get("/staff/").text)
    response = console.client.post("/staff/publish", data={"csrf_token": csrf, "faq_id": [APPLY]})
    assert response.status_code == 403
    assert console.services.retriever.entries[APPLY].answer != NEW_ANSWER
