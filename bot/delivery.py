"""What delivering one outbox row means, for every channel: what is sent, and what became of it.

The worker (``bot.worker``) claims a row, counts each request durably before a channel makes it
(``BeforeCall``), and stores the ``DeliveryResult``: delivered, to retry after a delay (kept in the outbox,
never slept on), or failed with its reason. A channel's sender (LINE's: ``bot.line.client.LineSender``) follows
these rules with its own API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

CallKind = Literal["reply", "push"]  # answering with the event's one-time reply handle, or sending unprompted
BeforeCall = Callable[[CallKind], Awaitable[None]]
QUOTA_EXHAUSTED_ERROR = "HTTP 429 monthly limit"  # last_error of a delivery the channel refused for its quota


class Delivery(StrEnum):
    REPLIED = "replied"
    PUSHED = "pushed"
    ALREADY_ACCEPTED = "already_accepted"  # the channel had already taken this retry key (LINE: 409)
    RETRY = "retry"  # not delivered yet: try again after ``DeliveryResult.retry_after`` seconds
    FAILED = "failed"


@dataclass(frozen=True)
class Outgoing:
    """Rendered messages for one chat (the outbox row's ``line_user_id``: a citizen's key, or a LINE group),
    with the reply token (if a reply may be tried), the push retry key and the number of requests already made
    for this delivery (in earlier rounds or before a restart)."""

    user_id: str
    messages: Sequence[dict[str, Any]]
    retry_key: str
    reply_token: str | None = None
    reply_token_expires_at: dt.datetime | None = None
    previous_attempts: int = 0


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Delivery
    attempts: int  # requests made by this call of ``send``
    error: str | None = None
    retry_after: float | None = None  # with ``Delivery.RETRY``: seconds to wait before the next try

    @property
    def delivered(self) -> bool:
        return self.outcome not in (Delivery.FAILED, Delivery.RETRY)


async def count_nothing(_: CallKind) -> None:
    """A ``before_call`` for callers that keep no count (tests of a sender alone)."""
    return None
