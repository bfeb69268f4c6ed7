"""Give memory freed by an index build back to the operating system."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

logger = logging.getLogger(__name__)


def release_free_memory() -> None:
    """Collect garbage, then ask glibc to return freed heap pages (``malloc_trim``); a no-op elsewhere.

    Building the lexical indexes creates millions of short-lived token strings. glibc keeps the freed pages
    in its arenas, so without this a serving process would carry the peak of its last build for its lifetime.
    """
    gc.collect()
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return
    trim(0)
