"""Turn one citizen's event (``bot.channel.Incoming``, read by its channel) into channel-neutral replies, updating
the citizen's state (runs inside the worker's transaction)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import Session, col, delete

from bot import capture
from bot.answers import split_language
from bot.categories import BY_SLUG as CATEGORY_SLUGS
from bot.channel import EventKind, Incoming
from bot.choices import chosen_for, remember_choice
from bot.conversation import DECLINE_ARGUMENT, NONE_FIT_ARGUMENT, TEXT, Conversation, Reply, after_guidance
from bot.desk import CANCEL_ARGUMENT, CityDesk, ForgottenTickets, OpenTicket
from bot.emergency import check, guidance
from bot.interactions import delete_user_interactions
from bot.menu_actions import CATEGORY_ACTIONS, MenuAction, parse_menu_data
from bot.models import InboxEvent, LineUser, OutboxMessage
from bot.postback import is_fresh, timestamp_argument
from bot.replies import MAX_REPLIES, PostbackChoice, Say, say
from bot.text_event import Command, TextEvent, classify
from core.clock import as_utc, utcnow
from knowledge.unanswered import delete_user_unanswered
from retrieval.query_embedding import embedding_of

logger = logging.getLogger(__name__)

RATE_LIMIT_MESSAGES = 20
RATE_WINDOW = dt.timedelta(minutes=1)
SLOW_DOWN_FOR = dt.timedelta(minutes=5)
URGENT_AFTER_EMERGENCY = dt.timedelta(hours=24)
DELETE_CONFIRM_FOR = dt.timedelta(minutes=10)  # an older 「削除する」 button no longer deletes
DELETE_CANCEL_ARGUMENT = "delete"
NON_TEXT_NOTE = "（文章以外のメッセージ：{kind}）"

REPLIES = {
    "slow_down": "短い時間にたくさんのメッセージが届いたため、しばらくお返事を控えます。"
    "5分ほどたってから、もう一度送ってください。",
    "delete_confirm": "あなたの記録（送ったメッセージ、回答、職員とのやり取り）をすべて削除します。"
    "削除すると元に戻せません。よろしいですか？",
    "deleted": "あなたの記録（メッセージ、回答、職員への質問）を削除しました。ご利用ありがとうございました。",
    "deleted_open": "職員への質問（受付番号 {ticket_id}）も取り消しました。",
    "delete_expired": "この削除ボタンは有効期限が切れました。削除するときは、もう一度「データ削除」と送ってください。",
    "delete_kept": "削除をやめました。記録はそのまま残っています。",
    "handoff_nothing": "職員に送る質問が見つかりませんでした。お手数ですが、質問をもう一度送ってください。",
    "cancelled": "承知しました。ほかに知りたいことがあれば、いつでも送ってください。",
}


class EventDispatcher:
    """Routes a citizen's events to the conversation and keeps per-citizen state (keyed by ``Citizen.key``).

    Args:
        conversation: builds the bot's replies.
        desk: opens and updates tickets for city staff (``handoff.tickets.CitizenDesk``, which the composition
            root passes; its buttons are signed with the conversation's signer).
    """

    def __init__(self, conversation: Conversation, desk: CityDesk) -> None:
        self.conversation = conversation
        self.desk = desk

    def handle(self, *, session: Session, event: Incoming, now: dt.datetime | None = None) -> list[Say]:
        """Replies for ``event`` (possibly none); user state changes are added to ``session``."""
        now = now or utcnow()
        if event.citizen is None:
            return []  # events without a citizen: nothing to answer
        user_id = event.citizen.key
        user = session.get(LineUser, user_id) or LineUser(user_id=user_id)
        user.last_seen = now
        _forget_old_emergency(user, now)
        session.add(user)
        if event.kind is EventKind.FOLLOW:
            user.active = True
            return self.conversation.on_follow(user_id)
        if event.kind is EventKind.UNFOLLOW:
            user.active = False
            return []
        if event.kind is EventKind.POSTBACK:
            return self._postback(session, user, event.data, now)
        if event.kind is EventKind.OTHER_MESSAGE:
            ticket = self.desk.open_ticket_of(session, user_id)
            if ticket is not None:
                note = NON_TEXT_NOTE.format(kind=event.message_kind)
                return self.desk.add_message(session, user, ticket, note, now) or _noted(ticket)
            return self.conversation.on_non_text()
        if event.kind is EventKind.TEXT:
            return self._text(session, user, event.text, now)
        return []

    def _text(self, session: Session, user: LineUser, text: str, now: dt.datetime) -> list[Say]:
        """A text message: it is classified once here (``bot.text_event``, with the one emergency check) and the
        classification passed on. A sure emergency gets the fixed guidance only, whatever the state or rate; a
        possible one the guidance first, then the usual reply."""
        event = classify(text, check(text))
        emergency = event.emergency
        ticket = self.desk.open_ticket_of(session, user.user_id)
        if not emergency:
            return self._ordinary_text(session, user, ticket, event, now)
        user.last_emergency_at = now
        user.last_emergency_text = text[:1000]  # shown in a ticket opened within URGENT_AFTER_EMERGENCY
        joined = None
        if ticket is not None:  # an open ticket becomes urgent
            joined = self.desk.add_message(session, user, ticket, text, now, urgent=True)
        if emergency.sure:
            return say(guidance(emergency.kinds))
        return self._ordinary_text(session, user, ticket, event, now, joined)

    def _ordinary_text(self, session: Session, user: LineUser, ticket: OpenTicket | None, event: TextEvent,
                       now: dt.datetime, joined: list[Say] | None = None) -> list[Say]:
        """Commands, the rate limit, a follow-up on the open ticket, or the conversation's reply; after the
        guidance when the message may be an emergency. ``joined``: the message has joined the ticket's thread
        already, with this acknowledgement."""
        text, emergency = event.text, event.emergency
        first = say(guidance(emergency.kinds)) if emergency else []
        if event.command is Command.DELETE:
            return after_guidance(first, self._confirm_deletion(user.user_id, now))
        limited = self._rate_limited(user, now)
        if limited is not None:
            if ticket is not None and joined is None:  # silenced, but staff still see what was written
                self.desk.add_message(session, user, ticket, text, now)
            return after_guidance(first, limited)
        if ticket is not None:
            if event.command is Command.CANCEL:
                return after_guidance(first, self.desk.cancel(session, user, now))
            return after_guidance(first, self._follow_up(session, user, ticket, event, now, joined))
        reply = self.conversation.reply(user.user_id, event)  # the guidance first, when it may be one
        if event.is_question:  # small talk keeps the question 👎/「職員に相談」 refer to
            _remember_question(user, event, reply)
        capture.reply(session, user_id=user.user_id, at=now, text=text, given=reply)
        return reply.messages

    def _follow_up(self, session: Session, user: LineUser, ticket: OpenTicket, event: TextEvent, now: dt.datetime,
                   joined: list[Say] | None = None) -> list[Say]:
        """A message while a ticket is open joins its thread (``joined``: it has, with this acknowledgement); a new
        question the bot surely knows is answered too. Never silent: a follow-up within a burst, which the desk
        does not acknowledge again, still gets a short note that staff got it."""
        text = event.text
        acknowledgement = self.desk.add_message(session, user, ticket, text, now) if joined is None else joined
        answer = self.conversation.confident_answer(user.user_id, text) if event.is_question else None
        if answer is None:
            return acknowledgement or _noted(ticket)
        messages, decision = answer
        capture.question(session, user_id=user.user_id, at=now, text=text, decision=decision)
        return [*self.desk.replies.answered_while_open(ticket.id), *messages][:MAX_REPLIES]

    def _rate_limited(self, user: LineUser, now: dt.datetime) -> list[Say] | None:
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
            return say(REPLIES["slow_down"])
        return None

    def _postback(self, session: Session, user: LineUser, data: str, now: dt.datetime) -> list[Say]:
        menu = parse_menu_data(data)
        if menu is not None:
            return self._menu(session, user, menu, now)
        postback = self.conversation.signer.verify(user.user_id, data)
        if postback is None:
            return say(TEXT["unknown_postback"])
        if postback.action == "handoff":
            if postback.argument == NONE_FIT_ARGUMENT:
                capture.none_of_these(session, user=user, at=now)
            return self._hand_off(session, user, now)
        if postback.action == "cancel":
            if postback.argument == CANCEL_ARGUMENT:
                return self.desk.cancel(session, user, now)
            if postback.argument == DECLINE_ARGUMENT:
                self._declined(session, user, now)
            key = "delete_kept" if postback.argument == DELETE_CANCEL_ARGUMENT else "cancelled"
            return say(REPLIES[key])
        if postback.action == "delete_data":
            return self._delete(session, user.user_id, postback.argument, now)
        if postback.action == "feedback" and postback.argument.startswith("staff-"):
            return self.desk.rate(session, user, postback.argument)
        if postback.action == "feedback":
            capture.feedback(session, user=user, at=now, argument=postback.argument)
        self._chosen(session, user, postback.action, postback.argument, now)
        return self.conversation.on_postback(user.user_id, data, can_ask_staff=bool(user.last_question))

    def _chosen(self, session: Session, user: LineUser, action: str, argument: str, now: dt.datetime) -> None:
        """An entry tapped (``choose``: offered for a typed question; ``browse``: from a category list), or a
        category opened; the choice is remembered to route a hand-off of the same question to its team."""
        if action == "category" and argument in CATEGORY_SLUGS:
            remember_choice(user, category=argument)
            return
        faq_id, english = split_language(argument)
        entry = self.conversation.retriever.entries.get(faq_id)
        if action not in ("choose", "browse") or entry is None:
            return
        if action == "browse":  # the entry's question is what a 👎 →「職員に聞く」 would send
            user.last_question = entry.question[:1000]
            user.last_candidates = user.last_question_urgent = None  # not searched: a hand-off searches it
        remember_choice(user, category=entry.category, faq_id=faq_id)
        capture.choice(session, user=user, at=now, faq_id=faq_id, english=english, suggested=action == "choose")

    def _declined(self, session: Session, user: LineUser, now: dt.datetime) -> None:
        """「いいえ」 to the staff offer: the question is kept (masked) for editors, with what the bot found."""
        question = user.last_question
        candidates = [c["faq_id"] for c in self._bot_view_of(user, question)] if question else []
        capture.handoff_declined(session, user=user, at=now, candidates=candidates)

    def _bot_view_of(self, user: LineUser, question: str) -> list[dict[str, Any]]:
        """What the bot found for the citizen's last question: kept from its own search when it was asked, else
        searched now (``Conversation.bot_view``): an entry's question (tapped in a category list), a question
        in a language the bot does not speak (not searched when asked), a row from before migration 0016."""
        if user.last_candidates is not None:
            return user.last_candidates
        return self.conversation.bot_view(question)

    def _menu(self, session: Session, user: LineUser, action: MenuAction, now: dt.datetime) -> list[Say]:
        """The rich menu (unsigned, shared by all users): only what typing could also get."""
        if action in CATEGORY_ACTIONS:
            return self.conversation.category(user.user_id, action.value)
        if action.is_emergency:
            return self.conversation.emergency_guide(action)
        if action is MenuAction.HELP:
            return self.conversation.usage_guide()
        ticket = self.desk.open_ticket_of(session, user.user_id)
        if ticket is not None:
            return self.desk.replies.still_open(user.user_id, ticket.id)
        return self.conversation.staff_guide(user.user_id, question=user.last_question,
                                             expectation=self.desk.reply_expectation(now),
                                             hours=self.desk.opening_hours())

    def _confirm_deletion(self, user_id: str, now: dt.datetime) -> list[Say]:
        """「データ削除」 asks first; the 「削除する」 button carries its time and expires."""
        signer = self.conversation.signer
        confirm = PostbackChoice("削除する", signer.sign(user_id, "delete_data", timestamp_argument(now)), "削除する")
        keep = PostbackChoice("やめる", signer.sign(user_id, "cancel", DELETE_CANCEL_ARGUMENT), "やめる")
        return say(REPLIES["delete_confirm"], [confirm, keep])

    def _delete(self, session: Session, user_id: str, stamp: str, now: dt.datetime) -> list[Say]:
        if not is_fresh(stamp, now, DELETE_CONFIRM_FOR):
            return say(REPLIES["delete_expired"])
        forgotten = delete_user_data(session=session, user_id=user_id, desk=self.desk)
        note = REPLIES["deleted_open"].format(ticket_id=forgotten.open_ticket_id) if forgotten.open_ticket_id else ""
        return say(REPLIES["deleted"] + ("\n" + note if note else ""))

    def _hand_off(self, session: Session, user: LineUser, now: dt.datetime) -> list[Say]:
        """The user agreed to ask staff: a ticket with the bot's candidates, urgent after emergency words."""
        open_ticket = self.desk.open_ticket_of(session, user.user_id)
        if open_ticket is not None:
            return self.desk.replies.joined(user.user_id, open_ticket.id)
        question = user.last_question
        if not question:
            return say(REPLIES["handoff_nothing"])
        candidates = self._bot_view_of(user, question)  # the question's own search, not a new one
        urgent = user.last_question_urgent
        if urgent is None:
            urgent = bool(check(question))
        # The question's vector, for routing: from the retriever's memo of its search when warm (never a search).
        embedding = embedding_of(self.conversation.retriever, question)
        chosen_entry, chosen_category = chosen_for(user, question)
        last_emergency = as_utc(user.last_emergency_at)
        recent_emergency = last_emergency is not None and now - last_emergency < URGENT_AFTER_EMERGENCY
        _forget_question(user)  # one question, one ticket (a second tap on the old button opens nothing)
        capture.handoff_sent(session, user_id=user.user_id, at=now, text=question)
        # Only the ticket's own words make it 至急; an emergency message sent before it is shown with its time.
        return self.desk.open_ticket(session, user, question=question, candidates=candidates,
                                     category=chosen_category, chosen_entry=chosen_entry, embedding=embedding,
                                     urgent=urgent, now=now,
                                     earlier_emergency=user.last_emergency_text if recent_emergency else None)


def _noted(ticket: OpenTicket) -> list[Say]:
    """The short acknowledgement of a message that joined the open ticket's thread without another reply."""
    return say(TEXT["follow_up_noted"].format(ticket_id=ticket.id))


def _remember_question(user: LineUser, event: TextEvent, reply: Reply) -> None:
    """``event`` is the citizen's question now (what 👎, 「職員に聞く」 and the staff offer refer to), with what its
    one search found and whether it had emergency words, for a hand-off or decline of it."""
    user.last_question = event.text[:1000]
    user.last_candidates = reply.decided.candidates() if reply.decided is not None else None
    user.last_question_urgent = bool(event.emergency)


def _forget_question(user: LineUser) -> None:
    user.last_question = user.last_candidates = user.last_question_urgent = None


def _forget_old_emergency(user: LineUser, now: dt.datetime) -> None:
    """The emergency message is kept only while a hand-off would still be urgent because of it."""
    at = as_utc(user.last_emergency_at)
    if user.last_emergency_text and (at is None or now - at >= URGENT_AFTER_EMERGENCY):
        user.last_emergency_text = None


def delete_user_data(*, session: Session, user_id: str, desk: CityDesk) -> ForgottenTickets:
    """Remove everything stored about one citizen (their confirmed 「データ削除」; ``user_id``: their key).

    The desk forgets its copies first (``CityDesk.forget_citizen``: tickets and their threads go, the user's
    question is blanked in FAQ drafts made from them, and the audit log records the deletion by ticket ids only).
    The user's interaction counts, unanswered questions, inbox and outbox rows and the user row go too.
    """
    forgotten = desk.forget_citizen(session, user_id)
    delete_user_interactions(session, user_id)
    delete_user_unanswered(session, user_id)
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.line_user_id) == user_id))
    session.exec(delete(InboxEvent).where(col(InboxEvent.line_user_id) == user_id))
    session.exec(delete(LineUser).where(col(LineUser.user_id) == user_id))
    logger.info("deleted the data of one citizen on request")
    return forgotten
