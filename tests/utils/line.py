"""LINE as the tests wire it: the worker's LINE channel around a sender, and the LINE renderer for replies that
tests read as LINE message JSON (as the worker stores them in the outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.line.channel import LineChannel, LineRenderer
from bot.line.client import LineSender
from bot.line.messages import Message, render
from bot.replies import Say
from retrieval.engine import Retriever

RENDERERS = {"line": LineRenderer()}  # what staff actions render with: every test citizen is on LINE


def line_channels(sender: LineSender, retriever: Retriever) -> list[LineChannel]:
    """The worker's channels: LINE only."""
    return [LineChannel(sender, retriever)]


def as_line(replies: Sequence[Say]) -> list[Message]:
    """``replies`` as the LINE messages stored in the outbox."""
    return render(replies)


class LineRendered:
    """``target`` (a ``Conversation``, an ``AnswerView``, ``CitizenReplies``…) whose methods answer LINE messages:
    every list of replies they return is rendered by the LINE renderer, as the worker stores it; a tuple's
    parts too (``confident_answer``). Attributes and other results are ``target``'s own."""

    def __init__(self, target: object) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def rendered(*args: Any, **kwargs: Any) -> Any:
            return _rendered(value(*args, **kwargs))

        return rendered


def _rendered(result: Any) -> Any:
    if isinstance(result, list) and result and all(isinstance(item, Say) for item in result):
        return render(result)
    if isinstance(result, tuple):
        return tuple(_rendered(item) for item in result)
    return result
