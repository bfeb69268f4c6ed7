"""Whether a question the bot cannot answer is a city matter, so that offering city staff makes sense.

The bot answers only 富山市's childcare, procedures and tourism questions. When it finds nothing, offering staff
for 「明日の天気は？」 or 「おすすめのケーキ屋さん」 only makes tickets staff cannot answer; a question about a
city service (an application, a certificate, a benefit, tax, garbage, a city office) should still reach them.

Rule, designed on the eval set's dev split only (``scripts/scope_dev_check.py`` measures it): staff are offered
when the question names a city service (``CITY_WORDS``, matched on the NFKC-folded text, katakana as hiragana)
and does not name a place the pack never mentions without naming Toyama too (another city's office answers
those). Retrieval scores are not used: on the dev split the best candidate of an unanswerable city question and
of an out-of-scope one score alike (fused 0.42-0.52), so they cannot tell the two apart.
"""

from __future__ import annotations

import re

from retrieval.normalize import KATAKANA_TO_HIRAGANA, fold

HOME_PLACES = ("富山", "とやま", "toyama")  # the city this bot answers for

# Nouns of municipal services and procedures (kanji and the kana people type), plus English for Latin input.
CITY_WORDS: tuple[str, ...] = (
    # offices and procedures
    "市役所", "役所", "役場", "行政センター", "窓口", "手続", "てつづき", "申請", "しんせい", "申込", "申し込",
    "もうしこみ", "届出", "届け出", "出生届", "婚姻届", "離婚届", "死亡届", "妊娠届", "証明", "しょうめい", "交付",
    "再発行", "市営", "市立", "市民",
    # money and benefits
    "手当", "てあて", "助成", "給付", "補助金", "減免", "免除", "税", "保険料", "国保", "健康保険", "国民年金",
    "医療費", "一時金",
    # childcare services
    "保育園", "保育所", "保育料", "ほいくえん", "こども園", "学童", "児童", "じどうてあて", "子育て支援", "一時預かり",
    "病児保育", "幼稚園", "健診", "予防接種", "よぼうせっしゅ", "母子手帳", "母子健康手帳", "妊娠", "妊婦",
    "出産", "出生", "産後", "療育", "虐待", "通報", "通告", "ひとり親", "養育費", "ファミリーサポート",
    "ファミリー・サポート", "ファミサポ",
    # residence and identity
    "住民票", "じゅうみんひょう", "戸籍", "こせき", "印鑑", "マイナンバー", "まいなんばー", "転入", "転出",
    "転居", "引っ越", "引越", "ひっこし", "世帯", "住所変更",
    # living environment
    "ごみ", "粗大", "資源回収", "分別", "処分", "不用品", "騒音", "苦情", "道路", "街灯", "上下水道",
)
# English, matched as whole words (so "tax" does not match "taxi").
CITY_WORDS_EN: tuple[str, ...] = (
    "city hall", "city office", "ward office", "certificate", "tax", "taxes", "garbage", "trash", "nursery",
    "daycare", "allowance", "health insurance", "pension", "my number", "mynumber", "residence", "moving-in",
    "application", "apply", "subsidy", "vaccination", "checkup", "maternity", "registration",
)
_WORDS = tuple(fold(word).translate(KATAKANA_TO_HIRAGANA) for word in CITY_WORDS)
_WORDS_EN = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in CITY_WORDS_EN) + r")\b")


def names_city_service(question: str) -> bool:
    """Whether ``question`` mentions a municipal service or procedure (kana and width variants included)."""
    folded = fold(question).translate(KATAKANA_TO_HIRAGANA)
    return any(word in folded for word in _WORDS) or bool(_WORDS_EN.search(folded))


def offers_staff(question: str, *, other_place: bool) -> bool:
    """Offer city staff for an unanswered question only when it is a city matter of this city.

    ``other_place``: the question names a place the pack never mentions. It then concerns that place's own
    office, unless it also names the home city (「富山に戻るまで」 in a question about a visit elsewhere).
    """
    if other_place and not any(home in fold(question) for home in HOME_PLACES):
        return False
    return names_city_service(question)
