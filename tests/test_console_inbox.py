"""The ticket page as an inbox (issue 17 item 7): the whole conversation in the thread (the bot's replies and
buttons as the citizen saw them, interleaved with the citizen's messages), the assignee's name, internal notes,
team canned replies, teams chosen from a list for accounts, and staff replies sent with ``\\n`` line ends.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.models import InboxEvent, OutboxMessage
from console.accounts.models import StaffUser
from console.accounts.service import create_user
from console.models import AuditEvent
from core.clock import utcnow
from handoff.canned import CannedReply
from handoff.models import Ticket, TicketMessage
from handoff.notes import TicketNote
from handoff.ticket_view import thread_context
from retrieval.engine import Retriever
from tests.test_console import HOSTILE, PASSWORD, USER, Console, make_console
from tests.test_console_ticket import bot_and_console, claimed
from tests.test_handoff import open_ticket
from tests.test_worker import Bot, text_event
from tests.utils.desk import delete_user_data

TEAM = "こども家庭部"
NOTE = "保護者から電話あり。折り返しは午後に。"


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    accounts = {"staff": ("staff", TEAM), "other": ("staff", "観光振興課"), "admin": ("admin", TEAM),
                "editor": ("editor", None)}
    yield from make_console(sqlite_url, accounts)


@pytest.fixture
def bot_console(sqlite_url: str, mini_retriever: Retriever) -> Iterator[tuple[Bot, Console]]:
    yield from bot_and_console(sqlite_url, mini_retriever)


def thread_lines(page: str) -> list[tuple[str, str]]:
    """(data-kind or the class, the visible text) of each line of the thread, in order."""
    body = re.search(r'<ol class="thread"[^>]*>(.*?)</ol>\s*(?:<form|{%|<p|</section>)', page, re.S)
    assert body, "no thread in the page"
    lines = []
    for match in re.finditer(r'<li class="msg ([^"]*)"([^>]*)>(.*?)</li>\s*(?=<li class="msg|$)', body.group(1),
                             re.S):
        kind = re.search(r'data-kind="(\w+)"', match.group(2))
        text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(3)))
        lines.append((kind.group(1) if kind else match.group(1), " ".join(text.split())))
    return lines


def seed_event(console: Console, at: dt.datetime, text: str, *, source: str = "user") -> None:
    with Session(console.services.engine) as session:
        event = InboxEvent(webhook_event_id=str(uuid.uuid4()), event_type="message", line_user_id=USER,
                           received_at=at, status="done", payload={
                               "type": "message", "timestamp": int(at.timestamp() * 1000),
                               "source": {"type": source, "userId": USER, "groupId": "C1"},
                               "message": {"type": "text", "id": "1", "text": text}})
        session.add(event)
        session.flush()
        chat = USER if source == "user" else "C1"  # a group's replies go to the group
        session.add(OutboxMessage(line_user_id=chat, inbox_event_id=event.id, retry_key=str(uuid.uuid4()),
                                  created_at=at + dt.timedelta(seconds=1), status="delivered", messages=[
                                      {"type": "text", "text": f"ボットの答え：{text}", "quickReply": {"items": [
                                          {"type": "action", "action": {"type": "postback", "label": "職員に聞く",
                                                                        "data": "v1|handoff|yes|x"}}]}}]))
        session.commit()


# -- 1. the whole conversation --------------------------------------------------------------------------------
def test_thread_shows_the_bots_replies_and_buttons_interleaved_with_the_citizen(
        bot_console: tuple[Bot, Console]) -> None:
    bot, console = bot_console
    bot.receive(text_event("before", HOSTILE))
    bot.run()
    ticket = open_ticket(bot)
    bot.receive(text_event("after", "追加で質問です"))
    bot.run()
    console.login("admin")  # the bot's tickets go to the default team; admins see every team
    page = console.client.get(f"/staff/tickets/{ticket.id}").text
    lines = thread_lines(page)
    # before the ticket: a message, the bot's reply; the question, the bot's reply; the tap on its offer
    assert [kind for kind, _ in lines] == ["citizen", "bot", "citizen", "bot", "citizen", "opened", "citizen", "bot",
                                           "citizen", "bot"], lines
    assert lines[0][1].startswith("利用者") and lines[1][1].startswith("ボット（つなぐ）")
    assert HOSTILE in lines[0][1] and HOSTILE not in page  # citizen text is escaped, never markup
    offered = re.findall(r'<ul class="choices"[^>]*>(.*?)</ul>', page, re.S)
    labels = [re.findall(r"<li>(.*?)</li>", choices) for choices in offered]
    assert len(labels) >= 2 and all(labels)  # the bot's buttons are listed with its messages
    assert lines[4][1].startswith("利用者") and " ボタン " in lines[4][1]  # the tap (its label: the test below)
    assert "職員への質問" in lines[6][1] and "質問を市の職員に送りました" in lines[7][1]
    assert "追加で質問です" in lines[8][1] and "職員に伝えました" in lines[9][1]
    assert page.count("追加で質問です") == 1  # the follow-up in the ticket's thread is not repeated from the chat
    fragment = console.client.get(f"/staff/tickets/{ticket.id}/thread").text
    assert "質問を市の職員に送りました" in fragment and "ボット（つなぐ）" in fragment


def test_thread_reaches_back_thirty_minutes_and_leaves_out_group_chats(console: Console) -> None:
    now = utcnow()
    seed_event(console, now - dt.timedelta(hours=2), "二時間前の話")
    seed_event(console, now - dt.timedelta(minutes=10), "十分前の話")
    seed_event(console, now - dt.timedelta(minutes=5), "グループでの話", source="group")
    ticket_id = console.ticket("保育園の見学はできますか")
    console.login("staff")
    page = console.client.get(f"/staff/tickets/{ticket_id}").text
    assert "十分前の話" in page and "ボットの答え：十分前の話" in page
    assert "二時間前の話" not in page and "グループでの話" not in page
    texts = [text for _, text in thread_lines(page)]
    assert texts.index(next(t for t in texts if "ボットの答え：十分前" in t)) < texts.index(
        next(t for t in texts if "保育園の見学" in t))


def test_expired_or_deleted_citizen_shows_only_the_tickets_own_thread(console: Console) -> None:
    seed_event(console, utcnow() - dt.timedelta(minutes=3), "消される前の話")
    ticket_id = console.ticket()
    with Session(console.services.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.line_user_id = "-"  # retention blanked it
        session.add(ticket)
        session.commit()
    console.login("staff")
    assert "消される前の話" not in console.client.get(f"/staff/tickets/{ticket_id}").text


def test_a_tap_shows_the_label_of_the_newest_offer_before_it(console: Console) -> None:
    now = utcnow()
    seed_event(console, now - dt.timedelta(minutes=9), "一回目")
    with Session(console.services.engine) as session:  # the same button offered again, with another label
        session.add(OutboxMessage(line_user_id=USER, retry_key=str(uuid.uuid4()), status="delivered",
                                  created_at=now - dt.timedelta(minutes=8), messages=[{
                                      "type": "text", "text": "もう一度", "quickReply": {"items": [{
                                          "type": "action", "action": {"type": "postback", "label": "はい",
                                                                       "displayText": "はい（職員に送る）",
                                                                       "data": "v1|handoff|yes|x"}}]}}]))
        session.add(InboxEvent(webhook_event_id="tap", event_type="postback", line_user_id=USER, status="done",
                               received_at=now - dt.timedelta(minutes=7), payload={
                                   "type": "postback", "source": {"type": "user", "userId": USER},
                                   "postback": {"data": "v1|handoff|yes|x"}}))
        session.commit()
    ticket_id = console.ticket()
    console.login("staff")
    lines = thread_lines(console.client.get(f"/staff/tickets/{ticket_id}").text)
    taps = [text for _, text in lines if " ボタン " in text]
    assert len(taps) == 1 and taps[0].endswith("ボタン はい（職員に送る）"), lines


# -- 2. the assignee's name -------------------------------------------------------------------------------------
def test_assignee_and_staff_replies_are_named(sqlite_url: str) -> None:
    for console in make_console(sqlite_url, {"staff": ("staff", TEAM)}):
        with Session(console.services.engine) as session:
            create_user(session, username="hanako", password=PASSWORD, role="staff", team=TEAM,
                        display_name="田中 花子")
        ticket_id = console.ticket()
        csrf = console.login("hanako")
        console.client.post(f"/staff/tickets/{ticket_id}/claim", data={"csrf_token": csrf})
        console.client.post(f"/staff/tickets/{ticket_id}/reply", data={"csrf_token": csrf, "text": "ご案内します"})
        console.login("staff")
        page = console.client.get(f"/staff/tickets/{ticket_id}").text
        assert re.search(r'<dd class="assignee">田中 花子', page)
        staff_line = next(text for kind, text in thread_lines(page) if kind == "staff")
        assert staff_line.startswith("職員：田中 花子") and "ご案内します" in staff_line


# -- 3. internal notes ------------------------------------------------------------------------------------------
def test_note_shows_in_the_thread_is_never_sent_and_is_audited_without_its_text(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = console.login("staff")
    response = console.client.post(f"/staff/tickets/{ticket_id}/notes", data={"csrf_token": csrf, "text": NOTE})
    assert "内部メモを追加しました" in response.text
    note_line = next(text for kind, text in thread_lines(response.text) if kind == "note")
    assert "内部メモ" in note_line and NOTE in note_line and "staff" in note_line
    assert console.rows(OutboxMessage) == []  # nothing goes to the citizen
    events = [e for e in console.rows(AuditEvent) if e.action == "ticket_note_added"]
    assert len(events) == 1 and events[0].ticket_id == ticket_id and NOTE not in events[0].detail
    assert "内部メモを追加" in response.text and "note=" not in response.text  # the history speaks Japanese


def test_thread_reads_the_tickets_messages_and_notes_once(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = console.login("staff")
    console.client.post(f"/staff/tickets/{ticket_id}/notes", data={"csrf_token": csrf, "text": NOTE})
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()))

    engine = console.services.engine
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        event.listen(engine, "before_cursor_execute", seen)
        try:
            context = thread_context(session, ticket, console.services.transcribers)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert [line.kind for line in context["lines"]].count("note") == 1
    assert sum(" FROM handoff_ticket_note " in f"{s} " for s in statements) == 1, statements
    assert sum(" FROM handoff_ticket_message " in f"{s} " for s in statements) == 2, statements  # + deliveries


def test_note_needs_csrf_text_and_a_ticket_the_staff_member_may_see(console: Console) -> None:
    ticket_id = console.ticket()
    console.login("staff")
    assert console.client.post(f"/staff/tickets/{ticket_id}/notes", data={"text": NOTE}).status_code == 403
    csrf = console.login("staff")
    empty = console.client.post(f"/staff/tickets/{ticket_id}/notes", data={"csrf_token": csrf, "text": " \r\n"})
    assert empty.status_code == 409 and "メモを入力してください" in empty.text
    csrf = console.login("other")  # 観光振興課 may not see こども家庭部's ticket
    refused = console.client.post(f"/staff/tickets/{ticket_id}/notes", data={"csrf_token": csrf, "text": NOTE})
    assert refused.status_code == 403
    assert console.rows(TicketNote) == []


def test_notes_go_with_the_citizens_data_deletion(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = console.login("staff")
    console.client.post(f"/staff/tickets/{ticket_id}/notes", data={"csrf_token": csrf, "text": NOTE})
    assert len(console.rows(TicketNote)) == 1
    with Session(console.services.engine) as session:
        delete_user_data(session=session, user_id=USER)
        session.commit()
    assert console.rows(TicketNote) == []


# -- 4. canned replies --------------------------------------------------------------------------------------------
def add_canned(console: Console, csrf: str, team: str, title: str, text: str) -> int:
    response = console.client.post("/staff/canned", data={"csrf_token": csrf, "team": team, "title": title,
                                                          "text": text})
    assert "定型文を作成しました" in response.text, response.text
    return max(int(reply.id) for reply in console.rows(CannedReply) if reply.title == title)


def test_ticket_page_offers_its_teams_canned_replies_which_fill_the_reply_box(console: Console) -> None:
    csrf = console.login("admin")
    other = add_canned(console, csrf, "観光振興課", "観光の定型文", "観光案内所へどうぞ")
    csrf = console.login("staff")
    own = add_canned(console, csrf, TEAM, "見学の案内", "見学は予約制です。\r\nお電話ください。")
    ticket_id = console.ticket()
    csrf = claimed(console, ticket_id)
    page = console.client.get(f"/staff/tickets/{ticket_id}").text
    assert "見学の案内" in page and "観光の定型文" not in page
    assert f'data-canned-id="{own}" data-answer="見学は予約制です。\nお電話ください。"' in page
    prefilled = console.client.get(f"/staff/tickets/{ticket_id}?canned={own}").text
    textarea = re.search(r'<textarea id="reply-text"[^>]*>(.*?)</textarea>', prefilled, re.S)
    assert textarea and html.unescape(textarea.group(1)).strip() == "見学は予約制です。\nお電話ください。"
    foreign = console.client.get(f"/staff/tickets/{ticket_id}?canned={other}").text
    assert "観光案内所へどうぞ" not in foreign  # another team's reply is never filled in


def test_canned_replies_are_managed_by_their_team_and_audited(console: Console) -> None:
    csrf = console.login("staff")
    reply_id = add_canned(console, csrf, TEAM, "開庁時間", "平日8時30分から17時15分です。")
    refused = console.client.post("/staff/canned", data={"csrf_token": csrf, "team": "観光振興課",
                                                         "title": "t", "text": "x"})
    assert refused.status_code == 400 and "自分の担当課の定型文だけ" in refused.text
    assert console.client.post("/staff/canned", data={"team": TEAM, "title": "t", "text": "x"}).status_code == 403
    changed = console.client.post(f"/staff/canned/{reply_id}", data={
        "csrf_token": csrf, "title": "開庁時間", "text": "平日8時30分から17時15分です。\r\n祝日は休み。"})
    assert "定型文を変更しました" in changed.text
    assert [r.text for r in console.rows(CannedReply)] == ["平日8時30分から17時15分です。\n祝日は休み。"]
    csrf = console.login("other")
    assert console.client.get(f"/staff/canned/{reply_id}").status_code == 403
    assert console.client.post(f"/staff/canned/{reply_id}/delete", data={"csrf_token": csrf}).status_code == 403
    csrf = console.login("staff")
    console.client.post(f"/staff/canned/{reply_id}/delete", data={"csrf_token": csrf})
    assert console.rows(CannedReply) == []
    events = [e for e in console.rows(AuditEvent) if e.action.startswith("canned_reply_")]
    assert [e.action for e in events] == ["canned_reply_created", "canned_reply_updated", "canned_reply_deleted"]
    assert all("平日" not in e.detail and f"canned={reply_id}" in e.detail for e in events)
    console.login("editor")
    assert console.client.get("/staff/canned").status_code == 403


# -- 5. teams from a list -----------------------------------------------------------------------------------------
def test_account_team_is_chosen_from_the_known_teams(console: Console) -> None:
    csrf = console.login("admin")
    page = console.client.get("/staff/accounts").text
    select_box = re.search(r'<select id="new-team" name="team"[^>]*>(.*?)</select>', page, re.S)
    assert select_box, "the team is not a select"
    options = re.findall(r'<option value="([^"]*)"', select_box.group(1))
    assert options[0] == "" and set(options) >= {"こども家庭部", "市民相談課", "市民課", "観光振興課"}
    form = {"csrf_token": csrf, "username": "sato", "display_name": "", "role": "staff", "password": PASSWORD,
            "password_confirm": PASSWORD}
    unknown = console.client.post("/staff/accounts", data={**form, "team": "こども家庭部課"})
    assert unknown.status_code == 400 and "担当課「こども家庭部課」は登録されていません" in unknown.text
    created = console.client.post("/staff/accounts", data={**form, "team": "市民課"})
    assert "アカウントを作成しました" in created.text
    account = next(u for u in console.rows(StaffUser) if u.username == "sato")
    edit = console.client.post(f"/staff/accounts/{account.id}/profile",
                               data={"csrf_token": csrf, "role": "staff", "display_name": "", "team": "ごみ係"})
    assert edit.status_code == 400 and "担当課「ごみ係」は登録されていません" in edit.text


def test_an_accounts_current_team_outside_the_list_is_kept(console: Console) -> None:
    with Session(console.services.engine) as session:
        create_user(session, username="legacy", password=PASSWORD, role="staff", team="旧・子育て支援課")
        account = session.exec(select(StaffUser).where(StaffUser.username == "legacy")).one()
    csrf = console.login("admin")
    page = console.client.get(f"/staff/accounts/{account.id}").text
    assert re.search(r'<option value="旧・子育て支援課" selected>旧・子育て支援課（振り分け表にない担当課）', page)
    kept = console.client.post(f"/staff/accounts/{account.id}/profile", data={
        "csrf_token": csrf, "role": "staff", "display_name": "旧課の人", "team": "旧・子育て支援課"})
    assert "アカウントの設定を変更しました" in kept.text


# -- 7. \n line ends --------------------------------------------------------------------------------------------
def test_staff_reply_typed_with_crlf_reaches_the_outbox_with_lf(console: Console) -> None:
    ticket_id = console.ticket()
    csrf = claimed(console, ticket_id)
    console.client.post(f"/staff/tickets/{ticket_id}/reply",
                        data={"csrf_token": csrf, "text": "一行目\r\n二行目\r\n\r\n三行目"})
    [outbox] = console.rows(OutboxMessage)
    sent = "".join(message["text"] for message in outbox.messages)
    assert "\r" not in sent and "一行目\n二行目\n\n三行目" in sent
    assert [m.text for m in console.rows(TicketMessage) if m.author == "staff"] == ["一行目\n二行目\n\n三行目"]
