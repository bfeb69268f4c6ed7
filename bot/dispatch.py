"""Turn one stored webhook event into replies, updating the user's state (runs inside the worker's transaction)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import Session, col, delete

from bot.conversation import TEXT, Conversation
from bot.emergency import detect, guidance
from bot.messages import Message, text_messages
from bot.models import InboxEvent, LineUser, OutboxMessage, PendingQuestion

logger = logging.getLogger(__name__)

RATE_LIMIT_MESSAGES = 20
RATE_WINDOW = dt.timedelta(minutes=1)
SLOW_DOWN_FOR = dt.timedelta(minutes=5)
DELETE_COMMANDS = ("データ削除", "データさくじょ", "でーたさくじょ")

REPLIES = {
    "slow_down": "短い時間にたくさんのメッセージが届いたため、しばらくお返事を控えます。"
    "5分ほどたってから、もう一度送ってください。",
    "deleted": "あなたの記録（メッセージ、回答、職員への質問）を削除しました。ご利用ありがとうございました。",
    "handoff_sent": "質問を市の職員に送りました。職員から、このトークでお返事します。"
    "開庁時間外のときは、次の開庁日以降のお返事になります。",
    "handoff_nothing": "職員に送る質問が見つかりませんでした。お手数ですが、質問をもう一度送ってください。",
    "cancelled": "承知しました。ほかに知りたいことがあれば、いつでも送ってください。",
    "waiting": "職員が確認中です。お返事までお待ちください。",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; every time stored here is UTC."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


class EventDispatcher:
    """Routes events to the conversation and keeps per-user state.

    Args:
        conversation: builds the replies.
    """

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def handle(self, *, session: Session, event: InboxEvent, now: dt.datetime | None = None) -> list[Message]:
        """Replies for ``event`` (possibly none); user state changes are added to ``session``."""
        now = now or _now()
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
            return self._postback(session, user, data if isinstance(data, str) else "")
        if kind != "message":
            return []
        message = payload.get("message")
        if not isinstance(message, dict) or message.get("type") != "text" or not isinstance(message.get("text"), str):
            return self.conversation.on_non_text()
        return self._text(session, user, message["text"], now)

    def _text(self, session: Session, user: LineUser, text: str, now: dt.datetime) -> list[Message]:
        emergencies = detect(text)
        if emergencies:  # always answered, whatever the state or rate
            return text_messages(guidance(emergencies))
        if text.strip() in DELETE_COMMANDS:
            delete_user_data(session=session, user_id=user.user_id)
            return text_messages(REPLIES["deleted"])
        limited = self._rate_limited(user, now)
        if limited is not None:
            return limited
        if user.state != "bot":
            return text_messages(REPLIES["waiting"])
        user.last_question = text[:1000]
        return self.conversation.on_text(user.user_id, text)

    def _rate_limited(self, user: LineUser, now: dt.datetime) -> list[Message] | None:
        """None when the message may be answered; else the one slow-down message, then silence."""
        slowed_until = _aware(user.slowed_until)
        if slowed_until and now < slowed_until:
            return []
        started = _aware(user.window_started_at)
        if started is None or now - started > RATE_WINDOW:
            user.window_started_at, user.window_count = now, 0
        user.window_count += 1
        if user.window_count > RATE_LIMIT_MESSAGES:
            user.slowed_until = now + SLOW_DOWN_FOR
            return text_messages(REPLIES["slow_down"])
        return None

    def _postback(self, session: Session, user: LineUser, data: str) -> list[Message]:
        postback = self.conversation.signer.verify(user.user_id, data)
        if postback is None:
            return text_messages(TEXT["unknown_postback"])
        if postback.action == "handoff":
            if not user.last_question:
                return text_messages(REPLIES["handoff_nothing"])
            session.add(PendingQuestion(line_user_id=user.user_id, question=user.last_question))
            user.state = "waiting_for_staff"
            return text_messages(REPLIES["handoff_sent"])
        if postback.action == "cancel":
            return text_messages(REPLIES["cancelled"])
        return self.conversation.on_postback(user.user_id, data)


def delete_user_data(*, session: Session, user_id: str) -> None:
    """Remove everything stored about one LINE user (the user's "データ削除")."""
    session.exec(delete(PendingQuestion).where(col(PendingQuestion.line_user_id) == user_id))
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.line_user_id) == user_id))
    session.exec(delete(InboxEvent).where(col(InboxEvent.line_user_id) == user_id))
    session.exec(delete(LineUser).where(col(LineUser.user_id) == user_id))
    logger.info("deleted the data of one LINE user on request")
