"""Access control in the staff console: teams scope what staff see and do, transfer rights, odd ticket ids."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from handoff.models import Ticket
from tests.test_console import Console, make_console

# user → (role, team); console.ticket() files tickets for こども家庭部
ACCOUNTS = {"kodomo1": ("staff", "こども家庭部"), "kodomo2": ("staff", "こども家庭部"),
            "kanko": ("staff", "観光振興課"), "muteam": ("staff", None), "kanri": ("admin", None)}


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url, ACCOUNTS)


@pytest.fixture
def shared_console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url, ACCOUNTS, handoff_shared_queue=True)


def queue_ids(console: Console) -> list[int]:
    return [int(i) for i in re.findall(r'data-ticket-id="(\d+)"', console.client.get("/staff/queue/rows").text)]


def ticket_of(console: Console, ticket_id: int) -> Ticket:
    with Session(console.services.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def post(console: Console, ticket_id: int, action: str, csrf: str, **data: str) -> int:
    response = console.client.post(f"/staff/tickets/{ticket_id}/{action}", data={"csrf_token": csrf, **data},
                                   follow_redirects=False)
    return response.status_code


def test_staff_of_another_team_can_neither_see_nor_act_on_a_ticket(console: Console) -> None:
    ticket_id = console.ticket("保育園の見学はできますか（電話 090-1234-5678）")
    csrf = console.login("kanko")
    assert ticket_id not in queue_ids(console)
    page = console.client.get(f"/staff/tickets/{ticket_id}")
    assert page.status_code == 403 and "090-1234-5678" not in page.text and "担当課" in page.text
    assert console.client.get(f"/staff/tickets/{ticket_id}/thread").status_code == 403
    for action in ("claim", "reply", "resolve", "unclaim", "transfer", "draft"):
        assert post(console, ticket_id, action, csrf, text="回答です", team="観光振興課") == 403, action
    ticket = ticket_of(console, ticket_id)
    assert (ticket.status, ticket.assignee_id, ticket.team) == ("waiting", None, "こども家庭部")


def test_own_team_and_admins_see_the_ticket(console: Console) -> None:
    ticket_id = console.ticket()
    for username in ("kodomo1", "kanri"):
        console.login(username)
        assert ticket_id in queue_ids(console), username
        assert console.client.get(f"/staff/tickets/{ticket_id}").status_code == 200, username


def test_staff_without_a_team_see_no_ticket_and_are_told_why(console: Console) -> None:
    ticket_id = console.ticket()
    console.login("muteam")
    assert "担当課が設定されていない" in console.client.get("/staff/").text
    assert queue_ids(console) == []
    assert console.client.get(f"/staff/tickets/{ticket_id}").status_code == 403


def test_a_shared_queue_lets_every_staff_member_answer(shared_console: Console) -> None:
    ticket_id = shared_console.ticket()
    csrf = shared_console.login("kanko")
    assert ticket_id in queue_ids(shared_console)
    assert post(shared_console, ticket_id, "claim", csrf) == 303
    assert ticket_of(shared_console, ticket_id).status == "assigned"


def test_only_the_assignee_or_an_admin_may_transfer_a_claimed_ticket(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = console.login("kodomo1")
    assert post(console, ticket_id, "claim", csrf) == 303
    csrf = console.login("kodomo2")
    response = console.client.post(f"/staff/tickets/{ticket_id}/transfer",
                                   data={"csrf_token": csrf, "team": "市民課"}, follow_redirects=False)
    assert response.status_code == 409 and "担当者本人か管理者" in response.text
    assert (ticket_of(console, ticket_id).team, ticket_of(console, ticket_id).status) == ("こども家庭部", "assigned")
    csrf = console.login("kanri")
    assert post(console, ticket_id, "transfer", csrf, team="市民課") == 303
    assert (ticket_of(console, ticket_id).team, ticket_of(console, ticket_id).assignee_id) == ("市民課", None)


def test_a_waiting_ticket_may_be_passed_on_by_its_team(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = console.login("kodomo2")
    assert post(console, ticket_id, "transfer", csrf, team="観光振興課") == 303
    assert ticket_of(console, ticket_id).team == "観光振興課"


@pytest.mark.parametrize("raw_id", ["1" * 25, "0", str(2**31), str(2**63)])
def test_ticket_ids_out_of_range_are_not_found(console: Console, raw_id: str) -> None:
    csrf = console.login("kanri")
    assert console.client.get(f"/staff/tickets/{raw_id}").status_code == 404
    assert console.client.get(f"/staff/tickets/{raw_id}/thread").status_code == 404
    assert post(console, int(raw_id), "claim", csrf) == 404


def test_admins_see_failed_deliveries_without_text_or_user_id(console: Console) -> None:
    from bot.models import OutboxMessage
    from tests.test_console import USER

    with Session(console.services.engine) as session:
        session.add(OutboxMessage(line_user_id=USER, messages=[{"type": "text", "text": "秘密の回答本文"}],
                                  retry_key="k-1", status="failed", attempts=5, last_error="HTTP 400"))
        session.commit()
    console.login("kodomo1")
    assert console.client.get("/staff/deliveries").status_code == 403
    console.login("kanri")
    page = console.client.get("/staff/deliveries")
    assert page.status_code == 200 and "HTTP 400" in page.text
    assert "秘密の回答本文" not in page.text and USER not in page.text
