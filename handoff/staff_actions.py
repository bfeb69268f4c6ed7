"""What staff do with a ticket: claim, unclaim, transfer, reply, resolve. Every change is audited.

Claiming is one conditional UPDATE (``status = 'waiting' AND assignee_id IS NULL``), so when two staff claim the
same ticket at once exactly one row changes: on PostgreSQL the second UPDATE waits for the first's row lock and
then finds the condition false; on SQLite writers are serialised. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.models import LineUser, OutboxMessage
from handoff import audit
from handoff.hours import BusinessCalendar
from handoff.models import HELD_STATUSES, OPEN_STATUSES, Ticket, TicketMessage, TicketStatus
from handoff.replies import CitizenReplies
from handoff.tickets import Routing, sync_user_state
from tsunagu.clock import as_utc, utcnow

MAX_REPLY_CHARS = 4000
DELIVERY_LABELS = {"pending": "送信待ち", "sending": "送信中", "delivered": "送信済み", "failed": "送信失敗"}

Action = Callable[[], object]


class StaffMember(Protocol):
    """What the actions need of a logged-in staff user."""

    @property
    def id(self) -> int | None: ...

    @property
    def username(self) -> str: ...


class TicketActionError(Exception):
    """An action that cannot be done; the message is Japanese and shown to staff as it is."""


def _get(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketActionError("この問い合わせは見つかりません（利用者がデータを削除した可能性があります）。")
    return ticket


def _record(session: Session, staff: StaffMember, action: str, ticket_id: int, detail: str = "") -> None:
    audit.record(session, action=action, actor=staff.username, actor_staff_id=staff.id, ticket_id=ticket_id,
                 detail=detail)


def _sync_user(session: Session, ticket: Ticket) -> None:
    user = session.get(LineUser, ticket.line_user_id)
    if user is not None:
        sync_user_state(user, ticket if ticket.status in OPEN_STATUSES else None)
        session.add(user)


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
    taken = session.exec(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id, col(Ticket.status) == TicketStatus.WAITING,
               col(Ticket.assignee_id).is_(None))
        .values(status=TicketStatus.ASSIGNED, assignee_id=staff.id, updated_at=now)
    ).rowcount
    if taken != 1:
        session.rollback()
        _get(session, ticket_id)
        raise TicketActionError("この問い合わせは、すでにほかの職員が担当しているか、受付中ではありません。")
    ticket = _get(session, ticket_id)
    session.refresh(ticket)
    _sync_user(session, ticket)
    _record(session, staff, "ticket_claimed", ticket_id)


def _require_assignee(ticket: Ticket, staff: StaffMember) -> None:
    if ticket.status not in (TicketStatus.ASSIGNED, TicketStatus.ANSWERED) or ticket.assignee_id != staff.id:
        raise TicketActionError("この操作は、この問い合わせの担当者だけができます。先に担当してください。")


def unclaim(session: Session, staff: StaffMember, ticket_id: int, now: dt.datetime | None = None) -> None:
    """Give a ticket back to the queue."""
    ticket = _get(session, ticket_id)
    _require_assignee(ticket, staff)
    ticket.status, ticket.assignee_id, ticket.updated_at = TicketStatus.WAITING, None, now or utcnow()
    session.add(ticket)
    _sync_user(session, ticket)
    _record(session, staff, "ticket_unclaimed", ticket_id)


def transfer(session: Session, staff: StaffMember, ticket_id: int, team: str, routing: Routing,
             now: dt.datetime | None = None) -> None:
    """Send an open ticket to another team's queue (unassigned)."""
    ticket = _get(session, ticket_id)
    if ticket.status not in OPEN_STATUSES:
        raise TicketActionError("終了した問い合わせは転送できません。")
    if team not in routing.teams:
        raise TicketActionError("転送先の担当課が正しくありません。")
    if team == ticket.team:
        raise TicketActionError("すでにその担当課の問い合わせです。")
    previous = ticket.team
    ticket.team, ticket.assignee_id, ticket.updated_at = team, None, now or utcnow()
    ticket.status = TicketStatus.WAITING
    session.add(ticket)
    _sync_user(session, ticket)
    _record(session, staff, "ticket_transferred", ticket_id, f"{previous} → {team}")


def reply(
    session: Session, staff: StaffMember, ticket_id: int, text: str, *, replies: CitizenReplies,
    calendar: BusinessCalendar, now: dt.datetime | None = None,
) -> TicketMessage:
    """Store the staff answer in the thread and in the outbox (push with a retry key) in one transaction."""
    now = now or utcnow()
    text = text.strip()
    if not text:
        raise TicketActionError("回答を入力してください。")
    if len(text) > MAX_REPLY_CHARS:
        raise TicketActionError(f"回答は{MAX_REPLY_CHARS}文字以内にしてください（現在{len(text)}文字）。")
    ticket = _get(session, ticket_id)
    _require_assignee(ticket, staff)
    assert ticket.id is not None
    if session.get(LineUser, ticket.line_user_id) is None:
        raise TicketActionError("利用者がデータを削除したため、回答を送れません。")
    outbox = OutboxMessage(line_user_id=ticket.line_user_id, messages=replies.staff_answer(ticket.id, text),
                           retry_key=str(uuid.uuid4()), created_at=now)
    session.add(outbox)
    session.flush()
    message = TicketMessage(ticket_id=ticket.id, author="staff", staff_user_id=staff.id, text=text,
                            outbox_message_id=outbox.id, created_at=now)
    session.add(message)
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        created = as_utc(ticket.created_at)
        assert created is not None
        ticket.first_response_business_s = calendar.business_seconds_between(created, now)
    ticket.status, ticket.updated_at = TicketStatus.ANSWERED, now
    session.add(ticket)
    _sync_user(session, ticket)
    _record(session, staff, "ticket_replied", ticket.id)
    return message


def resolve(session: Session, staff: StaffMember, ticket_id: int, *, replies: CitizenReplies,
            now: dt.datetime | None = None) -> None:
    """Close the ticket; the bot takes over again and asks the citizen 👍/👎 on the staff answer."""
    now = now or utcnow()
    ticket = _get(session, ticket_id)
    _require_assignee(ticket, staff)
    assert ticket.id is not None
    ticket.status, ticket.resolved_at, ticket.updated_at = TicketStatus.RESOLVED, now, now
    session.add(ticket)
    if session.get(LineUser, ticket.line_user_id) is not None:
        session.add(OutboxMessage(line_user_id=ticket.line_user_id, messages=replies.resolved(
            ticket.line_user_id, ticket.id), retry_key=str(uuid.uuid4()), created_at=now))
    _sync_user(session, ticket)
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
    """For each staff message of the ticket: its delivery state on LINE, in Japanese."""
    query = (select(TicketMessage.id, OutboxMessage.status)
             .join(OutboxMessage, col(OutboxMessage.id) == col(TicketMessage.outbox_message_id))
             .where(col(TicketMessage.ticket_id) == ticket_id))
    return {message_id: DELIVERY_LABELS.get(status, status) for message_id, status in session.exec(query)
            if message_id is not None}
