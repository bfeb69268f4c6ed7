"""What the bot says: a citizen's events in, channel-neutral replies (``bot.replies.Say``) out. No I/O here, and
nothing of LINE: the worker stores the replies as the citizen's channel renders them, and sends them.

Order for a text message: the emergency check first (``bot.emergency.check``, made once per message by the
caller): a sure emergency gets the fixed guidance only, a possible one the guidance first and then the answer to
the question. Then over-long text, greetings and thanks (canned), as the message's one classification
(``bot.text_event``) says, then the retrieval decision, made once (``Decided``). When nothing matches, city staff
are offered unless the message is clearly no city matter (``bot/scope.py``); even that scope reply ends with
「職員に聞く」, so no question is refused without a way to a person.

Every reply says which kind it is (``ReplyKind``), so analytics can count refusals, staff offers and answers
apart without keeping any text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from bot.answers import AnswerView, entry_question, handoff_choice, parse_feedback, split_language
from bot.categories import BY_SLUG, CATEGORIES, top_entries
from bot.emergency import EmergencyCheck, check, guidance
from bot.emergency_menu import emergency_menu
from bot.language import language_reply
from bot.menu_actions import MenuAction, menu_data
from bot.postback import PostbackSigner
from bot.replies import MAX_CHOICES, MAX_REPLIES, PostbackChoice, Say, say, shorten
from bot.scope import offers_staff
from bot.several_questions import asks_several
from bot.text_event import TextEvent, classify
from bot.texts import LABELS, LABELS_EN, TEXT, TEXT_EN
from knowledge.schema import FaqEntryData
from retrieval.decision import Decision, DecisionKind, Reason
from retrieval.engine import Retriever
from retrieval.normalize import is_latin_script

__all__ = ["TEXT", "Conversation", "Decided", "Reply", "ReplyKind", "after_guidance", "served_only"]

SUGGEST_INTROS = {Reason.OTHER_PLACE: "suggest_other_place", Reason.TOPIC: "suggest_topic",
                  Reason.UNCOVERED: "suggest_uncovered"}
RELATED_ENTRIES = 3
STAFF_QUESTION_PREVIEW = 60
NONE_FIT_ARGUMENT = "none"  # the hand-off button shown with suggestions: 「どれも違う」
DECLINE_ARGUMENT = "offer"  # 「いいえ」 to the staff offer after a question the bot could not answer
BOT_VIEW_CANDIDATES = 5  # the candidates staff see on a ticket and routing weighs


class ReplyKind(StrEnum):
    """What a citizen got for a text message (recorded for analytics, without the text)."""

    ANSWER = "answer"  # an entry's answer
    SUGGEST = "suggest"  # 「もしかして」 choices, with 「どれも違う（職員に聞く）」
    STAFF_OFFER = "staff_offer"  # nothing found: 「市の職員に質問を送りますか？」
    SCOPE = "scope_reply"  # clearly no city matter: what the bot covers, and 「職員に聞く」
    LANGUAGE = "language_reply"  # a language the bot does not speak: a short reply in it with the staff offer
    REPHRASE = "rephrase"  # empty, stickers only, over-long
    EMERGENCY = "emergency"  # the fixed guidance only
    CANNED = "canned"  # greetings and thanks


STAFF_OFFERING = (ReplyKind.STAFF_OFFER, ReplyKind.LANGUAGE)  # replies that ask 「職員に送りますか？」


@dataclass(frozen=True)
class Decided:
    """One retrieval for a question: the decision, checked against the served entries it refers to (see
    ``Conversation.decide``), and those entries. The reply, its capture and what staff and routing get
    (``candidates``) all come from this one search."""

    decision: Decision
    entries: dict[str, FaqEntryData]

    def candidates(self, limit: int = BOT_VIEW_CANDIDATES) -> list[dict[str, Any]]:
        """What the bot thought of the question, for staff and for routing: the best candidates, each with its
        category, score and whether the citizen was shown it (``shown``).

        The ticket's team is weighed from all of these (``handoff.routing``), not taken from the top one alone.
        """
        decision, entries = self.decision, self.entries
        shown: set[str] = set()  # what the reply offered: the suggestions, or the answer and its related entries
        if decision.kind is DecisionKind.SUGGEST:
            shown = {c.faq_id for c in decision.suggestions}
        elif decision.kind is DecisionKind.ANSWER and decision.faq_id:
            shown = {c.faq_id for c in decision.candidates[:RELATED_ENTRIES + 1]} | {decision.faq_id}
        return [{"faq_id": c.faq_id, "question": entries[c.faq_id].question, "score": round(c.score, 3),
                 "category": entries[c.faq_id].category, "shown": c.faq_id in shown}
                for c in decision.candidates[:limit]]


@dataclass(frozen=True)
class Reply:
    """The replies to one text message, the decision they show (None when nothing was searched), their kind,
    for a ``LANGUAGE`` reply the code of the citizen's language, and ``decided``: the retrieval behind the
    decision (None when nothing was searched), whose candidates a hand-off or a decline of the question reuses."""

    messages: list[Say]
    decision: Decision | None
    kind: ReplyKind
    language: str | None = None
    decided: Decided | None = None


def after_guidance(guidance_messages: list[Say], messages: list[Say]) -> list[Say]:
    """The emergency guidance first, then ``messages``, within ``MAX_REPLIES`` replies to one message;
    when ``messages`` must be cut, its last reply (which carries the buttons) is the one kept at the end."""
    room = MAX_REPLIES - len(guidance_messages)
    if len(messages) > room:
        messages = [*messages[:room - 1], messages[-1]] if room > 1 else messages[-1:]
    return [*guidance_messages, *messages][:MAX_REPLIES]


class Conversation:
    """Builds the replies for one citizen's events.

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
    def on_text(self, user_id: str, text: str) -> list[Say]:
        return self.reply(user_id, text).messages

    def reply(self, user_id: str, text: str | TextEvent, emergency: EmergencyCheck | None = None) -> Reply:
        """The reply to a text message: ``text`` as the dispatcher classified it (``bot.text_event``), or a bare
        text, classified here with ``emergency``, its ``bot.emergency.check`` when the caller made it already (it
        is made once per message). A sure emergency gets the guidance only, a possible one the guidance first and
        then the reply to the question."""
        if isinstance(text, TextEvent):
            event = text
        else:
            event = classify(text, check(text) if emergency is None else emergency)
        if not event.emergency:
            return self._reply_to_text(user_id, event)
        first = say(guidance(event.emergency.kinds))
        if event.emergency.sure:
            return Reply(first, None, ReplyKind.EMERGENCY)
        reply = self._reply_to_text(user_id, event)
        return replace(reply, messages=after_guidance(first, reply.messages))

    def _reply_to_text(self, user_id: str, event: TextEvent) -> Reply:
        if event.too_long:
            return Reply(say(TEXT["too_long"]), None, ReplyKind.REPHRASE)
        if event.canned:
            return Reply(say(event.canned), None, ReplyKind.CANNED)
        language = event.language
        if language is not None:
            return Reply(self.language_offer(user_id, language), None, ReplyKind.LANGUAGE, language)
        decided = self.decide(event.text)
        return replace(self._decision_reply(user_id, decided.decision, event.text, decided.entries), decided=decided)

    def decide(self, text: str) -> Decided:
        """The retriever's decision for ``text`` with the entries it refers to, all of them served.

        A publish swaps the served entries whole (``retrieval.engine.IndexGeneration``), possibly between the
        search and the lookup of its entries: a decision naming an entry no longer served is made once more on
        the new entries, and whatever still names a missing entry is left out (``served_only``).
        """
        decision, entries = self.retriever.decide(text), self.retriever.entries
        if served_only(decision, entries) is not decision:
            decision, entries = self.retriever.decide(text), self.retriever.entries
        return Decided(served_only(decision, entries), entries)

    def on_follow(self, user_id: str) -> list[Say]:
        privacy = TEXT["privacy"].format(retention_days=self.retention_days)
        return [*say(TEXT["follow"]), *say(privacy, self._category_buttons(user_id))]

    def on_non_text(self) -> list[Say]:
        return say(TEXT["non_text"])

    def on_postback(self, user_id: str, data: str, *, can_ask_staff: bool = False) -> list[Say]:
        """Replies to a signed quick-reply button; ``can_ask_staff``: the user has a question staff could get."""
        postback = self.signer.verify(user_id, data)
        if postback is None:
            return say(TEXT["unknown_postback"])
        faq_id, english = split_language(postback.argument)
        entry = self.retriever.entries.get(faq_id)  # one read: a publish may swap the entries at any time
        if postback.action in ("choose", "browse") and entry is not None:
            return self.answer(user_id, entry, related=(), english=english)
        if postback.action == "more" and entry is not None:
            return self._view().full(user_id, entry, english=english)
        if postback.action == "feedback":
            rating, _, english = parse_feedback(postback.argument)
            if rating == "down":
                return self.feedback_down(user_id, can_ask_staff=can_ask_staff)
            if rating == "up":  # 「解決した」
                return say((TEXT_EN if english else TEXT)["solved"])
            return say(TEXT["feedback_thanks"])
        if postback.action == "category" and postback.argument in BY_SLUG:
            return self.category(user_id, postback.argument)
        if postback.action == "rephrase":
            return say(TEXT["rephrase"])
        return say(TEXT["unknown_postback"])

    # -- guides (category buttons, rich menu) --------------------------------------------------------------------
    def category(self, user_id: str, slug: str) -> list[Say]:
        """What the bot answers in one category, its most asked questions, and a way to city staff."""
        category, view = BY_SLUG[slug], self._view()  # one read of the entries, which a publish may swap
        faq_ids = top_entries(view.entries, slug, MAX_CHOICES - 1)
        key = "category" if faq_ids else "category_empty"
        choices = [view.choice(user_id, "browse", faq_id) for faq_id in faq_ids]
        staff = PostbackChoice(LABELS["menu_staff"], menu_data(MenuAction.STAFF), LABELS["menu_staff"])
        return say(TEXT[key].format(label=category.label, scope=category.scope), [*choices, staff])

    def staff_guide(self, user_id: str, *, question: str | None, expectation: str, hours: str) -> list[Say]:
        """How to reach city staff: send the last unanswered question, or how to ask one."""
        if question:
            text = TEXT["staff_offer"].format(question=shorten(question, STAFF_QUESTION_PREVIEW),
                                              expectation=expectation)
            return say(text, self._yes_no(user_id))
        return say(TEXT["staff_how"].format(hours=hours, expectation=expectation))

    def language_offer(self, user_id: str, code: str) -> list[Say]:
        """A question in a language the bot does not speak (``bot.language``): a short reply in it that offers
        city staff, with yes/no buttons in that language (「いいえ」 keeps the question for editors)."""
        offer = language_reply(code)
        no = PostbackChoice(offer.no_label, self.signer.sign(user_id, "cancel", DECLINE_ARGUMENT), offer.no_label)
        return say(offer.text, [self._handoff(user_id, offer.yes_label), no])

    def emergency_guide(self, action: MenuAction = MenuAction.EMERGENCY) -> list[Say]:
        """The emergency menu: 119 and a choice of five topics; a chosen topic shows its own guidance only."""
        return emergency_menu(action)

    def usage_guide(self) -> list[Say]:
        return say(TEXT["help"].format(retention_days=self.retention_days))

    def feedback_down(self, user_id: str, *, can_ask_staff: bool) -> list[Say]:
        """👎 on a bot answer: ask again in other words, or (when there is a question to send) ask staff."""
        rephrase = PostbackChoice(LABELS["rephrase"], self.signer.sign(user_id, "rephrase"), LABELS["rephrase"])
        if not can_ask_staff:
            return say(TEXT["feedback_down_no_question"], [rephrase])
        return say(TEXT["feedback_down"], [rephrase, self._handoff(user_id, LABELS["ask_staff"])])

    # -- decisions ---------------------------------------------------------------------------------------------
    def reply_to_decision(self, user_id: str, decision: Decision, question: str | None = None) -> list[Say]:
        """The reply to a typed question; in English when it was written in Latin script."""
        entries = self.retriever.entries
        return self._decision_reply(user_id, served_only(decision, entries), question, entries).messages

    def _decision_reply(self, user_id: str, decision: Decision, question: str | None,
                        entries: dict[str, FaqEntryData]) -> Reply:
        """``reply_to_decision`` with the entries ``decision`` was checked against (see ``decide``)."""
        english = question is not None and is_latin_script(question)
        texts, labels = (TEXT_EN, LABELS_EN) if english else (TEXT, LABELS)
        if decision.kind is DecisionKind.ANSWER and decision.faq_id:
            related = [c.faq_id for c in decision.candidates if c.faq_id != decision.faq_id][:RELATED_ENTRIES]
            view = AnswerView(self.signer, entries)
            return Reply(view.first(user_id, entries[decision.faq_id], related, english=english), decision,
                         ReplyKind.ANSWER)
        if decision.kind is DecisionKind.SUGGEST:
            return Reply(self._suggestions(user_id, decision, question, entries, english), decision,
                         ReplyKind.SUGGEST)
        if decision.kind is DecisionKind.REPHRASE:
            key = {Reason.TOO_LONG: "too_long", Reason.NO_TEXT: "no_text"}.get(decision.reason, "empty")
            return Reply(say(TEXT[key]), decision, ReplyKind.REPHRASE)
        if question is not None and not offers_staff(question, other_place=self._other_place(question)):
            ask_staff = self._handoff(user_id, labels["ask_staff"])
            return Reply(say(texts["out_of_scope"], [*self._category_buttons(user_id), ask_staff]),
                         decision, ReplyKind.SCOPE)
        return Reply(say(texts["handoff_offer"], self._yes_no(user_id, labels, DECLINE_ARGUMENT)),
                     decision, ReplyKind.STAFF_OFFER)

    def _suggestions(self, user_id: str, decision: Decision, question: str | None,
                     entries: dict[str, FaqEntryData], english: bool) -> list[Say]:
        """「もしかして」: the choices numbered in the text (so the chat history shows what was offered) and as
        buttons, then 「どれも違う（職員に聞く）」."""
        texts, labels = (TEXT_EN, LABELS_EN) if english else (TEXT, LABELS)
        intro = texts[SUGGEST_INTROS.get(decision.reason, "suggest")]
        if question is not None and asks_several(question):
            intro = f"{intro}\n{texts['one_at_a_time']}"
        listed = [f"{number}. {entry_question(entries[c.faq_id], english=english)}"
                  for number, c in enumerate(decision.suggestions, start=1)]
        view = AnswerView(self.signer, entries)
        choices = [view.choice(user_id, "choose", c.faq_id, english=english) for c in decision.suggestions]
        none_fit = handoff_choice(self.signer, user_id, labels["handoff_none_fit"], NONE_FIT_ARGUMENT)
        return say("\n".join([intro, *listed]), [*choices, none_fit])

    def confident_answer(self, user_id: str, text: str) -> tuple[list[Say], Decision] | None:
        """The answer to ``text`` and its decision when retrieval is confident (ANSWER), else None."""
        decided = self.decide(text)
        decision = decided.decision
        if decision.kind is DecisionKind.ANSWER and decision.faq_id:
            return self._decision_reply(user_id, decision, text, decided.entries).messages, decision
        return None

    def bot_view(self, question: str, limit: int = BOT_VIEW_CANDIDATES) -> list[dict[str, Any]]:
        """What the bot thinks of ``question`` now, for staff and for routing (``Decided.candidates``), from a new
        search: a question the citizen typed keeps the candidates of its own search instead (``Reply.decided``)."""
        return self.decide(question).candidates(limit)

    def answer(self, user_id: str, entry: FaqEntryData, related: Sequence[str], *,
               english: bool = False) -> list[Say]:
        """The entry's approved answer (short first, see ``bot/answers.py``) with the buttons that follow it."""
        return self._view().first(user_id, entry, related, english=english)

    def _view(self) -> AnswerView:
        return AnswerView(self.signer, self.retriever.entries)

    def _other_place(self, question: str) -> bool:
        return self.retriever.traits(question).unknown_place

    # -- buttons -----------------------------------------------------------------------------------------------
    def _category_buttons(self, user_id: str) -> list[PostbackChoice]:
        return [PostbackChoice(c.label, self.signer.sign(user_id, "category", c.slug), c.label) for c in CATEGORIES]

    def _handoff(self, user_id: str, label: str) -> PostbackChoice:
        return handoff_choice(self.signer, user_id, label)

    def _yes_no(self, user_id: str, labels: dict[str, str] = LABELS, no_argument: str = "") -> list[PostbackChoice]:
        """「はい」 sends the last question to staff; 「いいえ」 (``no_argument``: what declining means) does not."""
        no = PostbackChoice(labels["no"], self.signer.sign(user_id, "cancel", no_argument), labels["no"])
        return [self._handoff(user_id, labels["handoff_yes"]), no]


def served_only(decision: Decision, entries: dict[str, FaqEntryData]) -> Decision:
    """``decision`` without the entries ``entries`` no longer holds (archived by a publish since the search): an
    answer whose entry is gone is no answer, and suggestions that are all gone are none."""
    candidates = [c for c in decision.candidates if c.faq_id in entries]
    suggestions = [c for c in decision.suggestions if c.faq_id in entries]
    if len(candidates) == len(decision.candidates) and len(suggestions) == len(decision.suggestions) and (
            decision.faq_id is None or decision.faq_id in entries):
        return decision
    lost = (decision.kind is DecisionKind.ANSWER and decision.faq_id not in entries) or (
        decision.kind is DecisionKind.SUGGEST and not suggestions)
    if lost:
        return Decision(DecisionKind.HANDOFF, Reason.LOW_CONFIDENCE, decision.confidence, None, candidates)
    return replace(decision, candidates=candidates, suggestions=suggestions)

