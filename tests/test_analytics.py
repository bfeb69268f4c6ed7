"""The analytics page (issue 11): who may open it, and that its numbers and CSV files match the stored rows.

Rows are inserted directly (interactions, tickets, unanswered questions, FAQ entries) on SQLite and PostgreSQL;
"now" is fixed at Friday 2026-11-27 12:00 JST so periods and Japan days are known.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

import analytics.routes
from analytics.charts import Series, bar_chart, column_chart, nice_max
from analytics.queries import Period, percentile
from analytics.report import safe_cell
from bot.interactions import Interaction
from handoff.models import Ticket, TicketMessage
from knowledge.models import FaqEntry
from knowledge.unanswered import UnansweredQuestion
from tests.test_console import Console, make_console

JST = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)  # Friday 12:00 JST
USER = "U" + "a" * 32
HOSTILE = '<script>alert("x")</script>'


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=JST).astimezone(dt.UTC)


@pytest.fixture
def console(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    monkeypatch.setattr(analytics.routes, "utcnow", lambda: NOW)
    yield from make_console(database_url)


def add(console: Console, *rows: object) -> None:
    with Session(console.services.engine, expire_on_commit=False) as session:
        for row in rows:
            session.add(row)
        session.commit()


def event(at: dt.datetime, kind: str = "question", *, decision: str | None = None, faq_id: str | None = None,
          rating: str | None = None) -> Interaction:
    return Interaction(at=at, line_user_id=USER, kind=kind, decision=decision, faq_id=faq_id, rating=rating,
                       language="ja")


def entry(faq_id: str, question: str) -> FaqEntry:
    return FaqEntry(id=faq_id, category="childcare", question=question, answer="回答です。")


def csv_rows(console: Console, table: str, days: int = 30) -> list[list[str]]:
    response = console.client.get(f"/staff/analytics/{table}.csv?days={days}")
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with a UTF-8 BOM"
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_editors_and_admins_may_open_it_staff_may_not(console: Console) -> None:
    console.client.cookies.clear()
    response = console.client.get("/staff/analytics", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    console.login("staff")
    assert console.client.get("/staff/analytics").status_code == 403
    assert console.client.get("/staff/analytics/messages.csv").status_code == 403
    for role in ("editor", "admin"):
        console.login(role)
        page = console.client.get("/staff/analytics")
        assert page.status_code == 200 and "<h1>分析</h1>" in page.text, role
        assert console.client.get("/staff/analytics/messages.csv").status_code == 200, role
        assert console.client.get("/staff/analytics/nothing.csv").status_code == 404, role


def test_questions_are_counted_per_japan_day(console: Console) -> None:
    add(console,
        event(jst(2026, 11, 25, 23, 59)), event(jst(2026, 11, 26, 0, 0)), event(jst(2026, 11, 26, 0, 1)),
        event(jst(2026, 11, 26, 9, 0), "choice", faq_id="a"),  # not a question
        event(jst(2026, 10, 28, 23, 59)),  # the day before the 30-day period (10-29 .. 11-27)
        event(jst(2026, 10, 29, 0, 0)))  # its first minute
    console.login("editor")
    rows = dict(csv_rows(console, "messages")[1:])
    assert len(rows) == 30 and min(rows) == "2026-10-29" and max(rows) == "2026-11-27"
    assert (rows["2026-11-25"], rows["2026-11-26"], rows["2026-10-29"]) == ("1", "2", "1")
    assert sum(int(count) for count in rows.values()) == 4
    week = dict(csv_rows(console, "messages", days=7)[1:])
    assert min(week) == "2026-11-21" and sum(int(count) for count in week.values()) == 3
    quarter = dict(csv_rows(console, "messages", days=90)[1:])
    assert len(quarter) == 90 and quarter["2026-10-28"] == "1"
    page = console.client.get("/staff/analytics?days=7").text
    assert 'aria-current="page" class="current">過去7日' in page and "2026-11-21 ～ 2026-11-27" in page


def test_decision_shares(console: Console) -> None:
    at = jst(2026, 11, 20, 10, 0)
    add(console, *(event(at, decision="ANSWER", faq_id="a") for _ in range(3)),
        event(at, decision="SUGGEST"), event(at + dt.timedelta(days=1), decision="REPHRASE"),
        event(at, "feedback", faq_id="a", rating="up"))
    console.login("editor")
    shares = {row[0]: row[1:] for row in csv_rows(console, "decision_shares")[1:]}
    assert shares == {"回答": ["3", "60.0%"], "候補を提示": ["1", "20.0%"], "答えなし": ["0", "0.0%"],
                      "言い換え依頼": ["1", "20.0%"]}
    per_day = {row[0]: row[1:] for row in csv_rows(console, "decisions")[1:]}
    assert per_day["2026-11-20"] == ["3", "1", "0", "0", "4"] and per_day["2026-11-21"] == ["0", "0", "0", "1", "1"]
    page = console.client.get("/staff/analytics").text
    assert 'class="series-answer"' in page and 'class="series-rephrase"' in page


def test_top_entries_and_ratings_worst_first(console: Console) -> None:
    at = jst(2026, 11, 24, 10, 0)
    add(console, entry("an-a", "保育園の申し込み"), entry("an-b", "児童手当の申請"),
        *(event(at, decision="ANSWER", faq_id="an-a") for _ in range(2)),
        *(event(at, "choice", faq_id="an-b") for _ in range(3)), event(at, decision="ANSWER", faq_id="an-b"),
        event(at, "feedback", faq_id="an-a", rating="up"), *(event(at, "feedback", faq_id="an-a", rating="down")
                                                             for _ in range(3)),
        *(event(at, "feedback", faq_id="an-b", rating="up") for _ in range(3)),
        event(at, "feedback", faq_id="an-b", rating="down"), event(at, "feedback", faq_id="gone", rating="up"))
    console.login("editor")
    entries = csv_rows(console, "entries")
    assert entries[1:] == [["1", "an-b", "児童手当の申請", "1", "3", "4"],
                           ["2", "an-a", "保育園の申し込み", "2", "0", "2"]]
    ratings = csv_rows(console, "ratings")[1:]
    assert ratings == [["an-a", "保育園の申し込み", "1", "3", "75.0%"], ["an-b", "児童手当の申請", "3", "1", "25.0%"],
                       ["gone", "（削除されたFAQ）", "1", "0", "0.0%"]]


def test_first_response_is_counted_in_business_minutes(console: Console) -> None:
    friday_evening = Ticket(line_user_id=USER, question="q", team="こども家庭部", created_at=jst(2026, 11, 20, 18, 0),
                            first_response_at=jst(2026, 11, 24, 9, 0))  # Monday 23rd is a holiday: 30 min
    monday = Ticket(line_user_id=USER, question="q", team="こども家庭部", created_at=jst(2026, 11, 25, 10, 0))
    quick = Ticket(line_user_id=USER, question="q", team="こども家庭部", created_at=jst(2026, 11, 26, 9, 0),
                   first_response_at=jst(2026, 11, 26, 9, 10))
    waiting = Ticket(line_user_id=USER, question="q", team="市民課", created_at=jst(2026, 11, 26, 9, 0))
    add(console, friday_evening, monday, quick, waiting)
    assert monday.id is not None
    add(console, TicketMessage(ticket_id=monday.id, author="user", text="q", created_at=jst(2026, 11, 25, 10, 30)),
        TicketMessage(ticket_id=monday.id, author="staff", text="a", created_at=jst(2026, 11, 25, 11, 0)))
    console.login("admin")
    teams = {row[0]: row[1:] for row in csv_rows(console, "teams")[1:]}
    # minutes 30, 60 and 10: median 30, 90th percentile (nearest rank) 60; 市民課 has no reply yet
    assert teams == {"こども家庭部": ["3", "3", "30.0", "60.0"], "市民課": ["1", "0", "—", "—"]}


def test_open_unanswered_questions_by_reason(console: Console) -> None:
    def row(reason: str, status: str = "open", at: dt.datetime | None = None) -> UnansweredQuestion:
        return UnansweredQuestion(at=at or jst(2026, 11, 1, 10), line_user_id=USER, text="電話 090-1111-2222 の件",
                                  reason=reason, status=status)

    add(console, row("none_of_these"), row("none_of_these"), row("feedback_down"), row("feedback_down", "added"),
        row("handoff_declined", "dismissed"), row("suggest_not_chosen", at=NOW - dt.timedelta(minutes=2)))
    console.login("editor")
    assert csv_rows(console, "unanswered")[1:] == [["「どれも違う」を選んだ", "2"], ["回答に👎", "1"]]
    page = console.client.get("/staff/analytics").text
    assert 'href="/staff/unanswered"' in page


def test_refusals_staff_offers_and_real_hand_offs_are_shown_apart(console: Console) -> None:
    at = jst(2026, 11, 26, 10, 0)
    add(console, *(event(at, decision="HANDOFF") for _ in range(5)), event(at, "scope_reply"),
        event(at, "scope_reply"), *(event(at, "staff_offered") for _ in range(3)), event(at, "handoff_sent"),
        event(jst(2026, 10, 1), "scope_reply"))  # before the period
    console.login("editor")
    assert csv_rows(console, "staff_paths")[1:] == [["対象外の返答（お断り）", "2"], ["職員への相談を提案", "3"],
                                                   ["職員への引き継ぎ（受付）", "1"]]
    shares = {row[0]: row[1] for row in csv_rows(console, "decision_shares")[1:]}
    assert shares["答えなし"] == "5" and "職員へ引き継ぎ" not in shares  # no answer found is no hand-off
    page = console.client.get("/staff/analytics").text
    assert "7. お断り・職員への提案・引き継ぎ" in page and "職員への引き継ぎ（受付）" in page


def test_no_personal_data_no_inline_style_and_escaped_entry_text(console: Console) -> None:
    at = jst(2026, 11, 26, 10, 0)
    add(console, entry("an-x", HOSTILE), event(at, decision="ANSWER", faq_id="an-x"),
        event(at, "feedback", faq_id="an-x", rating="down"),
        UnansweredQuestion(at=at, line_user_id=USER, text="私の電話は 090-1111-2222", reason="none_of_these"),
        Ticket(line_user_id=USER, question="住所は富山市新桜町7-38", team="こども家庭部", created_at=at))
    console.login("editor")
    page = console.client.get("/staff/analytics").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert not re.search(r"\sstyle=", page) and not re.search(r"<script(?![^>]*\ssrc=)", page)
    exported = "".join(console.client.get(f"/staff/analytics/{name}.csv").text for name in (
        "messages", "decisions", "decision_shares", "entries", "ratings", "teams", "unanswered"))
    for secret in (USER, "090-1111-2222", "新桜町"):
        assert secret not in page and secret not in exported, secret


def test_csv_defuses_formulas(console: Console) -> None:
    add(console, entry("an-f", '=HYPERLINK("http://x.example","click")'),
        event(jst(2026, 11, 26, 10, 0), decision="ANSWER", faq_id="an-f"))
    console.login("editor")
    assert csv_rows(console, "entries")[1][2] == "'=HYPERLINK(\"http://x.example\",\"click\")"
    assert [safe_cell(v) for v in ("+1", "-1", "@a", "\tx", "ok", 5)] == ["'+1", "'-1", "'@a", "'\tx", "ok", 5]


def test_period_is_japan_days_ending_today() -> None:
    period = Period.last(7, dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC))  # 11-27 00:00 JST
    assert (period.first_day, period.last_day) == (dt.date(2026, 11, 21), dt.date(2026, 11, 27))
    assert period.start == dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)
    assert Period.last(12, NOW).days == 30


def test_percentile_and_axis_helpers() -> None:
    assert percentile([], 90) is None
    assert percentile([10, 30, 60], 90) == 60 and percentile([5], 90) == 5
    assert percentile(range(1, 11), 90) == 9 and percentile(range(1, 11), 50) == 5
    assert (nice_max(0), nice_max(7), nice_max(12), nice_max(300)) == (1, 10, 20, 500)


def test_charts_escape_labels_and_show_values() -> None:
    svg = str(bar_chart("c", "題<b>", [HOSTILE, "短い"], [Series("件数", "series-count", [3, 1])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "題&lt;b&gt;" in svg
    assert ">3</text>" in svg and ">1</text>" in svg and 'role="img"' in svg
    columns = str(column_chart("d", "日別", ["11/26", "11/27"], [Series("A", "series-answer", [2, 0]),
                                                                 Series("B", "series-suggest", [1, 4])]))
    assert columns.count('class="series-answer"><title>') == 1 and ">3</text>" in columns and ">4</text>" in columns
    assert str(bar_chart("e", "空", [], [])) == ""
