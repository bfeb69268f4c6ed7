"""The settings sections the evals read, joined: eval/ takes them from its caller and never imports the
composition root (``tsunagu``), which joins every section into the app's ``Settings``.

``EvalSettings`` is what an eval reads (the pack, the retrieval, the hand-off routes). The CLI turns the app's
settings into it (``EvalSettings.of``); a module run on its own (``python -m eval.train_routing``) reads it from
the environment (``TSUNAGU_<FIELD>``, as the app does). Schema migrations are the composition root's too: the
caller passes them as a ``Migrate`` (the CLI: ``tsunagu.db.migrate``).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic_settings import BaseSettings

from handoff.settings import HandoffSettings
from knowledge.settings import KnowledgeSettings
from retrieval.settings import RetrievalSettings

Migrate = Callable[[str], object]
"""Bring the database at this URL to the newest schema (``tsunagu.db.migrate``)."""


class EvalSettings(HandoffSettings, RetrievalSettings, KnowledgeSettings):
    """The pack, the retrieval and the hand-off routes: every setting an eval reads."""

    @classmethod
    def of(cls, settings: BaseSettings) -> EvalSettings:
        """The eval's sections of ``settings`` (the app's ``Settings``), with the same values."""
        return cls.model_validate({name: getattr(settings, name) for name in cls.model_fields})
