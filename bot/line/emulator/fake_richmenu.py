"""A fake of LINE's rich-menu endpoints, on the API host and on the data host (image upload and download).

It keeps the menus in memory and enforces the rules a deploy can trip over on LINE: a bearer token, the menu's
size and area limits, a PNG or JPEG image of the menu's exact size under 1 MB uploaded once, and an image before
the menu can become the default. ``calls`` records every request (host, operation, body) for tests.
"""

from __future__ import annotations

import io
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 1_000_000
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}


@dataclass
class RichMenuCall:
    host: str  # "api" or "data"
    operation: str  # create, upload, set_default, get_default, list, get, delete, download
    method: str
    path: str  # the route as in LINE's OpenAPI file, e.g. /v2/bot/richmenu/{richMenuId}/content
    rich_menu_id: str | None = None
    body: dict[str, Any] | None = None
    content_type: str | None = None


@dataclass
class StoredMenu:
    menu: dict[str, Any]
    image: bytes | None = None
    content_type: str | None = None


def _error(code: int, message: str, details: list[dict[str, str]] | None = None) -> JSONResponse:
    return JSONResponse({"message": message, **({"details": details} if details else {})}, code)


def menu_problems(menu: dict[str, Any]) -> list[dict[str, str]]:
    """LINE's documented limits a rich menu object breaks (empty when it is acceptable)."""
    problems: list[tuple[str, str]] = []
    size = menu.get("size") or {}
    width, height = size.get("width", 0), size.get("height", 0)
    if not (800 <= width <= 2500 and height >= 250 and width / max(height, 1) >= 1.45):
        problems.append(("size", "width 800-2500, height at least 250, width/height at least 1.45"))
    areas = menu.get("areas") or []
    if not 1 <= len(areas) <= 20:
        problems.append(("areas", "1 to 20 areas"))
    for i, area in enumerate(areas):
        b = area.get("bounds") or {}
        if b.get("x", -1) < 0 or b.get("y", -1) < 0 or b.get("x", 0) + b.get("width", 0) > width \
                or b.get("y", 0) + b.get("height", 0) > height:
            problems.append((f"areas[{i}].bounds", "must lie inside the image"))
    if not menu.get("name") or len(menu["name"]) > 300:
        problems.append(("name", "1 to 300 characters"))
    if not menu.get("chatBarText") or len(menu["chatBarText"]) > 14:
        problems.append(("chatBarText", "1 to 14 characters"))
    return [{"property": p, "message": m} for p, m in problems]


@dataclass
class FakeRichMenus:
    """In-memory rich menus and the default one; ``api_router`` / ``data_router`` serve the two hosts."""

    menus: dict[str, StoredMenu] = field(default_factory=dict)
    default_id: str | None = None
    calls: list[RichMenuCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def default_menu(self) -> StoredMenu | None:
        with self._lock:
            return self.menus.get(self.default_id) if self.default_id else None

    def _record(self, request: Request, host: str, operation: str, menu_id: str | None = None,
                body: dict[str, Any] | None = None) -> JSONResponse | None:
        """Record the call; a 401 response when it has no bearer token."""
        route = request.scope["route"].path
        self.calls.append(RichMenuCall(host, operation, request.method, route[route.index("/v2/"):], menu_id, body,
                                       request.headers.get("content-type")))
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
            return _error(status.HTTP_401_UNAUTHORIZED, "Authentication failed. Confirm that the access token "
                                                        "in the authorization header is valid.")
        return None

    def api_router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/v2/bot/richmenu")
        async def create(request: Request) -> JSONResponse:
            body = await request.json()
            with self._lock:
                if (refused := self._record(request, "api", "create", body=body)) is not None:
                    return refused
                if problems := menu_problems(body):
                    return _error(status.HTTP_400_BAD_REQUEST, f"The request body has {len(problems)} error(s)",
                                  problems)
                menu_id = f"richmenu-{next(self._ids):04d}{secrets.token_hex(12)}"
                self.menus[menu_id] = StoredMenu({"richMenuId": menu_id, "selected": False, **body})
            return JSONResponse({"richMenuId": menu_id})

        @router.get("/v2/bot/richmenu/list")
        async def list_menus(request: Request) -> JSONResponse:
            with self._lock:
                refused = self._record(request, "api", "list")
                return refused or JSONResponse({"richmenus": [m.menu for m in self.menus.values()]})

        @router.get("/v2/bot/richmenu/{richMenuId}")
        async def get(richMenuId: str, request: Request) -> JSONResponse:
            with self._lock:
                if (refused := self._record(request, "api", "get", richMenuId)) is not None:
                    return refused
                stored = self.menus.get(richMenuId)
                return JSONResponse(stored.menu) if stored else _error(404, "Not found")

        @router.delete("/v2/bot/richmenu/{richMenuId}")
        async def delete(richMenuId: str, request: Request) -> JSONResponse:
            with self._lock:
                if (refused := self._record(request, "api", "delete", richMenuId)) is not None:
                    return refused
                if self.menus.pop(richMenuId, None) is None:
                    return _error(status.HTTP_404_NOT_FOUND, "Not found")
                if self.default_id == richMenuId:
                    self.default_id = None
            return JSONResponse({})

        @router.post("/v2/bot/user/all/richmenu/{richMenuId}")
        async def set_default(richMenuId: str, request: Request) -> JSONResponse:
            with self._lock:
                if (refused := self._record(request, "api", "set_default", richMenuId)) is not None:
                    return refused
                stored = self.menus.get(richMenuId)
                if stored is None:
                    return _error(status.HTTP_404_NOT_FOUND, "richmenu not found")
                if stored.image is None:
                    return _error(status.HTTP_400_BAD_REQUEST, "must upload richmenu image before applying it")
                self.default_id = richMenuId
            return JSONResponse({})

        @router.get("/v2/bot/user/all/richmenu")
        async def get_default(request: Request) -> JSONResponse:
            with self._lock:
                if (refused := self._record(request, "api", "get_default")) is not None:
                    return refused
                if self.default_id is None:
                    return _error(status.HTTP_404_NOT_FOUND, "no default richmenu")
                return JSONResponse({"richMenuId": self.default_id})

        return router

    def data_router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/v2/bot/richmenu/{richMenuId}/content")
        async def upload(richMenuId: str, request: Request) -> JSONResponse:
            data = await request.body()
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            with self._lock:
                if (refused := self._record(request, "data", "upload", richMenuId)) is not None:
                    return refused
                stored = self.menus.get(richMenuId)
                if stored is None:
                    return _error(status.HTTP_404_NOT_FOUND, "Not found")
                if stored.image is not None:
                    return _error(status.HTTP_400_BAD_REQUEST, "An image has already been uploaded to the richmenu")
                if problem := _image_problem(data, content_type, stored.menu["size"]):
                    return problem
                stored.image, stored.content_type = data, content_type
            return JSONResponse({})

        @router.get("/v2/bot/richmenu/{richMenuId}/content")
        async def download(richMenuId: str, request: Request) -> Response:
            with self._lock:
                if (refused := self._record(request, "data", "download", richMenuId)) is not None:
                    return refused
                stored = self.menus.get(richMenuId)
                if stored is None or stored.image is None:
                    return _error(status.HTTP_404_NOT_FOUND, "Not found")
                return Response(stored.image, media_type=stored.content_type)

        return router


def _image_problem(data: bytes, content_type: str, size: dict[str, int]) -> JSONResponse | None:
    if content_type not in IMAGE_TYPES:
        return _error(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be image/png or image/jpeg")
    if len(data) > MAX_IMAGE_BYTES:
        return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large")
    try:
        with Image.open(io.BytesIO(data)) as image:
            actual_format, actual_size = image.format, image.size
    except (UnidentifiedImageError, OSError):
        return _error(status.HTTP_400_BAD_REQUEST, "The image is not a PNG or JPEG")
    if actual_format != IMAGE_TYPES[content_type]:
        return _error(status.HTTP_400_BAD_REQUEST, "The image does not match its Content-Type")
    if actual_size != (size["width"], size["height"]):
        return _error(status.HTTP_400_BAD_REQUEST, "The image size must match the rich menu size")
    return None
