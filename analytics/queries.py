"""Aggregations behind the analytics page: plain SQL that runs the same on SQLite and PostgreSQL.

Days are Japan days. Rather than each database's own date functions (SQLite's ``date()`` and PostgreSQL's
``AT TIME ZONE`` differ), the queries fetch the timestamps of a period and bucket them by JST date in Python;
a period is at most 90 days of counted events, which is little. Counts per entry or per reason use a portable
``GROUP BY``. No query selects a LINE user id or a citizen's text.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func
from sqlmodel import Session, col, select

from bot.interactions import Interaction
from core.clock import JAPAN, as_utc, japan_date
from handoff.hours import BusinessCalendar
from handoff.models import Ticket, TicketMessage
from knowledge.models import FaqEntry
from knowledge.unanswered import SETTLE_MINUTES, count_open_by_reason

PERIOD_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
DECISIONS = ("ANSWER", "SUGGEST", "HANDOFF", "REPHRASE")
TOP_ENTRIES = 20


@dataclass(frozen=True)
class Period:
    """The last ``days`` Japan days, today included: ``[start, end)`` in UTC."""

    days: int
    first_day: dt.date
    last_day: dt.date

    @classmethod
    def last(cls, days: int, now: dt.datetime) -> Period:
        """The period of ``days`` days ending with today (Japan) at ``now``; unknown lengths become 30."""
        days = days if days in PERIOD_DAYS else DEFAULT_DAYS
        today = japan_date(now)
        return cls(days, today - dt.timedelta(days=days - 1), today)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), JAPAN).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(), JAPAN).astimezone(dt.UTC)

    def dates(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=offset) for offset in range(self.days)]


def _in_period(period: Period) -> ColumnElement[bool]:
    return and_(col(Interaction.at) >= period.start, col(Interaction.at) < period.end)


def questions_per_day(session: Session, period: Period) -> dict[dt.date, Counter[str]]:
    """Per Japan day of the period (every day present), the searched questions (interactions of kind
    ``question``) by decision: ANSWER, SUGGEST, HANDOFF, REPHRASE, or ``""`` when none was recorded.
    One query serves both the questions per day and the decisions per day."""
    days: dict[dt.date, Counter[str]] = {day: Counter() for day in period.dates()}
    query = select(Interaction.at, Interaction.decision).where(col(Interaction.kind) == "question",
                                                               _in_period(period))
    for at, decision in session.exec(query):
        days.setdefault(japan_date(at), Counter())[decision or ""] += 1
    return days


@dataclass(frozen=True)
class EntryUse:
    """How often an entry was given as the answer and how often a citizen tapped it (suggestions, menus)."""

    faq_id: str
    question: str | None  # None: the entry no longer exists
    answered: int
    chosen: int

    @property
    def total(self) -> int:
        return self.answered + self.chosen


def _entry_questions(session: Session, faq_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(faq_ids))
    if not ids:
        return {}
    return {faq_id: question for faq_id, question in
            session.exec(select(FaqEntry.id, FaqEntry.question).where(col(FaqEntry.id).in_(ids)))}


def _count_by_entry(session: Session, period: Period, *conditions: ColumnElement[bool]) -> Counter[str]:
    query = (select(Interaction.faq_id, func.count()).where(col(Interaction.faq_id).is_not(None), *conditions,
                                                            _in_period(period))
             .group_by(col(Interaction.faq_id)))
    return Counter({str(faq_id): int(count) for faq_id, count in session.exec(query)})


def top_entries(session: Session, period: Period, limit: int = TOP_ENTRIES) -> list[EntryUse]:
    """The most used entries: answered (decision ANSWER) plus chosen (tapped among suggestions or in a menu),
    most first."""
    answered = _count_by_entry(session, period, col(Interaction.kind) == "question",
                               col(Interaction.decision) == "ANSWER")
    chosen = _count_by_entry(session, period, col(Interaction.kind) == "choice")
    questions = _entry_questions(session, answered.keys() | chosen.keys())
    uses = [EntryUse(faq_id, questions.get(faq_id), answered[faq_id], chosen[faq_id])
            for faq_id in answered.keys() | chosen.keys()]
    return sorted(uses, key=lambda use: (-use.total, -use.answered, use.faq_id))[:limit]


@dataclass(frozen=True)
class EntryRating:
    """👍 and 👎 given to an entry's answers."""

    faq_id: str
    question: str | None
    up: int
    down: int

    @property
    def down_share(self) -> float:
        return self.down / (self.up + self.down) if self.up + self.down else 0.0


def ratings_per_entry(session: Session, period: Period, limit: int = TOP_ENTRIES) -> list[EntryRating]:
    """👍/👎 per entry, worst first: highest share of 👎, then most 👎, then most ratings."""
    query = (select(Interaction.faq_id, Interaction.rating, func.count())
             .where(col(Interaction.kind) == "feedback", col(Interaction.faq_id).is_not(None),
                    col(Interaction.rating).in_(("up", "down")), _in_period(period))
             .group_by(col(Interaction.faq_id), col(Interaction.rating)))
    counts: dict[str, Counter[str]] = {}
    for faq_id, rating, count in session.exec(query):
        counts.setdefault(str(faq_id), Counter())[str(rating)] += int(count)
    questions = _entry_questions(session, counts)
    ratings = [EntryRating(faq_id, questions.get(faq_id), c["up"], c["down"]) for faq_id, c in counts.items()]
    return sorted(ratings, key=lambda r: (-r.down_share, -r.down, -(r.up + r.down), r.faq_id))[:limit]


@dataclass(frozen=True)
class TeamHandoffs:
    """Tickets opened for a team in the period and their first-response times in business minutes."""

    team: str
    opened: int
    minutes: tuple[float, ...]  # one per ticket that has had a staff reply

    @property
    def answered(self) -> int:
        return len(self.minutes)

    @property
    def median(self) -> float | None:
        return statistics.median(self.minutes) if self.minutes else None

    @property
    def p90(self) -> float | None:
        return percentile(self.minutes, 90)


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``pct`` % of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


def _first_staff_replies(session: Session, ticket_ids: list[int]) -> dict[int, dt.datetime]:
    if not ticket_ids:
        return {}
    query = (select(TicketMessage.ticket_id, func.min(TicketMessage.created_at))
             .where(col(TicketMessage.author) == "staff", col(TicketMessage.ticket_id).in_(ticket_ids))
             .group_by(col(TicketMessage.ticket_id)))
    return {ticket_id: as_utc(at) for ticket_id, at in session.exec(query) if at is not None}


def handoffs_per_team(session: Session, period: Period, calendar: BusinessCalendar) -> list[TeamHandoffs]:
    """Per team, tickets opened in the period and the business minutes from opening to the first staff reply
    (the ticket's ``first_response_at`` or its earliest staff message, whichever is earlier), most tickets first.
    Business time follows ``calendar`` (weekends, holidays and nights do not count)."""
    rows = session.exec(select(Ticket.id, Ticket.team, Ticket.created_at, Ticket.first_response_at).where(
        col(Ticket.created_at) >= period.start, col(Ticket.created_at) < period.end)).all()
    replies = _first_staff_replies(session, [ticket_id for ticket_id, *_ in rows if ticket_id is not None])
    opened: Counter[str] = Counter()
    minutes: dict[str, list[float]] = {}
    for ticket_id, team, created_at, first_response_at in rows:
        opened[team] += 1
        candidates = [as_utc(at) for at in (first_response_at, replies.get(ticket_id or 0)) if at is not None]
        if candidates:
            seconds = calendar.business_seconds_between(as_utc(created_at), min(candidates))
            minutes.setdefault(team, []).append(seconds / 60)
    teams = [TeamHandoffs(team, count, tuple(minutes.get(team, []))) for team, count in opened.items()]
    return sorted(teams, key=lambda t: (-t.opened, t.team))


@dataclass(frozen=True)
class StaffPaths:
    """What questions the bot could not answer got, counted apart: the scope reply (a refusal, which still ends
    with 「職員に聞く」), the offer to send the question to staff, and real hand-offs (a ticket was opened)."""

    refused: int
    offered: int
    handed_off: int


STAFF_PATH_KINDS = ("scope_reply", "staff_offered", "handoff_sent")


def staff_paths(session: Session, period: Period) -> StaffPaths:
    """Scope replies, staff offers and tickets opened in the period (interactions ``scope_reply``,
    ``staff_offered``, ``handoff_sent``)."""
    query = (select(Interaction.kind, func.count())
             .where(col(Interaction.kind).in_(STAFF_PATH_KINDS), _in_period(period))
             .group_by(col(Interaction.kind)))
    counts = {str(kind): int(count) for kind, count in session.exec(query)}
    return StaffPaths(counts.get("scope_reply", 0), counts.get("staff_offered", 0), counts.get("handoff_sent", 0))


def open_unanswered_by_reason(session: Session, now: dt.datetime,
                              settle_minutes: int = SETTLE_MINUTES) -> dict[str, int]:
    """How many unanswered questions are open now (whatever the period), per reason, most first: the rows of
    ``knowledge.unanswered.open_unanswered``."""
    counts = count_open_by_reason(session, now=now, settle_minutes=settle_minutes)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
