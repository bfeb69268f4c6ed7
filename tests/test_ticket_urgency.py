"""Urgency (issue 17 item 5, second half): a ticket is 至急 only when its own messages have emergency words; an
emergency message sent shortly before an unrelated ticket is shown as 「直前に緊急の言葉あり（HH:MM）」 with its time,
in the queue row and the ticket header, and still opens the thread, marked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from console.formatting import jst
from handoff.models import Ticket
from retrieval.engine import Retriever
from tests.test_console import Console
from tests.test_console_ticket import EMERGENCY, bot_and_console, thread_of
from tests.test_handoff import UNANSWERABLE, open_ticket
from tests.test_worker import Bot, text_event

BEFORE = "直前に緊急の言葉あり"


@pytest.fixture
def bot_console(sqlite_url: str, mini_retriever: Retriever) -> Iterator[tuple[Bot, Console]]:
    yield from bot_and_console(sqlite_url, mini_retriever)


def queue_row(page: str, ticket_id: int | None) -> str:
    match = re.search(rf'<tr[^>]*data-ticket-id="{ticket_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row for #{ticket_id}"
    return match.group(0)


def test_an_emergency_message_before_an_unrelated_ticket_does_not_make_it_urgent(
        bot_console: tuple[Bot, Console]) -> None:
    bot, console = bot_console
    bot.receive(text_event("e1", EMERGENCY))
    bot.run()
    ticket = open_ticket(bot)  # minutes later, an unrelated question handed to staff
    assert not ticket.urgent
    assert ticket.emergency_before_at is not None
    assert thread_of(bot, ticket.id) == [(EMERGENCY, True), (UNANSWERABLE, False)]  # still opens the thread
    shown = jst(ticket.emergency_before_at)[11:]  # HH:MM in Japan time
    console.login("admin")
    row = queue_row(console.client.get("/staff/").text, ticket.id)
    assert f"{BEFORE}（{shown}）" in row and "至急" not in row and 'class="urgent"' not in row
    page = console.client.get(f"/staff/tickets/{ticket.id}").text
    head = page.split('<div class="ticket-layout">')[0]
    assert f"{BEFORE}（{shown}）" in head and "badge urgent" not in head


def test_emergency_words_in_the_tickets_own_thread_make_it_urgent(bot_console: tuple[Bot, Console]) -> None:
    bot, console = bot_console
    ticket = open_ticket(bot)
    bot.receive(text_event("e2", EMERGENCY))
    bot.run()
    with Session(bot.engine) as session:
        stored = session.get(Ticket, ticket.id)
        assert stored is not None and stored.urgent and stored.emergency_before_at is None
    console.login("admin")
    row = queue_row(console.client.get("/staff/").text, ticket.id)
    assert "至急" in row and BEFORE not in row


def test_an_emergency_before_another_day_shows_its_date(bot_console: tuple[Bot, Console]) -> None:
    bot, console = bot_console
    bot.receive(text_event("e1", EMERGENCY))
    bot.run()
    ticket = open_ticket(bot)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=20)
    with Session(bot.engine) as session:
        stored = session.get(Ticket, ticket.id)
        assert stored is not None
        stored.emergency_before_at = earlier
        session.add(stored)
        session.commit()
    console.login("admin")
    row = queue_row(console.client.get("/staff/").text, ticket.id)
    expected = jst(earlier)[5:] if jst(earlier)[:10] != jst(ticket.created_at)[:10] else jst(earlier)[11:]
    assert f"{BEFORE}（{expected}）" in row
