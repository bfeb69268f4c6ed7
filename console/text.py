"""Text typed by staff in the console's forms."""

from __future__ import annotations


def normalize_newlines(text: str) -> str:
    """Line ends as ``\\n``: a browser's textarea posts ``\\r\\n``, which LINE and the thread must not get."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
