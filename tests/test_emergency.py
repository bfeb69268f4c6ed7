"""The emergency check: situations recognised in everyday, dialect, hiragana, typo and uncertain forms, ordinary
questions sharing their words left quiet, and the fixed guidance for every kind.

Every example here was written for this test (none is copied from the blind set in ``eval/datasets/emergency``).
"""

from __future__ import annotations

import time

import pytest

from bot.emergency import DETECTED, GUIDANCE, MENU_LABELS, Emergency, check, detect, guidance
from bot.emergency_rules import assess
from bot.line.messages import text_messages
from knowledge.schema import utf16_length

LIFE, POISONING, ABUSE, SUICIDE = Emergency.LIFE, Emergency.POISONING, Emergency.ABUSE, Emergency.SUICIDE


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # life: not breathing, unconscious, limp, seizure, head injury and vomiting, drowning, choking
        ("赤ちゃんが息してない！", LIFE),
        ("いきしてへん、どないしよ", LIFE),  # Kansai, hiragana
        ("うちの子、息しとらん", LIFE),  # Toyama / Hokuriku
        ("息しちょらん", LIFE),
        ("息してなぃ", LIFE),  # small ぃ typed by mistake
        ("こきゅうしてない", LIFE),
        ("子どもの意識がありません", LIFE),
        ("呼びかけても反応がない", LIFE),
        ("揺すっても起きん", LIFE),
        ("熱が40度あってぐったりしてる", LIFE),
        ("ひきつけ起こしとる！", LIFE),
        ("けいれんが10分止まらない", LIFE),
        ("階段から落ちて頭打って、何回も吐いとる", LIFE),
        ("頭ぶつけてからぼーっとしとる", LIFE),
        ("お風呂で溺れた", LIFE),
        ("おもちゃが喉に詰まった", LIFE),
        ("唇が紫色になってる", LIFE),
        ("ストーブで大やけどした", LIFE),
        ("my baby is not breathing", LIFE),
        # poisoning: a substance or object and an ingestion verb, in any tense or uncertain form
        ("子どもが洗剤飲んだかもしれん", POISONING),  # the example
        ("子どもが洗剤を飲んだ", POISONING),
        ("ボタン電池飲み込んだみたい", POISONING),
        ("たばこ食べちゃった", POISONING),
        ("タバコの吸い殻を口に入れとった", POISONING),
        ("灯油を飲んでしもた", POISONING),
        ("漂白剤なめたかも", POISONING),
        ("せんざいのんだかも", POISONING),
        ("ジェルボールかじった", POISONING),  # じぇ: small vowels fold to full size on both sides
        ("おばあちゃんの薬を飲んだかもしれない", POISONING),
        ("2さいの子が薬を全部飲んでしまった", POISONING),
        ("何か飲み込んだみたいで苦しそう", POISONING),
        ("間違えて大人の薬を飲ませてしまった", POISONING),
        ("my toddler swallowed a battery", POISONING),
        ("子どもが電池食べてる", POISONING),  # ongoing, not the plain 「口に入れる時期」
        ("タバコなめとる", POISONING),
        # abuse: an actor and a violence verb, a hit person, a child hurt, neglect
        ("夫に殴られた", ABUSE),
        ("旦那に毎日たたかれる", ABUSE),
        ("パパがママをなぐっとる", ABUSE),
        ("彼氏に首を絞められた", ABUSE),
        ("隣の家から子どもの悲鳴と怒鳴り声がする", ABUSE),
        ("子どもを叩いてしまいそうで怖い", ABUSE),
        ("夫に殺すぞって言われた", ABUSE),
        ("My husband hits me", ABUSE),
        # suicide
        ("もう死にたい", SUICIDE),
        ("しにたい", SUICIDE),
        ("ｷｴﾀｲ…", SUICIDE),  # half-width katakana reads as きえたい
        ("きえてしまいたい", SUICIDE),
        ("生きていたくない", SUICIDE),
        ("子どもと一緒に死のうかな", SUICIDE),
        ("I want to die", SUICIDE),
        ("明日が来なければいいのに", SUICIDE),
        ("死ぬことばかり考えてしまう", SUICIDE),
        # indirect situations
        ("お風呂で顔が沈んでた、呼吸が弱い", LIFE),
        ("子どもの首にひもが絡まってた", LIFE),
        ("薬の瓶があいてた、何錠かたりない", POISONING),
        ("夫がナイフを持って暴れてる", ABUSE),
        ("元夫が家の前で待ち伏せしてる、怖い", ABUSE),
    ],
)
def test_situations_are_recognised(text: str, kind: Emergency) -> None:
    assert kind in check(text).kinds


@pytest.mark.parametrize(
    "text",
    [
        "子どもの薬の飲ませ方を教えて",
        "薬を飲んでくれない",
        "ミルクを飲んでくれない",
        "洗剤の捨て方",
        "電池の捨て方は？",
        "水遊びで溺れないための注意点",
        "熱性けいれんの既往があり保育園で座薬を預かってもらえますか",  # the false alarm
        "けいれん止めの薬は保育園で預かってもらえる？",
        "#8000って何時まで？",
        "忙しすぎて死にそう",
        "死ぬほど眠い",
        "ボタン電池の誤飲を防ぐには",
        "誤飲防止の講習会はありますか",
        "太鼓をたたくイベント",
        "DV相談の窓口は何時まで？",
        "自殺対策の講演会",
        "死亡届の出し方",
        "息子が保育園に行きたがらない",  # 息子 is not 息
        "息抜きできる場所はありますか",
        "やけどの応急手当を知りたい",
        "タバコはどこで吸えますか",
        "子どもが風邪薬を飲んだ後、眠そう",
        "保育園の見学に行きたいんやけど、いつがいい？",  # 〜やけど is Kansai for 〜けど, not a burn
        "健診はどこで受けられますか",  # 受けられ is not 蹴られ
        "飼っていた犬が死んでしまい、子どもが落ち込んでいます",
        "消えるボールペンで申請書を書いてもいいですか",
        "保育園の申し込みはいつから？",
        "熱が出た",
        "猫が洗剤なめたかも",  # a pet, not a child: the vet, not 119
        "メダカが浮いて動かない、どうしたらいい？",
        "息子がサッカーでけられて青あざ",
        "イヤイヤ期で子どもが私を叩いてくる",
        "鼻血が止まらない時はどうする",
        "頭をぶつけやすい時期",
        "子どもが誤飲しやすいもの一覧",
        "おぼれる夢を見た",
        "おもちゃを何でも口に入れる時期",
        "ボタン電池を飲み込んだらどうなるの？",
        "死にたいと言う友人にどう接すればいい？",
        "消えてしまいたいくらい恥ずかしい",
        "スマホが動かない！助けて！",
        "図書館で子どもが泣き叫んで周りに迷惑をかけてしまいます",
    ],
)
def test_ordinary_questions_sharing_the_words_stay_quiet(text: str) -> None:
    assert check(text).kinds == ()


def test_a_present_danger_sentence_wins_over_a_question_form() -> None:
    result = check("子どもが洗剤を飲んだかも！吐かせた方がいいですか")
    assert result.kinds == (POISONING,)
    assert check("夫に殴られました。どこに相談すればいいですか").kinds == (ABUSE,)


def test_weak_evidence_is_flagged_but_not_sure() -> None:
    breathing = check("息が苦しそう")
    assert breathing.kinds == (LIFE,) and not breathing.sure
    head = check("子どもが頭をぶつけた")
    assert head.kinds == (LIFE,) and not head.sure
    assert check("子どもが頭をぶつけて吐いた").sure


def test_clear_emergencies_are_sure() -> None:
    assert check("子どもが洗剤飲んだかもしれん").sure
    assert check("もう死にたい").sure


def test_several_kinds_come_most_urgent_first() -> None:
    assert detect("子どもが薬を飲み込んだあと、けいれんしてる") == [LIFE, POISONING]


def test_check_is_fast_enough_for_every_message() -> None:
    check("warm up")  # loads the tagger once
    texts = [f"子どもが洗剤飲んだかもしれん、息もしとらんみたいでぐったりしとる {i}" for i in range(200)]
    started = time.perf_counter()
    for text in texts:
        check(text)
    assert (time.perf_counter() - started) / len(texts) < 0.005  # measured ~0.5 ms; generous for a busy machine


def test_every_kind_has_guidance_and_the_menu_offers_five() -> None:
    assert set(GUIDANCE) == set(Emergency)
    assert set(DETECTED) <= set(GUIDANCE)
    assert list(MENU_LABELS.values()) == ["子どもの急病・けが", "誤飲", "こころがつらい", "暴力・虐待", "災害"]


@pytest.mark.parametrize(
    ("kind", "numbers"),
    [(LIFE, ["119", "#8000"]), (POISONING, ["119", "072-727-2499", "029-852-9999"]),
     (ABUSE, ["189", "110番", "#8008", "0120-279-889"]),
     (SUICIDE, ["0570-783-556", "0120-279-338", "0570-064-556", "119"]),
     (Emergency.ILLNESS, ["119", "#8000"]), (Emergency.DISASTER, ["171", "119", "110"])],
)
def test_guidance_names_the_national_numbers(kind: Emergency, numbers: list[str]) -> None:
    text = guidance([kind])
    for number in numbers:
        assert number in text


def test_all_guidance_fits_one_line_message() -> None:
    text = guidance(list(Emergency))
    assert utf16_length(text) <= 5000
    assert len(text_messages(text)) == 1


@pytest.mark.parametrize(
    "text",
    ["アニメのキャラが川で溺れた回、泣いた", "ドラマの虐待シーンが見てられなかった", "推しが尊すぎて息できん笑",
     "課長に怒られて人生終わった笑", "先月うちの子がタバコ食べて病院行った話、保育園で共有したい",
     "My daughter had a seizure last year, is the nursery told?",
     "じさつぼうしの　こうえんかい　どこ"],
)
def test_stories_laughter_past_years_and_hiragana_questions_are_ordinary(text: str) -> None:
    assert assess(text) == ((), True)


@pytest.mark.parametrize(
    "text",
    ["映画を見てたら子どもが息してない！", "去年から夫に毎日殴られています",
     "子どもがアニメ見てる間に洗剤を飲んだ、どうしよう"],
)
def test_present_danger_beside_a_story_or_a_past_year_still_counts(text: str) -> None:
    assert assess(text)[0]


@pytest.mark.parametrize(
    ("text", "kind"),
    [("首つる場所をずっと探しとる", Emergency.SUICIDE),
     ("My sister is cutting her wrists in the bathroom", Emergency.SUICIDE),
     ("My husband choked me last night and I am scared", Emergency.ABUSE),
     ("息子が飴をのどに詰めてゼーゼーいっとる", Emergency.LIFE)],
)
def test_rope_places_wrists_a_partner_choking_and_food_stuck_in_the_throat(text: str, kind: Emergency) -> None:
    kinds, sure = assess(text)
    assert kind in kinds and sure
