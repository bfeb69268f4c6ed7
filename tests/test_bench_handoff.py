"""``tsunagu bench handoff`` machinery on a small scale: its counts are right, and they can show a double claim."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from eval.bench_handoff import run_handoff_bench
from handoff import staff_actions
from handoff.models import Ticket, TicketStatus
from handoff.staff_actions import StaffMember
from handoff.tickets import Routing
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_available
from tsunagu.db import migrate


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_staff_claim_every_ticket_once(backend: str) -> None:
    if backend == "postgresql" and not _postgres_available():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    url = POSTGRES_ADMIN_URL if backend == "postgresql" else None
    results = run_handoff_bench(migrate=migrate, tickets=40, staff=4, database_url=url)
    assert results["database"] == backend
    assert (results["claimed"], results["double_claims"], results["lost"]) == (40, 0, 0)
    assert results["thread_errors"] == []
    assert results["claim_p95_ms"] >= results["claim_p50_ms"] > 0


def test_an_unguarded_claim_shows_up_as_double_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    def unguarded_claim(session: Session, staff: StaffMember, ticket_id: int, routing: Routing,
                        now: dt.datetime | None = None) -> None:
        session.exec(update(Ticket).where(col(Ticket.id) == ticket_id)  # no "still waiting" condition
                     .values(status=TicketStatus.ASSIGNED, assignee_id=staff.id))

    monkeypatch.setattr(staff_actions, "claim", unguarded_claim)
    results = run_handoff_bench(migrate=migrate, tickets=60, staff=6)
    assert results["double_claims"] > 0
