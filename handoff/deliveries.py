"""Deliveries to citizens (on LINE or another channel) that failed for good, for the admin console: what failed
and why, never what was said to whom.

It lives with the console (handoff reads bot's outbox table; bot never imports handoff for it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from bot.delivery import QUOTA_EXHAUSTED_ERROR
from bot.models import OutboxMessage
from core.clock import as_utc
from handoff.models import TicketMessage


@dataclass(frozen=True)
class FailedDelivery:
    """One outbox row marked failed. Holds no message text and no user id."""

    id: int
    created_at: dt.datetime
    attempts: int
    reason: str
    ticket_id: int | None  # the hand-off ticket whose staff answer this was, if any

    @property
    def for_ticket(self) -> bool:
        return self.ticket_id is not None


REASONS = {  # stored reasons that need more than the status code for staff to act on
    QUOTA_EXHAUSTED_ERROR: "LINEの今月のメッセージ送信数が上限に達しました（HTTP 429）。"
                         "来月まで、または料金プランを変更するまで、プッシュ送信は届きません。",
}


def describe(reason: str | None) -> str:
    """The reason as shown on the deliveries page: explained when staff must act, else as stored."""
    if reason is None:
        return "unknown"
    return REASONS.get(reason, reason)


def failed_deliveries(session: Session, limit: int = 100) -> list[FailedDelivery]:
    """The newest ``limit`` failed deliveries, newest first."""
    query = (
        select(col(OutboxMessage.id), col(OutboxMessage.created_at), col(OutboxMessage.attempts),
               col(OutboxMessage.last_error), col(TicketMessage.ticket_id))
        .outerjoin(TicketMessage, col(TicketMessage.outbox_message_id) == col(OutboxMessage.id))
        .where(col(OutboxMessage.status) == "failed")
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    )
    return [
        FailedDelivery(row_id, as_utc(created_at), attempts, describe(reason), ticket_id)
        for row_id, created_at, attempts, reason, ticket_id in session.exec(query)  # type: ignore[call-overload]
        if row_id is not None
    ]
