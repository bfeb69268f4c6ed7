"""The editor's warnings (editor/warnings.py): deflecting answers, answers longer than a phone screen, missing
source, labels LINE would cut, English questions without an English answer."""

from __future__ import annotations

from typing import Any

import pytest

from editor.warnings import SCREEN_CHARS_PER_LINE, SCREEN_LINES, entry_warnings, only_deflects, screen_lines
from knowledge.schema import FaqEntryData

GOOD_ANSWER = "4月からの入所は、例年10月ごろに一斉申込の受付があります。申込書と就労証明書を窓口に出してください。"


def entry(**values: Any) -> FaqEntryData:
    data: dict[str, Any] = {"id": "childcare-x", "category": "childcare", "question": "保育園の申込みは？",
                            "answer": GOOD_ANSWER, "source_url": "https://www.city.toyama.lg.jp/kosodate/hoiku.html"}
    return FaqEntryData.model_construct(**{**data, **values})


def codes(item: FaqEntryData) -> set[str]:
    return {warning.code for warning in entry_warnings(item)}


def test_a_complete_entry_has_no_warning() -> None:
    assert entry_warnings(entry()) == []


@pytest.mark.parametrize("answer", [
    "こども家庭部にお問い合わせください。",
    "詳しくは市のホームページをご確認ください。",
    "保育課へご確認ください。電話 076-443-2055",
    "窓口にご相談ください。\nhttps://www.city.toyama.lg.jp/kosodate/",
    "担当課にお問い合わせ下さい。内容により異なります。",
])
def test_answers_that_only_send_the_reader_elsewhere_are_flagged(answer: str) -> None:
    assert only_deflects(answer)
    assert "deflects" in codes(entry(answer=answer))


@pytest.mark.parametrize("answer", [
    GOOD_ANSWER + "詳しくはこども家庭部にお問い合わせください。",
    "子ども医療電話相談 #8000 に電話すると、小児科医や看護師から助言を受けられます。",
    "はい。",  # short, but it does not send anyone away
])
def test_answers_with_substance_are_not_flagged(answer: str) -> None:
    assert not only_deflects(answer)


def test_screen_lines_count_wrapped_and_broken_lines() -> None:
    assert screen_lines("あ" * SCREEN_CHARS_PER_LINE) == 1
    assert screen_lines("あ" * (SCREEN_CHARS_PER_LINE + 1)) == 2
    assert screen_lines("a" * (2 * SCREEN_CHARS_PER_LINE)) == 1  # half-width letters take half the width
    assert screen_lines("一\n\n二") == 3  # an empty line still takes a line


def test_an_answer_longer_than_a_phone_screen_is_flagged_unless_a_short_answer_comes_first() -> None:
    fits = "\n".join(["手続きの説明です。"] * SCREEN_LINES)
    too_long = fits + "\n最後の一行。"
    assert "too_long" not in codes(entry(answer=fits))
    warnings = [w for w in entry_warnings(entry(answer=too_long)) if w.code == "too_long"]
    assert warnings and "短い回答" in warnings[0].message
    assert "too_long" not in codes(entry(answer=too_long, short_answer="10月に一斉申込があります。"))


def test_missing_source_url_is_flagged() -> None:
    assert "no_source" in codes(entry(source_url=None))


def test_labels_over_twenty_characters_and_cut_questions_are_flagged() -> None:
    assert "label_too_long" in codes(entry(label="あ" * 21))
    assert codes(entry(label="あ" * 20)).isdisjoint({"label_too_long", "label_cut"})
    long_question = entry(question="保育園の入所申込みはいつからいつまで受け付けていますか？")
    cut = [w for w in entry_warnings(long_question) if w.code == "label_cut"]
    assert cut and "…" in cut[0].message


def test_english_questions_need_an_english_answer() -> None:
    assert "no_answer_en" in codes(entry(questions_en=["How do I apply for nursery school?"]))
    assert "no_answer_en" not in codes(entry(questions_en=["How do I apply?"], answer_en="Apply in October."))
