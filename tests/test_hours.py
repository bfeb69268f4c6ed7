"""Business hours: open/closed days, the next opening, business time between instants, the citizen's note."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import jpholiday
import pytest
from pydantic import ValidationError

from handoff.hours import BusinessCalendar, BusinessHours
from tsunagu.settings import Settings

JST = ZoneInfo("Asia/Tokyo")
CALENDAR = BusinessCalendar(BusinessHours())


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=JST)


def working_day(day: dt.date) -> dt.date:
    """Guard against calendar assumptions: the date is a weekday and not a national holiday."""
    assert day.weekday() < 5 and not jpholiday.is_holiday(day), day
    return day


def test_weekday_open_inside_hours_and_closed_outside() -> None:
    working_day(dt.date(2026, 11, 18))  # Wednesday
    assert CALENDAR.is_open(jst(2026, 11, 18, 8, 30))
    assert CALENDAR.is_open(jst(2026, 11, 18, 12, 15))  # the default has no lunch break
    assert CALENDAR.is_open(jst(2026, 11, 18, 17, 14))
    assert not CALENDAR.is_open(jst(2026, 11, 18, 8, 29))
    assert not CALENDAR.is_open(jst(2026, 11, 18, 17, 15))  # closing time itself is closed


def test_other_zones_and_naive_datetimes_are_converted() -> None:
    # 2026-11-18 00:00 UTC is 09:00 in Tokyo (open); naive input is UTC too.
    assert CALENDAR.is_open(dt.datetime(2026, 11, 18, 0, 0, tzinfo=dt.UTC))
    assert CALENDAR.is_open(dt.datetime(2026, 11, 18, 0, 0))
    assert not CALENDAR.is_open(dt.datetime(2026, 11, 18, 9, 0))  # 18:00 in Tokyo


def test_saturday_is_closed() -> None:
    assert dt.date(2026, 11, 21).weekday() == 5
    assert not CALENDAR.is_open(jst(2026, 11, 21, 10))


def test_national_holiday_is_closed_unless_disabled() -> None:
    holiday = dt.date(2026, 11, 23)  # 勤労感謝の日, a Monday
    assert holiday.weekday() == 0 and jpholiday.is_holiday(holiday)
    assert not CALENDAR.is_open(jst(2026, 11, 23, 10))
    assert BusinessCalendar(BusinessHours(national_holidays=False)).is_open(jst(2026, 11, 23, 10))


def test_year_end_closure_and_january_4_opening() -> None:
    working_day(dt.date(2026, 12, 28))
    working_day(dt.date(2026, 12, 29))
    working_day(dt.date(2027, 1, 4))
    assert CALENDAR.is_open(jst(2026, 12, 28, 10))
    assert not CALENDAR.is_open(jst(2026, 12, 29, 10))  # a Tuesday, closed for the year end
    assert not CALENDAR.is_open(jst(2027, 1, 3, 10))
    assert CALENDAR.next_opening(jst(2026, 12, 29, 10)) == jst(2027, 1, 4, 8, 30)
    assert CALENDAR.is_open(jst(2027, 1, 4, 8, 30))
    assert BusinessCalendar(BusinessHours(year_end_closure=False)).is_open(jst(2026, 12, 29, 10))


def test_extra_closed_day() -> None:
    day = working_day(dt.date(2026, 11, 18))
    calendar = BusinessCalendar(BusinessHours(extra_closed_days=[day]))
    assert not calendar.is_open(jst(2026, 11, 18, 10))
    assert calendar.next_opening(jst(2026, 11, 18, 10)) == jst(2026, 11, 19, 8, 30)


def test_next_opening_is_now_when_open() -> None:
    at = jst(2026, 11, 18, 10)
    assert CALENDAR.next_opening(at) == at


def test_next_opening_across_weekend_and_holiday() -> None:
    working_day(dt.date(2026, 11, 20))  # Friday
    assert jpholiday.is_holiday(dt.date(2026, 11, 23))  # Monday
    working_day(dt.date(2026, 11, 24))
    opening = CALENDAR.next_opening(jst(2026, 11, 20, 17, 15))
    assert opening == jst(2026, 11, 24, 8, 30)
    assert opening.utcoffset() == dt.timedelta(hours=9)


def test_next_opening_later_the_same_day() -> None:
    assert CALENDAR.next_opening(jst(2026, 11, 18, 6)) == jst(2026, 11, 18, 8, 30)


def test_next_opening_raises_when_the_office_never_opens() -> None:
    start = dt.date(2026, 11, 1)
    closed = [start + dt.timedelta(days=offset) for offset in range(450)]
    calendar = BusinessCalendar(BusinessHours(extra_closed_days=closed))
    with pytest.raises(ValueError, match="never opens"):
        calendar.next_opening(jst(2026, 11, 1, 9))
    assert calendar.reply_expectation(jst(2026, 11, 1, 9)).startswith("ただいま開庁時間外です。")


def test_business_seconds_over_a_night() -> None:
    working_day(dt.date(2026, 11, 24))
    working_day(dt.date(2026, 11, 25))
    # Tue 17:00 → 17:15 (15 min) + Wed 08:30 → 09:00 (30 min)
    assert CALENDAR.business_seconds_between(jst(2026, 11, 24, 17), jst(2026, 11, 25, 9)) == 45 * 60


def test_business_seconds_over_a_weekend() -> None:
    working_day(dt.date(2026, 11, 13))  # Friday
    working_day(dt.date(2026, 11, 16))  # Monday
    assert CALENDAR.business_seconds_between(jst(2026, 11, 13, 17), jst(2026, 11, 16, 9)) == 2700


def test_business_seconds_over_weekend_and_holiday_and_full_days() -> None:
    # Fri 11/20 16:15 → 17:15 (1 h), Sat, Sun, Mon 11/23 holiday, Tue 11/24 full day (8 h 45 min), Wed to 10:30 (2 h)
    seconds = CALENDAR.business_seconds_between(jst(2026, 11, 20, 16, 15), jst(2026, 11, 25, 10, 30))
    assert seconds == (60 + 8 * 60 + 45 + 120) * 60


def test_business_seconds_within_one_opening_and_reversed_spans() -> None:
    start = jst(2026, 11, 18, 9)
    assert CALENDAR.business_seconds_between(start, start + dt.timedelta(minutes=7, seconds=30)) == 450
    assert CALENDAR.business_seconds_between(start, start) == 0
    assert CALENDAR.business_seconds_between(start, start - dt.timedelta(hours=1)) == 0


def test_lunch_break_in_custom_weekly_hours() -> None:
    calendar = BusinessCalendar(BusinessHours(weekly={"wed": ["13:00-17:00", "09:00-12:00"]}))
    assert calendar.hours.weekly == {"wed": ["09:00-12:00", "13:00-17:00"]}
    assert not calendar.is_open(jst(2026, 11, 18, 12, 30))
    assert calendar.next_opening(jst(2026, 11, 18, 12, 30)) == jst(2026, 11, 18, 13)
    assert not calendar.is_open(jst(2026, 11, 19, 10))  # Thursday is not listed: closed
    assert calendar.business_seconds_between(jst(2026, 11, 18, 11), jst(2026, 11, 18, 14)) == 2 * 3600


@pytest.mark.parametrize(
    ("weekly", "message"),
    [
        ({"mon": ["17:15-08:30"]}, "must start before they end"),
        ({"mon": ["09:00-09:00"]}, "must start before they end"),
        ({"mon": ["0830-1715"]}, "must look like 'HH:MM-HH:MM'"),
        ({"mon": ["08:30-25:00"]}, "invalid time"),
        ({"mon": ["08:30-12:00", "11:00-17:00"]}, "overlap"),
        ({"monday": ["08:30-17:15"]}, "unknown weekday"),
        ({"sat": []}, "no opening hours"),
    ],
)
def test_invalid_weekly_hours_are_rejected(weekly: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessHours(weekly=weekly)


def test_unknown_timezone_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        BusinessHours(timezone="Asia/Toyama")


def test_reply_expectation_when_open() -> None:
    expected = "ただいま開庁時間内です。職員が順番に確認してお返事します。"
    assert CALENDAR.reply_expectation(jst(2026, 11, 18, 10)) == expected


def test_reply_expectation_names_the_next_opening() -> None:
    text = CALENDAR.reply_expectation(jst(2026, 11, 20, 18))
    assert text == "ただいま開庁時間外です。11月24日（火）8時30分以降に順番にお返事します。"


def test_reply_expectation_on_the_hour() -> None:
    calendar = BusinessCalendar(BusinessHours(weekly={"wed": ["09:00-12:00"]}))
    assert "11月18日（水）9時以降" in calendar.reply_expectation(jst(2026, 11, 18, 7))


def test_reply_expectation_names_the_year_end_closure() -> None:
    expected = ("ただいま開庁時間外です。12月29日（火）から1月3日（日）は閉庁のため、"
                "1月4日（月）8時30分以降に順番にお返事します。")
    assert CALENDAR.reply_expectation(jst(2026, 12, 30, 10)) == expected
    assert CALENDAR.reply_expectation(jst(2026, 12, 28, 20)) == expected  # the evening before the closure
    assert CALENDAR.reply_expectation(jst(2027, 1, 2, 10)) == expected


def test_business_hours_from_a_json_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    value = {"weekly": {"mon": ["09:00-12:00"], "sat": ["10:00-12:00"]},
             "extra_closed_days": ["2026-11-16"], "national_holidays": False}
    monkeypatch.setenv("TSUNAGU_BUSINESS_HOURS", json.dumps(value))
    hours = Settings().business_hours
    assert hours.weekly == {"mon": ["09:00-12:00"], "sat": ["10:00-12:00"]}
    assert hours.extra_closed_days == [dt.date(2026, 11, 16)]
    calendar = BusinessCalendar(hours)
    assert calendar.is_open(jst(2026, 11, 21, 11))  # Saturday morning
    assert not calendar.is_open(jst(2026, 11, 16, 10))  # the extra closed Monday
    assert calendar.is_open(jst(2026, 11, 23, 10))  # holiday Monday: holidays are not closed here


def test_default_settings_use_the_default_hours() -> None:
    assert Settings().business_hours == BusinessHours()


def test_invalid_json_hours_fail_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSUNAGU_BUSINESS_HOURS", '{"weekly": {"mon": ["17:00-09:00"]}}')
    with pytest.raises(ValidationError, match="must start before they end"):
        Settings()
