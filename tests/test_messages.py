"""Message builders keep LINE's limits and produce requests LINE's OpenAPI file accepts."""

import pytest

from bot.line.messages import (
    MessageLimitError,
    PostbackChoice,
    batch,
    quick_reply,
    split_text,
    text_messages,
)
from knowledge.schema import utf16_length
from tests.utils.openapi import errors as spec_errors


def reply_request(messages: list[dict[str, object]]) -> dict[str, object]:
    return {"replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", "messages": messages}


def test_short_text_is_one_message() -> None:
    assert text_messages("保育園の申し込みは秋です。") == [{"type": "text", "text": "保育園の申し込みは秋です。"}]


def test_long_text_is_split_at_sentence_ends_within_5000_utf16_units() -> None:
    sentence = "保育所の入所申込みは例年秋ごろに受け付けます。"
    text = sentence * 600  # about 13,800 characters
    pieces = split_text(text)
    assert len(pieces) == 3
    assert all(utf16_length(p) <= 5000 for p in pieces)
    assert all(p.endswith("。") for p in pieces)
    assert "".join(pieces) == text


def test_text_of_emoji_counts_two_units_each() -> None:
    pieces = split_text("😀" * 3000)
    assert [utf16_length(p) for p in pieces] == [5000, 1000]


def test_quick_reply_labels_are_shortened_to_20_characters() -> None:
    choice = PostbackChoice("保育所（保育園）・認定こども園の入所申込みはいつ？", "a=1")
    [message] = text_messages("どれですか？", [choice])
    label = message["quickReply"]["items"][0]["action"]["label"]
    assert len(label) == 20 and label.endswith("…")


def test_limits_are_refused() -> None:
    with pytest.raises(MessageLimitError, match="13"):
        quick_reply([PostbackChoice(str(i), str(i)) for i in range(14)])
    with pytest.raises(MessageLimitError, match="300"):
        quick_reply([PostbackChoice("x", "d" * 301)])
    with pytest.raises(MessageLimitError):
        text_messages("   ")


def test_batches_hold_at_most_five_messages() -> None:
    messages = [{"type": "text", "text": str(i)} for i in range(12)]
    assert [len(b) for b in batch(messages)] == [5, 5, 2]
    assert [m["text"] for b in batch(messages) for m in b] == [str(i) for i in range(12)]


def test_built_messages_match_lines_spec() -> None:
    choices = [PostbackChoice("👍 役に立った", "action=feedback&v=up", "役に立った"),
               PostbackChoice("👎 役に立たなかった", "action=feedback&v=down")]
    messages = text_messages("児童手当は偶数月に支給されます。" * 400, choices)
    for group in batch(messages):
        assert spec_errors("messaging-api.yml", "ReplyMessageRequest", reply_request(group)) == []
        assert spec_errors("messaging-api.yml", "PushMessageRequest", {"to": "U" + "0" * 32, "messages": group}) == []


def test_spec_check_catches_a_broken_message() -> None:
    broken = reply_request([{"type": "text"}])  # text is required
    assert spec_errors("messaging-api.yml", "ReplyMessageRequest", broken)
    assert spec_errors("messaging-api.yml", "ReplyMessageRequest", reply_request([]))  # 1-5 messages
