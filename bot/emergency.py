"""Emergencies: the check run on every message, and the fixed guidance sent for them in any conversation state.

The detector (``bot.emergency_rules``) recognises the situation a message describes (a substance and an
ingestion verb, a body state and a negation, an actor and a violence verb, a wish to die), in everyday, dialect,
hiragana and uncertain forms, and stays quiet on ordinary questions that share its words.

The texts are fixed (never retrieved or generated) and must be reviewed in code review. Every number here is a
national service: 119 (救急), 110 (警察), #8000 (子ども医療電話相談), 中毒110番 (日本中毒情報センター), 189
(児童相談所虐待対応ダイヤル), #8008 (DV相談ナビ), 0120-279-889 (DV相談＋), the national suicide-prevention
lines and 171 (災害用伝言ダイヤル). No local number is given: the city's web page is named instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.emergency_kinds import DETECTED, Emergency
from bot.emergency_model import EmergencyModel, Scores, default_model, features
from bot.emergency_rules import assess_views, ordinary_context, signals, situations, views_of

__all__ = ["DETECTED", "GUIDANCE", "MENU_INTRO", "MENU_LABELS", "Emergency", "EmergencyCheck", "check", "combine",
           "detect", "guidance", "opinions", "Opinions"]

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
        "【暴力・虐待】いま危険があるときは、すぐ110番（けがをしているときは119番）へ。\n"
        "子どもへの虐待の疑いや子育てのつらさは、児童相談所虐待対応ダイヤル 189（いちはやく）で、"
        "24時間相談・通告できます。"
        "通告した人の秘密は守られます。\n"
        "配偶者やパートナーからの暴力（DV）は、DV相談ナビ #8008、DV相談＋ 0120-279-889（24時間）へ。"
    ),
    Emergency.SUICIDE: (
        "つらい気持ちを話してくださって、ありがとうございます。ひとりで抱え込まずに、今すぐ話を聞いてもらってください。\n"
        "・いのちの電話（ナビダイヤル）0570-783-556\n"
        "・よりそいホットライン 0120-279-338（24時間）\n"
        "・こころの健康相談統一ダイヤル 0570-064-556\n"
        "命の危険が迫っているときは119番へ電話してください。"
    ),
    Emergency.ILLNESS: (
        "【子どもの急病・けが】意識がない、呼吸が苦しそう・していない、けいれんが止まらない、"
        "頭を強く打って吐いている、大量に出血しているときは、すぐ119番に電話してください。\n"
        "救急車を呼ぶか、すぐ受診するか迷うときは、子ども医療電話相談 #8000 で小児科医・看護師に相談できます。\n"
        "休日・夜間に診てもらえる医療機関は、富山市のホームページで確認できます。"
    ),
    Emergency.DISASTER: (
        "【災害のとき】火事やけが人は119番、事件や事故は110番へ。\n"
        "家族の安否の確認には、災害用伝言ダイヤル 171 が使えます。\n"
        "避難情報や避難所は、富山市のホームページの防災情報や、テレビ・ラジオで確認してください。"
    ),
}

# The emergency menu (rich menu 「緊急のとき」): a short first reply, then one guidance per choice.
MENU_INTRO = (
    "【緊急のとき】命に関わるときは、迷わず119番に電話してください（事件は110番）。\n"
    "どのようなことですか？下のボタンから選ぶと、相談先をお知らせします。"
)
MENU_LABELS: dict[Emergency, str] = {
    Emergency.ILLNESS: "子どもの急病・けが",
    Emergency.POISONING: "誤飲",
    Emergency.SUICIDE: "こころがつらい",
    Emergency.ABUSE: "暴力・虐待",
    Emergency.DISASTER: "災害",
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


# The learned second opinion's thresholds, chosen by leave-one-writer-out cross-validation on the three
# development sets (eval/reports/latest.md, section 10): a sure rule stays sure when the model gives at least
# DEMOTE_SURE, becomes unsure below it (the guidance is sent and the question still answered), and is dropped below
# DROP_SURE (a confident "ordinary", e.g. a look-alike the rules misread); an unsure rule is kept when the model gives
# it at least KEEP_UNSURE; the model alone raises an unsure alarm from ALERT_ALONE when one kind has at least
# KIND_ALONE (the guidance must fit), or from ALERT_DIFFUSE when one kind has at least KIND_DIFFUSE (surely an
# emergency, less sure which: every guidance names 119), and the rules see no ordinary context.
DEMOTE_SURE = 0.5
DROP_SURE = 0.2
KEEP_UNSURE = 0.15
ALERT_ALONE = 0.6
KIND_ALONE = 0.35
ALERT_DIFFUSE = 0.75
KIND_DIFFUSE = 0.25


@dataclass(frozen=True)
class Opinions:
    """What the rules and the model say of one message: the rules' ``kinds`` and ``sure``, the model's
    ``scores``, and ``ordinary``: the rules see ordinary context (a question, a history, a pet) and no danger."""

    kinds: tuple[Emergency, ...]
    sure: bool
    scores: Scores
    ordinary: bool


def check(text: str, model: EmergencyModel | None = None) -> EmergencyCheck:
    """The emergency check of one message (run once per message; see ``EmergencyCheck``).

    The rules read the situation; the model (the packaged one unless given) is a second opinion: rules sure →
    sure if the model agrees, unsure if it doubts, nothing if it is confident the message is ordinary; rules
    unsure → unsure if the model agrees somewhat; rules silent, the model confident and no ordinary context →
    unsure (the guidance is sent and the question still answered); otherwise nothing.
    """
    return combine(opinions(text, model))


def opinions(text: str, model: EmergencyModel | None = None) -> Opinions:
    """The rules' verdict and the model's scores of one message, from one parse."""
    views = views_of(text)
    found = situations(views)
    kinds, sure = assess_views(views, found)
    evidence = signals(views, found)
    scores = (model or default_model()).score(features(views.surface, views.reading, views.lemmas, evidence))
    return Opinions(kinds, sure, scores, ordinary_context(evidence))


def combine(seen: Opinions) -> EmergencyCheck:
    """The rules' verdict weighed with the model's scores (see ``check``)."""
    score = seen.scores.emergency
    if seen.kinds and seen.sure and score >= DROP_SURE:
        return EmergencyCheck(seen.kinds, sure=score >= DEMOTE_SURE)
    if seen.kinds and not seen.sure and score >= KEEP_UNSURE:
        return EmergencyCheck(seen.kinds, sure=False)
    top = seen.scores.top()
    if top is None or seen.ordinary:
        return EmergencyCheck()
    share = seen.scores.kinds[top]
    if (score >= ALERT_ALONE and share >= KIND_ALONE) or (score >= ALERT_DIFFUSE and share >= KIND_DIFFUSE):
        return EmergencyCheck((top,), sure=False)
    return EmergencyCheck()


def detect(text: str) -> list[Emergency]:
    """The emergencies a message may be about, most urgent first (sure or not; see ``check``)."""
    return list(check(text).kinds)


def guidance(kinds: Sequence[Emergency]) -> str:
    """The fixed guidance for the detected emergencies, most urgent first."""
    return "\n\n".join(GUIDANCE[kind] for kind in kinds)
