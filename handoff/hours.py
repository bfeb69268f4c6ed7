"""City office business hours: when staff answer, and how much staff time has passed.

Tickets are opened at any hour, but a citizen who writes at night or on a holiday should be told when to expect a
reply, and first-response times are measured in business time so that a Friday-evening question answered on Monday
morning does not count as a 60-hour wait. The default is a typical Japanese city office: weekdays 8:30-17:15,
closed on weekends, national holidays (``jpholiday``) and the year-end closure (December 29 - January 3).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jpholiday
from pydantic import BaseModel, ConfigDict, Field, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
JA_WEEKDAYS = "月火水木金土日"
MAX_SEARCH_DAYS = 400
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

OPEN_TEXT = "ただいま開庁時間内です。職員が順番に確認してお返事します。"
CLOSED_FALLBACK_TEXT = "ただいま開庁時間外です。次の開庁日に順番にお返事します。"


def _default_weekly() -> dict[str, list[str]]:
    return {day: (["08:30-17:15"] if day not in ("sat", "sun") else []) for day in WEEKDAYS}


def parse_range(text: str) -> tuple[dt.time, dt.time]:
    """``"08:30-17:15"`` → (08:30, 17:15); raises ValueError with the offending text."""
    match = _RANGE.match(text.strip())
    if match is None:
        raise ValueError(f"opening hours {text!r} must look like 'HH:MM-HH:MM', e.g. '08:30-17:15'")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError:
        raise ValueError(f"opening hours {text!r} contain an invalid time (00:00-23:59)") from None
    if start >= end:
        raise ValueError(f"opening hours {text!r} must start before they end")
    return start, end


class BusinessHours(BaseModel):
    """When staff answer tickets. Days missing from ``weekly`` are closed.

    In the environment this is one JSON value; e.g. Mondays only, with a lunch break, and one extra closed day:
    ``TSUNAGU_BUSINESS_HOURS='{"weekly": {"mon": ["08:30-12:00", "13:00-17:15"]},
    "extra_closed_days": ["2026-05-07"]}'``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field(default="Asia/Tokyo", description="IANA time zone of the office.")
    weekly: dict[str, list[str]] = Field(
        default_factory=_default_weekly,
        description="Weekday (mon..sun) → opening ranges 'HH:MM-HH:MM'; missing or empty days are closed.",
    )
    year_end_closure: bool = Field(default=True, description="Closed December 29 - January 3.")
    extra_closed_days: list[dt.date] = Field(default_factory=list, description="Further closed dates.")
    national_holidays: bool = Field(default=True, description="Closed on Japanese national holidays.")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'Asia/Tokyo')") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _check_weekly(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        weekly: dict[str, list[str]] = {}
        for key, ranges in value.items():
            day = key.strip().lower()
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {key!r}: use {', '.join(WEEKDAYS)}")
            if day in weekly:
                raise ValueError(f"weekday {day!r} is given twice")
            parsed = sorted(parse_range(text) for text in ranges)
            for (_, end), (start, _) in zip(parsed, parsed[1:], strict=False):
                if start < end:
                    raise ValueError(f"opening hours of {day!r} overlap: {ranges}")
            weekly[day] = [f"{start:%H:%M}-{end:%H:%M}" for start, end in parsed]
        if not any(weekly.values()):
            raise ValueError("weekly has no opening hours: at least one weekday needs a range such as '08:30-17:15'")
        return weekly


def _is_year_end(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def _ja_date(day: dt.date) -> str:
    return f"{day.month}月{day.day}日（{JA_WEEKDAYS[day.weekday()]}）"


def _ja_time(moment: dt.datetime) -> str:
    return f"{moment.hour}時" if moment.minute == 0 else f"{moment.hour}時{moment.minute}分"


def opening_hours_text(hours: BusinessHours) -> str:
    """The weekly opening hours in short Japanese, e.g. 「平日 8:30～17:15（祝日・年末年始を除く）」."""
    days_by_ranges: dict[str, list[str]] = {}
    for day in WEEKDAYS:
        if hours.weekly.get(day):
            ranges = "、".join(_ja_range(text) for text in hours.weekly[day])
            days_by_ranges.setdefault(ranges, []).append(day)
    parts = [
        f"{'平日' if days == list(WEEKDAYS[:5]) else '・'.join(JA_WEEKDAYS[WEEKDAYS.index(d)] for d in days)} {ranges}"
        for ranges, days in days_by_ranges.items()
    ]
    closed = [name for name, on in (("祝日", hours.national_holidays), ("年末年始", hours.year_end_closure)) if on]
    return "／".join(parts) + (f"（{'・'.join(closed)}を除く）" if closed else "")


def _ja_range(text: str) -> str:
    """「08:30-17:15」 as 「8:30～17:15」."""
    start, end = parse_range(text)
    return f"{start.hour}:{start.minute:02d}～{end.hour}:{end.minute:02d}"


class BusinessCalendar:
    """Answers "is the office open?", "when does it open next?" and "how much open time lies between?".

    All datetimes must be timezone-aware; naive ones are taken as UTC (the database stores UTC).
    """

    def __init__(self, hours: BusinessHours) -> None:
        self.hours = hours
        self.zone = ZoneInfo(hours.timezone)
        self._weekly = {WEEKDAYS.index(day): [parse_range(text) for text in ranges]
                        for day, ranges in hours.weekly.items()}
        self._extra_closed = frozenset(hours.extra_closed_days)

    def _local(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return at.astimezone(self.zone)

    def is_closed_day(self, day: dt.date) -> bool:
        """Whether the whole (local) date is closed: year-end, an extra closed day or a national holiday."""
        return ((self.hours.year_end_closure and _is_year_end(day)) or day in self._extra_closed
                or (self.hours.national_holidays and bool(jpholiday.is_holiday(day))))

    def _intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.is_closed_day(day):
            return []
        return [(dt.datetime.combine(day, start, self.zone), dt.datetime.combine(day, end, self.zone))
                for start, end in self._weekly.get(day.weekday(), [])]

    def _intervals_from(self, day: dt.date, days: int) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        for offset in range(days):
            yield from self._intervals(day + dt.timedelta(days=offset))

    def is_open(self, at: dt.datetime) -> bool:
        local = self._local(at)
        return any(start <= local < end for start, end in self._intervals(local.date()))

    def next_opening(self, at: dt.datetime) -> dt.datetime:
        """``at`` itself when open, else the start of the next opening (in the office's zone)."""
        local = self._local(at)
        for start, end in self._intervals_from(local.date(), MAX_SEARCH_DAYS):
            if local < end:
                return at if start <= local else start
        raise ValueError(f"the office never opens within {MAX_SEARCH_DAYS} days after {local.isoformat()}: "
                         "check the business hours (weekly, extra_closed_days)")

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open time between two instants, in seconds (0 when ``end`` is not after ``start``)."""
        first, last = self._local(start), self._local(end)
        if last <= first:
            return 0.0
        days = (last.date() - first.date()).days + 1
        total = dt.timedelta()
        # Compare in UTC: arithmetic between datetimes of one zone uses wall time, which is wrong across DST.
        first_utc, last_utc = first.astimezone(dt.UTC), last.astimezone(dt.UTC)
        for opens, closes in self._intervals_from(first.date(), days):
            overlap = min(closes.astimezone(dt.UTC), last_utc) - max(opens.astimezone(dt.UTC), first_utc)
            if overlap > dt.timedelta():
                total += overlap
        return total.total_seconds()

    def reply_expectation(self, at: dt.datetime) -> str:
        """Short Japanese note for the citizen on LINE: open now, or when staff will reply."""
        if self.is_open(at):
            return OPEN_TEXT
        try:
            opening = self._local(self.next_opening(at))
        except ValueError:
            return CLOSED_FALLBACK_TEXT
        when = f"{_ja_date(opening.date())}{_ja_time(opening)}以降に順番にお返事します。"
        return f"ただいま開庁時間外です。{self._year_end_note(self._local(at).date(), opening.date())}{when}"

    def _year_end_note(self, today: dt.date, opening: dt.date) -> str:
        """Name the year-end closure when it lies between now and the next opening."""
        if not self.hours.year_end_closure:
            return ""
        for year in (today.year - 1, today.year):
            first, last = dt.date(year, 12, 29), dt.date(year + 1, 1, 3)
            if first < opening and today <= last:
                return f"{_ja_date(first)}から{_ja_date(last)}は閉庁のため、"
        return ""
