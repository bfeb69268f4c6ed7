"""The eval set is written apart from the pack's alternative questions and meets its size targets."""

from collections import Counter

from eval.datasets import load_questions, split_of
from knowledge.packs import read_pack
from tests.conftest import TOYAMA_PACK
from tests.utils.text import squash


def test_no_eval_question_is_a_pack_phrasing() -> None:
    pack = read_pack(TOYAMA_PACK)
    phrasings = {squash(text) for entry in pack.entries for text in entry.search_questions()}
    clashes = [q.text for q in load_questions() if squash(q.text) in phrasings]
    assert clashes == []


def test_every_label_names_a_pack_entry() -> None:
    ids = {entry.id for entry in read_pack(TOYAMA_PACK).entries}
    unknown = [(q.id, f) for q in load_questions() for f in q.faq_ids if f not in ids]
    assert unknown == []


def test_eval_set_sizes() -> None:
    questions = load_questions()
    in_scope = [q for q in questions if q.in_scope]
    assert len(in_scope) >= 400
    assert sum(not q.in_scope for q in questions) >= 100
    assert sum(q.style == "english" for q in in_scope) >= 20
    assert {"colloquial", "typo", "keyword", "long", "hiragana", "english"} <= {q.style for q in in_scope}


def test_ids_and_texts_are_unique() -> None:
    questions = load_questions()
    assert len({q.id for q in questions}) == len(questions)
    assert max(Counter(q.text for q in questions).values()) == 1


def test_split_is_fixed_and_balanced() -> None:
    assert split_of("ca-0001") == split_of("ca-0001")
    dev, test = load_questions(split="dev"), load_questions(split="test")
    assert len(dev) + len(test) == len(load_questions())
    assert abs(len(dev) - len(test)) < 0.15 * (len(dev) + len(test))
    assert not {q.id for q in dev} & {q.id for q in test}
