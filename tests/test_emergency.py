import pytest

from bot.emergency import EMERGENCY_WORDS, GUIDANCE, Emergency, detect, guidance
from bot.messages import text_messages
from knowledge.schema import utf16_length


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("子どもの意識がない！どうしよう", [Emergency.LIFE]),
        ("むすこが けいれん してる", [Emergency.LIFE]),
        ("赤ちゃんが息をしていないみたい", [Emergency.LIFE]),
        ("ボタン電池を誤飲したかも", [Emergency.POISONING]),
        ("たばこ のみこんだ", [Emergency.POISONING]),
        ("隣の家で虐待されてるかもしれない", [Emergency.ABUSE]),
        ("もう死にたい", [Emergency.SUICIDE]),
        ("ｷｴﾀｲ…", [Emergency.SUICIDE]),  # half-width katakana reads as きえたい
        ("子どもが薬を飲み込んだあと、けいれんしてる", [Emergency.LIFE, Emergency.POISONING]),
    ],
)
def test_detect_finds_emergencies(text: str, expected: list[Emergency]) -> None:
    assert detect(text) == expected


@pytest.mark.parametrize(
    "text", ["保育園の申し込みはいつから？", "予防接種の予約をしたい", "粗大ごみの出し方", "熱が出た"]
)
def test_ordinary_questions_are_not_emergencies(text: str) -> None:
    assert detect(text) == []


def test_every_kind_has_words_and_guidance() -> None:
    assert set(EMERGENCY_WORDS) == set(GUIDANCE) == set(Emergency)


@pytest.mark.parametrize(
    ("kind", "numbers"),
    [(Emergency.LIFE, ["119", "#8000"]), (Emergency.POISONING, ["119", "072-727-2499", "029-852-9999"]),
     (Emergency.ABUSE, ["189"]), (Emergency.SUICIDE, ["0570-783-556", "0120-279-338", "0570-064-556", "119"])],
)
def test_guidance_names_the_national_numbers(kind: Emergency, numbers: list[str]) -> None:
    text = guidance([kind])
    for number in numbers:
        assert number in text


def test_all_guidance_fits_one_line_message() -> None:
    text = guidance(list(Emergency))
    assert utf16_length(text) <= 5000
    assert len(text_messages(text)) == 1
