"""Who may call the public JSON API, and how often.

Every request to ``POST /api/ask`` is counted per client first (so guessing keys is throttled too), then,
when keys are configured, must carry one in ``X-API-Key``. In production the API is not served at all unless
keys are configured (see ``api_enabled``).
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status

from tsunagu.ratelimit import ClientRateLimit
from tsunagu.settings import Settings

API_KEY_HEADER = "X-API-Key"
MESSAGES = {
    "rate_limited": "リクエストが多すぎます。しばらく待ってから、もう一度お試しください。",
    "bad_key": "APIキーが正しくありません。X-API-Key ヘッダーに発行済みのキーを指定してください。",
}


def api_enabled(settings: Settings) -> bool:
    """Development serves the API; production only when API keys are configured."""
    return settings.environment != "production" or bool(settings.api_keys)


class ApiAccess:
    """A FastAPI dependency: 429 past the per-client rate limit, 401 without a valid key (when keys are set)."""

    def __init__(self, settings: Settings) -> None:
        self.keys = [key.get_secret_value().encode() for key in settings.api_keys]
        self.limit = ClientRateLimit(settings.api_rate_limit, "api")

    def __call__(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        wait = self.limit.retry_after(client)
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS, MESSAGES["rate_limited"], headers={"Retry-After": str(wait)}
            )
        if self.keys and not self.key_matches(request.headers.get(API_KEY_HEADER, "")):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, MESSAGES["bad_key"])

    def key_matches(self, given: str) -> bool:
        """Constant-time comparison against every configured key (no early exit that tells which one is close)."""
        offered = given.encode()
        return any([hmac.compare_digest(offered, key) for key in self.keys])
