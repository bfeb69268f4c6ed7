"""The staff console over HTTP: every route as every role, CSRF, escaping of citizen text, the ticket actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.models import LineUser, OutboxMessage
from console.accounts.service import create_user
from console.models import AuditEvent
from handoff.models import Ticket, TicketMessage
from knowledge.drafts import FaqDraft
from tests.conftest import MINI_PACK
from tests.utils.services import make_test_services
from tsunagu.app import create_app
from tsunagu.container import Services
from tsunagu.settings import Settings

PASSWORD = "kakunin-no-pasuwado-42"
USER = "U" + "3" * 32
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ROLES = ("staff", "editor", "admin")
# Which roles may use each console route; a new route must be added here (the walk below fails otherwise).
ALLOWED = {
    "/staff/": {"staff", "admin"},
    "/staff/queue/rows": {"staff", "admin"},
    "/staff/tickets/{ticket_id}": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/thread": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/faq": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/claim": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/unclaim": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/reply": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/resolve": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/transfer": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/draft": {"staff", "admin"},
    "/staff/tickets/{ticket_id}/notes": {"staff", "admin"},
    "/staff/canned": {"staff", "admin"},
    "/staff/canned/{reply_id}": {"staff", "admin"},
    "/staff/canned/{reply_id}/delete": {"staff", "admin"},
    "/staff/drafts": {"editor", "admin"},
    "/staff/drafts/{draft_id}/reject": {"editor", "admin"},
    "/staff/editor": {"editor", "admin"},
    "/staff/faq": {"editor", "admin"},
    "/staff/faq/new": {"editor", "admin"},
    "/staff/faq/preview": {"editor", "admin"},
    "/staff/faq/{faq_id}": {"editor", "admin"},
    "/staff/faq/{faq_id}/archive": {"editor", "admin"},
    "/staff/faq/{faq_id}/discard": {"editor", "admin"},
    "/staff/publish": {"editor", "admin"},
    "/staff/faq/transfer": {"editor", "admin"},
    "/staff/faq/export.{file_format}": {"editor", "admin"},
    "/staff/faq/import": {"editor", "admin"},
    "/staff/versions": {"editor", "admin"},
    "/staff/versions/{version_id}": {"editor", "admin"},
    "/staff/versions/{version_id}/rollback": {"editor", "admin"},
    "/staff/unanswered": {"editor", "admin"},
    "/staff/unanswered/add": {"editor", "admin"},
    "/staff/unanswered/draft": {"editor", "admin"},
    "/staff/unanswered/dismiss": {"editor", "admin"},
    "/staff/routing": {"editor", "admin"},
    "/staff/routing/{rule_id}/delete": {"editor", "admin"},
    "/staff/analytics": {"editor", "admin"},
    "/staff/analytics/{table}.csv": {"editor", "admin"},
    "/staff/accounts": {"admin"},
    "/staff/accounts/{user_id}": {"admin"},
    "/staff/accounts/{user_id}/profile": {"admin"},
    "/staff/accounts/{user_id}/password": {"admin"},
    "/staff/accounts/{user_id}/disable": {"admin"},
    "/staff/accounts/{user_id}/enable": {"admin"},
    "/staff/audit": {"admin"},
    "/staff/deliveries": {"admin"},
    "/staff/logout": {"staff", "editor", "admin"},
}
PUBLIC = {"/staff/login"}


@dataclass
class Console:
    client: TestClient
    services: Services

    def login(self, username: str) -> str:
        """Log in with a fresh cookie jar; returns the CSRF token of the session."""
        self.client.cookies.clear()
        page = self.client.get("/staff/login")
        response = self.client.post("/staff/login", data={
            "username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return csrf_of(self.client.get("/staff/").text if username != "editor" else
                       self.client.get("/staff/drafts").text)

    def ticket(self, question: str = "保育園の見学はできますか", urgent: bool = False, *,
               team: str = "こども家庭部", category: str | None = None) -> int:
        with Session(self.services.engine) as session:
            if session.get(LineUser, USER) is None:
                session.add(LineUser(user_id=USER))
            ticket = Ticket(line_user_id=USER, question=question, team=team, category=category, urgent=urgent,
                            candidates=[{"faq_id": "x", "question": HOSTILE, "score": 0.4}])
            session.add(ticket)
            session.flush()
            assert ticket.id is not None
            session.add(TicketMessage(ticket_id=ticket.id, author="user", text=question))
            session.commit()
            return ticket.id

    def rows(self, model: type) -> list:  # type: ignore[type-arg]
        with Session(self.services.engine) as session:
            return list(session.exec(select(model)).all())


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def make_console(database_url: str, accounts: dict[str, tuple[str, str | None]] | None = None,
                 **settings_values: Any) -> Iterator[Console]:
    """A console on a fresh database with ``accounts`` (username → role, team); by default one user per role,
    named after it, in こども家庭部."""
    settings = Settings(database_url=database_url, pack_dir=MINI_PACK, **settings_values)
    services = make_test_services(settings)
    accounts = accounts or {role: (role, "こども家庭部") for role in ROLES}
    with Session(services.engine) as session:
        for username, (role, team) in accounts.items():
            create_user(session, username=username, password=PASSWORD, role=role, team=team)
    with TestClient(create_app(settings, services=services), base_url="http://testserver") as client:
        yield Console(client, services)
    services.engine.dispose()


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, looking inside included routers (newer FastAPI wraps them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def staff_routes(console: Console) -> list[tuple[str, str]]:
    routes = [(route.path, method) for route in api_routes(console.client.app.routes)  # type: ignore[attr-defined]
              if route.path.startswith("/staff") for method in route.methods]
    return sorted(r for r in routes if r[0] not in PUBLIC)


def test_every_console_route_is_listed_with_its_roles(console: Console) -> None:
    assert {path for path, _ in staff_routes(console)} == set(ALLOWED)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_as_every_role(console: Console, role: str | None) -> None:
    ticket_id = console.ticket()
    csrf = console.login(role) if role else ""
    if role is None:
        console.client.cookies.clear()
    for path, method in staff_routes(console):
        if path == "/staff/logout":
            continue  # walked last, it ends the session
        url = path.replace("{ticket_id}", str(ticket_id))
        if method == "GET":
            response = console.client.get(url, follow_redirects=False)
        else:
            response = console.client.post(url, data={"csrf_token": csrf, "team": "市民課", "text": "回答"},
                                           follow_redirects=False)
        if role is None:
            expected = {303} if method == "GET" else {401, 303}
            assert response.status_code in expected, (path, method, response.status_code)
            if method == "GET":
                assert response.headers["location"].startswith("/staff/login")
        elif role in ALLOWED[path]:
            assert response.status_code not in (401, 403), (role, path, method, response.status_code)
        else:
            assert response.status_code == 403, (role, path, method, response.status_code)


def test_state_changes_need_the_csrf_token(console: Console) -> None:
    ticket_id = console.ticket()
    console.login("staff")
    for token in ("", "forged-token"):
        response = console.client.post(f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": token},
                                       follow_redirects=False)
        assert response.status_code == 403
    assert console.rows(Ticket)[0].status == "waiting"


def test_citizen_text_is_escaped_in_the_queue_and_the_ticket(console: Console) -> None:
    ticket_id = console.ticket(question=HOSTILE)
    console.login("staff")
    for url in ("/staff/", "/staff/queue/rows", f"/staff/tickets/{ticket_id}", f"/staff/tickets/{ticket_id}/thread"):
        html = console.client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html or "&lt;script&gt;"[:4] in html, url


def test_claim_reply_resolve_and_draft_through_the_console(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = console.login("staff")
    page = console.client.post(f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": csrf})
    assert "担当しました。" in page.text
    page = console.client.post(f"/staff/tickets/{ticket_id}/reply", data={"csrf_token": csrf, "text": "  "})
    assert page.status_code == 409 and "回答を入力してください。" in page.text
    page = console.client.post(f"/staff/tickets/{ticket_id}/reply",
                               data={"csrf_token": csrf, "text": "見学は事前予約制です。"})
    assert "回答を送信しました" in page.text and "送信待ち" in page.text
    [outbox] = [o for o in console.rows(OutboxMessage) if o.line_user_id == USER]
    assert outbox.reply_token is None and outbox.retry_key  # a push with a retry key
    assert "見学は事前予約制です。" in outbox.messages[0]["text"]
    console.client.post(f"/staff/tickets/{ticket_id}/draft", data={"csrf_token": csrf})
    [draft] = console.rows(FaqDraft)
    assert (draft.question, draft.answer, draft.source_ticket_id) == ("保育園の見学はできますか",
                                                                      "見学は事前予約制です。", ticket_id)
    page = console.client.post(f"/staff/tickets/{ticket_id}/resolve", data={"csrf_token": csrf})
    assert "対応を終了しました" in page.text
    assert console.rows(Ticket)[0].status == "resolved"
    actions = [(e.actor, e.action) for e in console.rows(AuditEvent)]
    assert actions == [("staff", "ticket_claimed"), ("staff", "ticket_replied"), ("staff", "faq_draft_created"),
                       ("staff", "ticket_resolved")]


def test_queue_lists_urgent_first_then_oldest_and_filters(console: Console) -> None:
    first = console.ticket("一つ目")
    second = console.ticket("二つ目")
    urgent = console.ticket("至急の件", urgent=True)
    console.login("staff")
    html = console.client.get("/staff/queue/rows").text
    order = [int(i) for i in re.findall(r'data-ticket-id="(\d+)"', html)]
    assert order == [urgent, first, second]
    console.login("admin")  # staff see only their own team; an admin filters by any
    assert "該当する問い合わせはありません" in console.client.get("/staff/queue/rows?team=観光振興課").text
    assert re.findall(r'data-ticket-id="(\d+)"', console.client.get("/staff/queue/rows?mine=1").text) == []


def test_faq_search_inserts_an_approved_answer(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = console.login("staff")
    console.client.post(f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": csrf})
    page = console.client.get(f"/staff/tickets/{ticket_id}", params={"q": "粗大ごみ"})
    assert "回答を挿入" in page.text
    faq_id = re.search(r'insert=([\w-]+)"', page.text.split('class="faq-results"')[1])
    assert faq_id
    page = console.client.get(f"/staff/tickets/{ticket_id}", params={"insert": faq_id.group(1)})
    answer = console.services.retriever.entries[faq_id.group(1)].answer
    assert answer[:20] in page.text.split('id="reply-text"')[1]
