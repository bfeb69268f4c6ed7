"""Masking of personal data in text that leaves a citizen's conversation (FAQ drafts made from tickets).

Patterns, on half- and full-width digits alike: e-mail addresses, postal codes (〒930-0000, 930-0000),
phone numbers (090-1234-5678, 076-123-4567, 0761234567, +81 90 …), and 12-digit numbers such as a My Number
(個人番号). A whole number is masked or nothing of it is, so amounts and years in the text stay readable.
"""

from __future__ import annotations

import re

EMAIL_MASK = "［メールアドレス］"
POSTAL_MASK = "［郵便番号］"
PHONE_MASK = "［電話番号］"
NUMBER_MASK = "［個人番号］"

_D = "[0-9０-９]"
_SEP = r"[-‐－―ー−\s]?"  # hyphens as people type them (ASCII, full-width, long vowel mark, minus) or a space
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９])"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_POSTAL_MARKED = re.compile(rf"〒\s?{_D}{{3}}{_SEP}{_D}{{4}}{_NOT_DIGIT_AFTER}")
_MY_NUMBER = re.compile(rf"{_NOT_DIGIT_BEFORE}{_D}{{4}}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NOT_DIGIT_AFTER}")
# Japanese phone numbers: 0 then 9-10 more digits in two or three groups, or +81 without the leading 0.
_PHONE = re.compile(
    rf"(?:{_NOT_DIGIT_BEFORE}[0０]|[+＋][8８][1１]{_SEP}){_D}{{1,4}}{_SEP}{_D}{{1,4}}{_SEP}{_D}{{3,4}}{_NOT_DIGIT_AFTER}"
)
_POSTAL_BARE = re.compile(rf"{_NOT_DIGIT_BEFORE}{_D}{{3}}[-‐－−]{_D}{{4}}{_NOT_DIGIT_AFTER}")


def mask_personal_data(text: str) -> str:
    """``text`` with e-mail addresses, postal codes, phone numbers and 12-digit numbers replaced by labels."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _POSTAL_MARKED.sub(POSTAL_MASK, text)
    text = _MY_NUMBER.sub(NUMBER_MASK, text)
    text = _PHONE.sub(_phone_or_keep, text)
    return _POSTAL_BARE.sub(POSTAL_MASK, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    """Only digit runs of phone length (10-11 digits, or 9-10 after +81) are phone numbers."""
    digits = sum(ch.isdigit() for ch in match.group())
    international = match.group().lstrip().startswith(("+", "＋"))
    return PHONE_MASK if (11 <= digits <= 12 if international else 10 <= digits <= 11) else match.group()
