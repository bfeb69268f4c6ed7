"""The whole conversation of a ticket, as staff read it in the console: one list ordered by time.

It joins what is already kept, without copying citizen text anywhere: the citizen's events
(``bot_inbox_event.payload``) and the bot's replies (``bot_outbox_message.messages``) of the ticket's citizen, from
a while before the ticket was opened, each read back by the channel that stored it (``bot.channel.Transcriber``,
picked by the row's ``channel``); the ticket's own thread (citizen, staff and
system lines, ``handoff_ticket_message``); and the staff's internal notes. A 「データ削除」 deletes those rows, so
the view forgets with them. Only one-to-one chats count: a group's messages never appear in a citizen's ticket.

A citizen message that also joined the ticket's thread (same time, same text) is shown once, from the thread,
which marks emergency words. The bot's reply to an event is placed right after that event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from bot.channel import EventKind, Shown, Transcriber
from bot.inbox import MAX_EVENT_AGE
from bot.models import InboxEvent, OutboxMessage
from console.accounts.models import StaffUser
from core.clock import as_utc, utcnow
from handoff.models import Ticket, TicketMessage
from handoff.notes import TicketNote
from handoff.retention import EXPIRED_USER

BEFORE_TICKET = dt.timedelta(minutes=30)  # how far back the conversation before the ticket is shown
MAX_BEFORE_TICKET = 30  # and at most this many lines of it
AFTER_CLOSE = dt.timedelta(minutes=30)  # a closed ticket shows what followed it for this long (the rating)
MAX_ROWS = 300  # inbox events and outbox rows read per ticket page (each)
MAX_TEXT_CHARS = 5000
AUTHOR_KINDS = {"user": "citizen", "staff": "staff", "system": "system"}
# At the same time: the citizen's chat, the ticket's start, the ticket's own lines, replies, then notes.
CHAT, OPENED, OWN, REPLY, NOTE = range(5)
MEDIA = {"image": "（画像）", "video": "（動画）", "audio": "（音声）", "file": "（ファイル）",
         "location": "（位置情報）", "sticker": "（スタンプ）"}
TAPPED = "（ボタンを押しました）"


@dataclass(frozen=True)
class Line:
    """One line of the conversation. ``kind``: citizen | bot | staff | system | note | opened (the ticket starts)."""

    kind: str
    at: dt.datetime
    text: str
    choices: tuple[str, ...] = ()  # the buttons the bot offered with this message, as the citizen saw them
    anchor: str = ""  # the element id (``msg-<id>`` for the ticket's thread, as before)
    emergency: bool = False
    tapped: bool = False  # the citizen pressed a button (the text is its label)
    question: bool = False  # the question the ticket was opened with
    author: str = ""  # the staff member's name for staff lines and notes
    delivery: str = ""  # a staff answer's delivery state
    rank: int = CHAT
    seq: int = 0

    @property
    def sort_key(self) -> tuple[dt.datetime, int, int]:
        return self.at, self.rank, self.seq


@dataclass
class _Citizen:
    """What the citizen's own chat history holds around the ticket."""

    events: list[InboxEvent] = field(default_factory=list)
    replies: list[OutboxMessage] = field(default_factory=list)


def _window(ticket: Ticket, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    opened = as_utc(ticket.created_at)
    closed = as_utc(ticket.resolved_at or ticket.updated_at)
    end = now if ticket.status in ("waiting", "assigned", "answered") else min(now, closed + AFTER_CLOSE)
    return opened - BEFORE_TICKET, end


def _chat_of(session: Session, ticket: Ticket, start: dt.datetime, end: dt.datetime,
             staff_outbox: set[int]) -> _Citizen:
    """The citizen's events and the bot's replies in the window (newest ``MAX_ROWS`` of each)."""
    if ticket.line_user_id == EXPIRED_USER:
        return _Citizen()
    events = session.exec(
        select(InboxEvent).where(col(InboxEvent.line_user_id) == ticket.line_user_id,
                                 col(InboxEvent.received_at) >= start,
                                 col(InboxEvent.received_at) <= end + MAX_EVENT_AGE)
        .order_by(col(InboxEvent.id).desc()).limit(MAX_ROWS)).all()
    replies = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.line_user_id) == ticket.line_user_id,
                                    col(OutboxMessage.created_at) >= start, col(OutboxMessage.created_at) <= end)
        .order_by(col(OutboxMessage.id).desc()).limit(MAX_ROWS)).all()
    return _Citizen(list(events), [r for r in replies if r.id not in staff_outbox])


Offers = dict[str, list[tuple[dt.datetime, str]]]


def _shown(transcribers: Mapping[str, Transcriber], reply: OutboxMessage) -> list[Shown]:
    """An outbox row's messages as its channel says the citizen saw them; nothing for a channel not wired."""
    transcriber = transcribers.get(reply.channel)
    return transcriber.shown(reply.messages) if transcriber is not None else []


def _button_labels(replies: Iterable[tuple[OutboxMessage, list[Shown]]]) -> Offers:
    """Choice data → when it was offered and what the chat shows when it is tapped (display text, else label)."""
    offers: Offers = {}
    for reply, shown in sorted(replies, key=lambda pair: pair[0].id or 0):
        for message in shown:
            for button in message.buttons:
                if button.data is not None:
                    offers.setdefault(button.data, []).append((as_utc(reply.created_at), button.shows))
    return offers


def _tapped_label(offers: Offers, data: str, received: dt.datetime) -> str:
    """The label of the newest offer of ``data`` made before the tap reached us (the same button may have been
    offered more than once)."""
    made = offers.get(data, [])
    earlier = [label for at, label in made if at <= received]
    return (earlier or [label for _, label in made] or [TAPPED])[-1] or TAPPED


def _event_line(transcribers: Mapping[str, Transcriber], event: InboxEvent, offers: Offers) -> Line | None:
    """The citizen's side of one event: a text, a tapped button, a sticker or photo; None for the rest (and for
    a channel not wired)."""
    transcriber = transcribers.get(event.channel)
    said = transcriber.said(event) if transcriber is not None else None
    if said is None:
        return None
    seq = event.id or 0
    if said.kind == EventKind.POSTBACK:
        return Line("citizen", said.at, _tapped_label(offers, said.data, as_utc(event.received_at)), tapped=True,
                    seq=seq)
    if said.kind == EventKind.TEXT:
        return Line("citizen", said.at, said.text[:MAX_TEXT_CHARS], seq=seq)
    if said.kind == EventKind.OTHER_MESSAGE:
        return Line("citizen", said.at, MEDIA.get(said.message_kind, "（メッセージ）"), seq=seq)
    return None


def bot_lines(messages: Sequence[Shown], at: dt.datetime, seq: int) -> list[Line]:
    """The bot's messages as the citizen saw them: the text, and the labels of the buttons offered with it."""
    return [Line("bot", at, message.text[:MAX_TEXT_CHARS],
                 choices=tuple(button.label for button in message.buttons if button.label), rank=REPLY, seq=seq)
            for message in messages]


def _thread_lines(ticket: Ticket, messages: list[TicketMessage], names: Mapping[int, str],
                  deliveries: Mapping[int, str]) -> list[Line]:
    """The ticket's own thread, with the line that marks where the ticket starts."""
    opened = as_utc(ticket.created_at)
    staff = [m.author == "staff" for m in messages]
    lines = [Line(AUTHOR_KINDS.get(m.author, "system"), as_utc(m.created_at), m.text, anchor=f"msg-{m.id}",
                  emergency=m.emergency, question=m.author == "user" and as_utc(m.created_at) == opened
                  and m.text == ticket.question[:MAX_TEXT_CHARS],
                  author=names.get(m.staff_user_id or 0, "") if is_staff else "",
                  delivery=deliveries.get(m.id or 0, "") if is_staff else "", rank=REPLY if is_staff else OWN,
                  seq=m.id or 0)
             for m, is_staff in zip(messages, staff, strict=True)]
    return [Line("opened", opened, f"ここから職員への問い合わせ（受付番号 {ticket.id}）", rank=OPENED), *lines]


def _without_copies(chat: list[Line], own: list[Line]) -> list[Line]:
    """The citizen's chat lines minus those that joined the ticket's thread (the same text at the same time)."""
    kept = {(line.at, line.text) for line in own if line.kind == "citizen"}
    return [line for line in chat if line.kind != "citizen" or line.tapped
            or not any(at == line.at and line.text.startswith(text) for at, text in kept)]


def conversation(session: Session, ticket: Ticket, *, messages: list[TicketMessage], notes: list[TicketNote],
                 names: Mapping[int, str], deliveries: Mapping[int, str],
                 transcribers: Mapping[str, Transcriber], now: dt.datetime | None = None) -> list[Line]:
    """The ticket's conversation, oldest first: the chat before it, its thread, the bot's replies, notes.

    ``messages`` and ``notes``: the ticket's thread (``handoff.queue.thread``) and notes (``notes_of``), read once
    by the caller, who names their authors; ``names``: staff display names by id; ``deliveries``: delivery
    states of staff answers by message id; ``transcribers``: the wired channels' (by name), which read their
    stored events and replies back.
    """
    start, end = _window(ticket, now or utcnow())
    staff_outbox = {m.outbox_message_id for m in messages if m.outbox_message_id is not None}
    chat = _chat_of(session, ticket, start, end, staff_outbox)
    shown = [(r, _shown(transcribers, r)) for r in chat.replies]
    labels = _button_labels(shown)
    event_lines = {e.id: line for e in chat.events if (line := _event_line(transcribers, e, labels)) is not None}
    times = {event_id: line.at for event_id, line in event_lines.items()}
    replies = [line for r, messages_shown in shown
               for line in bot_lines(messages_shown, times.get(r.inbox_event_id) or as_utc(r.created_at), r.id or 0)]
    own = _thread_lines(ticket, messages, names, deliveries)
    note_lines = [Line("note", as_utc(n.created_at), n.text, anchor=f"note-{n.id}",
                       author=names.get(n.staff_user_id or 0, ""), rank=NOTE, seq=n.id or 0)
                  for n in notes]
    chat_lines = [line for line in _without_copies([*event_lines.values(), *replies], own) if start <= line.at <= end]
    return _trim_before(sorted([*chat_lines, *own, *note_lines], key=lambda line: line.sort_key), ticket)


def _trim_before(lines: list[Line], ticket: Ticket) -> list[Line]:
    """At most ``MAX_BEFORE_TICKET`` chat lines from before the ticket (the ticket's own lines always stay)."""
    opened = as_utc(ticket.created_at)
    before = [i for i, line in enumerate(lines) if line.at < opened and line.kind in ("citizen", "bot")
              and not line.anchor]
    dropped = set(before[:-MAX_BEFORE_TICKET]) if len(before) > MAX_BEFORE_TICKET else set()
    return [line for i, line in enumerate(lines) if i not in dropped]


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names (else usernames) of the given staff ids."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    users = session.exec(select(StaffUser).where(col(StaffUser.id).in_(wanted))).all()
    return {u.id: (u.display_name or u.username) for u in users if u.id is not None}
