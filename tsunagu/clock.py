"""Time in UTC, as every table stores it; SQLite hands datetimes back without a zone, so ``as_utc`` adds it."""

from __future__ import annotations

import datetime as dt
from typing import overload


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` with its zone; a naive value is UTC (that is how it was stored)."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value
