"""Retrieval exceptions. ``RetrievalError`` is the base; callers may catch it broadly.

    RetrievalError
    ├── EmbedderError   an embedding backend cannot be loaded or used (names the setting to fix)
    └── IndexNotReady   a search was asked of an index that has not been built
"""


class RetrievalError(Exception):
    """Base of every retrieval error."""


class EmbedderError(RetrievalError):
    """An embedding backend cannot be loaded or used."""


class IndexNotReady(RetrievalError):
    """The index has not been built yet."""
