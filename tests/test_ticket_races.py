"""Races between the citizen (through the worker) and staff on one ticket, made deterministic (issue 10).

Each test interleaves two sessions by hand: the acting session reads the ticket, the other side commits its
change right after that read (an ``after_cursor_execute`` hook on the acting engine), then the acting session
writes. Before tickets changed by conditional UPDATEs, the late writer silently overwrote the change it never saw
(a cancelled ticket went back to the queue, a claim was lost) or crashed on a deleted row. Runs on SQLite and
PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from bot.desk import CANCEL_ARGUMENT
from bot.models import LineUser, OutboxMessage
from console.accounts.models import StaffUser
from core.db import make_engine
from handoff import staff_actions
from handoff.models import Ticket, TicketMessage
from handoff.staff_actions import TicketActionError
from handoff.tickets import CitizenDesk, Routing
from tests.test_console import USER as CONSOLE_USER
from tests.test_console import make_console
from tests.test_handoff import CALENDAR, REPLIES, ROUTING, act, add_staff, bot, open_ticket, ticket_of
from tests.test_worker import SIGNER, USER, Bot, confirm_deletion, postback_event
from tests.utils.line import RENDERERS

__all__ = ["bot"]  # the fixture, imported so pytest finds it here

TICKET_READ = re.compile(r"\bFROM handoff_ticket\b", re.IGNORECASE)


@contextmanager
def right_after_first_ticket_read(engine: Engine, interloper: Callable[[], None]) -> Iterator[list[bool]]:
    """Run ``interloper`` (the other side, committing on its own connection) once, right after ``engine`` first
    reads the ticket table; yields a list that holds True once it ran."""
    fired: list[bool] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if fired or not statement.lstrip().upper().startswith("SELECT") or not TICKET_READ.search(statement):
            return
        fired.append(True)
        interloper()

    event.listen(engine, "after_cursor_execute", hook)
    try:
        yield fired
    finally:
        event.remove(engine, "after_cursor_execute", hook)


def citizen_cancels(bot: Bot) -> Callable[[], None]:
    def cancel() -> None:
        bot.receive(postback_event("race-cancel", SIGNER.sign(USER, "cancel", CANCEL_ARGUMENT)))
        bot.run()
    return cancel


def citizen_deletes(bot: Bot) -> Callable[[], None]:
    return lambda: confirm_deletion(bot)


StaffAction = Callable[[Session, StaffUser, int], object]
STAFF_ACTIONS: dict[str, StaffAction] = {
    "unclaim": lambda s, staff, t: staff_actions.unclaim(s, staff, t),
    "transfer": lambda s, staff, t: staff_actions.transfer(s, staff, t, "環境政策課", ROUTING),
    "resolve": lambda s, staff, t: staff_actions.resolve(s, staff, t, replies=REPLIES, renderers=RENDERERS),
    "reply": lambda s, staff, t: staff_actions.reply(s, staff, t, "回答です", replies=REPLIES, calendar=CALENDAR,
                                                     renderers=RENDERERS),
}


def run_staff_action(database_url: str, staff: StaffUser, ticket_id: int, action: StaffAction,
                     interloper: Callable[[], None]) -> None:
    """``action`` in its own engine and session, with ``interloper`` committing right after its first ticket read;
    commits like the console does on success, rolls back and re-raises a refusal."""
    engine = make_engine(database_url)
    try:
        with right_after_first_ticket_read(engine, interloper) as fired, Session(engine) as session:
            try:
                action(session, staff, ticket_id)
                session.commit()
            finally:
                assert fired, "the race never happened: the action did not read the ticket"
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", sorted(STAFF_ACTIONS))
def test_staff_action_after_the_citizen_cancelled_is_refused(bot: Bot, database_url: str, name: str) -> None:
    ticket = open_ticket(bot)
    assert ticket.id is not None
    staff = add_staff(bot, "sato")
    act(bot, lambda s: staff_actions.claim(s, staff, ticket.id, ROUTING))
    pushed_before = len(bot.rows(OutboxMessage))
    with pytest.raises(TicketActionError, match="利用者がすでに取り消しました"):
        run_staff_action(database_url, staff, ticket.id, STAFF_ACTIONS[name], citizen_cancels(bot))
    after = ticket_of(bot, ticket.id)
    assert (after.status, after.team, after.resolved_at) == ("cancelled", "市民相談課", None)
    assert len(bot.rows(OutboxMessage)) == pushed_before + 1  # only the "cancelled" reply, no staff push
    assert not [m for m in bot.rows(TicketMessage) if m.author == "staff"]
    assert bot.open_ticket_status() is None


@pytest.mark.parametrize("name", sorted(STAFF_ACTIONS))
def test_staff_action_after_the_citizen_deleted_their_data_is_refused(
    bot: Bot, database_url: str, name: str,
) -> None:
    ticket = open_ticket(bot)
    assert ticket.id is not None
    staff = add_staff(bot, "sato")
    act(bot, lambda s: staff_actions.claim(s, staff, ticket.id, ROUTING))
    with pytest.raises(TicketActionError, match="見つかりません|データを削除したため"):
        run_staff_action(database_url, staff, ticket.id, STAFF_ACTIONS[name], citizen_deletes(bot))
    assert bot.rows(Ticket) == [] and bot.rows(TicketMessage) == []


def test_transfer_after_another_staff_member_claimed_is_refused(bot: Bot, database_url: str) -> None:
    ticket = open_ticket(bot)
    assert ticket.id is not None
    admin, staff = add_staff(bot, "admin", role="admin"), add_staff(bot, "sato")
    claim = lambda: act(bot, lambda s: staff_actions.claim(s, staff, ticket.id, ROUTING))  # noqa: E731
    with pytest.raises(TicketActionError, match="ほかの職員"):
        run_staff_action(database_url, admin, ticket.id, STAFF_ACTIONS["transfer"], claim)
    after = ticket_of(bot, ticket.id)
    assert (after.status, after.assignee_id, after.team) == ("assigned", staff.id, "市民相談課")


def test_unclaim_after_an_admin_transferred_is_refused(bot: Bot, database_url: str) -> None:
    ticket = open_ticket(bot)
    assert ticket.id is not None
    admin, staff = add_staff(bot, "admin", role="admin"), add_staff(bot, "sato")
    act(bot, lambda s: staff_actions.claim(s, staff, ticket.id, ROUTING))
    transfer = lambda: act(bot, lambda s: staff_actions.transfer(s, admin, ticket.id, "環境政策課", ROUTING))  # noqa: E731
    with pytest.raises(TicketActionError, match="担当者ではなくなりました"):
        run_staff_action(database_url, staff, ticket.id, STAFF_ACTIONS["unclaim"], transfer)
    after = ticket_of(bot, ticket.id)
    assert (after.status, after.assignee_id, after.team) == ("waiting", None, "環境政策課")


def test_citizen_cancel_after_staff_resolved_leaves_it_resolved(bot: Bot, database_url: str) -> None:
    """The worker's side: it reads the open ticket, staff resolve it, then the worker's cancel must not win."""
    ticket = open_ticket(bot)
    assert ticket.id is not None
    staff = add_staff(bot, "sato")
    act(bot, lambda s: staff_actions.claim(s, staff, ticket.id, ROUTING))
    resolve = lambda: act(bot, lambda s: staff_actions.resolve(  # noqa: E731
        s, staff, ticket.id, replies=REPLIES, renderers=RENDERERS))
    desk = CitizenDesk(Routing(), CALENDAR, REPLIES)
    engine = make_engine(database_url)
    try:
        with right_after_first_ticket_read(engine, resolve) as fired, Session(engine) as session:
            user = session.get(LineUser, USER)
            assert user is not None
            replies = desk.cancel(session, user, dt.datetime.now(dt.UTC))
            session.add(user)
            session.commit()
        assert fired
    finally:
        engine.dispose()
    assert replies == REPLIES.nothing_to_cancel()
    after = ticket_of(bot, ticket.id)
    assert (after.status, after.assignee_id) == ("resolved", staff.id)
    with Session(bot.engine) as session:
        notes = session.exec(select(TicketMessage.text).where(col(TicketMessage.author) == "system")).all()
        assert not notes  # no "利用者が質問を取り消しました" in a resolved ticket's thread
        assert session.get(LineUser, USER) is not None
    assert bot.open_ticket_status() is None


@pytest.mark.parametrize("path, form", [("unclaim", {}), ("resolve", {}), ("transfer", {"team": "環境政策課"}),
                                        ("reply", {"text": "回答です"})])
def test_console_says_the_citizen_cancelled_instead_of_failing(
    sqlite_url: str, path: str, form: dict[str, str],
) -> None:
    """A page opened before the cancellation: the action is refused with the reason (409), never a 500."""
    console = next(make_console(sqlite_url))
    ticket_id = console.ticket()
    csrf = console.login("staff")
    assert "担当しました。" in console.client.post(f"/staff/tickets/{ticket_id}/claim",
                                                  data={"csrf_token": csrf}).text
    with Session(console.services.engine) as session:
        user = session.get(LineUser, CONSOLE_USER)
        assert user is not None
        CitizenDesk(Routing(), CALENDAR, REPLIES).cancel(session, user, dt.datetime.now(dt.UTC))
        session.add(user)
        session.commit()
    response = console.client.post(f"/staff/tickets/{ticket_id}/{path}", data={"csrf_token": csrf, **form})
    assert response.status_code == 409
    assert "この問い合わせは、利用者がすでに取り消しました。" in response.text
