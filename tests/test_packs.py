from pathlib import Path

import pytest

from knowledge.packs import PackValidationError, read_pack
from knowledge.schema import FaqEntryData, utf16_length
from tests.conftest import MINI_PACK, TOYAMA_PACK

VALID = """
  - id: {id}
    category: childcare
    question: 質問{id}
    alt_questions: [言い方A, 言い方B]
    answer: 答え
"""


def write_pack(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def test_read_pack_loads_entries_and_synonyms() -> None:
    pack = read_pack(MINI_PACK)
    assert pack.name == "mini"
    assert len(pack.entries) == 6
    assert ["保育所", "保育園"] in pack.synonyms


def test_read_pack_reports_every_error_with_file_and_id(tmp_path: Path) -> None:
    write_pack(tmp_path, {
        "a.yaml": "entries:" + VALID.format(id="ok-one") + """
  - id: Bad_ID
    category: childcare
    question: q
    answer: a
  - id: no-answer
    category: childcare
    question: q
""",
        "b.yaml": "entries:" + VALID.format(id="ok-one"),
        "c.yaml": "entries: [unclosed",
    })
    with pytest.raises(PackValidationError) as info:
        read_pack(tmp_path)
    messages = [str(e) for e in info.value.errors]
    assert any(m.startswith("a.yaml [Bad_ID]: id:") for m in messages)
    assert any(m.startswith("a.yaml [no-answer]: answer:") for m in messages)
    assert any(m.startswith("b.yaml [ok-one]: duplicate id (also in a.yaml)") for m in messages)
    assert any(m.startswith("c.yaml: not valid YAML") for m in messages)
    assert len(messages) == 4


def test_read_pack_rejects_unknown_fields(tmp_path: Path) -> None:
    write_pack(tmp_path, {"a.yaml": "entries:" + VALID.format(id="x") + "    colour: red\n"})
    with pytest.raises(PackValidationError, match=r"a.yaml \[x\]: colour"):
        read_pack(tmp_path)


def test_read_pack_rejects_bad_synonyms_file(tmp_path: Path) -> None:
    write_pack(tmp_path, {"a.yaml": "entries:" + VALID.format(id="x"), "synonyms.yaml": "synonyms: [[ひとつ]]"})
    with pytest.raises(PackValidationError, match="synonyms.yaml"):
        read_pack(tmp_path)


def test_read_pack_rejects_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PackValidationError, match="not found"):
        read_pack(tmp_path / "nope")


def test_read_pack_rejects_empty_pack(tmp_path: Path) -> None:
    write_pack(tmp_path, {"pack.yaml": "name: empty\n"})
    with pytest.raises(PackValidationError, match="no entries"):
        read_pack(tmp_path)


def test_answer_limit_counts_utf16_code_units() -> None:
    assert utf16_length("😀") == 2
    base = {"id": "a", "category": "childcare", "question": "q"}
    FaqEntryData.model_validate({**base, "answer": "あ" * 5000})
    with pytest.raises(ValueError, match="UTF-16"):
        FaqEntryData.model_validate({**base, "answer": "あ" * 4999 + "😀"})


def test_alt_questions_must_not_repeat() -> None:
    with pytest.raises(ValueError, match="repeat"):
        FaqEntryData.model_validate(
            {"id": "a", "category": "c", "question": "q", "answer": "a", "alt_questions": ["x", "x"]}
        )


def test_toyama_pack_meets_content_targets() -> None:
    pack = read_pack(TOYAMA_PACK)
    by_category: dict[str, int] = {}
    for entry in pack.entries:
        by_category[entry.category] = by_category.get(entry.category, 0) + 1
        assert 2 <= len(entry.alt_questions) <= 5, entry.id
        assert entry.question not in entry.alt_questions, entry.id
    assert len(pack.entries) >= 200
    assert by_category["childcare"] >= 110
    assert by_category["procedures"] >= 60
    assert by_category["tourism"] >= 30


def test_english_answers_and_phrasings_are_merged_and_checked(tmp_path: Path) -> None:
    files = {"a.yaml": "entries:" + VALID.format(id="one") + VALID.format(id="two"),
             "translations_en.yaml": "translations:\n  one: [\"How?\"]\n",
             "answers_en.yaml": "answers:\n  two: \"The answer in English.\"\n"}
    pack = read_pack(write_pack(tmp_path / "good", files))
    by_id = {e.id: e for e in pack.entries}
    assert (by_id["one"].questions_en, by_id["one"].answer_en) == (["How?"], None)
    assert by_id["two"].answer_en == "The answer in English."
    broken = {**files, "answers_en.yaml": "answers:\n  three: \"x\"\n  two: \"\"\n",
              "translations_en.yaml": "translations:\n  one: \"not a list\"\n"}
    with pytest.raises(PackValidationError) as caught:
        read_pack(write_pack(tmp_path / "bad", broken))
    messages = {(e.file, e.entry_id, e.message) for e in caught.value.errors}
    assert ("translations_en.yaml", "one", "must be a list of non-empty strings") in messages
    assert ("answers_en.yaml", "three", "no entry has this id") in messages
    assert ("answers_en.yaml", "two", "must be a non-empty text") in messages
