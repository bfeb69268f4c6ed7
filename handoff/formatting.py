"""Display helpers for the console templates: times are stored in UTC and shown in Japan time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tsunagu.clock import as_utc

JAPAN = ZoneInfo("Asia/Tokyo")


def jst(value: dt.datetime | None) -> str:
    """``2026-11-23 09:30`` in Japan time; naive values are UTC (SQLite returns them so)."""
    if value is None:
        return "—"
    return as_utc(value).astimezone(JAPAN).strftime("%Y-%m-%d %H:%M")
