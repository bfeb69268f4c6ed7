"""Security headers on every HTTP response (pure ASGI middleware, so streaming and static files pass through).

The Content-Security-Policy allows only this origin's scripts and styles: pages may not use inline
``<script>``, ``on*=`` handlers or ``style=""`` attributes. FastAPI's interactive API docs (``/docs``,
``/docs/oauth2-redirect``, ``/redoc``; development only) are the one exception: they are built from a CDN
with an inline script, so exactly those paths get a relaxed policy that still forbids framing, plugins and
``<base>``.
Console pages (``/staff``) are also marked ``Cache-Control: no-store`` so personal data is not cached.
In production (served over HTTPS) every response also carries HSTS.

The middleware must wrap the whole application, outside Starlette's ServerErrorMiddleware, or the 500 that
middleware sends for an unhandled exception would go out without these headers: see ``HeaderedFastAPI``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.request_id import RequestIdMiddleware

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN} https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
STAFF_PREFIX = "/staff"
STAFF_STATIC_PREFIX = "/staff/static/"

STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

BASE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def headers_for(path: str, hsts: bool = False) -> dict[str, str]:
    """The security headers for a response to ``path`` (headers a route already set are kept)."""
    headers = dict(BASE_HEADERS)
    if hsts:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY if path in DOCS_PATHS else CONTENT_SECURITY_POLICY
    is_staff_page = path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")
    if is_staff_page and not path.startswith(STAFF_STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeadersMiddleware:
    """Add ``headers_for(path, hsts)`` to every HTTP response that does not already set them."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", ""), self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeaderedFastAPI(FastAPI):
    """FastAPI with ``SecurityHeadersMiddleware`` (inside ``RequestIdMiddleware``) as the outermost layer, so error
    responses (404, 405, 422, 429, and the 500 of an unhandled exception) carry the headers too."""

    def __init__(self, *, hsts: bool = False, **kwargs: Any) -> None:
        self.hsts = hsts
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        # Outermost of all: the request id (core/request_id.py), so the 500 of an unhandled error has one too.
        return RequestIdMiddleware(SecurityHeadersMiddleware(super().build_middleware_stack(), hsts=self.hsts))
