"""Whether a question the bot cannot answer still gets the staff offer, or the scope reply (issue 17 item 2).

No city matter is refused: a question about the city's services that the pack does not answer (a broken swing
in a park, snow clearing, a helmet subsidy, a plain childcare worry) gets the offer to send it to city staff.
Only a message that is clearly no city matter (the weather, a restaurant, a celebrity, a game, another city's
office) gets the scope reply, and even that reply ends with 「職員に聞く」 (``bot/conversation.py``). When in
doubt, the offer: an unneeded offer costs staff a short reply, a refused city matter costs a citizen the answer.

Rule, in order (words matched on the NFKC-folded text, katakana as hiragana):

1. a question about another municipality (a place the pack never mentions, written as 〇〇市/県/府) without
   naming Toyama: that place's own office answers it → scope reply;
2. a city service, facility, public place, life situation the city helps with or the city's tourism
   (``CITY_WORDS``), or a report of something broken or dangerous (``REPORT_WORDS``) → staff offer;
3. a topic that is clearly private or chat (``UNRELATED_WORDS``), or a bare word of three characters or fewer
   → scope reply;
4. anything else → staff offer.

Designed on the dev splits of ``eval/datasets/scope-blind/`` and ``eval/datasets/toyama*`` only;
``tsunagu eval scope`` measures the whole reply policy (``eval/scope_eval.py``). Retrieval scores are not used:
on the dev splits the best candidate of an unanswerable city question and of an unrelated message score alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.normalize import fold, fold_kana

HOME_PLACES = ("富山", "とやま", "toyama")  # the city this bot answers for
# 金沢市, 石川県, 大阪府, 東京都, 北海道 (富山 is told apart by HOME_PLACES)
OTHER_MUNICIPALITY = re.compile(r"[\u4e00-\u9fff]{1,4}[市県府]|東京都|北海道")
SHORT_CHAT_CHARS = 3  # 「ひまー」「テスト」: too short to be a question, unless it names a city service

# Nouns of municipal services, facilities, public places and the life situations the city helps with (kanji and
# the kana people type), matched as substrings.
CITY_WORDS: tuple[str, ...] = (
    # offices and procedures
    "市役所", "しやくしょ", "役所", "役場", "行政センター", "窓口", "手続", "てつづき", "申請", "しんせい", "申込",
    "申し込", "もうしこみ", "届出", "届け出", "出生届", "婚姻届", "離婚届", "死亡届", "妊娠届", "証明", "しょうめい",
    "交付", "再発行", "市営", "市立", "市民", "市道", "市内", "市の", "市で", "市が", "市は", "市に", "市長", "議会",
    "議員", "選挙", "投票", "せんきょ", "職員", "町内会", "自治会", "回覧板",
    # money and benefits
    "手当", "てあて", "助成", "給付", "補助", "ほじょ", "支援", "減免", "免除", "税", "保険料", "国保", "健康保険",
    "国民年金", "年金", "医療費", "一時金", "割引", "生活保護", "家賃",
    # childcare and school
    "保育", "ほいく", "こども園", "学童", "児童", "幼稚園", "健診", "検診", "健康診断", "予防接種", "よぼうせっしゅ",
    "ワクチン", "母子手帳", "母子健康手帳", "妊娠", "妊婦", "出産", "出生", "産後", "療育", "虐待", "通報", "通告",
    "ひとり親", "養育費", "ファミリーサポート", "ファミリー・サポート", "ファミサポ", "子育て", "こそだて", "子ども",
    "こども", "子供", "赤ちゃん", "あかちゃん", "乳児", "幼児", "育児", "いくじ", "離乳食", "夜泣き", "授乳", "発達",
    "給食", "きゅうしょく", "小学校", "しょうがっこう", "中学校", "入学", "にゅうがく", "通学", "学校", "放課後",
    "ランドセル", "息子", "娘",
    # residence and identity
    "住民票", "じゅうみんひょう", "戸籍", "こせき", "印鑑", "マイナンバー", "まいなんばー", "転入", "転出",
    "転居", "引っ越", "引越", "ひっこし", "世帯", "住所変更",
    # living environment and public places
    "ごみ", "ゴミ", "粗大", "資源回収", "分別", "ぶんべつ", "処分", "不用品", "不法投棄", "野焼き", "騒音", "苦情",
    "道路", "どうろ", "歩道", "側溝", "街灯", "街頭", "外灯", "防犯灯", "ガードレール", "マンホール", "陥没",
    "歩道橋", "橋", "河川", "川の", "用水", "水路", "駐輪場", "放置自転車", "街路樹", "空き家", "空き地", "雑草",
    "草刈", "公園", "こうえん", "遊具", "ゆうぐ", "滑り台", "すべりだい", "ブランコ", "ぶらんこ", "広場", "ひろば",
    "上下水道", "水道", "すいどう", "下水", "漏水", "除雪", "じょせつ", "雪捨", "融雪", "消雪", "排雪", "避難",
    "ひなん", "防災", "ぼうさい", "土のう", "土嚢", "洪水", "災害", "ハザードマップ", "耐震", "地震",
    # facilities
    "図書館", "としょかん", "公民館", "地区センター", "体育館", "プール", "児童館", "施設", "墓地", "霊園",
    "火葬", "斎場", "市民農園", "バス", "ばす", "路面電車", "公共交通",
    # welfare and health
    "介護", "かいご", "認知症", "高齢者", "こうれいしゃ", "お年寄り", "おとしより", "見守り", "敬老", "配食",
    "補聴器", "障害", "障がい", "福祉", "健康", "相談", "そうだん", "免許返納",
    # animals in public space, consumer and legal help, work
    "飼い犬", "狂犬病", "死骸", "ふん", "消費生活", "クーリングオフ", "訪問販売", "架空請求", "詐欺", "弁護士",
    "法律相談", "就職", "シルバー人材", "ハローワーク",
    # tourism in the city (one of the bot's three domains)
    "観光", "かんこう",
)  # fmt: skip
# A report of something broken, dangerous or a nuisance, or a question of whom to tell: a city matter by nature.
REPORT_WORDS: tuple[str, ...] = (
    "壊れ", "こわれ", "危な", "あぶな", "直して", "なおして", "撤去", "どこに言", "どこにい", "誰に言",
    "だれに言", "どこに連絡", "どこに相談", "どこで聞", "市で何とか", "なんとかして",
)  # fmt: skip
# Topics that are clearly private or chat: the weather, shops and food, entertainment, games, love, money,
# trivia, private companies' services, travel elsewhere, talk to the bot.
UNRELATED_WORDS: tuple[str, ...] = (
    "天気", "てんき", "晴れ", "雨", "あめ ふる", "台風", "気温", "予報", "セール", "お店", "店", "ラーメン", "焼肉",
    "寿司", "すし", "スシロー", "カフェ", "ランチ", "レシピ", "作り方", "隠し味", "食べ放題", "新曲", "映画",
    "アニメ", "ドラマ", "漫画", "マンガ", "ゲーム", "ポケモン", "マイクラ", "パズドラ", "何歳", "ホームラン", "優勝",
    "試合", "相撲", "野球", "サッカー", "しりとり", "なぞなぞ", "ダジャレ", "だじゃれ", "面白い話", "おもしろい話",
    "ひま", "暇", "占い", "運勢", "星座", "彼氏", "彼女", "好きな人", "すきなひと", "告白", "デート", "プレゼント",
    "ダイエット", "化粧水", "肌荒れ", "株", "nisa", "投資", "仮想通貨", "料金プラン", "ネットフリックス", "メルカリ",
    "アマゾン", "宅配便", "再配達", "新車", "納期", "タイヤ交換", "atm", "電気代", "ガソリン", "一番高い山", "恐竜",
    "ブラックホール", "円周率", "宇宙", "飛行機", "人間じゃない", "chatgpt", "宿題", "訳して", "寿命",
    "風邪", "部活", "結婚式", "スピーチ", "了解", "おやすみ", "ばいばい", "あほ", "ばか", "テスト", "乗っ取", "好き",
    "疲れた", "つかれた", "スマホ", "ドラッグストア", "コンビニ", "スーパー", "ロボット",
    "屋さん", "ケーキ",
)  # fmt: skip
# English, matched as whole words (so "tax" does not match "taxi").
CITY_WORDS_EN: tuple[str, ...] = (
    "city hall", "city office", "ward office", "certificate", "tax", "taxes", "garbage", "trash", "nursery",
    "daycare", "allowance", "health insurance", "pension", "my number", "mynumber", "residence", "moving-in",
    "application", "apply", "subsidy", "vaccination", "checkup", "maternity", "registration", "park", "road",
    "playground", "library", "snow", "evacuation", "shelter", "child", "children", "kid", "kids", "baby", "school",
    "elderly", "bus", "water bill", "toyama", "city", "welfare", "disability", "pregnant", "pregnancy",
)  # fmt: skip
UNRELATED_WORDS_EN: tuple[str, ...] = (
    "joke", "jokes", "weather", "movie", "song", "recipe", "restaurant", "game", "games", "girlfriend",
    "boyfriend", "stock", "bitcoin", "horoscope", "football", "baseball", "buy", "cheap", "shop", "shopping",
    "sushi",
)  # fmt: skip


def _kana_folded(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(fold_kana(word) for word in words)


def _whole_words(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b")


_CITY = _kana_folded(CITY_WORDS)
_REPORT = _kana_folded(REPORT_WORDS)
_UNRELATED = _kana_folded(UNRELATED_WORDS)
_CITY_EN = _whole_words(CITY_WORDS_EN)
_UNRELATED_EN = _whole_words(UNRELATED_WORDS_EN)
_NOT_LETTERS = re.compile(r"[\W_]+")


def names_city_service(question: str) -> bool:
    """Whether ``question`` mentions a municipal service, facility or public place, or reports something broken
    (kana and width variants included)."""
    folded = fold_kana(question)
    return (any(word in folded for word in _CITY) or any(word in folded for word in _REPORT)
            or bool(_CITY_EN.search(folded)))


def clearly_unrelated(question: str) -> bool:
    """Whether ``question`` is clearly no city matter: a private or chat topic, or a bare word too short to be
    a question (only asked of messages that name no city service)."""
    folded = fold_kana(question)
    if any(word in folded for word in _UNRELATED) or _UNRELATED_EN.search(folded):
        return True
    return len(_NOT_LETTERS.sub("", folded)) <= SHORT_CHAT_CHARS


def about_other_municipality(question: str, *, other_place: bool) -> bool:
    """Whether ``question`` is about another municipality's office: it names a place the pack never mentions
    (``other_place``) as 〇〇市/県/府, and not Toyama (「富山に戻るまで」 in a question about a visit elsewhere)."""
    folded = fold(question)
    if not other_place or any(home in folded for home in HOME_PLACES):
        return False
    return bool(OTHER_MUNICIPALITY.search(question))


def offers_staff(question: str, *, other_place: bool) -> bool:
    """Offer city staff for a question the bot cannot answer unless it is clearly no city matter of this city.

    ``other_place``: the question names a place the pack never mentions (``Retriever.traits``).
    """
    if about_other_municipality(question, other_place=other_place):
        return False
    if names_city_service(question):
        return True
    return not clearly_unrelated(question)
