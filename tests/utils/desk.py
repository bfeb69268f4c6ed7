"""The real staff desk for tests that build a dispatcher themselves (the app wires it in ``tsunagu.bot_runtime``)."""

from __future__ import annotations

from sqlmodel import Session

from bot import dispatch
from bot.conversation import Conversation
from bot.desk import ForgottenTickets
from bot.dispatch import EventDispatcher
from bot.postback import PostbackSigner
from handoff.hours import BusinessCalendar, BusinessHours
from handoff.replies import CitizenReplies
from handoff.tickets import CitizenDesk, Routing


def citizen_desk(signer: PostbackSigner, routing: Routing | None = None) -> CitizenDesk:
    """``handoff``'s desk with default business hours, and default routing unless ``routing`` is given;
    ``signer`` signs the buttons of its replies (the conversation's)."""
    return CitizenDesk(routing or Routing(), BusinessCalendar(BusinessHours()), CitizenReplies(signer))


def dispatcher(conversation: Conversation, routing: Routing | None = None) -> EventDispatcher:
    """A dispatcher with the real desk, its buttons signed like the conversation's."""
    return EventDispatcher(conversation, citizen_desk(conversation.signer, routing))


def delete_user_data(*, session: Session, user_id: str) -> ForgottenTickets:
    """A citizen's confirmed 「データ削除」 as the dispatcher runs it, with the real desk (its replies unused)."""
    return dispatch.delete_user_data(session=session, user_id=user_id, desk=citizen_desk(PostbackSigner("unused")))
