"""Personal data is masked in FAQ drafts made from tickets; numbers that are not personal data stay."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from knowledge.drafts import create_draft
from knowledge.pii import EMAIL_MASK, NUMBER_MASK, PHONE_MASK, POSTAL_MASK, mask_personal_data
from tsunagu.db import make_engine, migrate


@pytest.mark.parametrize(("text", "expected"), [
    ("携帯は090-1234-5678です", f"携帯は{PHONE_MASK}です"),
    ("自宅 0761234567 まで", f"自宅 {PHONE_MASK} まで"),
    ("０９０－１２３４－５６７８に電話して", f"{PHONE_MASK}に電話して"),
    ("076-123-4567（平日）", f"{PHONE_MASK}（平日）"),
    ("+81 90-1234-5678", PHONE_MASK),
    ("連絡先 taro.yamada@example.co.jp です", f"連絡先 {EMAIL_MASK} です"),
    ("〒930-0000 富山市", f"{POSTAL_MASK} 富山市"),
    ("住所は930-0094です", f"住所は{POSTAL_MASK}です"),
    ("個人番号は123456789012です", f"個人番号は{NUMBER_MASK}です"),
    ("番号 1234 5678 9012", f"番号 {NUMBER_MASK}"),
])
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize("text", ["児童手当は年6回、偶数月に支給されます。", "2026-11-22に受付",
                                  "保育料は月額20,000円です", "受付番号 12 の件", "1234567890123456 は13桁以上"])
def test_other_numbers_are_kept(text: str) -> None:
    assert mask_personal_data(text) == text


def test_drafts_are_masked_when_made(sqlite_url: str) -> None:
    migrate(sqlite_url)
    with Session(make_engine(sqlite_url)) as session:
        draft = create_draft(session, question="090-1234-5678 の山田です。保育園は？", answer="a@b.jp へ送りました。",
                             category=None, source_ticket_id=1, created_by="tanaka")
        session.commit()
        assert draft.question == f"{PHONE_MASK} の山田です。保育園は？"
        assert draft.answer == f"{EMAIL_MASK} へ送りました。"
