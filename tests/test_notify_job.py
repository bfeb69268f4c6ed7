"""New tickets are announced once, urgent first, from the worker loop; a failing notifier loses nothing."""

from __future__ import annotations

import asyncio

from sqlmodel import Session

from core.db import make_engine
from handoff.models import Ticket
from handoff.notify import NotificationHub, WebhookNotifier
from handoff.notify_job import TicketNotificationJob
from tests.test_notify import webhook_server
from tsunagu.db import migrate


def add_tickets(engine, *urgent: bool) -> list[int]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        tickets = [Ticket(line_user_id=f"U{i:032d}", question="質問", team="市民課", urgent=flag)
                   for i, flag in enumerate(urgent)]
        session.add_all(tickets)
        session.commit()
        return [t.id for t in tickets if t.id is not None]


def test_each_new_ticket_is_announced_once_urgent_first(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    normal, urgent = add_tickets(engine, False, True)
    with webhook_server() as (url, received):
        job = TicketNotificationJob(engine, NotificationHub([WebhookNotifier(url, "slack")]), "https://c.example/")
        assert asyncio.run(job.run_once()) == 2
        assert asyncio.run(job.run_once()) == 0  # nothing announced twice
    texts = [r.body["text"] for r in received]
    assert texts[0].startswith("【至急】") and f"https://c.example/staff/tickets/{urgent}" in texts[0]
    assert f"https://c.example/staff/tickets/{normal}" in texts[1]
    assert "質問" not in "".join(texts)  # no citizen text leaves for a chat tool


def test_a_failing_notifier_is_recorded_and_the_ticket_kept(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    [ticket_id] = add_tickets(engine, False)
    with webhook_server(status=500) as (url, _):
        job = TicketNotificationJob(engine, NotificationHub([WebhookNotifier(url, "teams")]), "http://x")
        assert asyncio.run(job.run_once()) == 1
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == "waiting"
        assert ticket.notified_at is not None and ticket.notify_error == "通知に失敗: webhook:teams"
