"""Per-client request limits for public endpoints, on the maintained ``limits`` library.

The counters live in this process's memory: each server process counts on its own, and a restart forgets.
The client is whatever the ASGI server reports (``request.client.host``); behind a reverse proxy that is the
real client only when uvicorn trusts the proxy's ``X-Forwarded-For`` (``FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class ClientRateLimit:
    """At most ``limit`` (e.g. ``"30/minute"``) requests per client in any moving window of that length."""

    def __init__(self, limit: str, name: str) -> None:
        self.item = parse(limit)
        self.name = name
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, client: str) -> int | None:
        """Count a request of ``client``: None if allowed, else the whole seconds until one is allowed again."""
        if self.limiter.hit(self.item, self.name, client):
            return None
        reset_at = self.limiter.get_window_stats(self.item, self.name, client).reset_time
        return max(1, math.ceil(reset_at - time.time()))
