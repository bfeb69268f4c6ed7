"""Time in UTC, as every table stores it; SQLite hands datetimes back without a zone, so ``as_utc`` adds it.
People read times and dates in Japan time (``JAPAN``, ``japan_date``)."""

from __future__ import annotations

import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo

JAPAN = ZoneInfo("Asia/Tokyo")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` with its zone; a naive value is UTC (that is how it was stored)."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def japan_date(value: dt.datetime) -> dt.date:
    """The date in Japan of a stored (UTC, possibly naive) time."""
    return as_utc(value).astimezone(JAPAN).date()
