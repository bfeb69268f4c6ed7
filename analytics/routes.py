"""Routes of the analytics page: ``GET /staff/analytics`` and ``GET /staff/analytics/{table}.csv``.

Editors and admins only (``EditorStaff``); both are read-only GETs. ``?days=`` picks the period (7, 30 or 90
Japan days, today included; anything else means 30). The CSV of a table is the table shown on the page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from analytics.queries import DEFAULT_DAYS, PERIOD_DAYS, Period
from analytics.report import Context, build_report, build_table, table_csv
from console.accounts.deps import EditorStaff, StaffPageError
from console.web import render
from core.clock import utcnow
from core.deps import SessionDep
from handoff.hours import BusinessCalendar

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NO_SUCH_TABLE = "その表はありません。"
LONG_TABLE_ROWS = 10  # longer tables (a row per day) start folded, so the charts stay close together

router = APIRouter(prefix="/staff/analytics", tags=["staff console"])




def _calendar(request: Request) -> BusinessCalendar:
    return BusinessCalendar(request.app.state.services.settings.business_hours)


@router.get("", response_class=HTMLResponse)
def analytics_page(request: Request, session: SessionDep, staff: EditorStaff, days: int = DEFAULT_DAYS) -> Response:
    """The dashboard: every section's charts and tables for the chosen period."""
    now = utcnow()
    period = Period.last(days, now)
    sections = build_report(Context(session, period, _calendar(request), now))
    return render(request, "analytics.html", {"period": period, "sections": sections, "period_days": PERIOD_DAYS,
                                            "LONG_TABLE_ROWS": LONG_TABLE_ROWS},
                  staff=staff)


@router.get("/{table}.csv")
def analytics_csv(request: Request, table: str, session: SessionDep, staff: EditorStaff,
                  days: int = DEFAULT_DAYS) -> Response:
    """One table as a CSV download (UTF-8 with BOM for Excel); 404 for an unknown table name."""
    now = utcnow()
    period = Period.last(days, now)
    found = build_table(Context(session, period, _calendar(request), now), table)
    if found is None:
        raise StaffPageError(404, NO_SUCH_TABLE, staff=staff)
    filename = f"tsunagu-{found.name}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    return Response(table_csv(found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
