"""``tsunagu bench handoff``: many tickets claimed by concurrent simulated staff; no ticket doubled or lost.

500 tickets are opened the way the bot opens them; 10 staff threads (each with its own database connection)
repeatedly pick one of the oldest waiting tickets — so they collide on purpose — claim it and resolve it. Every
successful claim is recorded by the thread that made it, so ``double_claims`` counts tickets claimed by more than
one thread, and ``lost`` counts tickets that never ended resolved. Claim latency covers the claim transaction
(including the lost races). On PostgreSQL the run uses a temporary schema that is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, col, select

from bot.line.channel import LineRenderer
from bot.models import LineUser
from bot.postback import PostbackSigner
from console.accounts.models import StaffUser
from core.db import make_engine
from eval.settings import Migrate
from handoff import staff_actions
from handoff.hours import BusinessCalendar, BusinessHours
from handoff.models import Ticket, TicketStatus
from handoff.replies import CitizenReplies
from handoff.tickets import CitizenDesk, Routing

PICK_FROM_OLDEST = 5  # staff pick among the oldest few waiting tickets, as people working one queue do


@contextmanager
def bench_database(database_url: str | None) -> Iterator[str]:
    """A fresh SQLite file by default; on PostgreSQL a temporary schema dropped afterwards."""
    if database_url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    schema = f"bench_{secrets.token_hex(5)}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"create schema {schema}"))
    try:
        separator = "&" if "?" in database_url else "?"
        yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


def _open_tickets(engine: Engine, desk: CitizenDesk, count: int) -> list[int]:
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        for index in range(count):
            user = LineUser(user_id=f"U{index:032x}")
            session.add(user)
            desk.open_ticket(session, user, question=f"ベンチマーク用の質問 {index}", candidates=[],
                             category=None, urgent=index % 50 == 0, now=now)
        session.commit()
        return [int(i) for i in session.exec(select(Ticket.id)).all() if i is not None]


def _add_staff(engine: Engine, count: int) -> list[StaffUser]:
    with Session(engine) as session:
        staff = [StaffUser(username=f"bench{index:02d}", display_name=f"bench{index:02d}",
                           password_hash="!", role="staff") for index in range(count)]  # "!": cannot log in
        session.add_all(staff)
        session.commit()
        for member in staff:
            session.refresh(member)
            session.expunge(member)
        return staff


class _StaffThread(threading.Thread):
    """One simulated staff member: claim one of the oldest waiting tickets, resolve it, repeat until none."""

    def __init__(self, database_url: str, member: StaffUser, routing: Routing, replies: CitizenReplies,
                 seed: int) -> None:
        super().__init__(daemon=True)
        self.database_url, self.member, self.routing, self.replies = database_url, member, routing, replies
        self.random = random.Random(seed)
        self.claimed: list[int] = []
        self.latencies_ms: list[float] = []
        self.conflicts = 0
        self.errors: list[str] = []

    def run(self) -> None:
        engine = make_engine(self.database_url)
        try:
            while self._round(engine):
                pass
        except Exception as error:  # reported in the results; a bench must not hang on one thread's failure
            self.errors.append(type(error).__name__)
        finally:
            engine.dispose()

    def _round(self, engine: Engine) -> bool:
        with Session(engine) as session:
            waiting = list(session.exec(
                select(Ticket.id).where(col(Ticket.status) == TicketStatus.WAITING)
                .order_by(col(Ticket.urgent).desc(), col(Ticket.id)).limit(PICK_FROM_OLDEST)).all())
        if not waiting:
            return False
        ticket_id = self.random.choice(waiting)
        assert ticket_id is not None
        started = time.perf_counter()
        with Session(engine) as session:
            try:
                staff_actions.claim(session, self.member, ticket_id, self.routing)
                session.commit()
                won = True
            except staff_actions.TicketActionError:
                session.rollback()
                won = False
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if not won:
            self.conflicts += 1
            return True
        self.claimed.append(ticket_id)
        with Session(engine) as session:
            staff_actions.resolve(session, self.member, ticket_id, replies=self.replies, renderers=RENDERERS)
            session.commit()
        return True


RENDERERS = {"line": LineRenderer()}  # the citizens of the bench are LINE users


def run_handoff_bench(*, migrate: Migrate, tickets: int = 500, staff: int = 10, database_url: str | None = None,
                      seed: int = 1) -> dict[str, Any]:
    """Open ``tickets``, let ``staff`` threads claim and resolve them all; return the counts and latencies.
    ``migrate`` creates the schema in the fresh database (the CLI passes ``tsunagu.db.migrate``)."""
    with bench_database(database_url) as url:
        migrate(url)
        engine = make_engine(url)
        replies = CitizenReplies(PostbackSigner(secrets.token_hex(16)))
        routing = Routing(max_open_per_staff=10)
        ticket_ids = _open_tickets(engine, CitizenDesk(routing, BusinessCalendar(BusinessHours()), replies), tickets)
        members = _add_staff(engine, staff)
        threads = [_StaffThread(url, member, routing, replies, seed + index) for index, member in enumerate(members)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        with Session(engine) as session:
            resolved = set(session.exec(select(Ticket.id).where(col(Ticket.status) == TicketStatus.RESOLVED)).all())
        engine.dispose()
    claims = Counter(ticket_id for thread in threads for ticket_id in thread.claimed)
    latencies = np.array([ms for thread in threads for ms in thread.latencies_ms] or [0.0])
    return {
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "tickets": tickets,
        "staff": staff,
        "claimed": sum(claims.values()),
        "double_claims": sum(1 for count in claims.values() if count > 1),
        "lost": sum(1 for ticket_id in ticket_ids if ticket_id not in resolved or claims[ticket_id] == 0),
        "conflicts": sum(thread.conflicts for thread in threads),
        "thread_errors": [error for thread in threads for error in thread.errors],
        "claim_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "claim_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "claims_per_s": round(sum(claims.values()) / elapsed, 1) if elapsed else 0.0,
        "duration_s": round(elapsed, 2),
    }
