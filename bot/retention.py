"""Retention for the bot's tables: what the privacy notice's 「最後のやり取りから N 日で削除」 removes here.

Inbox events and outbox messages are a transport queue: their rows are the message texts (the webhook payload,
the replies) and the raw LINE user id, and no report reads them after delivery, so expired rows are deleted, not
blanked. A user expires when their last interaction (``LineUser.last_seen``) is older than the cutoff: their row
(which holds their LINE user id, last question and last emergency text) goes with every settled queue row of
theirs; a message still waiting in the inbox is kept (the user has just come back: it is answered, and the worker
makes them a new row). Queue rows older than the cutoff go too, whoever sent them, so no message text outlives
the period.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, delete, or_, select

from bot.models import InboxEvent, LineUser, OutboxMessage


def expired_users(session: Session, cutoff: dt.datetime) -> list[str]:
    """LINE user ids whose last interaction is older than ``cutoff``."""
    return list(session.exec(select(LineUser.user_id).where(col(LineUser.last_seen) < cutoff)))


SETTLED_INBOX = ("done", "failed")  # in flight otherwise: a returning user's new message must not be lost
SETTLED_OUTBOX = ("delivered", "failed")


def purge_users(session: Session, user_ids: list[str], cutoff: dt.datetime) -> list[str]:
    """Delete the rows of ``user_ids`` still inactive since before ``cutoff``; the ids actually deleted.

    The condition is checked again in the DELETE: a user who wrote since ``expired_users`` read them (the worker
    updated ``last_seen``) is kept; on PostgreSQL the DELETE waits for the worker's row lock, then re-checks.
    """
    if not user_ids:
        return []
    session.exec(delete(LineUser).where(col(LineUser.user_id).in_(user_ids), col(LineUser.last_seen) < cutoff))
    kept = set(session.exec(select(LineUser.user_id).where(col(LineUser.user_id).in_(user_ids))))
    return [user_id for user_id in user_ids if user_id not in kept]


def purge_queues(session: Session, cutoff: dt.datetime, user_ids: list[str]) -> dict[str, int]:
    """Delete inbox and outbox rows older than ``cutoff``, and the settled rows of the deleted ``user_ids``;
    the number deleted per table."""
    outbox = session.exec(delete(OutboxMessage).where(or_(  # first: its rows point at inbox rows
        col(OutboxMessage.created_at) < cutoff,
        col(OutboxMessage.line_user_id).in_(user_ids) & col(OutboxMessage.status).in_(SETTLED_OUTBOX),
    ))).rowcount
    inbox = session.exec(delete(InboxEvent).where(or_(
        col(InboxEvent.received_at) < cutoff,
        col(InboxEvent.line_user_id).in_(user_ids) & col(InboxEvent.status).in_(SETTLED_INBOX),
    ))).rowcount
    return {OutboxMessage.__tablename__: outbox, InboxEvent.__tablename__: inbox}
