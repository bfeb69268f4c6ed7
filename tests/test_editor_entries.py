"""The FAQ editor over HTTP (editor/): roles, CSRF, saving as a pending change, Japanese validation errors,
archive and discard, search and filters, escaping, FAQ案 adopt/reject, the editor's home and landing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from console.formatting import audit_detail
from console.models import AuditEvent
from knowledge.changes import PendingChange
from knowledge.drafts import FaqDraft, create_draft
from knowledge.models import FaqEntry
from knowledge.unanswered import record_unanswered
from tests.test_console import HOSTILE, PASSWORD, Console, csrf_of, make_console

FAQ = "childcare-nursery-documents"  # in the mini pack
PUBLISHED_ANSWER = "申込書のほか、保護者の就労証明書など保育が必要な理由がわかる書類が必要です。"


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def form(**values: str) -> dict[str, str]:
    """A complete, valid form for entry ``FAQ`` with ``values`` changed."""
    data = {"category": "childcare", "question": "保育所の入所申込みに必要な書類は何ですか？",
            "alt_questions": "保育園の申込書類は？\n就労証明書は必要ですか", "answer": "申込書と就労証明書が必要です。",
            "source_url": "https://www.city.toyama.lg.jp/kosodate/hoiku.html", "last_reviewed": "2026-11-01",
            "status": "published"}
    return {**data, **values}


def post(console: Console, url: str, csrf: str, **values: str) -> Any:
    return console.client.post(url, data={"csrf_token": csrf, **values}, follow_redirects=False)


def changes(console: Console) -> dict[str, PendingChange]:
    return {row.faq_id: row for row in console.rows(PendingChange)}


def error_texts(html: str) -> list[tuple[str, str]]:
    return re.findall(r'class="error field-error" id="e-(\w+)">([^<]+)<', html)


@pytest.mark.parametrize("url", ["/staff/editor", "/staff/faq", "/staff/faq/new", f"/staff/faq/{FAQ}"])
def test_editors_and_admins_may_open_the_pages_and_staff_may_not(console: Console, url: str) -> None:
    for role, expected in (("staff", 403), ("editor", 200), ("admin", 200)):
        console.login(role)
        assert console.client.get(url).status_code == expected, (role, url)


def test_editors_land_on_their_home_after_login_and_ticket_staff_on_the_queue(console: Console) -> None:
    for role, landing in (("editor", "/staff/editor"), ("staff", "/staff/"), ("admin", "/staff/")):
        console.client.cookies.clear()
        page = console.client.get("/staff/login")
        response = console.client.post("/staff/login", data={"username": role, "password": PASSWORD,
                                                             "csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert response.headers["location"] == landing, role
        assert console.client.get("/staff/login", follow_redirects=False).headers["location"] == landing, role
        assert console.client.get(landing).status_code == 200, role


def test_saves_need_the_csrf_token(console: Console) -> None:
    console.login("editor")
    for token in ("", "forged"):
        assert post(console, f"/staff/faq/{FAQ}", token, **form()).status_code == 403
        assert post(console, "/staff/faq/new", token, **form(id="childcare-new")).status_code == 403
        assert post(console, f"/staff/faq/{FAQ}/archive", token).status_code == 403
    assert changes(console) == {}


def test_a_save_is_a_pending_change_and_the_published_answer_stays(console: Console) -> None:
    csrf = console.login("editor")
    response = post(console, f"/staff/faq/{FAQ}", csrf, **form(answer="新しい回答です。申込書が必要です。"))
    assert response.status_code == 303 and response.headers["location"] == f"/staff/faq/{FAQ}?done=saved"
    change = changes(console)[FAQ]
    assert change.entry().answer == "新しい回答です。申込書が必要です。" and change.author == "editor"
    assert change.entry().alt_questions == ["保育園の申込書類は？", "就労証明書は必要ですか"]
    assert change.entry().last_reviewed == dt.date(2026, 11, 1)
    with Session(console.services.engine) as session:
        published = session.get(FaqEntry, FAQ)
        assert published is not None and published.answer == PUBLISHED_ANSWER
    assert console.services.retriever.entries[FAQ].answer == PUBLISHED_ANSWER  # citizens still get this one
    page = console.client.get(response.headers["location"]).text
    assert "新しい回答です" in page and "まだ市民には届きません" in page and 'href="/staff/publish"' in page
    assert "未公開の変更あり" in console.client.get("/staff/faq").text
    audit = [event for event in console.rows(AuditEvent) if event.action == "faq_change_saved"]
    assert audit and audit[0].detail == f"faq={FAQ}" and audit[0].actor == "editor"


def test_validation_errors_are_japanese_per_field_and_keep_what_was_typed(console: Console) -> None:
    csrf = console.login("editor")
    typed = {"id": "Hoikuen Apply", "category": "childcare", "question": "保育園<b>申込み</b>",
             "label": "あ" * 25, "answer": "", "source_url": "ftp://example", "last_reviewed": "2026/13/40",
             "alt_questions": "同じ\n同じ"}
    response = post(console, "/staff/faq/new", csrf, **typed)
    assert response.status_code == 400
    errors = dict(error_texts(response.text))
    assert set(errors) == {"id", "label", "answer", "source_url", "last_reviewed", "alt_questions"}
    assert "半角の英小文字" in errors["id"] and "20文字以内" in errors["label"] and "25文字" in errors["label"]
    assert errors["answer"] == "回答を入力してください。" and "https://" in errors["source_url"]
    assert "年-月-日" in errors["last_reviewed"] and "同じ質問が2回" in errors["alt_questions"]
    assert 'value="Hoikuen Apply"' in response.text and 'value="2026/13/40"' in response.text
    assert "保育園&lt;b&gt;申込み&lt;/b&gt;" in response.text and "<b>申込み" not in response.text
    assert changes(console) == {}


def test_a_new_entry_cannot_take_an_existing_id(console: Console) -> None:
    csrf = console.login("editor")
    response = post(console, "/staff/faq/new", csrf, **form(id=FAQ))
    assert response.status_code == 400 and "すでに使われています" in response.text
    response = post(console, "/staff/faq/new", csrf, **form(id="childcare-brand-new"))
    assert response.status_code == 303 and "childcare-brand-new" in changes(console)
    assert "新規" in console.client.get("/staff/faq?status=pending").text


def test_archive_stages_an_archived_version_and_discard_drops_the_change(console: Console) -> None:
    csrf = console.login("admin")
    assert post(console, f"/staff/faq/{FAQ}/archive", csrf).status_code == 303
    assert changes(console)[FAQ].entry().status == "archived"
    with Session(console.services.engine) as session:
        published = session.get(FaqEntry, FAQ)
        assert published is not None and published.status == "published"
    archived = console.client.get("/staff/faq?status=archived").text
    assert f'data-faq-id="{FAQ}"' in archived and "アーカイブ" in archived
    assert f'data-faq-id="{FAQ}"' not in console.client.get("/staff/faq?filter=stale").text  # no review due
    response = post(console, f"/staff/faq/{FAQ}/discard", csrf)
    assert response.status_code == 303 and response.headers["location"] == f"/staff/faq/{FAQ}?done=discarded"
    assert changes(console) == {}
    actions = [event.action for event in console.rows(AuditEvent)]
    assert "faq_change_archived" in actions and "faq_change_discarded" in actions
    assert post(console, "/staff/faq/no-such-entry/archive", csrf).status_code == 404


def test_search_and_filters(console: Console) -> None:
    csrf = console.login("editor")
    post(console, f"/staff/faq/{FAQ}", csrf, **form(needs_review=""))  # reviewed: 2026-11-01, no 要確認

    def ids(query: str) -> set[str]:
        return set(re.findall(r'data-faq-id="([^"]+)"', console.client.get(f"/staff/faq?{query}").text))

    everything = ids("")
    assert FAQ in everything and "procedures-garbage-bulky" in everything
    assert ids("q=就労証明書") == {FAQ}  # an alternative question
    assert ids("q=事前の申込み") == {"procedures-garbage-bulky"}  # in the answer
    assert ids("category=procedures") == {i for i in everything if i.startswith("procedures-")}
    assert ids("status=pending") == {FAQ}
    assert FAQ not in ids("filter=stale") and FAQ not in ids("filter=needs_review")
    assert "childcare-nursery-apply-period" in ids("filter=needs_review")  # needs_review: true in the pack
    assert ids("filter=stale") == everything - {FAQ}  # the mini pack has no review dates


def test_html_in_a_question_is_escaped_in_the_list_and_the_form(console: Console) -> None:
    csrf = console.login("editor")
    assert post(console, f"/staff/faq/{FAQ}", csrf, **form(question=HOSTILE)).status_code == 303
    for url in ("/staff/faq", f"/staff/faq/{FAQ}"):
        html = console.client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;" in html, url


def make_draft(console: Console) -> int:
    with Session(console.services.engine) as session:
        draft = create_draft(session, question="一時預かりの料金は？", answer="1日2,000円です。",
                             category="childcare", source_ticket_id=None, created_by="staff")
        session.commit()
        assert draft.id is not None
        return draft.id


def test_a_draft_becomes_a_prefilled_form_and_saving_adopts_it(console: Console) -> None:
    draft_id = make_draft(console)
    csrf = console.login("editor")
    drafts = console.client.get("/staff/drafts").text
    assert f'href="/staff/faq/new?draft={draft_id}"' in drafts and f"/staff/drafts/{draft_id}/reject" in drafts
    page = console.client.get(f"/staff/faq/new?draft={draft_id}").text
    assert "一時預かりの料金は？" in page and "1日2,000円です。" in page and 'value="childcare" selected' in page
    response = post(console, "/staff/faq/new", csrf, **form(id="childcare-tempcare-fee", draft_id=str(draft_id),
                                                            question="一時預かりの料金は？", answer="1日2,000円です。"))
    assert response.status_code == 303
    assert changes(console)["childcare-tempcare-fee"].source == f"draft:{draft_id}"
    assert console.rows(FaqDraft)[0].status == "adopted"
    saved = [event.detail for event in console.rows(AuditEvent) if event.action == "faq_change_saved"]
    assert saved == [f"faq=childcare-tempcare-fee source=draft:{draft_id}"]
    assert audit_detail(saved[0]) == f"FAQ：childcare-tempcare-fee、元：draft:{draft_id}"
    assert console.client.get(f"/staff/faq/new?draft={draft_id}").status_code == 409  # adopted once only


def test_a_draft_can_be_rejected(console: Console) -> None:
    draft_id = make_draft(console)
    csrf = console.login("editor")
    assert post(console, f"/staff/drafts/{draft_id}/reject", "forged").status_code == 403
    assert console.rows(FaqDraft)[0].status == "draft"
    response = post(console, f"/staff/drafts/{draft_id}/reject", csrf)
    assert response.status_code == 303 and response.headers["location"] == "/staff/drafts"
    assert console.rows(FaqDraft)[0].status == "rejected"
    assert "一時預かりの料金" not in console.client.get("/staff/drafts").text
    assert any(event.action == "faq_draft_rejected" for event in console.rows(AuditEvent))
    csrf = console.login("staff")
    assert post(console, f"/staff/drafts/{draft_id}/reject", csrf).status_code == 403


def test_the_editor_home_counts_what_needs_attention(console: Console) -> None:
    make_draft(console)
    with Session(console.services.engine) as session:
        long_ago = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
        for reason in ("feedback_down", "handoff_declined", "none_of_these"):
            record_unanswered(session, at=long_ago, line_user_id=None, text="質問", reason=reason, candidate_ids=[])
        session.commit()
    csrf = console.login("editor")
    post(console, f"/staff/faq/{FAQ}", csrf, **form())
    page = console.client.get("/staff/editor").text
    counts = dict(re.findall(r'<a href="(/staff/[^"]+)">(\d+)件</a>', page))
    entries = len(set(re.findall(r'data-faq-id="([^"]+)"', console.client.get("/staff/faq").text)))
    assert counts["/staff/publish"] == "1" and counts["/staff/drafts"] == "1"
    assert counts["/staff/faq?filter=review"] == str(entries - 1)  # every entry but the reviewed one
    assert counts["/staff/unanswered"] == "3"
    assert "👎がついた回答：1件" in page and "回答できなかった質問：2件" in page


@pytest.fixture
def any_console(database_url: str) -> Iterator[Console]:
    """A console on SQLite and on PostgreSQL (skipped when no server is reachable, failed under CI=true)."""
    yield from make_console(database_url)


def test_save_archive_discard_and_adopt_on_each_database(any_console: Console) -> None:
    console = any_console
    draft_id = make_draft(console)
    csrf = console.login("editor")
    assert post(console, f"/staff/faq/{FAQ}", csrf, **form(tags="保育、書類")).status_code == 303
    assert changes(console)[FAQ].entry().tags == ["保育", "書類"]
    assert post(console, f"/staff/faq/{FAQ}/archive", csrf).status_code == 303
    assert changes(console)[FAQ].entry().status == "archived" and changes(console)[FAQ].entry().tags == ["保育", "書類"]
    assert post(console, f"/staff/faq/{FAQ}/discard", csrf).status_code == 303 and changes(console) == {}
    new = form(id="childcare-tempcare-fee", draft_id=str(draft_id))
    assert post(console, "/staff/faq/new", csrf, **new).status_code == 303
    assert console.rows(FaqDraft)[0].status == "adopted" and set(changes(console)) == {"childcare-tempcare-fee"}
    assert "childcare-tempcare-fee" in console.client.get("/staff/faq?status=pending").text


def test_an_unchanged_form_keeps_every_tag_through_a_one_line_input() -> None:
    """Tags are shown in an <input>, whose value a browser submits without line breaks."""
    from editor.forms import validate, values_from_entry
    from knowledge.schema import FaqEntryData

    entry = FaqEntryData(id="x-tags", category="childcare", question="質問？", answer="回答。",
                         tags=["粗大ごみ", "家具", "自転車"])
    values = values_from_entry(entry)
    values["tags"] = values["tags"].replace("\n", "")  # what the browser sends back from an <input>
    saved, errors = validate(values)
    assert errors == {} and saved is not None and saved.tags == ["粗大ごみ", "家具", "自転車"]
