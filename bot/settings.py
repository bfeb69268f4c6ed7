"""The bot package's settings: the LINE channel, the webhook's limits, delivery and the worker."""

from __future__ import annotations

import secrets

from pydantic import AliasChoices, Field, SecretStr, model_validator

from core.settings import CoreSettings


class BotSettings(CoreSettings):
    """LINE's credentials and hosts, the webhook's limits, delivery retries and where the worker runs."""

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
    data_retention_days: int = Field(default=365, ge=1, description="Stated in the privacy notice on follow.")
    webhook_max_body_bytes: int = Field(default=1_000_000, gt=0)
    webhook_max_events: int = Field(
        default=500, gt=0, description="Events one webhook request may carry (LINE sends far fewer); more is 413."
    )
    delivery_max_attempts: int = Field(
        default=5, ge=1, description="Requests to LINE per outbox message in total, across restarts; then it is "
        "marked failed with the reason.",
    )

    @model_validator(mode="after")
    def _check_line_credentials(self) -> BotSettings:
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
