"""The shared polling helper of the tests (tests/utils/waiting.py): it returns what it waited for, and a wait that
never ends fails with a message naming it."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from tests.utils.waiting import wait_for, wait_for_async


def test_wait_for_returns_the_first_truthy_value_of_the_condition() -> None:
    polls = itertools.count()
    assert wait_for(lambda: next(polls) >= 3 and "ready", interval=0.001) == "ready"
    assert next(polls) == 4  # polled until the value came, not after


def test_wait_for_fails_naming_what_it_waited_for_after_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"^gave up waiting for the reply to the citizen after 0.2 s$"):
        wait_for(lambda: [], timeout=0.2, interval=0.01, message="the reply to the citizen")
    assert time.monotonic() - started >= 0.2


def test_wait_for_async_lets_the_awaited_task_run() -> None:
    done: list[str] = []

    async def main() -> list[str]:
        async def answer() -> None:
            await asyncio.sleep(0.01)
            done.append("answered")

        task = asyncio.create_task(answer())
        found = await wait_for_async(lambda: done, timeout=5, interval=0.001, message="the answer")
        await task
        return found

    assert asyncio.run(main()) == ["answered"]


def test_wait_for_async_fails_naming_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match="gave up waiting for the purge after 0.05 s"):
        asyncio.run(wait_for_async(lambda: False, timeout=0.05, interval=0.01, message="the purge"))
