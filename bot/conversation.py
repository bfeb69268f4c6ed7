"""What the bot says: LINE events in, message objects out. No I/O here; the worker stores and sends.

Order for a text message: emergency words first (fixed guidance, in any state), then over-long text, then
greetings and thanks (canned), then the retrieval decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.emergency import detect, guidance
from bot.messages import Message, PostbackChoice, shorten, text_messages
from bot.postback import PostbackSigner
from knowledge.schema import FaqEntryData
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from retrieval.normalize import fold

MAX_TEXT_CHARS = 1000
RELATED_ENTRIES = 3

GREETINGS = ("こんにちは", "こんばんは", "おはよう", "はじめまして", "hello", "hi")
THANKS = ("ありがとう", "助かりました", "たすかりました", "thank")

TEXT = {
    "greeting": "こんにちは。富山市の子育て・手続き・観光についての質問に、市の公開情報からお答えします。"
    "知りたいことを文章で送ってください。",
    "thanks": "どういたしまして。ほかにも知りたいことがあれば、いつでも送ってください。",
    "too_long": "メッセージが長すぎるため読み取れませんでした。"
    "お手数ですが、1,000文字以内で、知りたいことを短く送ってください。",
    "empty": "質問の内容を文章で送ってください。",
    "no_text": "ごめんなさい、スタンプや絵文字だけでは内容が分かりませんでした。"
    "知りたいことを文章で送ってください。",
    "suggest": "もしかして、次のどれかについてのご質問ですか？当てはまるものを選んでください。",
    "suggest_other_place": "富山市以外の地域についてのご質問かもしれません。"
    "富山市の情報でよければ、次から選んでください。",
    "handoff_offer": "ごめんなさい、お答えできる情報が見つかりませんでした。市の職員に質問を送りますか？"
    "職員からの返信は、開庁時間内に順番にお送りします。",
    "non_text": "ごめんなさい、このアカウントでは文章での質問にお答えしています。知りたいことを文章で送ってください。",
    "feedback_thanks": "ご意見ありがとうございます。今後の改善に役立てます。",
    "unknown_postback": "この操作は有効期限が切れたか、正しくありません。もう一度質問を送ってください。",
    "follow": "友だち追加ありがとうございます。つなぐ（富山市の問い合わせ窓口）です。\n"
    "子育て・手続き・観光について、市が公開している情報から24時間お答えします。"
    "お答えできないときは、市の職員につなぎます。",
    "privacy": "【個人情報の取り扱い】\n"
    "・保存するもの：あなたのLINEのユーザーIDと、送られたメッセージ・回答の記録\n"
    "・目的：質問への回答、職員による対応、サービスの改善\n"
    "・保存期間：最後のやり取りから{retention_days}日\n"
    "・削除：「データ削除」と送ると、あなたの記録を削除できます。\n"
    "緊急のときは119番、子どもの急病の相談は #8000 へお電話ください。",
}
CATEGORIES = (("子育て", "childcare"), ("観光", "tourism"), ("手続き", "procedures"))


class Conversation:
    """Builds the replies for one LINE user's events.

    Args:
        retriever: the FAQ search and decision policy.
        signer: signs postback buttons for the user they are sent to.
        retention_days: how long a user's records are kept, as the privacy notice states it.
    """

    def __init__(self, retriever: Retriever, signer: PostbackSigner, retention_days: int = 365) -> None:
        self.retriever = retriever
        self.signer = signer
        self.retention_days = retention_days

    # -- events ------------------------------------------------------------------------------------------------
    def on_text(self, user_id: str, text: str) -> list[Message]:
        emergencies = detect(text)
        if emergencies:
            return text_messages(guidance(emergencies))
        if len(text) > MAX_TEXT_CHARS:
            return text_messages(TEXT["too_long"])
        canned = _canned_reply(text)
        if canned:
            return text_messages(canned)
        return self.reply_to_decision(user_id, self.retriever.decide(text))

    def on_follow(self, user_id: str) -> list[Message]:
        categories = [
            PostbackChoice(label, self.signer.sign(user_id, "category", slug), label) for label, slug in CATEGORIES
        ]
        privacy = TEXT["privacy"].format(retention_days=self.retention_days)
        return [*text_messages(TEXT["follow"]), *text_messages(privacy, categories)]

    def on_non_text(self) -> list[Message]:
        return text_messages(TEXT["non_text"])

    def on_postback(self, user_id: str, data: str) -> list[Message]:
        postback = self.signer.verify(user_id, data)
        if postback is None:
            return text_messages(TEXT["unknown_postback"])
        if postback.action == "choose" and postback.argument in self.retriever.entries:
            return self.answer(user_id, self.retriever.entries[postback.argument], related=())
        if postback.action == "feedback":
            return text_messages(TEXT["feedback_thanks"])
        return text_messages(TEXT["unknown_postback"])

    # -- decisions ---------------------------------------------------------------------------------------------
    def reply_to_decision(self, user_id: str, decision: Decision) -> list[Message]:
        if decision.kind is DecisionKind.ANSWER and decision.faq_id:
            related = [c.faq_id for c in decision.candidates if c.faq_id != decision.faq_id][:RELATED_ENTRIES]
            return self.answer(user_id, self.retriever.entries[decision.faq_id], related)
        if decision.kind is DecisionKind.SUGGEST:
            intro = TEXT["suggest_other_place"] if decision.reason is Reason.OTHER_PLACE else TEXT["suggest"]
            choices = [self._choose(user_id, c.faq_id) for c in decision.suggestions]
            return text_messages(intro, [*choices, self._handoff(user_id, "どれも違う（職員に聞く）")])
        if decision.kind is DecisionKind.REPHRASE:
            key = {Reason.TOO_LONG: "too_long", Reason.NO_TEXT: "no_text"}.get(decision.reason, "empty")
            return text_messages(TEXT[key])
        yes = self._handoff(user_id, "はい（職員に送る）")
        no = PostbackChoice("いいえ", self.signer.sign(user_id, "cancel"), "いいえ")
        return text_messages(TEXT["handoff_offer"], [yes, no])

    def bot_view(self, question: str, limit: int = 5) -> tuple[list[dict[str, Any]], str | None]:
        """What the bot thought of ``question``, for staff: the best candidates and a likely category.

        The category routes the ticket; it is taken from the best candidate only when that one was at least
        worth suggesting, since a low-scoring candidate says little about the topic.
        """
        decision = self.retriever.decide(question)
        candidates = [
            {"faq_id": c.faq_id, "question": self.retriever.entries[c.faq_id].question, "score": round(c.score, 3)}
            for c in decision.candidates[:limit] if c.faq_id in self.retriever.entries
        ]
        confident = decision.kind in (DecisionKind.ANSWER, DecisionKind.SUGGEST) and decision.candidates
        top = decision.candidates[0].faq_id if confident else None
        category = self.retriever.entries[top].category if top in self.retriever.entries else None
        return candidates, category

    def answer(self, user_id: str, entry: FaqEntryData, related: Sequence[str]) -> list[Message]:
        """The entry's approved answer, its source and contact, related entries and 👍/👎 buttons."""
        footer = [line for line in (
            f"詳しくは：{entry.source_url}" if entry.source_url else "",
            f"お問い合わせ：{entry.contact}" if entry.contact else "",
        ) if line]
        text = entry.answer + ("\n\n" + "\n".join(footer) if footer else "")
        choices = [self._choose(user_id, faq_id) for faq_id in related if faq_id in self.retriever.entries]
        choices += [
            PostbackChoice("👍 役に立った", self.signer.sign(user_id, "feedback", f"up:{entry.id}"), "役に立った"),
            PostbackChoice("👎 役に立たなかった", self.signer.sign(user_id, "feedback", f"down:{entry.id}"),
                           "役に立たなかった"),
        ]
        return text_messages(text, choices)

    def _choose(self, user_id: str, faq_id: str) -> PostbackChoice:
        question = self.retriever.entries[faq_id].question
        data = self.signer.sign(user_id, "choose", faq_id)
        return PostbackChoice(shorten(question, 20), data, shorten(question, 300))

    def _handoff(self, user_id: str, label: str) -> PostbackChoice:
        return PostbackChoice(label, self.signer.sign(user_id, "handoff", "yes"), label)


def _canned_reply(text: str) -> str | None:
    """A short reply for a bare greeting or thanks (not for a question that starts with one)."""
    folded = fold(text).strip("!！。.、,～〜 ")
    if len(folded) > 12:
        return None
    if any(folded.startswith(word) for word in THANKS):
        return TEXT["thanks"]
    if any(folded.startswith(word) for word in GREETINGS):
        return TEXT["greeting"]
    return None
