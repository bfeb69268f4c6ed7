"""The no-answer guard (retrieval/coverage.py) and the topic menu (retrieval/topic_menu.py) on hand-made entries."""

from __future__ import annotations

import pytest

from knowledge.schema import FaqEntryData
from retrieval.coverage import CoverageGuard
from retrieval.decision import DecisionKind, DecisionPolicy, QueryTraits, Reason, Thresholds
from retrieval.fusion import Candidate
from retrieval.normalize import Normalizer
from retrieval.topic_menu import TopicMenu


def entry(faq_id: str, question: str, answer: str, **extra: object) -> FaqEntryData:
    return FaqEntryData(id=faq_id, category="childcare", question=question, answer=answer, **extra)  # type: ignore[arg-type]


ENTRIES = [
    entry("sick-booking", "病児保育を利用するには予約が必要ですか？", "病児保育の利用には前日までの予約が必要です。"),
    entry("batteries", "乾電池はどうやって捨てればいいですか？", "乾電池は有害ごみとして出してください。"),
    entry("nursery-apply", "保育園の申込みはいつですか？", "保育園の申込みは秋に受け付けます。"),
    entry("nursery-fee", "保育園の保育料はいくらですか？", "保育料は所得に応じて決まります。"),
    entry("nursery-docs", "保育園の申込みに必要な書類は？", "申込書と就労証明書が必要です。"),
    entry("nursery-visit", "保育園の見学はできますか？", "見学は各園に直接お問い合わせください。"),
]
NORMALIZER = Normalizer([["保育所", "保育園"]])


@pytest.fixture(scope="module")
def guard() -> CoverageGuard:
    built = CoverageGuard(NORMALIZER)
    built.build(ENTRIES)
    return built


@pytest.mark.parametrize(("question", "faq_id", "missing"), [
    ("病児保育のクリニックの見学は予約が必要ですか", "sick-booking", ("クリニック", "見学")),
    ("おむつ 捨て方", "batteries", ("おむつ",)),
    ("病児保育は予約いる？", "sick-booking", ()),
    ("富山市の病児保育の予約方法を教えて", "sick-booking", ()),  # the city and "how" are generic
    ("病児保育 予約 3歳 2日前", "sick-booking", ()),  # numbers and counters say nothing about the topic
    ("病児保育の予訳", "sick-booking", ()),  # a wrong kanji conversion: found by its reading
    ("保育所の申込みはいつ", "nursery-apply", ()),  # the pack's synonyms apply to both sides
])
def test_content_nouns_the_entry_never_mentions(guard: CoverageGuard, question: str, faq_id: str,
                                                missing: tuple[str, ...]) -> None:
    assert guard.missing(question, faq_id) == missing


def test_a_confident_answer_becomes_a_suggestion_when_the_entry_misses_a_noun() -> None:
    policy = DecisionPolicy(Thresholds(0.5, 0.05, 0.3))
    candidates = [Candidate("sick-booking", 0.9, 0.9, 0.9), Candidate("nursery-visit", 0.6, 0.6, 0.6)]
    assert policy.decide(candidates, QueryTraits()).kind is DecisionKind.ANSWER
    guarded = policy.decide(candidates, QueryTraits(uncovered=("見学",)))
    assert (guarded.kind, guarded.reason, guarded.faq_id) == (DecisionKind.SUGGEST, Reason.UNCOVERED, None)
    assert guarded.suggestions[0].faq_id == "sick-booking"  # still offered, just not asserted as the answer


def test_a_bare_topic_word_gets_the_topics_menu() -> None:
    menu = TopicMenu(NORMALIZER)
    menu.build(ENTRIES)
    ranked = [Candidate(e.id, 1.0 - i / 10, 0.5, 0.5) for i, e in enumerate(reversed(ENTRIES))]
    offered = [c.faq_id for c in menu.menu("保育園", ranked)]
    assert offered == ["nursery-visit", "nursery-docs", "nursery-fee", "nursery-apply"]  # best ranked first
    assert menu.menu("保育所 申込み", ranked) == []  # two entries only: no menu
    assert menu.menu("保育園の見学はできますか", ranked) == []  # a real question
    assert menu.menu("乾電池", ranked) == []  # one entry only: answered as usual
