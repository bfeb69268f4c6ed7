"""What staff do with a ticket: claim, unclaim, transfer, reply, resolve. Every change is audited.

Every transition is one conditional UPDATE whose WHERE repeats what the action checked (``status = 'waiting' AND
assignee_id IS NULL`` for a claim; an open status and this assignee for unclaim, reply and resolve; the status,
assignee and team that were read for a transfer). When the citizen (worker) or another staff member changed the
ticket in between, no row changes and the action raises a ``TicketConflict`` saying what happened, instead of
overwriting a cancellation or a claim it never saw: on PostgreSQL a second UPDATE waits for the first's row lock
and then finds the condition false; on SQLite writers are serialised.

Lock order: an action locks the citizen's ``LineUser`` row before it updates the ticket, the order the worker
takes them in (it writes the user, then the ticket), so staff and worker queue up instead of deadlocking on
PostgreSQL. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from bot.channel import Renderer, render_for
from bot.models import LineUser, OutboxMessage
from console import audit
from console.text import normalize_newlines
from core.clock import as_utc, utcnow
from handoff.hours import BusinessCalendar
from handoff.models import HELD_STATUSES, OPEN_STATUSES, Ticket, TicketMessage, TicketStatus
from handoff.replies import CitizenReplies
from handoff.routing import UNROUTED, give_team
from handoff.tickets import Routing

MAX_REPLY_CHARS = 4000
DELIVERY_LABELS = {"pending": "送信待ち", "sending": "送信中", "delivered": "送信済み", "failed": "送信失敗"}

Action = Callable[[], object]


class StaffMember(Protocol):
    """What the actions need of a logged-in staff user."""

    @property
    def id(self) -> int | None: ...

    @property
    def username(self) -> str: ...

    @property
    def team(self) -> str | None: ...


class TicketActionError(Exception):
    """An action that cannot be done; the message is Japanese and shown to staff as it is."""


class Conflict(StrEnum):
    """What changed the ticket under a staff action; the value is the Japanese message shown to staff."""

    GONE = "この問い合わせは見つかりません（利用者がデータを削除した可能性があります）。"
    CANCELLED = "この問い合わせは、利用者がすでに取り消しました。"
    RESOLVED = "この問い合わせは、すでに対応が終了しています。"
    CLAIMED = "この問い合わせは、すでにほかの職員が担当しているか、受付中ではありません。"
    NOT_ASSIGNEE = "この問い合わせの担当者ではなくなりました（担当解除または転送されました）。画面を更新してください。"
    CHANGED = "この問い合わせは、ほかの職員が先に変更しました（担当または担当課）。画面を更新してください。"


class TicketConflict(TicketActionError):
    """The ticket changed between reading it and the conditional UPDATE (or is gone); ``conflict`` says how."""

    def __init__(self, conflict: Conflict) -> None:
        super().__init__(conflict.value)
        self.conflict = conflict


def _get(session: Session, ticket_id: int, *, fresh: bool = False) -> Ticket:
    """The ticket; ``fresh`` reads the row again instead of trusting the session's copy."""
    ticket = session.get(Ticket, ticket_id, populate_existing=fresh)
    if ticket is None:
        raise TicketConflict(Conflict.GONE)
    return ticket


def _lock_user(session: Session, ticket: Ticket) -> None:
    """Lock the citizen's row first (PostgreSQL), in the worker's order: user, then ticket."""
    session.get(LineUser, ticket.line_user_id, with_for_update=True)


def _conflict(session: Session, ticket_id: int, otherwise: Conflict) -> TicketConflict:
    """Why a conditional UPDATE changed nothing, from the row as it is now."""
    session.rollback()
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        return TicketConflict(Conflict.GONE)
    if ticket.status == TicketStatus.CANCELLED:
        return TicketConflict(Conflict.CANCELLED)
    if ticket.status == TicketStatus.RESOLVED:
        return TicketConflict(Conflict.RESOLVED)
    return TicketConflict(otherwise)


def _transition(session: Session, ticket_id: int, where: list[ColumnElement[bool]], otherwise: Conflict,
                **values: Any) -> Ticket:
    """UPDATE the ticket only while ``where`` still holds; the refreshed ticket, or a ``TicketConflict``."""
    changed = session.exec(
        update(Ticket).where(col(Ticket.id) == ticket_id, *where).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise _conflict(session, ticket_id, otherwise)
    return _get(session, ticket_id, fresh=True)


def _held_by(staff: StaffMember) -> list[ColumnElement[bool]]:
    """Still open and still this staff member's."""
    return [col(Ticket.status).in_(HELD_STATUSES), col(Ticket.assignee_id) == staff.id]


def _record(session: Session, staff: StaffMember, action: str, ticket_id: int, detail: str = "") -> None:
    audit.record(session, action=action, actor=staff.username, actor_staff_id=staff.id, ticket_id=ticket_id,
                 detail=detail)


def held_count(session: Session, staff_id: int) -> int:
    """Open tickets assigned to one staff member."""
    query = select(func.count()).select_from(Ticket).where(
        col(Ticket.assignee_id) == staff_id, col(Ticket.status).in_(HELD_STATUSES))
    return int(session.exec(query).one())


def claim(
    session: Session, staff: StaffMember, ticket_id: int, routing: Routing, now: dt.datetime | None = None,
) -> None:
    """Take a waiting ticket; raises when someone else was faster or the staff member's cap is reached."""
    assert staff.id is not None
    now = now or utcnow()
    if held_count(session, staff.id) >= routing.max_open_per_staff:
        raise TicketActionError(f"担当できる件数の上限（{routing.max_open_per_staff}件）に達しています。"
                                "対応中の問い合わせを終了してから受け付けてください。")
    _lock_user(session, _get(session, ticket_id))
    ticket = _transition(
        session, ticket_id, [col(Ticket.status) == TicketStatus.WAITING, col(Ticket.assignee_id).is_(None)],
        Conflict.CLAIMED, status=TicketStatus.ASSIGNED, assignee_id=staff.id, updated_at=now)
    _record(session, staff, "ticket_claimed", ticket_id)
    if ticket.team == UNROUTED:  # a 振り分け待ち ticket becomes the claimer's team's (only it needs the table)
        give_team(session, ticket, staff.team or "", routing.table(session), actor=staff.username,
                  actor_staff_id=staff.id)


def _require_open(ticket: Ticket) -> None:
    """A closed ticket says how it was closed (the staff member's page may be older than the cancellation)."""
    if ticket.status == TicketStatus.CANCELLED:
        raise TicketConflict(Conflict.CANCELLED)
    if ticket.status == TicketStatus.RESOLVED:
        raise TicketConflict(Conflict.RESOLVED)


def _require_assignee(ticket: Ticket, staff: StaffMember) -> None:
    _require_open(ticket)
    if ticket.status not in (TicketStatus.ASSIGNED, TicketStatus.ANSWERED) or ticket.assignee_id != staff.id:
        raise TicketActionError("この操作は、この問い合わせの担当者だけができます。先に担当してください。")


def unclaim(session: Session, staff: StaffMember, ticket_id: int, now: dt.datetime | None = None) -> None:
    """Give a ticket back to the queue."""
    ticket = _get(session, ticket_id)
    _require_assignee(ticket, staff)
    _lock_user(session, ticket)
    _transition(session, ticket_id, _held_by(staff), Conflict.NOT_ASSIGNEE,
                status=TicketStatus.WAITING, assignee_id=None, updated_at=now or utcnow())
    _record(session, staff, "ticket_unclaimed", ticket_id)


def transfer(session: Session, staff: StaffMember, ticket_id: int, team: str, routing: Routing,
             now: dt.datetime | None = None) -> None:
    """Send an open ticket to another team's queue (unassigned); its category becomes one that team answers
    (``RoutingTable.category_for``), so 分類 no longer names the topic of the team it left."""
    ticket = _get(session, ticket_id)
    _require_open(ticket)
    if team not in routing.teams:
        raise TicketActionError("転送先の担当課が正しくありません。")
    if team == ticket.team:
        raise TicketActionError("すでにその担当課の問い合わせです。")
    previous, assignee = ticket.team, ticket.assignee_id
    category = routing.table(session).category_for(team, ticket.category)
    _lock_user(session, ticket)
    seen = [col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.team) == previous,
            col(Ticket.assignee_id).is_(None) if assignee is None else col(Ticket.assignee_id) == assignee]
    _transition(session, ticket_id, seen, Conflict.CHANGED, team=team, category=category,
                assignee_id=None, status=TicketStatus.WAITING, updated_at=now or utcnow())
    _record(session, staff, "ticket_transferred", ticket_id, f"{previous} → {team}")


def reply(
    session: Session, staff: StaffMember, ticket_id: int, text: str, *, replies: CitizenReplies,
    calendar: BusinessCalendar, renderers: Mapping[str, Renderer], now: dt.datetime | None = None,
) -> TicketMessage:
    """Store the staff answer in the thread and in the outbox (push with a retry key) in one transaction; the
    answer goes back through the ticket's channel, rendered by it (``renderers``: the wired channels')."""
    now = now or utcnow()
    text = normalize_newlines(text).strip()  # a textarea posts CRLF; LINE and the thread get \n
    if not text:
        raise TicketActionError("回答を入力してください。")
    if len(text) > MAX_REPLY_CHARS:
        raise TicketActionError(f"回答は{MAX_REPLY_CHARS}文字以内にしてください（現在{len(text)}文字）。")
    ticket = _get(session, ticket_id)
    _require_assignee(ticket, staff)
    _lock_user(session, ticket)
    if session.get(LineUser, ticket.line_user_id) is None:
        raise TicketActionError("利用者がデータを削除したため、回答を送れません。")
    created = as_utc(ticket.created_at)
    assert created is not None
    ticket = _transition(  # the first response's time is kept once set (coalesce), even by a double submit
        session, ticket_id, _held_by(staff), Conflict.NOT_ASSIGNEE, status=TicketStatus.ANSWERED, updated_at=now,
        first_response_at=func.coalesce(col(Ticket.first_response_at), now),
        first_response_business_s=func.coalesce(col(Ticket.first_response_business_s),
                                                calendar.business_seconds_between(created, now)))
    assert ticket.id is not None
    messages = render_for(renderers, ticket.channel, replies.staff_answer(ticket.id, text))
    outbox = OutboxMessage(line_user_id=ticket.line_user_id, channel=ticket.channel, messages=messages,
                           retry_key=str(uuid.uuid4()), created_at=now)
    session.add(outbox)
    session.flush()
    message = TicketMessage(ticket_id=ticket.id, author="staff", staff_user_id=staff.id, text=text,
                            outbox_message_id=outbox.id, created_at=now)
    session.add(message)
    _record(session, staff, "ticket_replied", ticket.id)
    return message


def resolve(session: Session, staff: StaffMember, ticket_id: int, *, replies: CitizenReplies,
            renderers: Mapping[str, Renderer], now: dt.datetime | None = None) -> None:
    """Close the ticket; the bot takes over again and asks the citizen 👍/👎 on the staff answer (through the
    ticket's channel, rendered by it)."""
    now = now or utcnow()
    ticket = _get(session, ticket_id)
    _require_assignee(ticket, staff)
    _lock_user(session, ticket)
    ticket = _transition(session, ticket_id, _held_by(staff), Conflict.NOT_ASSIGNEE,
                         status=TicketStatus.RESOLVED, resolved_at=now, updated_at=now)
    assert ticket.id is not None
    if session.get(LineUser, ticket.line_user_id) is not None:
        messages = render_for(renderers, ticket.channel, replies.resolved(ticket.line_user_id, ticket.id))
        session.add(OutboxMessage(line_user_id=ticket.line_user_id, channel=ticket.channel, messages=messages,
                                  retry_key=str(uuid.uuid4()), created_at=now))
    _record(session, staff, "ticket_resolved", ticket.id)


def mark_read(session: Session, staff: StaffMember, ticket: Ticket) -> None:
    """The assignee opened the ticket: its unread badge is cleared."""
    if ticket.unread and ticket.assignee_id == staff.id:
        ticket.unread = 0
        session.add(ticket)


def latest_staff_answer(session: Session, ticket_id: int) -> str | None:
    """The newest staff message of a ticket's thread."""
    query = (select(TicketMessage.text).where(col(TicketMessage.ticket_id) == ticket_id,
                                              col(TicketMessage.author) == "staff")
             .order_by(col(TicketMessage.id).desc()))
    return session.exec(query).first()


def delivery_states(session: Session, ticket_id: int) -> dict[int, str]:
    """For each staff message of the ticket: its delivery state on the ticket's channel, in Japanese."""
    query = (select(TicketMessage.id, OutboxMessage.status)
             .join(OutboxMessage, col(OutboxMessage.id) == col(TicketMessage.outbox_message_id))
             .where(col(TicketMessage.ticket_id) == ticket_id))
    return {message_id: DELIVERY_LABELS.get(status, status) for message_id, status in session.exec(query)
            if message_id is not None}
