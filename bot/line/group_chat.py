"""Group and room chats: the bot speaks only when mentioned, and never keeps per-user state there.

A city account added to a family's or a circle's group must not answer every message of the group. It says once,
on ``join``, how to ask it, and then answers only messages that mention it (LINE marks the bot's own mention
with ``isSelf``). In a group the answer is plain text: buttons there would act for whoever taps them, and a
question for city staff belongs in the one-to-one chat (the reply says so), so no ticket is ever opened from a
group and nothing is remembered about its members.
"""

from __future__ import annotations

from typing import Any

from bot.answers import answer_text
from bot.conversation import served_only
from bot.emergency import detect, guidance
from bot.replies import Say, say
from retrieval.decision import Decision, DecisionKind
from retrieval.engine import Retriever

CHAT_ID_KEYS = {"group": "groupId", "room": "roomId"}
MAX_GROUP_QUESTION_CHARS = 1000
SUGGESTIONS_SHOWN = 3

GROUP_TEXT = {
    "join": "つなぐ（富山市の問い合わせ窓口）です。グループに招待していただき、ありがとうございます。\n"
    "このトークでは、わたしをメンション（@つなぐ）したメッセージにだけお答えします。"
    "ほかのメッセージには返信しません。\n"
    "個人的なご相談や市の職員への質問は、わたしとの1対1のトークでお送りください。",
    "empty": "ご用件をメンションと一緒に文章で送ってください。例：「@つなぐ 児童手当はいつ振り込まれますか」",
    "answer_footer": "\n\n（ほかの質問や職員への相談は、1対1のトークでどうぞ）",
    "suggest": "もしかして、次のどれかについてのご質問ですか？\n{choices}\n"
    "詳しくは、わたしとの1対1のトークで同じ質問を送ってください。選んで答えを見られます。",
    "unknown": "ごめんなさい、このご質問にはお答えできる情報が見つかりませんでした。"
    "わたしとの1対1のトークで送っていただければ、内容によっては市の職員に質問を送ることもできます。",
}


def chat_id_of(payload: dict[str, Any]) -> str | None:
    """The group or room id of an event from a group or room chat; None for one-to-one chats."""
    source = payload.get("source")
    if not isinstance(source, dict):
        return None
    key = CHAT_ID_KEYS.get(str(source.get("type")))
    value = source.get(key) if key else None
    return value[:100] if isinstance(value, str) and value else None


def question_for_bot(message: Any) -> str | None:
    """The text of a message that mentions the bot, without the mention itself; None when the bot is not
    mentioned (or the message is not text)."""
    if not isinstance(message, dict) or message.get("type") != "text" or not isinstance(message.get("text"), str):
        return None
    mention = message.get("mention")
    mentionees = mention.get("mentionees") if isinstance(mention, dict) else None
    own = [m for m in mentionees or [] if isinstance(m, dict) and m.get("isSelf") is True]
    if not own:
        return None
    text: str = message["text"]
    for mentionee in sorted(own, key=lambda m: int(m.get("index") or 0), reverse=True):
        start, length = int(mentionee.get("index") or 0), int(mentionee.get("length") or 0)
        if 0 <= start and length > 0:
            text = text[:start] + text[start + length:]
    return text.strip()


class GroupChat:
    """Replies in group and room chats.

    Args:
        retriever: the FAQ search; only confident answers are given in full.
    """

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever

    def handle(self, payload: dict[str, Any]) -> list[Say]:
        return self.reply(payload)[0]

    def reply(self, payload: dict[str, Any]) -> tuple[list[Say], str | None, Decision | None]:
        """The replies, the question asked of the bot, and the decision on it (None when nothing was searched)."""
        kind = payload.get("type")
        if kind == "join":
            return say(GROUP_TEXT["join"]), None, None
        if kind != "message":
            return [], None, None  # members joining, leaving, postbacks from old buttons: nothing to say
        question = question_for_bot(payload.get("message"))
        if question is None:
            return [], None, None
        messages, decision = self.answer_with_decision(question)
        return messages, question, decision

    def answer(self, question: str) -> list[Say]:
        return self.answer_with_decision(question)[0]

    def answer_with_decision(self, question: str) -> tuple[list[Say], Decision | None]:
        if not question:
            return say(GROUP_TEXT["empty"]), None
        emergencies = detect(question)
        if emergencies:
            return say(guidance(emergencies)), None
        decision = self.retriever.decide(question[:MAX_GROUP_QUESTION_CHARS])
        entries = self.retriever.entries  # one read: a publish may have swapped them since the search
        decision = served_only(decision, entries)
        if decision.kind is DecisionKind.ANSWER and decision.faq_id:
            text = answer_text(entries[decision.faq_id]) + GROUP_TEXT["answer_footer"]
            return say(text), decision
        if decision.kind is DecisionKind.SUGGEST:
            choices = "\n".join(f"・{entries[c.faq_id].question}" for c in decision.suggestions[:SUGGESTIONS_SHOWN])
            return say(GROUP_TEXT["suggest"].format(choices=choices)), decision
        return say(GROUP_TEXT["unknown"]), decision
