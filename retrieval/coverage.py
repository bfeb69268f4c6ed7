"""Does the best entry cover what was asked? A guard against confident answers to questions the pack cannot answer.

A high fused score says the question and the entry are about the same topic; it does not say the entry answers
this question. 「保育園の見学は予約が必要ですか」 scores high against an entry on booking sick-child care, and
「おむつ 捨て方」 against the entry on throwing away batteries: same topic words (保育, 予約; 捨てる), but the word
that makes the question what it is (見学, おむつ) appears nowhere in the entry. A parent trusts a long official
answer, so such a question should get choices (「もしかして…」) or staff, not that answer.

Rule: every *specific content noun* of the question must appear in the entry, as written, as its lemma or by its
kana reading (so ほいくえん and 保育円 still find 保育園), after the pack's synonyms are applied to both sides.
Content nouns are fugashi's 名詞 that are not numbers, counters, one-letter pieces or generic words
(``GENERIC_NOUNS``: 方法, 場合, 富山, 料金 …, words that any entry may leave out); a noun is specific when at
most ``SPECIFIC_MAX_ENTRIES`` entries of the pack mention it (生活 or 窓口, mentioned by many, are not). The
entry's text is everything an editor wrote for it: questions, English phrasings, tags, label, short and full
answer, department and contact. The policy downgrades ANSWER to SUGGEST when a noun is missing
(``retrieval.decision``), so the entry is still offered as a choice. The word list and the limit were set on the
blind eval set's dev split (``tsunagu eval run --set blind --split dev``), never on its test split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from knowledge.schema import FaqEntryData
from retrieval.normalize import KATAKANA_TO_HIRAGANA, STOP_LEMMAS, Normalizer, Word, fold

CONTENT_POS = ("名詞",)
MIN_READING_CHARS = 3  # a shorter kana reading matches by chance
# A noun that many entries mention (生活, 窓口, 健康) is topic vocabulary an answer may leave out; a noun that few
# or none mention (見学, 弁当, 祝い金) is what the question is specifically about.
SPECIFIC_MAX_ENTRIES = 20
MENTION_CACHE_SIZE = 10_000  # nouns whose entry count is remembered until the next build
# Nouns a question may carry without the entry having to repeat them: the city, people, time and manner words.
GENERIC_NOUNS = frozenset(
    "富山 富山市 とやま 市 市内 市外 市役所 役所 市民 方法 仕方 場合 必要 予定 今 今年 来年 今度 最近 毎年 最初 子 "
    "子供 子ども こども 親 家族 自分 私 僕 俺 うち 家 人 方 皆 みんな 話 件 事 物 こと もの ため 為 感じ 具合 時 とき "
    "頃 ころ いつ頃 日 日にち いつ どこ 何 なに 誰 どれ 幾ら いくら 程度 ぐらい 位 くらい 以上 以下 後 前 中 間 両方 "
    "場所 時間 情報 内容 詳細 質問 相談 お願い 手続き 手続 方々 みなさん "
    # what about it: the aspect asked for, which an entry answers without repeating the word
    "時期 日程 料金 費用 金額 値段 書式 様式 期間 期限 条件 基準 対象 スケジュール".split()
)


class CoverageGuard:
    """Finds the content nouns of a question that an entry does not contain.

    Args:
        normalizer: the retriever's normaliser (same folding, synonyms and parser as search).
    """

    def __init__(self, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        self._parts: dict[str, list[str]] = {}
        self._texts: dict[str, str] = {}
        self._readings: dict[str, str] = {}  # made on first use: parsing every entry would slow each build
        self._mentions: dict[tuple[str, str], int] = {}

    def build(self, entries: Sequence[FaqEntryData]) -> None:
        """Index each entry's whole text (canonical form); its kana reading is made when first needed."""
        parts = {entry.id: [part for part in (
            *entry.search_questions(), *entry.tags, entry.label or "", entry.short_answer or "", entry.answer,
            entry.department or "", entry.contact or "") if part] for entry in entries}
        self._texts = {faq_id: "\n".join(self._canonical(part) for part in texts) for faq_id, texts in parts.items()}
        self._parts, self._readings, self._mentions = parts, {}, {}

    def missing(self, question: str, faq_id: str) -> tuple[str, ...]:
        """The question's specific content nouns that entry ``faq_id`` never mentions (empty for an unknown
        entry)."""
        text = self._texts.get(faq_id)
        if text is None:
            return ()
        return tuple(dict.fromkeys(
            word.surface for word in self.content_nouns(question)
            if not _written_in(word, text) and self.entries_mentioning(word) <= SPECIFIC_MAX_ENTRIES
            and not _read_in(word, self._reading(faq_id))))

    def entries_mentioning(self, word: Word) -> int:
        """How many entries contain ``word`` (as written or as its lemma); remembered until the next build."""
        key = (word.surface.lower(), (word.lemma or word.surface).lower())
        if key not in self._mentions:
            if len(self._mentions) >= MENTION_CACHE_SIZE:
                self._mentions.clear()
            self._mentions[key] = sum(1 for text in self._texts.values() if any(k in text for k in key))
        return self._mentions[key]

    def _reading(self, faq_id: str) -> str:
        if faq_id not in self._readings:
            self._readings[faq_id] = "".join(_reading_of(self.normalizer.words(part)) for part in self._parts[faq_id])
        return self._readings[faq_id]

    def content_nouns(self, question: str) -> list[Word]:
        return [w for w in self.normalizer.words(question) if _is_content_noun(w)]

    def _canonical(self, text: str) -> str:
        return self.normalizer.synonyms.apply(fold(text)).lower()


def _is_content_noun(word: Word) -> bool:
    """A noun that says what the question is about: not a number or counter (numbers, 週, ヶ月), not a one-letter
    piece (often a typo's fragment: 個定資産税 → 個), not short hiragana (a mis-split reading), not Latin script
    (English questions are left to the Latin thresholds), not generic."""
    if word.pos1 not in CONTENT_POS or word.pos2 == "数詞" or word.pos3 == "助数詞可能":
        return False
    surface = word.surface
    if len(surface) < 2 or surface.isascii() or _is_hiragana(surface) and len(surface) <= 2:
        return False
    return not ({surface, word.lemma, surface.lower()} & (GENERIC_NOUNS | STOP_LEMMAS))


def _written_in(word: Word, text: str) -> bool:
    return word.surface.lower() in text or bool(word.lemma) and word.lemma.lower() in text


def _read_in(word: Word, reading: str) -> bool:
    kana = word.reading or word.base_reading
    return len(kana) >= MIN_READING_CHARS and kana in reading


def _reading_of(words: Iterable[Word]) -> str:
    return "".join(word.reading or word.surface.translate(KATAKANA_TO_HIRAGANA) for word in words)


def _is_hiragana(text: str) -> bool:
    return all("\u3041" <= ch <= "\u309f" for ch in text)
