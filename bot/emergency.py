"""Emergency words and the fixed guidance sent for them, before anything else and in any conversation state.

The texts are fixed (never retrieved or generated) and must be reviewed in code review. Every number here is a
national service: 119 (救急), #8000 (子ども医療電話相談), 中毒110番 (日本中毒情報センター), 189 (児童相談所
虐待対応ダイヤル), and the national suicide-prevention lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from retrieval.normalize import KATAKANA_TO_HIRAGANA, fold


class Emergency(StrEnum):
    LIFE = "life"  # unconscious, not breathing, seizures
    POISONING = "poisoning"
    ABUSE = "abuse"
    SUICIDE = "suicide"


# Matched as substrings of the folded (NFKC, lower-case) message; hiragana spellings included on purpose,
# because people in a panic do not convert to kanji.
EMERGENCY_WORDS: dict[Emergency, tuple[str, ...]] = {
    Emergency.LIFE: (
        "意識がない", "意識が無い", "意識がありません", "いしきがない",
        "息をしていない", "息してない", "いきしてない", "呼吸していない", "呼吸してない", "呼吸が止ま",
        "けいれん", "痙攣", "ひきつけ", "引きつけ", "ぐったりして動かない",
    ),
    Emergency.POISONING: (
        "誤飲", "ごいん", "飲み込んだ", "のみこんだ", "飲みこんだ", "食べてしまった電池", "たばこを食べ",
    ),
    Emergency.ABUSE: ("虐待", "ぎゃくたい", "叩かれている", "殴られている", "育児放棄"),
    Emergency.SUICIDE: ("死にたい", "しにたい", "消えたい", "きえたい", "自殺", "じさつ", "死んでしまいたい"),
}

GUIDANCE: dict[Emergency, str] = {
    Emergency.LIFE: (
        "【緊急】意識がない、呼吸をしていない、けいれんが続くなど命に関わるときは、"
        "ためらわずにすぐ119番に電話して救急車を呼んでください。\n"
        "受診するか迷うときは、子ども医療電話相談 #8000 で小児科医・看護師に相談できます。"
    ),
    Emergency.POISONING: (
        "【誤飲】意識がおかしい、呼吸が苦しそう、けいれんがあるときは、すぐ119番に電話してください。\n"
        "何を飲み込んだか分かる場合は、中毒110番（大阪 072-727-2499／つくば 029-852-9999）で対応を相談できます。"
        "受診に迷うときは子ども医療電話相談 #8000 へ。"
    ),
    Emergency.ABUSE: (
        "【虐待かもしれないとき】子どもの命に危険があるときは、すぐ110番または119番へ。\n"
        "虐待の疑いや子育てのつらさは、児童相談所虐待対応ダイヤル 189（いちはやく）で、24時間相談・通告できます。"
        "通告した人の秘密は守られます。"
    ),
    Emergency.SUICIDE: (
        "つらい気持ちを話してくださって、ありがとうございます。ひとりで抱え込まずに、今すぐ話を聞いてもらってください。\n"
        "・いのちの電話（ナビダイヤル）0570-783-556\n"
        "・よりそいホットライン 0120-279-338（24時間）\n"
        "・こころの健康相談統一ダイヤル 0570-064-556\n"
        "命の危険が迫っているときは119番へ電話してください。"
    ),
}


@dataclass(frozen=True)
class EmergencyCheck:
    """What one message says of an emergency.

    ``kinds``: the emergencies it may be about, most urgent first (empty: none). ``sure``: False when the message
    only may be one (e.g. an ordinary question sharing its words): the guidance is sent and the question is still
    answered, because a missed emergency costs far more than a false alarm.
    """

    kinds: tuple[Emergency, ...] = ()
    sure: bool = True

    def __bool__(self) -> bool:
        return bool(self.kinds)


def check(text: str) -> EmergencyCheck:
    """The emergency check of one message (run once per message; see ``EmergencyCheck``)."""
    return EmergencyCheck(tuple(detect(text)), sure=True)


def detect(text: str) -> list[Emergency]:
    """The emergencies a message mentions, in a fixed order (most urgent first)."""
    folded = fold(text)
    spellings = (folded, folded.translate(KATAKANA_TO_HIRAGANA))  # キエタイ is きえたい too
    return [
        kind for kind, words in EMERGENCY_WORDS.items() if any(word in s for word in words for s in spellings)
    ]


def guidance(kinds: Sequence[Emergency]) -> str:
    """The fixed guidance for the detected emergencies, most urgent first."""
    return "\n\n".join(GUIDANCE[kind] for kind in kinds)
