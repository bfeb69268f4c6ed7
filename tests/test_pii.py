"""Personal data is masked in text that leaves a conversation; numbers and words that are not personal data stay.

The examples are written the way parents write to the city on LINE; each rule of ``knowledge/pii.py`` has
examples that would fail without it, and the traps (ages, dates, fees, times, counts, ticket and bus numbers)
show what must stay readable for editors and analytics.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.db import make_engine
from knowledge.drafts import create_draft
from knowledge.pii import (
    ADDRESS_MASK,
    EMAIL_MASK,
    NAME_MASK,
    NUMBER_MASK,
    PHONE_MASK,
    POSTAL_MASK,
    mask_personal_data,
)
from tsunagu.db import migrate

MASKED = [
    # phone numbers: mobile, landline, no hyphens, full-width, brackets, +81
    ("携帯は090-1234-5678です", f"携帯は{PHONE_MASK}です"),
    ("自宅 0761234567 まで", f"自宅 {PHONE_MASK} まで"),
    ("０９０－１２３４－５６７８に電話して", f"{PHONE_MASK}に電話して"),
    ("折り返しは０８０１２３４５６７８へお願いします", f"折り返しは{PHONE_MASK}へお願いします"),
    ("076-123-4567（平日）", f"{PHONE_MASK}（平日）"),
    ("日中は(076)431-1111の職場にいます", f"日中は{PHONE_MASK}の職場にいます"),
    ("+81 90-1234-5678", PHONE_MASK),
    ("海外からです。＋８１ ９０ １２３４ ５６７８に連絡ください", f"海外からです。{PHONE_MASK}に連絡ください"),
    # e-mail
    ("連絡先 taro.yamada@example.co.jp です", f"連絡先 {EMAIL_MASK} です"),
    ("hanako_0321＠docomo.ne.jp に送ってください", f"{EMAIL_MASK} に送ってください"),
    # postal codes
    ("〒930-0000 富山市", f"{POSTAL_MASK} 富山市"),
    ("住所は930-0094です", f"住所は{POSTAL_MASK}です"),
    ("郵便番号は〒９３９－２７９８です", f"郵便番号は{POSTAL_MASK}です"),
    # 12-digit My Number, solid, with spaces, with hyphens
    ("個人番号は123456789012です", f"個人番号は{NUMBER_MASK}です"),
    ("番号 1234 5678 9012", f"番号 {NUMBER_MASK}"),
    ("マイナンバー1234-5678-9012を書きました", f"マイナンバー{NUMBER_MASK}を書きました"),
    # street addresses
    ("住所は富山市新桜町7番38号です", f"住所は{ADDRESS_MASK}です"),
    ("富山市牛島町18-7 アーバンプレイス3Fに引っ越しました", f"{ADDRESS_MASK}に引っ越しました"),
    ("婦中町速星754に住んでいます", f"{ADDRESS_MASK}に住んでいます"),
    ("○○町1丁目2-3です", f"{ADDRESS_MASK}です"),
    ("〒930-8510 富山県富山市新桜町7-38", f"{POSTAL_MASK} {ADDRESS_MASK}"),
    ("実家は新桜町一丁目です", f"実家は{ADDRESS_MASK}です"),
    ("富山市大手町５番地の２に転入しました", f"{ADDRESS_MASK}に転入しました"),
    ("住所：富山市総曲輪3-4-101号室", f"住所：{ADDRESS_MASK}"),
    ("富山市大手町6番14号 富山市民プラザ2階で受け取れますか", f"{ADDRESS_MASK}で受け取れますか"),
    # names, only where the sentence says it is a name
    ("私は山田花子です。保育園の申込について", f"私は{NAME_MASK}です。保育園の申込について"),
    ("わたしは山田 花子と申します", f"わたしは{NAME_MASK}と申します"),
    ("私はグエン・ティ・ランといいます", f"私は{NAME_MASK}といいます"),
    ("太郎の母の山田と申します", f"太郎の母の{NAME_MASK}と申します"),
    ("子どもの名前は山田太郎です", f"子どもの名前は{NAME_MASK}です"),
    ("名前：ヤマダ ハナコ\n住所：富山市新桜町7-38", f"名前：{NAME_MASK}\n住所：{ADDRESS_MASK}"),
    ("氏名は、", "氏名は、"),
    ("氏名はやまだ はなこ、電話は090-1111-2222", f"氏名は{NAME_MASK}、電話は{PHONE_MASK}"),
    ("名前は佐藤", f"名前は{NAME_MASK}"),
    ("名前は山田花子さんです", f"名前は{NAME_MASK}さんです"),
    ("息子の名前は太郎くんです", f"息子の名前は{NAME_MASK}くんです"),
    ("私は山田一夫です", f"私は{NAME_MASK}です"),
]

KEPT = [
    "児童手当は年6回、偶数月に支給されます。",
    "2026-11-22に受付",
    "保育料は月額20,000円です",
    "受付番号 12 の件",
    "1234567890123456 は13桁以上",
    "富山市の保育園に入りたいです",
    "7月3日の健診は何時からですか",
    "3歳の子どもがいます",
    "一時預かりは1,000円ですか",
    "富山市で1,000円かかりますか",
    "8時30分から受付ですか",
    "2人目の子の手当は？",
    "受付番号12番で呼ばれました",
    "市営バス12系統で市役所に行けますか",
    "市役所5番窓口はどこですか",
    "市立保育園3歳児クラスの空き",
    "町内会1-2月の行事",
    "市内3か所で受けられますか",
    "市役所1階の受付",
    "富山市在住で3歳と1歳の子がいます",
    "富山市内の保育料は3万円くらいですか",
    "2024年4月1日から富山市に住んでいます",
    "電話は平日9時から17時まで",
    "私は保育園に通わせたい",
    "私は会社員です",
    "私は母親です",
    "私は妊娠中です",
    "私は2人目です",
    "私は不安です",
    "私はシングルマザーです",
    "私は富山市民です",
    "私は長女です",
    "整理番号 012-345-678",
    "町内2番目に大きい公園",
    "上市町5月の行事",
    "区役所の1-2番窓口",
    "市営バス12番のりば",
    "大沢野町5か月健診",
    "母の仕事です",
    "名前は何ですか",
    "子どもの名前は変更できますか",
    "名前はどうしますか。",
    "名前は漢字で書きますか",
    "山田です",  # known limit: no cue that this is a name
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_other_numbers_and_words_are_kept(text: str) -> None:
    assert mask_personal_data(text) == text


def test_a_postal_code_alone_is_a_postal_code_not_an_address() -> None:
    assert mask_personal_data("930-8510") == POSTAL_MASK


def test_masking_twice_changes_nothing() -> None:
    once = mask_personal_data("私は山田花子です。富山市新桜町7番38号、090-1234-5678")
    assert mask_personal_data(once) == once


def test_drafts_are_masked_when_made(sqlite_url: str) -> None:
    migrate(sqlite_url)
    with Session(make_engine(sqlite_url)) as session:
        draft = create_draft(session, question="090-1234-5678 の山田です。保育園は？", answer="a@b.jp へ送りました。",
                             category=None, source_ticket_id=1, created_by="tanaka")
        session.commit()
        assert draft.question == f"{PHONE_MASK} の山田です。保育園は？"
        assert draft.answer == f"{EMAIL_MASK} へ送りました。"
