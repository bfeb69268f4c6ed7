"""How one FAQ entry is shown to a citizen: the short answer first, the full text on 「くわしく見る」, and the way on.

A parent reads on a phone, in a hurry: the entry's ``short_answer`` (at most 120 characters, the direct answer
first) comes first when the pack has one, with 「くわしく見る」 for the full approved text. Under every answer:
related entries, 「解決した」, 「解決しない」 (which offers to rephrase or to ask staff) and 「職員に聞く」, so
the staff path is one tap when an answer only points to an office.

A user who writes in English gets the entry's ``answer_en`` when the pack has one, else the Japanese answer
with one English line that says so and offers staff; buttons are then labelled in English. The language travels
in the postback argument (``en:<faq id>``), since a button tap carries no text to tell it from.

An English answer is shown the same way: its first sentences (``short_english``) with 「More details」 when
``answer_en`` is long, and buttons labelled with the entry's ``label_en`` (else its first English question).

「詳しくは」 links only to a page about the topic: a bare site root (the city's home page) helps nobody. It is
shown under the short answer too, so the page is one tap away before 「くわしく見る」.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from bot.postback import PostbackSigner
from bot.replies import PostbackChoice, Say, say, shorten
from knowledge.schema import FaqEntryData

ENGLISH_PREFIX = "en:"
RELATED_SHOWN = 2
SHORT_ENGLISH_CHARS = 160  # an English answer longer than this is shown short first, with 「More details」
_ENGLISH_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

BUTTONS = {
    "ja": {"more": "くわしく見る", "solved": "解決した", "unsolved": "解決しない", "staff": "職員に聞く"},
    "en": {"more": "More details", "solved": "Solved", "unsolved": "Not solved", "staff": "Ask city staff"},
}
FOOTER = {
    "ja": {"source": "詳しくは：{url}", "contact": "お問い合わせ：{contact}"},
    "en": {"source": "Details: {url}", "contact": "Contact (in Japanese): {contact}"},
}
JAPANESE_ONLY_NOTE = ("This answer is available in Japanese only. Tap \"Ask city staff\" if you need help in "
                      "English.\n\n")


def is_topic_page(url: str | None) -> bool:
    """Whether ``url`` points below a site's root (a page about something), not at a home page."""
    if not url:
        return False
    path = urlsplit(url).path.strip("/")
    return bool(path) and path.lower() not in ("index.html", "index.htm", "index.php")


def answer_text(entry: FaqEntryData, *, english: bool = False) -> str:
    """The full approved answer (English when asked and available) with its topic page and office."""
    lang = "en" if english else "ja"
    if english and entry.answer_en:
        body = entry.answer_en
    elif english:
        body = JAPANESE_ONLY_NOTE + entry.answer
    else:
        body = entry.answer
    footer = [line for line in (
        _source_line(entry, lang),
        FOOTER[lang]["contact"].format(contact=entry.contact) if entry.contact else "",
    ) if line]
    return body + ("\n\n" + "\n".join(footer) if footer else "")


def short_text(entry: FaqEntryData, *, english: bool = False) -> str | None:
    """The short answer shown first with 「くわしく見る」/「More details」, and its topic page; None when the
    full answer is short enough to be shown at once (or there is no short form in that language)."""
    lang = "en" if english else "ja"
    short = short_english(entry.answer_en) if english and entry.answer_en else None
    body = short if english else entry.short_answer
    if not body:
        return None
    source = _source_line(entry, lang)
    return body + ("\n\n" + source if source else "")


def short_english(answer_en: str) -> str | None:
    """The first sentences of a long English answer (at most ``SHORT_ENGLISH_CHARS``, at least the first
    sentence, cut with "…" when that alone is too long); None when the answer is short already."""
    if len(answer_en) <= SHORT_ENGLISH_CHARS:
        return None
    sentences = [s for s in _ENGLISH_SENTENCE_END.split(answer_en.strip()) if s]
    short = sentences[0]
    for sentence in sentences[1:]:
        if len(short) + 1 + len(sentence) > SHORT_ENGLISH_CHARS:
            break
        short = f"{short} {sentence}"
    return shorten(short, SHORT_ENGLISH_CHARS)


def _source_line(entry: FaqEntryData, lang: str) -> str:
    return FOOTER[lang]["source"].format(url=entry.source_url) if is_topic_page(entry.source_url) else ""


def with_language(faq_id: str, english: bool) -> str:
    """The postback argument for an entry, remembering that the user writes in English."""
    return ENGLISH_PREFIX + faq_id if english else faq_id


def split_language(argument: str) -> tuple[str, bool]:
    """(faq id, english) from a postback argument made by ``with_language``."""
    if argument.startswith(ENGLISH_PREFIX):
        return argument.removeprefix(ENGLISH_PREFIX), True
    return argument, False


def entry_label(entry: FaqEntryData, *, english: bool = False) -> str:
    """A quick-reply label: the entry's (English) short label, or its (English) question cut to LINE's 20
    characters."""
    if english and entry.label_en:
        return entry.label_en
    if english and entry.questions_en:
        return shorten(entry.questions_en[0], 20)
    return entry.button_label()


def entry_question(entry: FaqEntryData, *, english: bool = False) -> str:
    """The entry's question as the citizen reads it: for an English reader its first English question, else its
    English label, else the Japanese question."""
    if english and entry.questions_en:
        return entry.questions_en[0]
    if english and entry.label_en:
        return entry.label_en
    return entry.question


def feedback_argument(rating: str, faq_id: str, english: bool) -> str:
    """``up:<faq id>`` / ``down:<faq id>``, the id language-marked (``up:en:<faq id>``) for an English reader."""
    return f"{rating}:{with_language(faq_id, english)}"


def parse_feedback(argument: str) -> tuple[str, str, bool]:
    """(rating, faq id, English reader) of a ``feedback_argument``."""
    rating, _, rated = argument.partition(":")
    faq_id, english = split_language(rated)
    return rating, faq_id, english


def handoff_choice(signer: PostbackSigner, user_id: str, label: str, argument: str = "yes") -> PostbackChoice:
    """A button that sends the user's last question to city staff; ``argument`` tells which button it was
    (「どれも違う」 under suggestions is counted apart)."""
    return PostbackChoice(label, signer.sign(user_id, "handoff", argument), label)


class AnswerView:
    """Builds the replies that show one entry.

    Args:
        signer: signs the buttons for the user they are sent to.
        entries: every published entry by id (for related entries).
    """

    def __init__(self, signer: PostbackSigner, entries: dict[str, FaqEntryData]) -> None:
        self.signer = signer
        self.entries = entries

    def first(self, user_id: str, entry: FaqEntryData, related: Sequence[str] = (), *,
              english: bool = False) -> list[Say]:
        """The short answer with 「くわしく見る」 (「More details」) when there is one, else the full answer."""
        short = short_text(entry, english=english)
        if short:
            lang = "en" if english else "ja"
            more = self._button(user_id, "more", entry.id, BUTTONS[lang]["more"], english)
            return say(short, [more, *self._after(user_id, entry, related, english)])
        return self.full(user_id, entry, related, english=english)

    def full(self, user_id: str, entry: FaqEntryData, related: Sequence[str] = (), *,
             english: bool = False) -> list[Say]:
        return say(answer_text(entry, english=english), self._after(user_id, entry, related, english))

    def choice(self, user_id: str, action: str, faq_id: str, *, english: bool = False) -> PostbackChoice:
        """A button that opens entry ``faq_id`` (``action``: choose or browse)."""
        entry = self.entries[faq_id]
        label = entry_label(entry, english=english)
        return PostbackChoice(label, self.signer.sign(user_id, action, with_language(faq_id, english)),
                              shorten(entry_question(entry, english=english), 300))

    def _after(self, user_id: str, entry: FaqEntryData, related: Sequence[str],
               english: bool) -> list[PostbackChoice]:
        lang = "en" if english else "ja"
        choices = [self.choice(user_id, "choose", faq_id, english=english)
                   for faq_id in related if faq_id in self.entries][:RELATED_SHOWN]
        return [
            *choices,
            self._button(user_id, "feedback", feedback_argument("up", entry.id, english), BUTTONS[lang]["solved"],
                         english=False),
            self._button(user_id, "feedback", feedback_argument("down", entry.id, english),
                         BUTTONS[lang]["unsolved"], english=False),
            handoff_choice(self.signer, user_id, BUTTONS[lang]["staff"]),
        ]

    def _button(self, user_id: str, action: str, argument: str, label: str, english: bool) -> PostbackChoice:
        return PostbackChoice(label, self.signer.sign(user_id, action, with_language(argument, english)), label)
