"""``GET /metrics`` in Prometheus text format, and the HTTP request metrics of the web app.

Access: a Prometheus scraper cannot log in to the staff console, so ``/metrics`` asks for a bearer token of its
own, ``TSUNAGU_METRICS_TOKEN`` (16+ characters, compared in constant time): ``Authorization: Bearer <token>``.
Without the setting the route answers 404, as if it did not exist; with it, a missing or wrong token gets 401.
The token keeps it closed even when the public reverse proxy forwards ``/metrics``.

What is exported (no label holds a LINE user id, a message text or a raw path):

* ``tsunagu_http_requests_total{method, route, status}`` and ``tsunagu_http_request_duration_seconds{route}``:
  by route template (``/staff/tickets/{ticket_id}``), ``unmatched`` for paths no route serves (scanners);
* ``retrieval.metrics``: decisions by kind and reason, embedding and decision latency;
* ``bot.metrics``: LINE API answers by status; inbox/outbox depth and oldest age, read from the database at
  each scrape.

Several processes (``tsunagu serve --workers N --bot-workers M``): counters and histograms live in the memory
of the process that recorded them, so prometheus-client's multiprocess mode is used when
``PROMETHEUS_MULTIPROC_DIR`` is set: every process writes its values to files in that directory and a scrape,
answered by any web process, adds up all of them (``MultiProcessCollector``). ``tsunagu serve`` sets it for
itself and its children whenever it runs more than one process (``tsunagu.metrics_dir``). Without it (one
process, or ``tsunagu worker`` processes started on their own, e.g. in another container) each process's
numbers are its own: a bot worker's decisions and LINE answers are then not seen by ``/metrics`` on the web
app, so such a worker serves its own on ``TSUNAGU_METRICS_PORT`` (``serve_worker_metrics``; bound to
``TSUNAGU_METRICS_HOST``, loopback by default, no token). The queue gauges come from the shared database, so
they are complete in every mode.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterable
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.metrics import QueueCollector
from tsunagu.settings import Settings

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

HTTP_REQUESTS = Counter(
    "tsunagu_http_requests", "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "tsunagu_http_request_duration_seconds", "Time to answer an HTTP request, by route template.", ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/staff/tickets/{ticket_id}``), never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestMetrics:
    """ASGI middleware counting and timing each HTTP request by route template and status (500 when the app
    raised before answering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = [500]

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            HTTP_REQUESTS.labels(method, route, str(answered[0])).inc()
            HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)


class _ThisProcess:
    """The default registry's metrics (this process only), for a per-scrape registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def process_registry() -> CollectorRegistry:
    """A registry of all processes' values in multiprocess mode, else of this process's."""
    registry = CollectorRegistry()
    if multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    return registry


def scrape(queues: QueueCollector) -> bytes:
    """Every metric in text format (``process_registry``), plus the queue gauges read from the database now."""
    registry = process_registry()
    registry.register(queues)
    return generate_latest(registry)


def serve_worker_metrics(settings: Settings) -> WSGIServer | None:
    """For ``tsunagu worker`` run on its own (another container, another host), whose decisions and LINE answers
    no web app can show: serve them at ``http://{metrics_host}:{metrics_port}/metrics`` (loopback by default; no
    token, so never publish it) when ``TSUNAGU_METRICS_PORT`` is set. The queue gauges are the web app's.

    Not in multiprocess mode (the workers of ``tsunagu serve``: the web app's ``/metrics`` shows them), and a port
    already taken is logged, not fatal: metrics never stop a worker from answering citizens."""
    if settings.metrics_port is None or multiprocess():
        return None
    try:
        server, _ = start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=process_registry())
    except OSError as error:
        logger.warning("metrics: cannot listen on %s:%d (%s); this worker's metrics are not served",
                       settings.metrics_host, settings.metrics_port, error)
        return None
    return server


def check_token(settings: Settings, authorization: str | None) -> None:
    """404 while no token is configured (the endpoint does not exist), 401 for a missing or wrong one."""
    if settings.metrics_token is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    scheme, _, given = (authorization or "").partition(" ")
    expected = settings.metrics_token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "metrics token required",
                            headers={"WWW-Authenticate": "Bearer"})


def make_metrics_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["metrics"], include_in_schema=False)

    def read_metrics(request: Request) -> Response:
        """Prometheus text format, for a scraper holding ``TSUNAGU_METRICS_TOKEN`` (runs in the thread pool: the
        queue gauges query the database)."""
        check_token(settings, request.headers.get("authorization"))
        queues = QueueCollector(lambda: request.app.state.services.engine)
        return Response(scrape(queues), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    router.add_api_route("/metrics", read_metrics, methods=["GET"])
    return router


def add_metrics(app: FastAPI, settings: Settings) -> None:
    """Count every HTTP request and serve ``/metrics`` (token-protected) on ``app``."""
    app.add_middleware(RequestMetrics)
    app.include_router(make_metrics_router(settings))
