"""Issue 10: announcing new tickets never blocks the event loop (its database work runs in a thread) and one
slow notice does not hold the others (they are sent together). No durations are measured: the tests check that
other work made progress while the job was busy."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from core.db import make_engine
from handoff.models import Ticket
from handoff.notify import NotificationHub, TicketNotice
from handoff.notify_job import TicketNotificationJob
from tsunagu.db import migrate

DEADLOCK_BREAKER_S = 20.0  # only ends a test that would otherwise hang; nothing is timed


def add_tickets(engine: Any, count: int) -> list[int]:
    with Session(engine) as session:
        tickets = [Ticket(line_user_id=f"U{i:032d}", question="質問", team="市民課") for i in range(count)]
        session.add_all(tickets)
        session.commit()
        return [t.id for t in tickets if t.id is not None]


class Recording:
    """A notifier that records the notices it sends."""

    name, timeout = "recording", DEADLOCK_BREAKER_S

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, notice: TicketNotice) -> None:
        self.sent.append(notice.ticket_id)


def test_the_database_work_runs_off_the_event_loop(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    [ticket_id] = add_tickets(engine, 1)
    in_database, loop_ran = threading.Event(), threading.Event()
    seen: list[bool] = []

    @event.listens_for(engine, "before_cursor_execute")
    def hold_the_first_statement(*_: Any) -> None:
        if not in_database.is_set():  # the job's first query waits until the loop has run something else
            in_database.set()
            seen.append(loop_ran.wait(DEADLOCK_BREAKER_S))

    async def other_work() -> None:
        while not in_database.is_set():
            await asyncio.sleep(0.001)
        loop_ran.set()  # runs only if the job's query is not holding the loop

    notifier = Recording()
    job = TicketNotificationJob(engine, NotificationHub([notifier]), "https://c.example/")

    async def main() -> int:
        handled, _ = await asyncio.gather(job.run_once(), other_work())
        return handled

    assert asyncio.run(main()) == 1
    assert seen == [True]
    assert notifier.sent == [ticket_id]
    engine.dispose()


class WaitsForTheOther:
    """A notifier whose notice for the first ticket is held until the notice for the second one is sent."""

    name, timeout = "chat", DEADLOCK_BREAKER_S

    def __init__(self, first: int) -> None:
        self.first = first
        self.second_sent = asyncio.Event()
        self.order: list[int] = []

    async def send(self, notice: TicketNotice) -> None:
        if notice.ticket_id == self.first:
            await self.second_sent.wait()
        else:
            self.second_sent.set()
        self.order.append(notice.ticket_id)


def test_a_slow_notice_does_not_hold_the_next_one(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    first, second = add_tickets(engine, 2)
    notifier = WaitsForTheOther(first)
    job = TicketNotificationJob(engine, NotificationHub([notifier]), "https://c.example/")
    assert asyncio.run(job.run_once()) == 2
    assert notifier.order == [second, first]
    with Session(engine) as session:
        assert [session.get(Ticket, t).notify_error for t in (first, second)] == [None, None]  # type: ignore[union-attr]
    engine.dispose()
