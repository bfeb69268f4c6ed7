"""The retention period is enforced (issue 10): ``tsunagu purge`` and the worker's daily run leave no text and no
LINE user id of an expired user in any table, and keep a fresh user's records.

The check reflects the live database (every table the migrations made, so a new table cannot be forgotten) and
reads every column of every row. Runs on SQLite and PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import DateTime, Engine, MetaData, select, update
from sqlmodel import Session
from typer.testing import CliRunner

from bot import retention as bot_retention
from bot.conversation import DECLINE_ARGUMENT
from bot.models import InboxEvent, LineUser, OutboxMessage
from console import audit
from core.clock import utcnow
from handoff import staff_actions
from handoff.models import Ticket
from handoff.notes import add_note
from handoff.retention import EXPIRED_TEXT, EXPIRED_USER
from knowledge.drafts import create_draft
from knowledge.retention import EXPIRED_QUESTION
from tests.conftest import MINI_PACK
from tests.test_handoff import CALENDAR, REPLIES, ROUTING, UNANSWERABLE, act, add_staff, bot
from tests.test_worker import SIGNER, Bot, postback_event, text_event
from tests.utils.line import RENDERERS
from tests.utils.services import make_test_services
from tests.utils.waiting import wait_for_async
from tsunagu import retention
from tsunagu.bot_runtime import run_worker
from tsunagu.settings import Settings

__all__ = ["bot"]  # the fixture, imported so pytest finds it here

OLD, NEW = "U" + "a" * 32, "U" + "b" * 32
OLD_TEXT, NEW_TEXT = "しらかば三丁目の件", "なでしこ五丁目の件"
EXPIRED_AGE = dt.timedelta(days=400)


def at(moment: dt.datetime, event: dict[str, Any]) -> dict[str, Any]:
    """The event as LINE would stamp it at ``moment`` (milliseconds since the epoch)."""
    return {**event, "timestamp": int(moment.timestamp() * 1000)}


def converse(bot: Bot, user: str, mark: str, moment: dt.datetime) -> int:
    """A question first declined, then handed to staff, a follow-up and an emergency in its thread, a staff
    answer quoting the citizen, an internal note quoting them too, the ticket resolved and made into an FAQ
    draft: ``mark`` ends up in every table that keeps text (the declined question among the unanswered ones)."""
    for step, event in enumerate([
        text_event(f"{user}-q", f"{UNANSWERABLE}（{mark}）", user),
        postback_event(f"{user}-no", SIGNER.sign(user, "cancel", DECLINE_ARGUMENT), user),
        postback_event(f"{user}-yes", SIGNER.sign(user, "handoff", "yes"), user),
        text_event(f"{user}-more", f"補足です。{mark}のことです", user),
        text_event(f"{user}-sos", f"{mark}で子どもがけいれんしている", user),
    ]):
        bot.receive(at(moment + dt.timedelta(seconds=step), event))
        bot.run()
    with Session(bot.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.line_user_id == user)).scalars().one()  # type: ignore[call-overload]
        ticket_id = int(ticket.id)
    staff = add_staff(bot, f"staff-{user[-4:]}")
    act(bot, lambda s: staff_actions.claim(s, staff, ticket_id, ROUTING))
    act(bot, lambda s: add_note(s, ticket_id=ticket_id, staff_id=staff.id, actor=staff.username,
                                text=f"{mark}の件、前にも問い合わせあり"))
    act(bot, lambda s: staff_actions.reply(s, staff, ticket_id, f"{mark}についてお答えします。",
                                          replies=REPLIES, calendar=CALENDAR, renderers=RENDERERS))
    act(bot, lambda s: staff_actions.resolve(s, staff, ticket_id, replies=REPLIES, renderers=RENDERERS))
    act(bot, lambda s: create_draft(s, question=ticket.question, answer="回答例です。", category=None,
                                    source_ticket_id=ticket_id, created_by=staff.username))
    act(bot, lambda s: audit.record(s, action="faq_draft_created", actor=staff.username, ticket_id=ticket_id))
    bot.run()
    return ticket_id


def age_every_row(engine: Engine, moment: dt.datetime) -> None:
    """Set every time of every row to ``moment`` (as if all of it happened then)."""
    tables = MetaData()
    tables.reflect(bind=engine)
    with engine.begin() as connection:
        for table in tables.sorted_tables:
            times = {c.name: moment for c in table.columns if isinstance(c.type, DateTime)}
            if times:
                connection.execute(update(table).values(**times))


def rows_of(engine: Engine) -> Iterator[tuple[str, str]]:
    """(table, text of one value) for every value of every row of every table in the database."""
    tables = MetaData()
    tables.reflect(bind=engine)
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, dict | list):
                        yield table.name, json.dumps(value, ensure_ascii=False)
                    elif value is not None and not isinstance(value, bytes | memoryview):
                        yield table.name, str(value)


def tables_holding(engine: Engine, *needles: str) -> set[str]:
    return {table for table, text in rows_of(engine) if any(needle in text for needle in needles)}


TEXT_TABLES = {"bot_inbox_event", "bot_outbox_message", "bot_line_user", "handoff_ticket", "handoff_ticket_message",
               "faq_draft", "knowledge_unanswered", "handoff_ticket_note"}


@pytest.fixture
def two_users(bot: Bot) -> tuple[int, int]:
    """An expired user (last seen 400 days ago) and a fresh one, each with text in every table."""
    old_ticket = converse(bot, OLD, OLD_TEXT, utcnow() - EXPIRED_AGE)
    age_every_row(bot.engine, utcnow() - EXPIRED_AGE)
    new_ticket = converse(bot, NEW, NEW_TEXT, utcnow())
    return old_ticket, new_ticket


def test_purge_leaves_no_text_or_line_id_of_an_expired_user(bot: Bot, two_users: tuple[int, int]) -> None:
    old_ticket, new_ticket = two_users
    assert tables_holding(bot.engine, OLD_TEXT) >= TEXT_TABLES  # the check below can find what it looks for
    assert tables_holding(bot.engine, OLD) >= {"bot_inbox_event", "bot_outbox_message", "bot_line_user",
                                               "handoff_ticket", "bot_interaction", "knowledge_unanswered"}

    with Session(bot.engine) as session:
        report = retention.purge(session, retention_days=365)
        session.commit()

    assert tables_holding(bot.engine, OLD_TEXT, OLD) == set()
    assert tables_holding(bot.engine, NEW_TEXT) >= TEXT_TABLES  # the fresh user's records are intact
    with Session(bot.engine) as session:
        assert session.get(LineUser, NEW) is not None and session.get(LineUser, OLD) is None
        kept = session.get(Ticket, old_ticket)  # the number and figures stay, for the audit log and reports
        assert kept is not None
        assert (kept.status, kept.team) == ("resolved", "市民相談課")
        assert (kept.line_user_id, kept.question) == (EXPIRED_USER, EXPIRED_TEXT)
        assert kept.first_response_business_s is not None
        fresh = session.get(Ticket, new_ticket)
        assert fresh is not None and NEW_TEXT in fresh.question
    assert report.rows["bot_line_user"] == 1 and report.rows["handoff_ticket"] == 1
    assert report.rows["faq_draft"] == 1 and report.rows["handoff_ticket_message"] >= 4
    assert report.rows["handoff_ticket_note"] == 1
    assert report.rows["knowledge_unanswered"] == 1 and report.rows["bot_interaction"] >= 3
    assert EXPIRED_QUESTION in {text for table, text in rows_of(bot.engine) if table == "faq_draft"}
    events = [text for table, text in rows_of(bot.engine) if table == "handoff_audit_event"]
    assert retention.PURGE_ACTION in events


def test_purge_is_idempotent(bot: Bot, two_users: tuple[int, int]) -> None:
    for expected_users in (1, 0):
        with Session(bot.engine) as session:
            report = retention.purge(session, retention_days=365)
            session.commit()
        assert report.rows["bot_line_user"] == expected_users
    assert report.rows["handoff_ticket"] == 0 and report.rows["faq_draft"] == 0


def test_daily_purge_runs_at_most_once_a_day_across_processes(bot: Bot, two_users: tuple[int, int],
                                                               database_url: str) -> None:
    now = utcnow()
    reports: list[object] = []
    barrier = threading.Barrier(2)

    def run() -> None:  # each thread stands for one worker process, with its own engine
        from core.db import make_engine
        engine = make_engine(database_url)
        barrier.wait()
        reports.append(retention.purge_if_due(engine, retention_days=365, now=now))
        engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(report is None for report in reports) == [False, True]
    assert retention.purge_if_due(bot.engine, retention_days=365, now=now + dt.timedelta(hours=23)) is None
    assert retention.purge_if_due(bot.engine, retention_days=365, now=now + dt.timedelta(hours=25)) is not None


def test_worker_loop_purges_then_stops(bot: Bot, two_users: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        real = retention.purge_if_due

        def purge_then_stop(*args: Any, **kwargs: Any) -> object:
            calls.append(real(*args, **kwargs))
            loop.call_soon_threadsafe(stop.set)
            return calls[-1]

        monkeypatch.setattr(retention, "purge_if_due", purge_then_stop)
        await retention.purge_daily(bot.engine, retention_days=365, stop=stop)

    asyncio.run(main())
    assert len(calls) == 1 and calls[0] is not None
    assert tables_holding(bot.engine, OLD_TEXT, OLD) == set()


def test_cli_dry_run_prints_counts_and_changes_nothing(bot: Bot, two_users: tuple[int, int], database_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tsunagu.cli import app

    monkeypatch.setenv("TSUNAGU_DATABASE_URL", database_url)
    monkeypatch.setenv("TSUNAGU_DATA_RETENTION_DAYS", "365")
    dry = CliRunner().invoke(app, ["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "bot_line_user: 1" in dry.output and "handoff_ticket: 1" in dry.output and "faq_draft: 1" in dry.output
    assert "nothing changed" in dry.output
    assert OLD_TEXT and tables_holding(bot.engine, OLD_TEXT) >= TEXT_TABLES
    done = CliRunner().invoke(app, ["purge"])
    assert done.exit_code == 0, done.output
    assert "bot_line_user: 1" in done.output
    assert tables_holding(bot.engine, OLD_TEXT, OLD) == set()


def test_a_returning_users_waiting_message_is_kept_and_answered(bot: Bot, two_users: tuple[int, int]) -> None:
    """The user comes back just as the purge runs: their old records go, the new message is still answered."""
    bot.receive(text_event(f"{OLD}-back", "粗大ごみの出し方を教えて", OLD))
    with Session(bot.engine) as session:
        assert bot_retention.purge_users(session, [NEW], utcnow() - dt.timedelta(days=365)) == []  # re-checked
        retention.purge(session, retention_days=365)
        session.commit()
    assert [e.webhook_event_id for e in bot.rows(InboxEvent) if e.line_user_id == OLD] == [f"{OLD}-back"]
    bot.run()
    assert [o.status for o in bot.rows(OutboxMessage) if o.line_user_id == OLD] == ["delivered"]
    assert tables_holding(bot.engine, OLD_TEXT) == set()


def test_the_worker_runs_the_purge_beside_it(sqlite_url: str) -> None:
    """``run_worker`` (the in-process worker and ``tsunagu worker``) starts the daily purge with it."""
    settings = Settings(database_url=sqlite_url, pack_dir=MINI_PACK, LINE_CHANNEL_SECRET="secret",
                        LINE_CHANNEL_ACCESS_TOKEN="token", run_worker_in_process=False)
    services = make_test_services(settings)
    with Session(services.engine) as session:
        session.add(LineUser(user_id=OLD, last_question=OLD_TEXT, last_seen=utcnow() - EXPIRED_AGE))
        session.commit()

    def purged() -> bool:
        with Session(services.engine) as session:
            return session.get(LineUser, OLD) is None

    async def main() -> bool:
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(services, stop))
        try:  # the purge runs in a thread (not a speed check: it normally takes milliseconds)
            await wait_for_async(purged, timeout=20, message="the daily purge beside the worker")
        finally:
            stop.set()
            await worker
        return purged()

    assert asyncio.run(main())
