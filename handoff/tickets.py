"""The citizen's side of a ticket: open it, add to its thread, cancel it, rate the staff answer.

These run inside the bot worker's transaction (the caller commits), so a ticket, its thread and the reply to the
citizen are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from bot.channel import citizen_of
from bot.desk import ForgottenTickets, OpenTicket
from bot.models import LineUser
from bot.replies import Say
from console import audit
from core.clock import as_utc
from core.numbers import is_ascii_number
from handoff.hours import BusinessCalendar, opening_hours_text
from handoff.models import OPEN_STATUSES, Ticket, TicketMessage, TicketStatus
from handoff.notes import TicketNote
from handoff.replies import CitizenReplies
from handoff.routing import RoutingDecision, RoutingTable, TopicEvidence, TopicRouter, load_table, seed_words
from knowledge.drafts import forget_questions
from retrieval.query_embedding import QueryEmbedding

# Follow-ups closer together than this form one burst, acknowledged once (at its first message).
BURST_WINDOW = dt.timedelta(minutes=2)

@dataclass(frozen=True)
class Routing:
    """The teams, how a ticket finds its team, and how many open tickets one staff member may hold.

    Args:
        routes: category → team from the settings; they seed the routing table editors own (``RoutingRule``).
        default_team: the team for everything no category covers (it is listed among ``teams``).
        max_open_per_staff: open assignments one staff member may hold.
        router: weighs what a question is about into a team, or 振り分け待ち (``handoff.routing``).
    """

    routes: dict[str, str] = field(default_factory=dict)
    default_team: str = "市民相談課"
    max_open_per_staff: int = 10
    router: TopicRouter = field(default_factory=TopicRouter)

    @property
    def teams(self) -> list[str]:
        """Every known team (the transfer, account and routing-table selects offer these)."""
        return sorted({*self.routes.values(), self.default_team})

    def table(self, session: Session) -> RoutingTable:
        """The routing table in force: the editors' rules over the settings' routes and the seed topic words."""
        return load_table(session, self.routes, seed_words(self.teams))

    def route(self, session: Session, evidence: TopicEvidence) -> RoutingDecision:
        """The team (or 振り分け待ち) and category of a new ticket."""
        return self.decide(self.table(session), evidence)

    def decide(self, table: RoutingTable, evidence: TopicEvidence) -> RoutingDecision:
        """``route`` with a table already read; a city matter no entry covers goes to the default team (the
        general counter)."""
        return self.router.route(table, evidence, uncovered=self.default_team)


def forget_citizen(session: Session, user_id: str) -> ForgottenTickets:
    """Delete the user's tickets and threads, blank their questions in FAQ drafts, and record it in the audit log.

    The audit entry names only ticket ids and counts (no citizen text, no LINE user id), so it can outlive the
    deletion; the earlier audit events of those tickets stay for the same reason.
    """
    tickets = session.exec(select(Ticket).where(col(Ticket.line_user_id) == user_id)).all()
    ticket_ids = [t.id for t in tickets if t.id is not None]
    open_id = next((t.id for t in tickets if t.status in OPEN_STATUSES), None)
    drafts = forget_questions(session, ticket_ids)
    session.exec(delete(TicketMessage).where(col(TicketMessage.ticket_id).in_(ticket_ids)))
    session.exec(delete(TicketNote).where(col(TicketNote.ticket_id).in_(ticket_ids)))  # staff notes too
    session.exec(delete(Ticket).where(col(Ticket.line_user_id) == user_id))
    detail = f"tickets={','.join(map(str, ticket_ids)) or '-'} open={open_id or '-'} drafts_blanked={drafts}"
    audit.record(session, action="citizen_data_deleted", actor=audit.CITIZEN, ticket_id=open_id, detail=detail)
    return ForgottenTickets(ticket_ids, open_id, drafts)


def open_ticket_of(session: Session, user_id: str) -> Ticket | None:
    """The user's open ticket, if any (a user has at most one): whether the bot answers them or staff do."""
    query = select(Ticket).where(col(Ticket.line_user_id) == user_id, col(Ticket.status).in_(OPEN_STATUSES))
    return session.exec(query.order_by(col(Ticket.id).desc())).first()


def withdraw(session: Session, ticket_id: int, now: dt.datetime) -> bool:
    """Cancel the ticket with one conditional UPDATE (only while it is still open); False when it no longer was.

    The worker read the ticket earlier in its transaction; staff may have resolved it since (PostgreSQL, read
    committed), and a plain write would turn a resolved ticket back into a cancelled one.
    """
    changed = session.exec(
        update(Ticket).where(col(Ticket.id) == ticket_id, col(Ticket.status).in_(OPEN_STATUSES))
        .values(status=TicketStatus.CANCELLED, updated_at=now)
    ).rowcount
    return bool(changed == 1)


class CitizenDesk:
    """Turns the citizen's actions into ticket changes and replies (the bot's ``bot.desk.CityDesk``).

    Args:
        routing: category → team table.
        calendar: business hours, to tell the citizen when to expect a reply.
        replies: the fixed messages.
    """

    def __init__(self, routing: Routing, calendar: BusinessCalendar, replies: CitizenReplies) -> None:
        self.routing = routing
        self.calendar = calendar
        self.replies = replies

    def open_ticket_of(self, session: Session, user_id: str) -> OpenTicket | None:
        """The citizen's open ticket, as the bot sees it."""
        ticket = open_ticket_of(session, user_id)
        if ticket is None or ticket.id is None:
            return None
        return OpenTicket(id=ticket.id, status=ticket.status)

    def reply_expectation(self, now: dt.datetime) -> str:
        return self.calendar.reply_expectation(now)

    def opening_hours(self) -> str:
        return opening_hours_text(self.calendar.hours)

    def forget_citizen(self, session: Session, user_id: str) -> ForgottenTickets:
        return forget_citizen(session, user_id)

    def open_ticket(
        self, session: Session, user: LineUser, *, question: str, candidates: list[dict[str, Any]],
        urgent: bool, now: dt.datetime, category: str | None = None, chosen_entry: str | None = None,
        earlier_emergency: str | None = None, embedding: QueryEmbedding | None = None,
    ) -> list[Say]:
        """A new ticket for ``question``; when one is already open, the question joins its thread instead.

        The team comes from what the question is about (``handoff.routing``): ``candidates`` (the bot's entries,
        with their category, score and whether the citizen was shown them), and ``category`` / ``chosen_entry``,
        what the citizen chose for this question. ``urgent``: the question itself has emergency words.
        ``earlier_emergency``: a message with emergency words sent shortly before; it opens the thread (marked)
        and its time is shown as 「直前に緊急の言葉あり」, but it does not make this ticket urgent.
        ``embedding``: the question's query vector, read by the routing's topic classifier.
        """
        existing = open_ticket_of(session, user.user_id)
        if existing is not None:
            return self._add_message(session, user, existing, question, now, urgent=urgent)
        evidence = TopicEvidence.of(question, candidates, chosen_entry=chosen_entry, chosen_category=category,
                                    embedding=embedding)
        routed = self.routing.route(session, evidence)
        emergency_at = (as_utc(user.last_emergency_at) or now) if earlier_emergency else None
        ticket = Ticket(
            line_user_id=user.user_id, channel=citizen_of(user.user_id).channel, question=question[:1000],
            candidates=candidates, category=routed.category, team=routed.team, urgent=urgent,
            emergency_before_at=emergency_at, created_at=now, updated_at=now, last_ack_at=now,
        )
        session.add(ticket)
        session.flush()
        assert ticket.id is not None
        if earlier_emergency:
            session.add(TicketMessage(ticket_id=ticket.id, author="user", text=earlier_emergency[:5000],
                                      created_at=emergency_at or now, emergency=True))
        session.add(TicketMessage(ticket_id=ticket.id, author="user", text=question[:5000], created_at=now,
                                  emergency=urgent))
        audit.record(session, action="ticket_opened", actor=audit.CITIZEN, ticket_id=ticket.id,
                     detail=f"team={ticket.team} urgent={urgent}")
        return self.replies.opened(user.user_id, ticket.id, self.calendar.reply_expectation(now))

    def add_message(
        self, session: Session, user: LineUser, ticket: OpenTicket, text: str, now: dt.datetime, *,
        urgent: bool = False,
    ) -> list[Say]:
        """The citizen's message joins the thread of ``ticket`` (``open_ticket_of`` read it in this transaction),
        acknowledged once per burst of follow-ups.

        The first follow-up after the question (or after a staff reply) is acknowledged; later ones within
        ``BURST_WINDOW`` of the previous follow-up are not, so a citizen typing several lines gets one note.
        """
        row = session.get(Ticket, ticket.id)  # the session's copy, read by open_ticket_of
        assert row is not None
        return self._add_message(session, user, row, text, now, urgent=urgent)

    def _add_message(
        self, session: Session, user: LineUser, ticket: Ticket, text: str, now: dt.datetime, *, urgent: bool = False,
    ) -> list[Say]:
        assert ticket.id is not None
        in_burst = self._continues_burst(session, ticket, now)
        session.add(TicketMessage(ticket_id=ticket.id, author="user", text=text[:5000], created_at=now,
                                  emergency=urgent))  # urgent: the message has emergency words
        ticket.unread += 1
        ticket.updated_at = now
        if urgent and not ticket.urgent:
            ticket.urgent = True
            audit.record(session, action="ticket_urgent", actor=audit.CITIZEN, ticket_id=ticket.id)
        if in_burst:
            session.add(ticket)
            return []
        ticket.last_ack_at = now
        session.add(ticket)
        return self.replies.joined(user.user_id, ticket.id)

    @staticmethod
    def _continues_burst(session: Session, ticket: Ticket, now: dt.datetime) -> bool:
        """Whether the thread's newest message is a citizen follow-up (sent after the question) within the window."""
        thread = select(TicketMessage).where(col(TicketMessage.ticket_id) == ticket.id)
        newest = session.exec(thread.order_by(col(TicketMessage.id).desc())).first()
        if newest is None or newest.author != "user":
            return False  # staff or the system wrote last
        sent, opened = as_utc(newest.created_at), as_utc(ticket.created_at)
        if sent is None or opened is None or sent <= opened:
            return False  # the question itself (or a message that came with it)
        return now - sent < BURST_WINDOW

    def cancel(self, session: Session, user: LineUser, now: dt.datetime) -> list[Say]:
        """The citizen withdraws their open ticket."""
        ticket = open_ticket_of(session, user.user_id)
        if ticket is None:
            return self.replies.nothing_to_cancel()
        assert ticket.id is not None
        if not withdraw(session, ticket.id, now):  # staff resolved it (or it was cancelled) since it was read
            return self.replies.nothing_to_cancel()
        session.add(TicketMessage(ticket_id=ticket.id, author="system", text="利用者が質問を取り消しました。",
                                  created_at=now))
        audit.record(session, action="ticket_cancelled", actor=audit.CITIZEN, ticket_id=ticket.id)
        return self.replies.cancelled(ticket.id)

    def rate(self, session: Session, user: LineUser, argument: str) -> list[Say]:
        """👍/👎 on a staff answer (``staff-up:<id>`` or ``staff-down:<id>``), for the user's own ticket only."""
        verdict, _, raw_id = argument.partition(":")
        ticket = session.get(Ticket, int(raw_id)) if is_ascii_number(raw_id) else None
        if ticket is not None and ticket.line_user_id == user.user_id:
            ticket.rating = "up" if verdict == "staff-up" else "down"
            session.add(ticket)
            audit.record(session, action="ticket_rated", actor=audit.CITIZEN, ticket_id=ticket.id,
                         detail=ticket.rating)
        return self.replies.rating_thanks()
