"""What the dispatcher needs of the city staff desk: a citizen's ticket, seen from the bot.

``bot`` sits below ``handoff`` (docs/architecture.md), so the dispatcher never imports the ticket desk: it is
given one (``handoff.tickets.CitizenDesk``, wired by the composition root) and sees it only through ``CityDesk``
and the small value types here. The ticket itself (its table, routing, business hours) stays the desk's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from bot.models import LineUser
from bot.replies import Say
from retrieval.query_embedding import QueryEmbedding

# The argument of the signed ``cancel`` postback on the desk's 「質問を取り消す」 button: the dispatcher hands it to
# ``CityDesk.cancel`` (other ``cancel`` arguments are the bot's own 「いいえ」 and 「やめる」).
CANCEL_ARGUMENT = "ticket"


@dataclass(frozen=True)
class OpenTicket:
    """A citizen's open ticket as the dispatcher sees it: its number (the citizen's 受付番号) and status."""

    id: int
    status: str


@dataclass(frozen=True)
class ForgottenTickets:
    """What a citizen's 「データ削除」 removed on the desk's side."""

    ticket_ids: list[int]
    open_ticket_id: int | None  # the question still waiting for staff, now withdrawn
    drafts: int  # FAQ drafts whose question was blanked


class DeskReplies(Protocol):
    """The ticket messages the dispatcher sends itself (fixed texts, with the citizen's signed buttons)."""

    def joined(self, user_id: str, ticket_id: int) -> list[Say]:
        """To a second hand-off while a ticket is open: the message reached staff."""
        ...

    def answered_while_open(self, ticket_id: int) -> list[Say]:
        """Said before the bot's own answer to a follow-up: the ticket stays open."""
        ...

    def still_open(self, user_id: str, ticket_id: int) -> list[Say]:
        """For 「職員に相談」 while a ticket is open: nothing new to open, just write."""
        ...


class CityDesk(Protocol):
    """Opens and updates a citizen's ticket for city staff, inside the worker's transaction (the caller commits).

    A citizen has at most one open ticket; while it is open their messages join its thread.
    """

    @property
    def replies(self) -> DeskReplies:
        ...

    def open_ticket_of(self, session: Session, user_id: str) -> OpenTicket | None:
        """The citizen's open ticket, if any."""
        ...

    def open_ticket(
        self, session: Session, user: LineUser, *, question: str, candidates: list[dict[str, Any]],
        urgent: bool, now: dt.datetime, category: str | None = None, chosen_entry: str | None = None,
        earlier_emergency: str | None = None, embedding: QueryEmbedding | None = None,
    ) -> list[Say]:
        """A ticket for ``question`` (or the question joins the open one); the reply to the citizen."""
        ...

    def add_message(
        self, session: Session, user: LineUser, ticket: OpenTicket, text: str, now: dt.datetime, *,
        urgent: bool = False,
    ) -> list[Say]:
        """The citizen's message joins the ticket's thread; the acknowledgement (empty within a burst)."""
        ...

    def cancel(self, session: Session, user: LineUser, now: dt.datetime) -> list[Say]:
        """The citizen withdraws their open ticket."""
        ...

    def rate(self, session: Session, user: LineUser, argument: str) -> list[Say]:
        """👍/👎 on a staff answer (the signed postback argument)."""
        ...

    def reply_expectation(self, now: dt.datetime) -> str:
        """When a question sent to staff now can expect an answer."""
        ...

    def opening_hours(self) -> str:
        """The staff's opening hours, as told to citizens."""
        ...

    def forget_citizen(self, session: Session, user_id: str) -> ForgottenTickets:
        """Delete every copy of the citizen's words the desk keeps (tickets, threads, FAQ draft questions)."""
        ...
