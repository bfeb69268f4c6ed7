"""Waiting in tests for something another thread or process does: one bounded poll, failing with what it waited for.

A test waits for a condition (a reply sent, a row stored, a server ready) rather than sleeping a guessed time: it
goes on as soon as the condition holds, and a stuck worker or server fails the test with a message naming what
never happened instead of hanging it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 15.0
DEFAULT_INTERVAL_S = 0.05


def wait_for(condition: Callable[[], T | None], *, timeout: float = DEFAULT_TIMEOUT_S,
             interval: float = DEFAULT_INTERVAL_S, message: str = "the condition") -> T:
    """Call ``condition`` every ``interval`` seconds until it returns something truthy, and return that value.

    Raises ``AssertionError`` ("gave up waiting for <message> after <timeout> s") when it is still falsy after
    ``timeout`` seconds (its last check is made at or after the deadline, so a slow last poll still counts).
    """
    deadline = time.monotonic() + timeout
    while (value := _poll(condition, deadline, timeout, message)) is None:
        time.sleep(interval)
    return value


async def wait_for_async(condition: Callable[[], T | None], *, timeout: float = DEFAULT_TIMEOUT_S,
                         interval: float = DEFAULT_INTERVAL_S, message: str = "the condition") -> T:
    """``wait_for`` inside an event loop: between polls it yields to the loop (``asyncio.sleep``), so the tasks
    the test waits for keep running. ``condition`` is a plain (quick) function."""
    deadline = time.monotonic() + timeout
    while (value := _poll(condition, deadline, timeout, message)) is None:
        await asyncio.sleep(interval)
    return value


def _poll(condition: Callable[[], T | None], deadline: float, timeout: float, message: str) -> T | None:
    """The condition's value when truthy; None to poll again; raises once the deadline has passed."""
    value = condition()
    if value:
        return value
    if time.monotonic() >= deadline:
        raise AssertionError(f"gave up waiting for {message} after {timeout:g} s")
    return None
