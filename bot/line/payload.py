"""Make a webhook body safe to store and process: bounded nesting, no lone UTF-16 surrogates.

JSON may spell a lone surrogate as ``\\ud800``; Python decodes it into a ``str`` that cannot be encoded as
UTF-8, so every later step (tokenizer, database driver, LINE client) would fail on it. LINE never sends one,
so it is replaced with U+FFFD where the text enters, and the rest of the bot only ever sees valid text.
"""

from __future__ import annotations

import json
import re
from typing import Any

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
# LINE's deepest events (message → mention → mentionees → item) are under 10 levels; this leaves ample room.
MAX_DEPTH = 64


class UnsafePayload(ValueError):
    """The body is not JSON, or is nested deeper than any LINE webhook."""


def replace_lone_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (valid text is returned unchanged)."""
    return LONE_SURROGATE.sub(REPLACEMENT, text)


def load_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``text`` and return it with lone surrogates replaced; UnsafePayload if malformed or too deep."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise UnsafePayload("malformed JSON") from None
    # Strict UTF-8 holds no surrogates: only a backslash-u escape can bring one in, so skip the string pass without.
    strings = "\\u" in text
    if isinstance(value, dict | list):
        _clean_in_place(value, max_depth, strings)
    elif strings and isinstance(value, str):
        value = replace_lone_surrogates(value)
    return value


def _clean_in_place(root: dict[str, Any] | list[Any], max_depth: int, strings: bool) -> None:
    """Check the nesting depth and (if ``strings``) replace surrogates in strings and keys.

    Iterative, not recursive: the input may be nested just under the JSON parser's own limit.
    """
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise UnsafePayload("JSON nested too deeply")
        if strings and isinstance(node, dict):
            _clean_keys(node)
        slots: list[tuple[Any, Any]] = list(node.items() if isinstance(node, dict) else enumerate(node))
        for slot, value in slots:
            if isinstance(value, dict | list):
                stack.append((value, depth + 1))
            elif strings and isinstance(value, str):
                node[slot] = replace_lone_surrogates(value)


def _clean_keys(node: dict[str, Any]) -> None:
    for key in [k for k in node if LONE_SURROGATE.search(k)]:
        node[replace_lone_surrogates(key)] = node.pop(key)
