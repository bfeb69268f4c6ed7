"""The console side of routing (issue 17 item 3): 振り分け待ち in every staff member's queue and claimable into the
claimer's team, transfers that update the category and go back to the queue, and the editors' routing table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from console.accounts.models import StaffUser
from console.models import AuditEvent
from handoff import staff_actions
from handoff.models import Ticket
from handoff.routing import UNROUTED, RoutingTable
from handoff.routing_models import RoutingRule
from handoff.tickets import Routing
from tests.test_console import Console, csrf_of, make_console

ACCOUNTS = {"kodomo": ("staff", "こども家庭部"), "shimin": ("staff", "市民課"), "editor": ("editor", None),
            "admin": ("admin", None)}


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url, ACCOUNTS)


def add_ticket(console: Console, *, team: str, category: str | None = None, question: str = "質問です") -> int:
    return console.ticket(question, team=team, category=category)


def stored(console: Console, ticket_id: int) -> Ticket:
    with Session(console.services.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


# -- 振り分け待ち -------------------------------------------------------------------------------------------------
def test_unrouted_ticket_is_in_every_staff_members_queue(console: Console) -> None:
    unrouted = add_ticket(console, team=UNROUTED, question="どこに聞けばいいか分からない質問")
    other_team = add_ticket(console, team="観光振興課", question="観光の質問")
    for username in ("kodomo", "shimin"):
        console.login(username)
        queue = console.client.get("/staff/").text
        assert f"/staff/tickets/{unrouted}" in queue and "振り分け待ち" in queue, username
        assert f"/staff/tickets/{other_team}" not in queue
        assert console.client.get(f"/staff/tickets/{unrouted}").status_code == 200
        only_unrouted = console.client.get("/staff/", params={"team": UNROUTED}).text
        assert f"/staff/tickets/{unrouted}" in only_unrouted


def test_unrouted_tickets_are_marked_in_the_queue_and_on_their_page(console: Console) -> None:
    unrouted = add_ticket(console, team=UNROUTED)
    console.login("kodomo")
    queue = console.client.get("/staff/", params={"team": UNROUTED}).text
    assert '<span class="badge unrouted" title="' in queue
    assert f'<option value="{UNROUTED}" selected>{UNROUTED}（担当課未定）</option>' in queue
    rows = console.client.get("/staff/queue/rows").text
    assert f'>{UNROUTED}</span>' in rows
    page = console.client.get(f"/staff/tickets/{unrouted}").text
    assert f'<span class="badge unrouted">{UNROUTED}</span>' in page and "担当課が決まっていない問い合わせです" in page


def test_claiming_an_unrouted_ticket_gives_it_the_claimers_team_and_category(console: Console) -> None:
    ticket_id = add_ticket(console, team=UNROUTED)
    csrf = console.login("shimin")
    response = console.client.post(f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": csrf},
                                   follow_redirects=False)
    assert response.status_code == 303
    ticket = stored(console, ticket_id)
    assert (ticket.team, ticket.category, ticket.status) == ("市民課", "procedures", "assigned")
    assert "振り分け待ち → 市民課" in [e.detail for e in console.rows(AuditEvent)]


@dataclass(frozen=True)
class TableNotRead(Routing):
    """Routing whose table must not be read."""

    def table(self, session: Session) -> RoutingTable:
        raise AssertionError("the routing table was read")


def test_claiming_a_routed_ticket_does_not_read_the_routing_table(console: Console) -> None:
    routed, unrouted = add_ticket(console, team="市民課"), add_ticket(console, team=UNROUTED)
    with Session(console.services.engine) as session:
        staff = session.exec(select(StaffUser).where(StaffUser.username == "shimin")).one()
        staff_actions.claim(session, staff, routed, TableNotRead())
        session.commit()
        with pytest.raises(AssertionError, match="routing table was read"):  # 振り分け待ち needs it
            staff_actions.claim(session, staff, unrouted, TableNotRead())
    assert stored(console, routed).status == "assigned"


# -- transfers -------------------------------------------------------------------------------------------------
def test_transfer_updates_the_category_and_returns_to_the_queue_saying_so(console: Console) -> None:
    ticket_id = add_ticket(console, team="観光振興課", category="tourism", question="ほいくえん　見学できる？")
    csrf = console.login("admin")
    response = console.client.post(f"/staff/tickets/{ticket_id}/transfer",
                                   data={"csrf_token": csrf, "team": "こども家庭部"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/?done=transferred")
    queue = console.client.get(response.headers["location"])
    assert queue.status_code == 200 and "転送しました" in queue.text
    ticket = stored(console, ticket_id)
    assert (ticket.team, ticket.category) == ("こども家庭部", "childcare")


def test_staff_who_transfer_away_from_their_team_land_on_their_queue_not_an_error(console: Console) -> None:
    ticket_id = add_ticket(console, team="こども家庭部", category="childcare")
    csrf = console.login("kodomo")
    page = console.client.post(f"/staff/tickets/{ticket_id}/transfer", data={"csrf_token": csrf, "team": "市民課"})
    assert page.status_code == 200
    assert "転送しました" in page.text and "開けません" not in page.text
    assert stored(console, ticket_id).category == "procedures"


def test_transfer_to_a_team_with_no_category_clears_it(console: Console) -> None:
    ticket_id = add_ticket(console, team="観光振興課", category="tourism")
    csrf = console.login("admin")
    console.client.post(f"/staff/tickets/{ticket_id}/transfer", data={"csrf_token": csrf, "team": "市民相談課"})
    assert stored(console, ticket_id).category is None


# -- the routing table page --------------------------------------------------------------------------------------
def test_routing_page_is_for_editors_and_admins(console: Console) -> None:
    for username, expected in (("editor", 200), ("admin", 200), ("kodomo", 403)):
        console.login(username)
        page = console.client.get("/staff/routing")
        assert page.status_code == expected, username
        if expected == 200:
            assert "分類ごとの担当課" in page.text and "こども家庭部" in page.text
            assert "初期設定の言葉" in page.text and "保育園" in page.text  # the seed topic words are shown


def test_routing_rule_needs_the_csrf_token(console: Console) -> None:
    console.login("editor")
    for token in ("", "forged"):
        response = console.client.post("/staff/routing", data={
            "csrf_token": token, "kind": "word", "key": "公園", "team": "市民相談課"}, follow_redirects=False)
        assert response.status_code == 403
    assert console.rows(RoutingRule) == []


def test_staff_cannot_change_the_routing_table(console: Console) -> None:
    csrf = console.login("kodomo")
    response = console.client.post("/staff/routing", data={
        "csrf_token": csrf, "kind": "word", "key": "公園", "team": "こども家庭部"}, follow_redirects=False)
    assert response.status_code == 403
    assert console.rows(RoutingRule) == []


def test_editor_saves_a_rule_that_is_audited_and_used_for_routing(console: Console) -> None:
    console.login("editor")
    csrf = csrf_of(console.client.get("/staff/routing").text)
    response = console.client.post("/staff/routing", data={
        "csrf_token": csrf, "kind": "category", "key": "tourism", "team": "市民相談課"}, follow_redirects=False)
    assert response.status_code == 303
    [rule] = console.rows(RoutingRule)
    assert (rule.kind, rule.key, rule.team, rule.updated_by) == ("category", "tourism", "市民相談課", "editor")
    [event] = [e for e in console.rows(AuditEvent) if e.action == "routing_rule_saved"]
    assert event.actor == "editor" and "tourism" in event.detail and "市民相談課" in event.detail
    with Session(console.services.engine) as session:
        desk_routing = console.client.app.state.staff_desk.routing  # type: ignore[attr-defined]
        assert desk_routing.table(session).categories["tourism"] == "市民相談課"
    page = console.client.get("/staff/routing?done=saved").text
    assert "保存しました" in page
    console.login("admin")
    assert "振り分けの規則を保存" in console.client.get("/staff/audit").text


@pytest.mark.parametrize("rule_id", [999, 2**31, 2**40])
def test_deleting_an_unknown_or_out_of_range_rule_is_a_404_page(console: Console, rule_id: int) -> None:
    console.login("editor")
    csrf = csrf_of(console.client.get("/staff/routing").text)
    response = console.client.post(f"/staff/routing/{rule_id}/delete", data={"csrf_token": csrf})
    assert response.status_code == 404 and "見つかりませんでした" in response.text


def test_editor_deletes_a_rule_and_the_settings_route_comes_back(console: Console) -> None:
    console.login("editor")
    csrf = csrf_of(console.client.get("/staff/routing").text)
    console.client.post("/staff/routing", data={"csrf_token": csrf, "kind": "category", "key": "tourism",
                                                "team": UNROUTED})
    [rule] = console.rows(RoutingRule)
    response = console.client.post(f"/staff/routing/{rule.id}/delete", data={"csrf_token": csrf},
                                   follow_redirects=False)
    assert response.status_code == 303
    assert console.rows(RoutingRule) == []
    assert "routing_rule_deleted" in [e.action for e in console.rows(AuditEvent)]
    with Session(console.services.engine) as session:
        routing = console.client.app.state.staff_desk.routing  # type: ignore[attr-defined]
        assert routing.table(session).categories["tourism"] == "観光振興課"


@pytest.mark.parametrize(("kind", "key", "team"), [
    ("category", "kosodate", "こども家庭部"),  # no such category
    ("entry", "no-such-entry", "こども家庭部"),
    ("word", "公園", "どこかの課"),  # not a known team
    ("nonsense", "公園", "こども家庭部"),
    ("word", "   ", "こども家庭部"),
])
def test_invalid_rules_are_refused_with_a_reason(console: Console, kind: str, key: str, team: str) -> None:
    console.login("editor")
    csrf = csrf_of(console.client.get("/staff/routing").text)
    response = console.client.post("/staff/routing", data={"csrf_token": csrf, "kind": kind, "key": key,
                                                           "team": team})
    assert response.status_code == 400 and 'class="error"' in response.text
    assert console.rows(RoutingRule) == []


def test_a_word_rule_is_stored_folded(console: Console) -> None:
    console.login("editor")
    csrf = csrf_of(console.client.get("/staff/routing").text)
    console.client.post("/staff/routing", data={"csrf_token": csrf, "kind": "word", "key": "ホイクエン",
                                                "team": "こども家庭部"})
    with Session(console.services.engine) as session:
        assert [r.key for r in session.exec(select(RoutingRule))] == ["ほいくえん"]
