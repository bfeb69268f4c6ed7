"""FastAPI application factory: wires the packages' routers onto one app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.webhook import make_webhook_router
from tsunagu import api
from tsunagu.container import Services, build_services
from tsunagu.settings import Settings, get_settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The app; services (database, retriever) are built at start-up unless given (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is None:
            app.state.services = build_services(settings)
        else:
            app.state.services = services
        yield
        app.state.services.engine.dispose()

    app = FastAPI(title="Tsunagu", lifespan=lifespan)
    app.include_router(api.router)
    app.include_router(make_webhook_router(settings))
    return app
