"""Masking of personal data in text that leaves a citizen's conversation (FAQ drafts, analytics, exports).

Each rule replaces what it finds with a readable Japanese label; digits count half- or full-width alike.
The rules run in this order, so a longer pattern is masked before a shorter one could take part of it:

1. E-mail addresses (``a@b.jp``, full-width ＠ too) -> ［メールアドレス］.
2. Postal codes after 〒 (``〒930-8510``) -> ［郵便番号］: the mark makes them certain.
3. 12-digit numbers such as a My Number (個人番号), solid or in 4-4-4 groups with spaces or hyphens
   (``1234 5678 9012``) -> ［個人番号］. Longer digit runs are left alone: a whole number is masked or
   nothing of it is, so amounts and years stay readable.
4. Phone numbers: 0 then 9-10 more digits in up to three groups, an area code in brackets
   (``(076)431-1111``), or +81 without the leading 0 -> ［電話番号］. The digit count is checked so that
   dates (2026-11-22), fees and ticket numbers are kept.
5. Bare postal codes (``930-0094``) -> ［郵便番号］: 3-4 digits with a hyphen is the postal code shape and no
   date or fee is written that way.
6. Street addresses -> ［住所］: a place name that ends in 都/道/府/県/市/区/郡/町/村, optionally more kanji
   (the district, 速星), then a house number: 丁目 (also kanji numerals, 一丁目), 番地, 番+号, hyphenated
   numbers (18-7, 7-38-101), or bare digits at the end of a phrase (婦中町速星754に), with an optional building
   and floor or room (アーバンプレイス3F, 101号室). A house number must follow a place name, so dates, ages,
   fees and times are never addresses; a house number followed by a counter (歳, 月, 円, 時, 階, 番目, 系統, …)
   is not one either, so 「市立保育園3歳児」「町内会1-2月」「市役所5番窓口」 stay.
7. Names -> ［氏名］, only where the sentence says it is a name:
   - after 「名前は」「氏名は」「名前：」「氏名：」 up to punctuation or 「です」 (an honorific さん/くん/様 stays
     after the mask); hiragana words count unless they read as a verb or a question (「名前はどうしますか」),
     and 「名前は何ですか」 is a question, not a name;
   - after 「私は」「わたしは」「母の」「父の」, a word of kanji/katakana (an optional space between family and
     given name) followed by 「と申します」「といいます」;
   - after 「私は」「わたしは」, such a word followed by 「です」 unless it reads as a self-description (it ends in
     者, 員, 人, 民, 親, 中, 歳, 目, …: 母親, 会社員, 市民, 妊娠中, 2人目): 「私は保育園に通わせたい」 and
     「私は会社員です」 have no name to mask. 「母の…です」 is not used: 「母の仕事です」 is far more common.

Known limits (kept as they are): names without a cue (「山田です」「太郎の母、山田花子です」「母の山田です」),
hiragana names before 「です」 (「私はやまだはなこです」), surnames that end like a role (「私は麻生です」); a house
number without a place-name suffix before it (「速星754に住んでいます」); the hiragana part of a place name
(「つくば市竹園1-2-3」 -> 「つくば［住所］」); a building without a floor or room number stays after the mask;
「+81-(0)90-…」; a 16-digit card number in groups loses only its first 12 digits.
"""

from __future__ import annotations

import re

EMAIL_MASK = "［メールアドレス］"
POSTAL_MASK = "［郵便番号］"
PHONE_MASK = "［電話番号］"
NUMBER_MASK = "［個人番号］"
ADDRESS_MASK = "［住所］"
NAME_MASK = "［氏名］"

_D = "[0-9０-９]"
_HYPHEN = "[-‐－―ー−]"  # hyphens as people type them (ASCII, full-width, long vowel mark, minus)
_SEP = rf"(?:{_HYPHEN}|\s)?"  # a hyphen or a space
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９])"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_POSTAL_MARKED = re.compile(rf"〒\s?{_D}{{3}}{_SEP}{_D}{{4}}{_NOT_DIGIT_AFTER}")
_MY_NUMBER = re.compile(rf"{_NOT_DIGIT_BEFORE}{_D}{{4}}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NOT_DIGIT_AFTER}")
# Japanese phone numbers: 0 then 9-10 more digits in two or three groups (the area code may be in brackets),
# or +81 without the leading 0.
_PHONE = re.compile(
    rf"(?:{_NOT_DIGIT_BEFORE}[(（]?[0０]|[+＋][8８][1１]{_SEP})"
    rf"{_D}{{1,4}}(?:[)）]\s?|{_SEP}){_D}{{1,4}}{_SEP}{_D}{{3,4}}{_NOT_DIGIT_AFTER}"
)
_POSTAL_BARE = re.compile(rf"{_NOT_DIGIT_BEFORE}{_D}{{3}}[-‐－−]{_D}{{4}}{_NOT_DIGIT_AFTER}")

# --- street addresses ---------------------------------------------------------------------------------------
_KANJI = "一-鿿々〆ヶ○◯〇"
_KATAKANA = "ァ-ヴー"
_N = f"{_D}{{1,4}}"
_KN = f"(?:{_N}|[一二三四五六七八九十]{{1,3}})"  # a house number in digits or kanji numerals (一丁目)
_HOUSE_TAIL = (
    rf"{_KN}番地(?:の?{_KN}号?)?"  # 754番地, 5番地の2
    rf"|{_KN}番{_KN}号?"  # 7番38号, 2番3
    rf"|{_N}(?:{_HYPHEN}{_N}){{1,3}}(?:号室?)?"  # 18-7, 7-38-101, 3-4-101号室
)
# A bare number is a house number only where the phrase ends (婦中町速星754に住んでいます).
_BARE_END = r"(?=$|[\s、。，,．！!？?）)」』]|[はにでのへをがともやまか](?![所月]))"
_HOUSE = rf"(?:{_KN}丁目(?:\s?(?:{_HOUSE_TAIL}|{_N}{_BARE_END}))?|{_HOUSE_TAIL}|{_N}{_BARE_END})"
_BUILDING = rf"(?:\s?[{_KANJI}{_KATAKANA}A-Za-zＡ-Ｚａ-ｚ]{{1,20}}\s?{_N}(?:[FＦ階]|号室))"
_COUNTER = r"[0-9０-９,，.．:：/／歳才ヶか月日時分秒円人回年件枚個階台本名つ万千百%％倍週系路番号丁\-‐－―ー−]"
_ADDRESS = re.compile(
    rf"[{_KANJI}{_KATAKANA}]{{0,15}}[都道府県市区郡町村][{_KANJI}]{{0,8}}\s?{_HOUSE}{_BUILDING}?(?!{_COUNTER})"
)

# --- names --------------------------------------------------------------------------------------------------
_NAME_WORD = f"[{_KANJI}{_KATAKANA}・]{{1,12}}"  # ・ between the parts of a foreign name
_FULL_NAME = rf"{_NAME_WORD}(?:[ 　]{_NAME_WORD})?"
_INTRODUCE = "(?:と申します|といいます|と言います)"
_HONORIFIC = "(?:さん|ちゃん|くん|君|様)?"  # kept after the mask: 「名前は［氏名］さんです」
# 「名前は」「氏名：」 say what follows is a name: kanji/katakana, or hiragana (やまだ はなこ) unless it reads as a
# verb phrase or a question (「名前はどうしますか」).
_HIRAGANA_NAME = r"[ぁ-ゖ]{2,8}?(?:[ 　][ぁ-ゖ]{1,8}?)?"
_NAME_LABELLED = re.compile(
    rf"((?:名前|氏名|なまえ)(?:は|[:：]\s?))({_FULL_NAME}|{_HIRAGANA_NAME})"
    rf"(?={_HONORIFIC}(?:です|{_INTRODUCE}|[、。，,．.！!？?）)\s]|$))"
)
_NOT_A_HIRAGANA_NAME = re.compile(r"ます|ません|ない|たい|でしょ|[かよね]$")
_NAME_INTRODUCED = re.compile(rf"((?:私|わたし)は|(?:母|父)の)({_FULL_NAME})(?={_INTRODUCE})")
_NAME_DESU = re.compile(rf"((?:私|わたし)は)({_FULL_NAME})(?={_HONORIFIC}です)")
# Self-descriptions said as 「私は…です」 that are not names: roles, status, feelings, ages, order of children.
_NOT_A_NAME = re.compile(
    r"(?:者|員|人|民|親|士|師|生|婦|児|中|族|帯|定|望|当|理|件|方|籍|職|身|婚|安|配|対|成|妻|母|父|様|目|歳|才"
    r"|長男|長女|次男|次女|三男|三女|マザー|ファーザー|ママ|パパ|パート|バイト|フリーランス)$"
)
_NOT_A_LABELLED_NAME = frozenset({"何", "なん", "誰", "だれ", "未定", "不明"})


def mask_personal_data(text: str) -> str:
    """``text`` with e-mail addresses, postal codes, 12-digit numbers, phone numbers, street addresses and
    names replaced by labels (the rules and their order are in the module docstring)."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _POSTAL_MARKED.sub(POSTAL_MASK, text)
    text = _MY_NUMBER.sub(NUMBER_MASK, text)
    text = _PHONE.sub(_phone_or_keep, text)
    text = _POSTAL_BARE.sub(POSTAL_MASK, text)
    text = _ADDRESS.sub(ADDRESS_MASK, text)
    return _mask_names(text)


def _phone_or_keep(match: re.Match[str]) -> str:
    """Only digit runs of phone length (10-11 digits, or 9-10 after +81) are phone numbers."""
    digits = sum(ch.isdigit() for ch in match.group())
    international = match.group().lstrip().startswith(("+", "＋"))
    return PHONE_MASK if (11 <= digits <= 12 if international else 10 <= digits <= 11) else match.group()


def _mask_names(text: str) -> str:
    """Names where the sentence marks them as names; a 「私は…です」 word is a name unless it reads as a role."""
    text = _NAME_LABELLED.sub(_labelled_name_or_keep, text)
    text = _NAME_INTRODUCED.sub(lambda m: m.group(1) + NAME_MASK, text)
    return _NAME_DESU.sub(lambda m: m.group() if _NOT_A_NAME.search(m.group(2)) else m.group(1) + NAME_MASK, text)


def _labelled_name_or_keep(match: re.Match[str]) -> str:
    """The label followed by the name mask, unless the words after 「名前は」 are a question or a verb phrase."""
    word = match.group(2)
    if word in _NOT_A_LABELLED_NAME or _NOT_A_HIRAGANA_NAME.search(word):
        return match.group()
    return match.group(1) + NAME_MASK
