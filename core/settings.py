"""The settings every package shares, and the base of each package's own section.

Each feature package declares the settings it reads as a section (``retrieval/settings.py``, ``bot/settings.py``,
...), a subclass of ``CoreSettings``; the composition root (``tsunagu/settings.py``) joins them into one class.
Every field is read from the environment as ``TSUNAGU_<FIELD>`` (or ``.env``), whichever class reads it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CoreSettings(BaseSettings):
    """Where the data lives, which environment this is, and how logs look."""

    model_config = SettingsConfigDict(
        env_prefix="TSUNAGU_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./tsunagu.db"
    log_format: Literal["json", "text"] | None = Field(
        default=None, description="Log lines as JSON objects or text; default json in production, text in "
        "development (core/logging_setup.py).",
    )
