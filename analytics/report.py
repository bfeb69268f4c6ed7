"""The analytics page's sections: for each, a chart and the table of its numbers (also offered as CSV).

A section is built from ``analytics.queries`` for one period. Tables hold display-ready cells (counts as ints,
shares as ``"12.5%"``, business minutes rounded to one decimal); the CSV of a table is exactly its rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from markupsafe import Markup
from sqlmodel import Session

from analytics import queries
from analytics.charts import Series, bar_chart, column_chart
from analytics.queries import DECISIONS, Period
from handoff.hours import BusinessCalendar
from knowledge.transfer import defuse_formula
from knowledge.unanswered import REASON_LABELS

Cell = str | int | float
# HANDOFF is the retrieval decision "no answer found": it led to a staff offer or a scope reply, and only a tap
# on 「はい」 hands the question to staff (section 7 counts those apart).
DECISION_LABELS = {"ANSWER": "回答", "SUGGEST": "候補を提示", "HANDOFF": "答えなし", "REPHRASE": "言い換え依頼"}
DECISION_CLASSES = {"ANSWER": "series-answer", "SUGGEST": "series-suggest", "HANDOFF": "series-handoff",
                    "REPHRASE": "series-rephrase"}
STAFF_PATH_LABELS = ("対象外の返答（お断り）", "職員への相談を提案", "職員への引き継ぎ（受付）")
DELETED_ENTRY = "（削除されたFAQ）"


@dataclass(frozen=True)
class Table:
    """A table of numbers: ``name`` is its CSV file name part, ``caption`` says what it counts."""

    name: str
    caption: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


@dataclass(frozen=True)
class Section:
    """One heading of the page: its charts (may be empty when there is no data) and tables."""

    title: str
    charts: list[Markup]
    tables: list[Table]
    note: str = ""
    link: tuple[str, str] | None = None  # (url, label) of a related console page
    empty: bool = field(default=False)


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal (``"—"`` when there is nothing)."""
    return f"{part / whole * 100:.1f}%" if whole else "—"


def minutes(value: float | None) -> Cell:
    return "—" if value is None else round(value, 1)


def _messages(days: dict[dt.date, Counter[str]]) -> Section:
    counts = {day: sum(decisions.values()) for day, decisions in days.items()}
    table = Table("messages", "日別の質問数（日本時間）", ("日付", "質問数"),
                  [(day.isoformat(), count) for day, count in counts.items()])
    chart = column_chart("chart-messages", "日別の質問数", [f"{d.month}/{d.day}" for d in counts],
                         [Series("質問数", "series-count", list(counts.values()))])
    return Section("1. 日別の質問数", [chart], [table], empty=not any(counts.values()))


def _decisions(days: dict[dt.date, Counter[str]]) -> Section:
    per_day = Table("decisions", "日別の判定の内訳", ("日付", *(DECISION_LABELS[d] for d in DECISIONS), "合計"),
                    [(day.isoformat(), *(c[d] for d in DECISIONS), sum(c[d] for d in DECISIONS))
                     for day, c in days.items()])
    overall: Counter[str] = sum(days.values(), Counter())
    total = sum(overall[d] for d in DECISIONS)
    shares = Table("decision_shares", "期間全体の判定の割合", ("判定", "件数", "割合"),
                   [(DECISION_LABELS[d], overall[d], share(overall[d], total)) for d in DECISIONS])
    chart = column_chart("chart-decisions", "日別の判定の内訳", [f"{d.month}/{d.day}" for d in days],
                         [Series(DECISION_LABELS[d], DECISION_CLASSES[d], [c[d] for c in days.values()])
                          for d in DECISIONS])
    return Section("2. 判定の内訳（回答・候補提示・答えなし・言い換え）", [chart], [shares, per_day], empty=not total)


def _entry_label(faq_id: str, question: str | None) -> str:
    return question if question is not None else f"{DELETED_ENTRY} {faq_id}"


def _entries(session: Session, period: Period) -> Section:
    uses = queries.top_entries(session, period)
    table = Table("entries", "よく使われたFAQ（回答した回数と、候補やメニューから選ばれた回数）",
                  ("順位", "FAQ ID", "質問", "回答した回数", "選ばれた回数", "合計"),
                  [(rank, u.faq_id, u.question or DELETED_ENTRY, u.answered, u.chosen, u.total)
                   for rank, u in enumerate(uses, start=1)])
    labels = [_entry_label(u.faq_id, u.question) for u in uses]
    chart = bar_chart("chart-entries", "よく使われたFAQ", labels,
                      [Series("回答", "series-answer", [u.answered for u in uses]),
                       Series("選ばれた", "series-suggest", [u.chosen for u in uses])])
    return Section("3. よく使われたFAQ", [chart], [table], empty=not uses)


def _ratings(session: Session, period: Period) -> Section:
    ratings = queries.ratings_per_entry(session, period)
    table = Table("ratings", "FAQごとの評価（👎の割合が高い順）", ("FAQ ID", "質問", "👍", "👎", "👎の割合"),
                  [(r.faq_id, r.question or DELETED_ENTRY, r.up, r.down, share(r.down, r.up + r.down))
                   for r in ratings])
    labels = [_entry_label(r.faq_id, r.question) for r in ratings]
    chart = bar_chart("chart-ratings", "FAQごとの👍と👎", labels,
                      [Series("👎", "series-down", [r.down for r in ratings]),
                       Series("👍", "series-up", [r.up for r in ratings])])
    return Section("4. FAQごとの👍／👎", [chart], [table], empty=not ratings)


def _teams(session: Session, period: Period, calendar: BusinessCalendar) -> Section:
    teams = queries.handoffs_per_team(session, period, calendar)
    table = Table("teams", "担当課ごとの引き継ぎ件数と初回応答時間（開庁時間で数えた分）",
                  ("担当課", "引き継ぎ件数", "職員が回答した件数", "初回応答 中央値（分）",
                   "初回応答 90パーセンタイル（分）"),
                  [(t.team, t.opened, t.answered, minutes(t.median), minutes(t.p90)) for t in teams])
    count_chart = bar_chart("chart-teams", "担当課ごとの引き継ぎ件数", [t.team for t in teams],
                            [Series("引き継ぎ件数", "series-handoff", [t.opened for t in teams])])
    answered = [t for t in teams if t.median is not None]
    time_chart = bar_chart("chart-response", "担当課ごとの初回応答時間の中央値（開庁時間・分）",
                           [t.team for t in answered],
                           [Series("中央値（分）", "series-count", [t.median or 0.0 for t in answered])])
    note = ("初回応答時間は、問い合わせを受け付けてから職員が最初に回答するまでの時間を、開庁時間"
            "（土日・祝日・年末年始・時間外を除く）だけで数えた分数です。")
    return Section("5. 担当課ごとの引き継ぎと初回応答時間", [count_chart, time_chart], [table], note=note,
                   empty=not teams)


def _unanswered(session: Session, now: dt.datetime) -> Section:
    counts = queries.open_unanswered_by_reason(session, now)
    labels = [REASON_LABELS.get(reason, reason) for reason in counts]
    table = Table("unanswered", "未対応の未回答質問の件数（理由別、現在）", ("理由", "件数"),
                  [(label, count) for label, count in zip(labels, counts.values(), strict=True)])
    chart = bar_chart("chart-unanswered", "未対応の未回答質問（理由別）", labels,
                      [Series("件数", "series-count", list(counts.values()))])
    return Section("6. 未回答の質問（未対応）", [chart], [table], note="期間に関係なく、いま未対応の件数です。",
                   link=("/staff/unanswered", "未回答の質問の一覧へ"), empty=not counts)


def _staff_paths(session: Session, period: Period) -> Section:
    paths = queries.staff_paths(session, period)
    counts = (paths.refused, paths.offered, paths.handed_off)
    table = Table("staff_paths", "答えられなかった質問への返答：お断り・職員への提案・実際の引き継ぎ", ("返答", "件数"),
                  list(zip(STAFF_PATH_LABELS, counts, strict=True)))
    chart = bar_chart("chart-staff-paths", "お断り・職員への提案・引き継ぎ", list(STAFF_PATH_LABELS),
                      [Series("件数", "series-handoff", list(counts))])
    note = ("お断りは対象外の返答（「職員に聞く」ボタン付き）、提案は「市の職員に質問を送りますか？」の表示、"
            "引き継ぎは職員への質問を実際に受け付けた件数です。")
    return Section("7. お断り・職員への提案・引き継ぎ", [chart], [table], note=note, empty=not any(counts))


@dataclass(frozen=True)
class Context:
    """What the sections are built from."""

    session: Session
    period: Period
    calendar: BusinessCalendar
    now: dt.datetime  # for the open unanswered questions

    @cached_property
    def question_days(self) -> dict[dt.date, Counter[str]]:
        """Questions per day by decision, read once for both sections that use them."""
        return queries.questions_per_day(self.session, self.period)


# Each section's builder by the names of its tables, so one CSV download builds only its own section.
BUILDERS: dict[tuple[str, ...], Callable[[Context], Section]] = {
    ("messages",): lambda c: _messages(c.question_days),
    ("decision_shares", "decisions"): lambda c: _decisions(c.question_days),
    ("entries",): lambda c: _entries(c.session, c.period),
    ("ratings",): lambda c: _ratings(c.session, c.period),
    ("teams",): lambda c: _teams(c.session, c.period, c.calendar),
    ("unanswered",): lambda c: _unanswered(c.session, c.now),
    ("staff_paths",): lambda c: _staff_paths(c.session, c.period),
}


def build_report(context: Context) -> list[Section]:
    """Every section of the page, in order."""
    return [build(context) for build in BUILDERS.values()]


def build_table(context: Context, name: str) -> Table | None:
    """The table called ``name`` (its section alone is built), or None when there is no such table."""
    build = next((build for names, build in BUILDERS.items() if name in names), None)
    if build is None:
        return None
    return next(table for table in build(context).tables if table.name == name)


def safe_cell(value: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe
    (``knowledge.transfer.defuse_formula``); numbers are left as they are."""
    return defuse_formula(value) if isinstance(value, str) else value


def table_csv(table: Table) -> bytes:
    """The table as CSV for Excel: UTF-8 with a byte-order mark, CRLF line ends, formula cells defused."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in table.headers])
    writer.writerows([safe_cell(cell) for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
