"""The ticket page of the staff console over HTTP: numbers never reused after 「データ削除」, a reply whose ticket
was deleted keeps the typed text, why a ticket is urgent, the two-step 「対応を終了する」, readable categories and
scores, and the FAQ search fragment the page's script fetches.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session, select

from bot.models import LineUser
from console.models import AuditEvent
from core.db import make_engine
from handoff.models import Ticket, TicketMessage
from retrieval.engine import Retriever
from tests.test_console import USER, Console, make_console
from tests.test_handoff import UNANSWERABLE, open_ticket
from tests.test_line_client import FakeMessagingApi
from tests.test_worker import USER as USER_ID
from tests.test_worker import Bot, text_event
from tests.utils.desk import delete_user_data
from tsunagu.db import alembic_config, migrate

EMERGENCY = "子どもがけいれんしている"




@pytest.fixture
def any_db_console(database_url: str) -> Iterator[Console]:
    yield from make_console(database_url)


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    yield from make_console(sqlite_url)


def section(page: str, css_class: str) -> str:
    """The inner HTML of the first element with ``class="<css_class>"``, up to its closing tag."""
    match = re.search(rf'<(\w+) class="{css_class}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no .{css_class} in the page"
    return match.group(2)


def claimed(console: Console, ticket_id: int) -> str:
    csrf = console.login("staff")
    response = console.client.post(f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": csrf})
    assert "担当しました。" in response.text
    return csrf


def delete_citizen(console: Console) -> None:
    with Session(console.services.engine) as session:
        delete_user_data(session=session, user_id=USER)
        session.commit()


def test_ticket_numbers_are_never_reused_after_data_deletion(any_db_console: Console) -> None:
    console = any_db_console
    old = console.ticket("前の利用者の質問です")
    csrf = claimed(console, old)
    console.client.post(f"/staff/tickets/{old}/reply", data={"csrf_token": csrf, "text": "見学は予約制です。"})
    console.client.post(f"/staff/tickets/{old}/draft", data={"csrf_token": csrf})
    delete_citizen(console)
    new = console.ticket("新しい質問です")
    assert new > old
    page = console.client.get(f"/staff/tickets/{new}").text
    assert "新しい質問です" in page and "前の利用者の質問です" not in page
    assert "<li" not in section(page, "history")  # no 担当, 回答送信 or FAQ案作成 of the deleted ticket
    assert {e.ticket_id for e in console.rows(AuditEvent)} == {old}


def test_tickets_deleted_before_the_upgrade_keep_their_numbers(sqlite_url: str) -> None:
    """Numbers deleted while the table could still reuse them are not handed out again after the upgrade."""
    command.upgrade(alembic_config(sqlite_url), "0004")
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        for number in (1, 2, 3):
            connection.execute(text(
                "INSERT INTO handoff_ticket (id, line_user_id, question, candidates, team, urgent, status, unread, "
                "created_at, updated_at) VALUES (:id, 'U1', 'q', '[]', 't', false, 'waiting', 0, "
                "'2026-11-01 00:00:00', '2026-11-01 00:00:00')").bindparams(id=number))
        connection.execute(text("INSERT INTO handoff_audit_event (at, actor, action, ticket_id, detail) "
                                "VALUES ('2026-11-01 00:00:00', 'citizen', 'ticket_opened', 7, '')"))
        connection.execute(text("DELETE FROM handoff_ticket WHERE id = 3"))
    engine.dispose()
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        ticket = Ticket(line_user_id="U1", question="q", team="t")
        session.add(ticket)
        session.commit()
        assert ticket.id == 8  # after the audit log's 7, not 3 (reused) or 4
        assert [t.id for t in session.exec(select(Ticket).order_by(Ticket.id))] == [1, 2, 8]  # type: ignore[arg-type]
    engine.dispose()


def test_reply_after_the_citizen_deleted_their_data_shows_why_and_keeps_the_text(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = claimed(console, ticket_id)
    delete_citizen(console)
    typed = "見学は事前予約制です。\n<b>お電話でお申し込みください</b>"
    page = console.client.post(f"/staff/tickets/{ticket_id}/reply", data={"csrf_token": csrf, "text": typed})
    assert page.status_code == 410
    assert "利用者がデータを削除した" in page.text and "回答は送信されていません" in page.text
    textarea = re.search(r"<textarea[^>]*\breadonly\b[^>]*>(.*?)</textarea>", page.text, re.S)
    assert textarea and html.unescape(textarea.group(1)).removeprefix("\n") == typed  # as the HTML parser reads it
    assert "<b>お電話" not in page.text  # shown as text


def bot_and_console(sqlite_url: str, retriever: Retriever) -> Iterator[tuple[Bot, Console]]:
    """The worker (citizens' side) and the console (staff side) on one database."""
    bot = Bot(sqlite_url, retriever, FakeMessagingApi())
    for console in make_console(sqlite_url):
        yield bot, console
    bot.engine.dispose()


@pytest.fixture
def bot_console(sqlite_url: str, mini_retriever: Retriever) -> Iterator[tuple[Bot, Console]]:
    yield from bot_and_console(sqlite_url, mini_retriever)


def thread_of(bot: Bot, ticket_id: int | None) -> list[tuple[str, bool]]:
    with Session(bot.engine) as session:
        query = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)  # type: ignore[arg-type]
        return [(m.text, m.emergency) for m in session.exec(query)]


def test_emergency_message_before_a_ticket_is_shown_with_its_time_and_joins_the_thread(
        bot_console: tuple[Bot, Console]) -> None:
    bot, console = bot_console
    bot.receive(text_event("e1", EMERGENCY))
    bot.run()
    ticket = open_ticket(bot)
    assert not ticket.urgent and ticket.emergency_before_at is not None  # issue 17: not inherited as 至急
    assert thread_of(bot, ticket.id) == [(EMERGENCY, True), (UNANSWERABLE, False)]
    console.login("admin")  # admins see every team
    page = console.client.get(f"/staff/tickets/{ticket.id}").text
    assert "直前に緊急の言葉あり" in page and "urgent-reason" not in page
    highlighted = re.findall(r'<li class="msg user emergency"[^>]*>(.*?)</li>', page, re.S)
    assert len(highlighted) == 1 and EMERGENCY in highlighted[0] and "緊急の言葉" in highlighted[0]
    assert "urgent=True" not in page and "urgent=" not in page
    assert all(EMERGENCY not in e.detail for e in console.rows(AuditEvent))


def test_emergency_message_on_an_open_ticket_is_highlighted_and_deleted_with_the_data(
        bot_console: tuple[Bot, Console]) -> None:
    bot, console = bot_console
    ticket = open_ticket(bot)
    assert not ticket.urgent
    bot.receive(text_event("e2", "虐待かもしれません。どうしたらいいですか"))
    bot.run()
    assert thread_of(bot, ticket.id) == [(UNANSWERABLE, False), ("虐待かもしれません。どうしたらいいですか", True)]
    console.login("admin")  # the bot's tickets go to the default team; admins see every team
    page = console.client.get(f"/staff/tickets/{ticket.id}").text
    assert "至急：緊急の言葉を含むメッセージがありました" in page
    assert re.search(r'<li class="msg user emergency"[^>]*>.*?虐待かもしれません', page, re.S)
    with Session(bot.engine) as session:
        delete_user_data(session=session, user_id=USER_ID)
        session.commit()
    assert bot.rows(LineUser) == [] and bot.rows(TicketMessage) == [] and bot.rows(Ticket) == []


def test_resolve_asks_for_confirmation_in_the_page(console: Console) -> None:
    ticket_id = console.ticket()
    claimed(console, ticket_id)
    page = console.client.get(f"/staff/tickets/{ticket_id}").text
    confirm = re.search(r'<details class="confirm-resolve"[^>]*>(.*?)</details>', page, re.S)
    assert confirm, "no two-step confirmation"
    assert "<summary" in confirm.group(1) and "対応を終了する" in confirm.group(1)
    assert "本当に終了しますか？" in confirm.group(1) and "利用者に評価のお願いが送られます" in confirm.group(1)
    assert f'action="/staff/tickets/{ticket_id}/resolve"' in confirm.group(1)
    assert page.count(f'action="/staff/tickets/{ticket_id}/resolve"') == 1  # no one-click form elsewhere


@pytest.mark.parametrize(("slug", "label"), [("childcare", "子育て"), ("procedures", "手続き"), ("tourism", "観光"),
                                             ("waste", "waste")])
def test_category_is_shown_in_japanese_and_scores_are_labelled(console: Console, slug: str, label: str) -> None:
    ticket_id = console.ticket()
    with Session(console.services.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.category = slug
        session.add(ticket)
        session.commit()
    console.login("staff")
    page = console.client.get(f"/staff/tickets/{ticket_id}").text
    facts = section(page, "facts")
    assert re.search(rf"<dt>分類</dt>\s*<dd>{label}</dd>", facts), facts
    score = re.search(r'<span class="score" title="([^"]+)">一致度 0\.40</span>', page)
    assert score and "1に近いほど" in score.group(1)


def test_faq_search_fragment_is_escaped_and_carries_the_answers(console: Console) -> None:
    ticket_id = console.ticket()
    claimed(console, ticket_id)
    fragment = console.client.get(f"/staff/tickets/{ticket_id}/faq", params={"q": "粗大ごみ"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    answers = [html.unescape(a) for a in re.findall(r'data-answer="([^"]*)"', fragment.text)]
    assert "粗大ごみは事前の申込みが必要です。環境部にお問い合わせください。" in answers
    assert f"/staff/tickets/{ticket_id}?q=" in fragment.text  # the no-script fallback link
    empty = console.client.get(f"/staff/tickets/{ticket_id}/faq", params={"q": "<script>"})
    assert empty.status_code == 200 and "<script>" not in empty.text
