"""Japanese text normalisation for search: NFKC, width and case folding, lemmas, readings and synonyms.

Two outputs, each for one consumer:

* ``clean(text)`` keeps the sentence readable (for the embedder): NFKC, no control characters, single spaces.
* ``tokens(text)`` gives lexical terms for BM25: content-word lemmas from fugashi + unidic-lite (so 子ども and
  子供, 申し込み and 申込み become one term) plus each lemma's kana reading, which lets a hiragana-only query
  (じどうてあて) meet its kanji spelling (児童手当). Editors' synonym groups are applied to the text first.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import fugashi

CONTROL_CHARS = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
WHITESPACE = re.compile(r"\s+")
# Parts of speech that carry no topic (particles, auxiliaries, symbols, blanks, interjections).
SKIPPED_POS = ("助詞", "助動詞", "補助記号", "記号", "空白", "感動詞")
# Very common words that say nothing about which FAQ is meant.
STOP_LEMMAS = frozenset(
    "為る 有る 居る 成る 出来る 言う 思う 下さる 良い 貰う 呉れる 頂く 件 事 物 の 方 様 所 時 何 何時 何処 "
    "どう こう そう 此れ 其れ 彼れ 教える 知る 分かる 聞く 知れる 御 お ご 今 もう まだ ちょっと 一寸 "
    "です ます 今日 ある いる する なる できる".split()
)
# English function words (for questions typed in English; the FAQ side has English phrasings too).
ENGLISH_STOP_WORDS = frozenset(
    "a an the i me my we our you your he she it its they them their is am are was were be been being do does "
    "did have has had can could will would should may might must shall to of in on at by for from with about "
    "as into and or but if so than that this these those there here what which who whom when where why how "
    "not no yes any some all just also very please tell know want need get got like there's i'm it's don't "
    "i've we're".split()
)
KATAKANA_TO_HIRAGANA = {cp: cp - 0x60 for cp in range(ord("ァ"), ord("ヶ") + 1)}
READING_SKIPPED_POS = ("補助記号", "記号", "空白")
_TAGGER_LOCK = threading.Lock()  # guards the shared tagger's creation and every parse with it


def fold(text: str) -> str:
    """NFKC (full/half width), lower case, control characters removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = CONTROL_CHARS.sub("", text)
    return WHITESPACE.sub(" ", text).strip().lower()


def fold_kana(text: str) -> str:
    """``fold`` with katakana as hiragana: how word lists are matched against a message (「ホイクエン」 and
    「ほいくえん」 are one word), by the scope rules and the routing table alike."""
    return fold(text).translate(KATAKANA_TO_HIRAGANA)


JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
LATIN_LETTER = re.compile(r"[a-zA-Z]")


def is_latin_script(text: str) -> bool:
    """True for text with Latin letters and no kana or kanji (English or romaji questions)."""
    return bool(LATIN_LETTER.search(text)) and not JAPANESE_SCRIPT.search(text)


def has_meaningful_text(text: str) -> bool:
    """True when the text has at least one letter or digit (not only emoji, symbols or spaces)."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


class SynonymMap:
    """Rewrites every variant of a synonym group to the group's first word, longest variant first.

    Args:
        groups: lists of words; the first word of each list is the canonical form.
    """

    def __init__(self, groups: Iterable[Iterable[str]] = ()) -> None:
        mapping: dict[str, str] = {}
        for group in groups:
            words = [fold(w) for w in group if fold(w)]
            for variant in words[1:]:
                mapping[variant] = words[0]
            if words:
                # The canonical word maps to itself so that a shorter variant inside it is not rewritten.
                mapping.setdefault(words[0], words[0])
        self.mapping = mapping
        ordered = sorted(mapping, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    def apply(self, text: str) -> str:
        """Replace variants in already folded text."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.mapping[m.group(0)], text)

    def __len__(self) -> int:
        return sum(1 for variant, canonical in self.mapping.items() if variant != canonical)


class Word(NamedTuple):
    """The parts of one fugashi token that search uses."""

    surface: str
    lemma: str
    pos1: str
    is_place: bool
    base_reading: str  # kana reading of the lemma, in hiragana ("" when unknown)
    reading: str  # kana reading of the surface, in hiragana ("" for Latin words and unknown kanji)
    pos2: str = ""  # e.g. 数詞 for numbers
    pos3: str = ""  # e.g. 助数詞可能 for counters such as 週 and ヶ月


class Analysis(NamedTuple):
    """Everything lexical search needs from one text, from a single parse."""

    tokens: list[str]
    reading_grams: list[str]
    places: set[str]


@lru_cache(maxsize=1)
def _tagger() -> fugashi.Tagger:
    return fugashi.Tagger()


def shared_tagger() -> tuple[fugashi.Tagger, threading.Lock]:
    """The process's one fugashi tagger and the lock every parse with it must hold."""
    with _TAGGER_LOCK:
        return _tagger(), _TAGGER_LOCK


class Normalizer:
    """Turns raw citizen or FAQ text into clean text and lexical tokens.

    ``analyze`` parses a text once for its tokens, reading trigrams and place names; a small cache lets the
    query path ask for them separately without parsing the question again.

    Safe to share between threads (the worker and the thread-pool routes share one): a fugashi tagger keeps
    its last parse inside itself, and two threads parsing at once read each other's nodes and get wrong
    lemmas, which the cache would then keep. One lock around each parse, not a tagger per thread: it costs
    nothing measurable on one thread, parsing holds the GIL anyway. Every normaliser of the process shares one
    tagger (``shared_tagger``): MeCab never gives a tagger's memory back (about 10 MB each), so a tagger per
    normaliser grew a process by that much for every retriever it ever built.

    Args:
        synonyms: the editors' synonym groups (first word canonical).
        cache_size: how many recent parses to keep.
    """

    def __init__(self, synonyms: Iterable[Iterable[str]] = (), cache_size: int = 64) -> None:
        self.synonyms = SynonymMap(synonyms)
        self._tagger, self._tagger_lock = shared_tagger()
        self._parse = lru_cache(maxsize=cache_size)(self._parse_uncached)

    def clean(self, text: str) -> str:
        """Readable normalised text for the embedder."""
        return fold(text)

    def words(self, text: str) -> tuple[Word, ...]:
        """The parsed words of ``text`` after folding and synonyms."""
        return self._parse(self.synonyms.apply(fold(text)))

    def _parse_uncached(self, text: str) -> tuple[Word, ...]:
        # The tokens point into the tagger's own lattice, so they are read under the lock too.
        with self._tagger_lock:
            return tuple(_word(token) for token in self._tagger(text))

    def analyze(self, text: str) -> Analysis:
        """Tokens, reading trigrams and place names of ``text``."""
        words = self.words(text)
        return Analysis(_terms(words), _reading_grams(words), {w.lemma for w in words if w.is_place})

    def tokens(self, text: str) -> list[str]:
        """Lexical terms: lemmas of content words plus their kana readings."""
        return _terms(self.words(text))

    def place_names(self, text: str) -> set[str]:
        """Lemmas of the place names in ``text`` (unidic's 固有名詞・地名), e.g. {"カナザワ"} for 金沢市."""
        return {word.lemma for word in self.words(text) if word.is_place}

    def reading_grams(self, text: str) -> list[str]:
        """Character trigrams of the text's kana reading.

        A wrong kanji conversion (保育円) or an unconverted hiragana query (ほいくえん) reads the same as the
        intended word, and n-grams do not depend on how fugashi happened to segment unusual input.
        """
        return _reading_grams(self.words(text))


def _word(token: fugashi.UnidicNode) -> Word:
    feature = token.feature
    return Word(
        surface=token.surface,
        lemma=_lemma(token.surface, feature),
        pos1=getattr(feature, "pos1", None) or "",
        is_place=getattr(feature, "pos2", None) == "固有名詞" and getattr(feature, "pos3", None) == "地名",
        base_reading=_hiragana(getattr(feature, "kanaBase", None)),
        reading=_reading(token.surface, feature),
        pos2=getattr(feature, "pos2", None) or "",
        pos3=getattr(feature, "pos3", None) or "",
    )


def _terms(words: Iterable[Word]) -> list[str]:
    terms: list[str] = []
    for word in words:
        if word.pos1 in SKIPPED_POS or not word.lemma:
            continue
        if word.lemma in STOP_LEMMAS or word.lemma in ENGLISH_STOP_WORDS:
            continue
        terms.append(word.lemma)
        reading = word.base_reading
        if reading and reading != word.lemma and reading not in STOP_LEMMAS:
            terms.append(reading)
    return terms


def _reading_grams(words: Iterable[Word], n: int = 3) -> list[str]:
    reading = "".join(word.reading for word in words if word.pos1 not in READING_SKIPPED_POS)
    return [reading[i : i + n] for i in range(len(reading) - n + 1)]


def _hiragana(kana: object) -> str:
    if not kana or kana == "*":
        return ""
    return str(kana).translate(KATAKANA_TO_HIRAGANA)


def _reading(surface: str, feature: object) -> str:
    kana = getattr(feature, "kana", None)
    if not kana or kana == "*":
        kana = surface
    if not all("\u3040" <= ch <= "\u30ff" for ch in kana):
        return ""  # Latin words and unknown kanji carry no reading
    return str(kana).translate(KATAKANA_TO_HIRAGANA)


def _lemma(surface: str, feature: object) -> str:
    lemma = getattr(feature, "lemma", None)
    if not lemma or lemma == "*":
        return surface.lower()
    # unidic writes foreign-word lemmas as "カタカナ-english"; keep the Japanese part.
    return str(lemma).split("-")[0].lower()
