"""All configuration in one pydantic-settings class, read from the environment (prefix ``TSUNAGU_``) or ``.env``:
each package's own section (``core/settings.py`` explains), joined here with the app's own settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator

from bot.settings import BotSettings
from handoff.settings import HandoffSettings
from knowledge.settings import KnowledgeSettings
from retrieval.settings import RetrievalSettings

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(HandoffSettings, BotSettings, RetrievalSettings, KnowledgeSettings):
    """Runtime settings. Every field can be set as ``TSUNAGU_<FIELD>`` in the environment."""

    # Public JSON API (POST /api/ask)
    api_keys: list[SecretStr] = Field(
        default=[], description="Keys for POST /api/ask (JSON list; header X-API-Key). Required when set; in "
        "production the API is served only when keys are set.",
    )
    api_rate_limit: str = Field(
        default="30/minute", description="Requests per client IP to POST /api/ask (limits syntax, e.g. '10/second')."
    )

    # Prometheus /metrics (tsunagu/metrics.py)
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token a Prometheus scraper sends to GET /metrics (16+ characters); "
        "unset: /metrics answers 404.",
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="`tsunagu worker` run on its own serves its metrics on this port "
        "(no web app shows them); unset: none.",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address of the worker's metrics port: loopback unless the operator opens "
        "it, e.g. 0.0.0.0 on a private container network (the port has no token).",
    )

    @field_validator("api_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError:
            raise ValueError(f"api_rate_limit must look like '30/minute' or '5/second', not {value!r}") from None
        return value

    @field_validator("api_keys")
    @classmethod
    def _check_api_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        if any(len(key.get_secret_value().strip()) < 16 for key in keys):
            raise ValueError("every API key needs at least 16 characters (e.g. from `openssl rand -hex 32`)")
        return keys

    @field_validator("metrics_token")
    @classmethod
    def _check_metrics_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value().strip()) < 16:
            raise ValueError("metrics_token needs at least 16 characters (e.g. from `openssl rand -hex 32`)")
        return token


def quality_gate_folder(settings: Settings) -> Path | None:
    """The configured quality-gate set, or the pack's own eval set when the repository has one."""
    if settings.quality_gate_set is not None:
        return settings.quality_gate_set
    default = REPO_ROOT / "eval" / "datasets" / settings.pack_dir.name
    return default if default.is_dir() else None


def line_secret(settings: Settings | None) -> str | None:
    """The LINE channel secret as text (``core.logging_setup.use_user_ref_secret`` derives log references from it)."""
    secret = settings.line_channel_secret if settings is not None else None
    return secret.get_secret_value() if secret is not None else None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings instance."""
    return Settings()
