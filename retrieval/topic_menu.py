"""A bare topic word gets that topic's menu, not one arbitrary entry.

「保育園」 or 「ごみ」 alone matches dozens of entries about as well as each other; answering the one that happens to
score highest hands the parent a random answer with full confidence. When a message is only one or two nouns
(with their prefixes and suffixes) and at least ``MIN_ENTRIES`` entries carry each of its space-separated words in
their question or label, the bot offers those entries (best ranked first) to choose from instead (decision
SUGGEST, reason TOPIC).
"""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.schema import FaqEntryData
from retrieval.fusion import Candidate
from retrieval.normalize import SKIPPED_POS, Normalizer, fold

MAX_TOPIC_WORDS = 2
MIN_ENTRIES = 3
MENU_SIZE = 8
NOUN_PARTS = ("名詞", "接尾辞", "接頭辞")  # 保育所 parses as 保育 + 所


class TopicMenu:
    """Recognises bare topic questions and picks the entries to offer.

    Args:
        normalizer: the retriever's normaliser.
    """

    def __init__(self, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        self._titles: dict[str, str] = {}

    def build(self, entries: Sequence[FaqEntryData]) -> None:
        self._titles = {e.id: self._canonical(f"{e.question}\n{e.label or ''}") for e in entries}

    def menu(self, text: str, ranked: Sequence[Candidate]) -> list[Candidate]:
        """The entries to offer for a bare topic ``text`` (best ranked first), or [] when it is a real question."""
        words = [w for w in self.normalizer.words(text) if w.pos1 not in SKIPPED_POS]
        nouns = [w for w in words if w.pos1 == "名詞"]
        if not nouns or len(nouns) > MAX_TOPIC_WORDS or any(w.pos1 not in NOUN_PARTS for w in words):
            return []
        keys = self._canonical(text).split()
        matching = [c for c in ranked if all(key in self._titles.get(c.faq_id, "") for key in keys)]
        return matching[:MENU_SIZE] if len(matching) >= MIN_ENTRIES else []

    def _canonical(self, text: str) -> str:
        return self.normalizer.synonyms.apply(fold(text)).lower().strip("?？!！。 ")
