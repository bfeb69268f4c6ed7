"""The retention period the privacy notice promises, enforced: ``tsunagu purge`` and a daily run in the worker.

The notice says records are deleted ``data_retention_days`` after the citizen's last interaction. Each package
purges its own tables (``bot.retention``, ``handoff.retention``, ``knowledge.retention``); this module decides
what expired (users whose last interaction is older than the cutoff, and records older than it) and runs them
in one transaction, so a run removes all of a user's text or none of it.

What is kept ("only counts"): tickets keep their rows with ids, times, status, team, category and the response
figures, because ticket numbers live on in the audit log and FAQ drafts and the city reports on them; every text
field and the LINE user id are blanked. The transport queues and the user rows hold nothing but texts and ids
and no report reads them, so they are deleted; so are the interaction counts and unanswered questions older than
the period (``bot.interactions``, ``knowledge.unanswered``), and all of an expired user's. Each run is itself
recorded in the audit log with the number of rows per table (no text), and that record is how the daily run
knows it already ran today, across processes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from bot import retention as bot_retention
from bot.interactions import Interaction, purge_interactions
from bot.models import InboxEvent, LineUser, OutboxMessage
from console import audit
from console.models import AuditEvent
from core.clock import as_utc, utcnow
from handoff import retention as handoff_retention
from handoff.models import Ticket, TicketMessage
from knowledge import retention as knowledge_retention
from knowledge.drafts import FaqDraft
from knowledge.unanswered import UnansweredQuestion, purge_unanswered

logger = logging.getLogger(__name__)

PURGE_ACTION = "retention_purged"
DAILY = dt.timedelta(days=1)
CHECK_EVERY_S = 3600.0  # how often the worker asks whether a day has passed since the last run
BATCH = 500  # ids per IN (...) list, well under SQLite's and PostgreSQL's parameter limits
ADVISORY_LOCK_KEY = 0x7473_7567  # "tsug": one purge at a time on PostgreSQL

T = TypeVar("T")
PURGED_TABLES = (InboxEvent.__tablename__, OutboxMessage.__tablename__, LineUser.__tablename__,
                 Ticket.__tablename__, TicketMessage.__tablename__, FaqDraft.__tablename__,
                 Interaction.__tablename__, UnansweredQuestion.__tablename__)


@dataclass(frozen=True)
class PurgeReport:
    """What one run removed or blanked: rows per table, and the cutoff it used."""

    cutoff: dt.datetime
    rows: dict[str, int]

    def summary(self) -> str:
        """``table=count`` pairs (no text), for the audit log and the CLI."""
        return " ".join(f"{table}={count}" for table, count in sorted(self.rows.items()))


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]


def purge(session: Session, *, retention_days: int, now: dt.datetime | None = None) -> PurgeReport:
    """Delete or blank everything older than the retention period in ``session`` (the caller commits)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    rows: Counter[str] = Counter(dict.fromkeys(PURGED_TABLES, 0))  # every table named, even when nothing went
    users: list[str] = []
    for chunk in _batches(bot_retention.expired_users(session, cutoff)):  # users first: see purge_users
        users += bot_retention.purge_users(session, list(chunk), cutoff)
    rows[LineUser.__tablename__] = len(users)
    tickets: list[int] = []
    for chunk in _batches(users) if users else [[]]:
        tickets += handoff_retention.expired_tickets(session, cutoff, list(chunk))
    for ticket_chunk in _batches(tickets):
        rows.update(knowledge_retention.expire_questions(session, list(ticket_chunk)))
        rows.update(handoff_retention.purge_tickets(session, list(ticket_chunk)))
    for chunk in _batches(users) if users else [[]]:
        rows.update(bot_retention.purge_queues(session, cutoff, list(chunk)))
        rows[Interaction.__tablename__] += purge_interactions(session, cutoff, list(chunk))
        rows[UnansweredQuestion.__tablename__] += purge_unanswered(session, cutoff, list(chunk))
    report = PurgeReport(cutoff, dict(rows))
    audit.record(session, action=PURGE_ACTION, actor=audit.SYSTEM, detail=report.summary())
    return report


def _take_turn(session: Session) -> bool:
    """Serialise purges: PostgreSQL's advisory lock (False when another process holds it); on SQLite the first
    write of the transaction takes the database's write lock, so the caller writes before it reads."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return True
    return bool(session.exec(select(func.pg_try_advisory_xact_lock(ADVISORY_LOCK_KEY))).one())


def last_run(session: Session) -> dt.datetime | None:
    """When the newest purge ran (from the audit log)."""
    query = select(func.max(AuditEvent.at)).where(col(AuditEvent.action) == PURGE_ACTION)
    return as_utc(session.exec(query).one())


def purge_if_due(engine: Engine, *, retention_days: int, now: dt.datetime | None = None) -> PurgeReport | None:
    """Run ``purge`` unless one ran within the last day (in any process); None when it was not due."""
    now = now or utcnow()
    with Session(engine) as session:
        if not _take_turn(session):
            return None
        if engine.dialect.name == "sqlite":  # take the write lock before reading when the last run was
            session.exec(update(AuditEvent).where(col(AuditEvent.action) == PURGE_ACTION)
                         .values(action=PURGE_ACTION).execution_options(synchronize_session=False))
        previous = last_run(session)
        if previous is not None and now - previous < DAILY:
            return None
        report = purge(session, retention_days=retention_days, now=now)
        session.commit()
    logger.info("retention purge: %s", report.summary())
    return report


async def purge_daily(engine: Engine, *, retention_days: int, stop: asyncio.Event,
                      check_every_s: float = CHECK_EVERY_S) -> None:
    """Until ``stop`` is set: every ``check_every_s`` seconds, purge if a day has passed since the last run.

    Runs beside the worker (``tsunagu.bot_runtime``); the purge itself runs in a thread, off the event loop. A
    failed run is logged and retried at the next check.
    """
    while not stop.is_set():
        try:
            await asyncio.to_thread(purge_if_due, engine, retention_days=retention_days)
        except Exception:
            logger.exception("retention purge failed; retrying at the next check")
        try:
            await asyncio.wait_for(stop.wait(), timeout=check_every_s)
        except TimeoutError:
            pass
