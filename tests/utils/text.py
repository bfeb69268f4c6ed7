"""Comparison key that ignores width, case, spaces and punctuation (for clash checks in tests)."""

import re
import unicodedata


def squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())
