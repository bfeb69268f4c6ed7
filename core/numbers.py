"""Numbers typed into forms and URLs."""

from __future__ import annotations


def is_ascii_number(text: str) -> bool:
    """Only the digits 0-9: ``str.isdigit`` also accepts 「²」 and other digits that ``int()`` refuses."""
    return text.isascii() and text.isdigit()
