"""FastAPI application factory: wires the packages' routers onto one app.

Routes: ``/callback`` (LINE webhook), ``/staff`` (console), ``POST /api/ask``, ``/healthz`` (liveness),
``/readyz`` (readiness: database, index, knowledge version, inbox age), ``/metrics`` (Prometheus, with
``TSUNAGU_METRICS_TOKEN``), ``/emulator`` (development only) and, in
development, the API docs at ``/docs``. The server listens at once: the first index build runs in a background
thread while the webhook keeps storing events; they are answered as soon as the index is ready.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from analytics.routes import TEMPLATES_DIR as ANALYTICS_TEMPLATES
from analytics.routes import router as analytics_router
from bot.line.webhook import make_webhook_router
from console.accounts.admin_routes import router as accounts_admin_router
from console.accounts.deps import add_auth_exception_handlers
from console.accounts.routes import router as accounts_router
from console.web import add_template_dir, mount_static
from core.logging_setup import use_user_ref_secret
from editor import TEMPLATES_DIR as EDITOR_TEMPLATES
from editor.entries import router as editor_entries_router
from editor.home import router as editor_home_router
from editor.publish import router as editor_publish_router
from editor.quality_gate import QualityGate
from editor.routing import router as editor_routing_router
from editor.transfer import router as editor_transfer_router
from editor.unanswered import router as editor_unanswered_router
from editor.versions import router as editor_versions_router
from handoff.canned_routes import router as canned_router
from handoff.console import TEMPLATES_DIR as HANDOFF_TEMPLATES
from handoff.console import router as console_router
from handoff.desk import routing_from
from tsunagu.api import make_api_router
from tsunagu.bot_runtime import run_worker
from tsunagu.container import Services, build_services, start_index_build
from tsunagu.errors import add_error_handlers
from tsunagu.health import add_health
from tsunagu.live_index import LiveIndex
from tsunagu.metrics import add_metrics
from tsunagu.security import HeaderedFastAPI
from tsunagu.settings import Settings, get_settings, line_secret, quality_gate_folder

DESCRIPTION = (
    "つなぐ: LINE webhook `/callback`, staff console `/staff`, `POST /api/ask`. "
    "`GET /healthz`: 200 while the process is up. `GET /readyz`: 200 when the database answers and the FAQ index "
    "is built (entries, knowledge version, age of the oldest unanswered inbox event), 503 with status "
    "`indexing`, `index_failed` or `database_unreachable` otherwise."
)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The app; services (database, retriever) are made at start-up unless given (tests). An index that is not
    built yet is built in a background thread, so the server listens meanwhile (``/readyz`` says "indexing")."""
    settings = settings or get_settings()
    use_user_ref_secret(line_secret(settings))  # this process's log references, the same in every process
    for folder in (HANDOFF_TEMPLATES, EDITOR_TEMPLATES, ANALYTICS_TEMPLATES):  # pages on the console's frame
        add_template_dir(folder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services or build_services(settings, build_index=False)
        if not app.state.services.index.ready:
            start_index_build(app.state.services)
        app.state.live_index = LiveIndex(app.state.services, poll_s=settings.knowledge_poll_s)
        app.state.quality_gate = QualityGate.from_dataset(quality_gate_folder(settings))
        following = threading.Event()
        app.state.live_index.start(following)  # serves each newly published knowledge version
        stop = asyncio.Event()
        worker = None
        if settings.run_worker_in_process:
            worker = asyncio.create_task(run_worker(app.state.services, stop))
        yield
        stop.set()
        if worker is not None:
            await worker
        following.set()
        app.state.services.engine.dispose()

    production = settings.environment == "production"
    # Production serves no API docs: they would list every route, the staff console's included.
    docs: dict[str, Any] = {"docs_url": None, "redoc_url": None, "openapi_url": None} if production else {}
    app = HeaderedFastAPI(title="Tsunagu", description=DESCRIPTION, lifespan=lifespan, hsts=production, **docs)
    app.state.known_teams = routing_from(settings).teams  # the teams a staff account may have (console.teams)
    mount_static(app)  # before any /staff/{param} route
    add_auth_exception_handlers(app)
    add_error_handlers(app)
    app.include_router(accounts_router)
    app.include_router(accounts_admin_router)
    app.include_router(console_router)
    app.include_router(canned_router)
    app.include_router(analytics_router)
    app.include_router(editor_home_router)
    app.include_router(editor_transfer_router)  # before /staff/faq/{faq_id}
    app.include_router(editor_entries_router)
    app.include_router(editor_publish_router)
    app.include_router(editor_versions_router)
    app.include_router(editor_unanswered_router)
    app.include_router(editor_routing_router)
    add_health(app)
    add_metrics(app, settings)  # GET /metrics (TSUNAGU_METRICS_TOKEN) and request counts by route template
    app.include_router(make_api_router(settings))
    app.include_router(make_webhook_router(settings))
    if settings.emulator:
        from bot.line.emulator.routes import mount_emulator  # development only

        mount_emulator(app, settings)
    return app
