"""The bot worker an app starts in-process, watched through its round counts (``BotWorker.rounds``).

A test that must show something did NOT happen (a redelivered event not answered again) waits for whole worker
rounds that began after its request, instead of sleeping a guessed time: the proof then holds on a slow machine
and costs no more than the rounds take on a fast one.
"""

from __future__ import annotations

import pytest
from linebot.v3.messaging import AsyncMessagingApi

from bot.worker import BotWorker
from tests.utils.waiting import wait_for
from tsunagu import bot_runtime
from tsunagu.container import Services

ROUND_TIMEOUT_S = 30.0  # a round takes an idle pause (0.2 s) plus its work; bounded, so a stuck worker fails


class StartedWorkers:
    """Records each worker the app makes (``tsunagu.bot_runtime.make_worker``): create it before the app starts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.workers: list[BotWorker] = []
        make_worker = bot_runtime.make_worker

        def recorded(services: Services, api: AsyncMessagingApi) -> BotWorker:
            worker = make_worker(services, api)
            self.workers.append(worker)
            return worker

        monkeypatch.setattr(bot_runtime, "make_worker", recorded)

    def worker(self) -> BotWorker:
        """The one worker the app started (waits for it: it starts once the index is built)."""
        wait_for(lambda: self.workers, timeout=ROUND_TIMEOUT_S, message="the app to start its bot worker")
        [worker] = self.workers
        return worker

    def pass_rounds(self, count: int = 2) -> None:
        """Return once ``count`` more inbox rounds, then ``count`` more outbox rounds, have completed: with two,
        a whole inbox round began after this call (what the inbox held is handled) and a whole outbox round
        after that one ended (its replies are sent). Nothing new by then means nothing happened."""
        worker = self.worker()
        _more_rounds(worker, "inbox", count)
        _more_rounds(worker, "outbox", count)


def _more_rounds(worker: BotWorker, loop: str, count: int) -> None:
    wanted = worker.rounds[loop] + count
    wait_for(lambda: worker.rounds[loop] >= wanted, timeout=ROUND_TIMEOUT_S,
             message=f"{count} more {loop} rounds of the bot worker")
