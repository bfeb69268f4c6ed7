"""Turn one stored webhook event into replies, updating the user's state (runs inside the worker's transaction)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import Session, col, delete, select

from bot.conversation import TEXT, Conversation
from bot.emergency import detect, guidance
from bot.messages import Message, text_messages
from bot.models import InboxEvent, LineUser, OutboxMessage
from handoff.hours import BusinessCalendar, BusinessHours
from handoff.models import Ticket, TicketMessage
from handoff.replies import CANCEL_ARGUMENT, CitizenReplies
from handoff.tickets import CitizenDesk, Routing, open_ticket_of, sync_user_state
from tsunagu.clock import as_utc, utcnow

logger = logging.getLogger(__name__)

RATE_LIMIT_MESSAGES = 20
RATE_WINDOW = dt.timedelta(minutes=1)
SLOW_DOWN_FOR = dt.timedelta(minutes=5)
DELETE_COMMANDS = ("データ削除", "データさくじょ", "でーたさくじょ")
CANCEL_COMMANDS = ("キャンセル", "きゃんせる", "取り消し", "取消", "とりけし", "取り消す")
URGENT_AFTER_EMERGENCY = dt.timedelta(hours=24)
NON_TEXT_NOTE = "（文章以外のメッセージ：{kind}）"

REPLIES = {
    "slow_down": "短い時間にたくさんのメッセージが届いたため、しばらくお返事を控えます。"
    "5分ほどたってから、もう一度送ってください。",
    "deleted": "あなたの記録（メッセージ、回答、職員への質問）を削除しました。ご利用ありがとうございました。",
    "handoff_nothing": "職員に送る質問が見つかりませんでした。お手数ですが、質問をもう一度送ってください。",
    "cancelled": "承知しました。ほかに知りたいことがあれば、いつでも送ってください。",
}


class EventDispatcher:
    """Routes events to the conversation and keeps per-user state.

    Args:
        conversation: builds the bot's replies.
        desk: opens and updates tickets for city staff (default: default routing and business hours).
    """

    def __init__(self, conversation: Conversation, desk: CitizenDesk | None = None) -> None:
        self.conversation = conversation
        self.desk = desk or CitizenDesk(Routing(), BusinessCalendar(BusinessHours()),
                                        CitizenReplies(conversation.signer))

    def handle(self, *, session: Session, event: InboxEvent, now: dt.datetime | None = None) -> list[Message]:
        """Replies for ``event`` (possibly none); user state changes are added to ``session``."""
        now = now or utcnow()
        payload: dict[str, Any] = event.payload
        user_id = event.line_user_id
        if not user_id:
            return []  # group/room events and events without a user: nothing to answer
        user = session.get(LineUser, user_id) or LineUser(user_id=user_id)
        user.last_seen = now
        session.add(user)
        kind = payload.get("type")
        if kind == "follow":
            user.active = True
            return self.conversation.on_follow(user_id)
        if kind == "unfollow":
            user.active = False
            return []
        if kind == "postback":
            postback = payload.get("postback")
            data = postback.get("data") if isinstance(postback, dict) else None
            return self._postback(session, user, data if isinstance(data, str) else "", now)
        if kind != "message":
            return []
        message = payload.get("message")
        if not isinstance(message, dict) or message.get("type") != "text" or not isinstance(message.get("text"), str):
            ticket = open_ticket_of(session, user_id)
            if ticket is not None:
                kind = str(message.get("type", "?"))[:20] if isinstance(message, dict) else "?"
                return self.desk.add_message(session, user, ticket, NON_TEXT_NOTE.format(kind=kind), now)
            return self.conversation.on_non_text()
        return self._text(session, user, message["text"], now)

    def _text(self, session: Session, user: LineUser, text: str, now: dt.datetime) -> list[Message]:
        emergencies = detect(text)
        ticket = open_ticket_of(session, user.user_id)
        if emergencies:  # always answered, whatever the state or rate; an open ticket becomes urgent
            user.last_emergency_at = now
            if ticket is not None:
                self.desk.add_message(session, user, ticket, text, now, urgent=True)
            return text_messages(guidance(emergencies))
        if text.strip() in DELETE_COMMANDS:
            delete_user_data(session=session, user_id=user.user_id)
            return text_messages(REPLIES["deleted"])
        limited = self._rate_limited(user, now)
        if limited is not None:
            if ticket is not None:  # silenced, but staff still see what was written
                self.desk.add_message(session, user, ticket, text, now)
            return limited
        if ticket is not None:
            if text.strip() in CANCEL_COMMANDS:
                return self.desk.cancel(session, user, now)
            return self.desk.add_message(session, user, ticket, text, now)
        sync_user_state(user, None)
        user.last_question = text[:1000]
        return self.conversation.on_text(user.user_id, text)

    def _rate_limited(self, user: LineUser, now: dt.datetime) -> list[Message] | None:
        """None when the message may be answered; else the one slow-down message, then silence."""
        slowed_until = as_utc(user.slowed_until)
        if slowed_until and now < slowed_until:
            return []
        started = as_utc(user.window_started_at)
        if started is None or now - started > RATE_WINDOW:
            user.window_started_at, user.window_count = now, 0
        user.window_count += 1
        if user.window_count > RATE_LIMIT_MESSAGES:
            user.slowed_until = now + SLOW_DOWN_FOR
            return text_messages(REPLIES["slow_down"])
        return None

    def _postback(self, session: Session, user: LineUser, data: str, now: dt.datetime) -> list[Message]:
        postback = self.conversation.signer.verify(user.user_id, data)
        if postback is None:
            return text_messages(TEXT["unknown_postback"])
        if postback.action == "handoff":
            return self._hand_off(session, user, now)
        if postback.action == "cancel":
            if postback.argument == CANCEL_ARGUMENT:
                return self.desk.cancel(session, user, now)
            return text_messages(REPLIES["cancelled"])
        if postback.action == "feedback" and postback.argument.startswith("staff-"):
            return self.desk.rate(session, user, postback.argument)
        return self.conversation.on_postback(user.user_id, data)

    def _hand_off(self, session: Session, user: LineUser, now: dt.datetime) -> list[Message]:
        """The user agreed to ask staff: a ticket with the bot's candidates, urgent after emergency words."""
        open_ticket = open_ticket_of(session, user.user_id)
        if open_ticket is not None and open_ticket.id is not None:
            return self.desk.replies.joined(user.user_id, open_ticket.id)
        question = user.last_question
        if not question:
            return text_messages(REPLIES["handoff_nothing"])
        candidates, category = self.conversation.bot_view(question)
        last_emergency = as_utc(user.last_emergency_at)
        recent_emergency = last_emergency is not None and now - last_emergency < URGENT_AFTER_EMERGENCY
        urgent = bool(detect(question)) or recent_emergency
        user.last_question = None  # one question, one ticket (a second tap on the old button opens nothing)
        return self.desk.open_ticket(session, user, question=question, candidates=candidates, category=category,
                                     urgent=urgent, now=now)


def delete_user_data(*, session: Session, user_id: str) -> None:
    """Remove everything stored about one LINE user (the user's "データ削除")."""
    tickets = select(Ticket.id).where(col(Ticket.line_user_id) == user_id)
    session.exec(delete(TicketMessage).where(col(TicketMessage.ticket_id).in_(tickets)))
    session.exec(delete(Ticket).where(col(Ticket.line_user_id) == user_id))
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.line_user_id) == user_id))
    session.exec(delete(InboxEvent).where(col(InboxEvent.line_user_id) == user_id))
    session.exec(delete(LineUser).where(col(LineUser.user_id) == user_id))
    logger.info("deleted the data of one LINE user on request")
