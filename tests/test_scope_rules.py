"""Small rules behind the conversation: the staff-offer vocabulary, the featured category questions, expiring
buttons, opening hours in Japanese."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.categories import FEATURED, top_entries
from bot.line.messages import MAX_QUICK_REPLY_ITEMS
from bot.postback import is_fresh, timestamp_argument
from bot.scope import names_city_service, offers_staff
from handoff.hours import BusinessHours, opening_hours_text
from knowledge.packs import Pack, read_pack
from tests.conftest import TOYAMA_PACK

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("question", ["住民票がほしい", "ジュウミンヒョウ", "ｺﾞﾐの日", "How do I pay my city tax?",
                                      "保育園に入りたい", "出生届はどこ"])
def test_city_services_are_recognised_in_any_spelling(question: str) -> None:
    assert names_city_service(question)


@pytest.mark.parametrize("question", ["Where is the taxi stand?", "荷物が届かない", "明日の天気"])
def test_other_topics_are_not_city_services(question: str) -> None:
    assert not names_city_service(question)


def test_another_citys_office_gets_no_staff_offer_unless_toyama_is_named() -> None:
    assert not offers_staff("金沢市の住民票", other_place=True)
    assert offers_staff("福岡に里帰り中、富山の予防接種は受けられる？", other_place=True)
    assert offers_staff("住民票", other_place=False)
    assert offers_staff("大沢野の公園のトイレが壊れてる", other_place=True)  # a district of the city, not 〇〇市


def test_delete_button_expires_after_its_lifetime() -> None:
    stamp = timestamp_argument(NOW)
    assert is_fresh(stamp, NOW + dt.timedelta(minutes=9), dt.timedelta(minutes=10))
    assert not is_fresh(stamp, NOW + dt.timedelta(minutes=11), dt.timedelta(minutes=10))
    assert not is_fresh(stamp, NOW - dt.timedelta(hours=1), dt.timedelta(minutes=10))  # from the future
    assert not is_fresh("abc", NOW, dt.timedelta(minutes=10))


def test_opening_hours_text() -> None:
    assert opening_hours_text(BusinessHours()) == "平日 8:30～17:15（祝日・年末年始を除く）"
    custom = BusinessHours(weekly={"mon": ["08:30-12:00", "13:00-17:15"], "sat": ["09:00-12:00"]},
                           national_holidays=False, year_end_closure=False)
    assert opening_hours_text(custom) == "月 8:30～12:00、13:00～17:15／土 9:00～12:00"


@pytest.fixture(scope="module")
def toyama_pack() -> Pack:
    return read_pack(TOYAMA_PACK)


def test_featured_questions_exist_in_the_toyama_pack(toyama_pack: Pack) -> None:
    entries = {e.id: e for e in toyama_pack.entries}
    for slug, featured in FEATURED.items():
        top = top_entries(entries, slug, MAX_QUICK_REPLY_ITEMS - 1)
        assert top == list(featured), slug  # every featured id exists, in that order
        assert {entries[faq_id].category for faq_id in top} == {slug}
