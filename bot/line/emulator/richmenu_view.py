"""The emulator's rich menu: the page shows the fake Messaging API's default menu as LINE would.

The first time the page asks for it and the fake has none, the menu is deployed to the fake through the same code
as ``tsunagu richmenu deploy`` (over HTTP to this server's ``/emulator/line-api``, serving as both LINE hosts),
so development needs no manual step and every start exercises the deploy.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from bot.line.emulator.fake_richmenu import FakeRichMenus
from bot.line.richmenu_deploy import RichMenuDeployError, deploy_to
from bot.line.richmenu_image import CONTENT_TYPE, FontNotFoundError, render_menu_image

logger = logging.getLogger(__name__)
FAKE_API_PATH = "/emulator/line-api"


@cache
def _menu_image() -> bytes:
    return render_menu_image()


def richmenu_router(menus: FakeRichMenus, token: str) -> APIRouter:
    """``GET /emulator/richmenu`` (the default menu, deployed on first use) and its image."""
    router = APIRouter()
    deploying = asyncio.Lock()

    async def ensure_deployed(request: Request) -> None:
        async with deploying:
            if menus.default_menu() is not None:
                return
            base = str(request.base_url).rstrip("/") + FAKE_API_PATH
            try:
                image = await asyncio.to_thread(_menu_image)
                await deploy_to(base, base, token, image, CONTENT_TYPE)
            except (RichMenuDeployError, FontNotFoundError) as exc:
                logger.warning("the emulator's rich menu could not be deployed: %s", exc)

    @router.get("/richmenu")
    async def read_richmenu(request: Request) -> dict[str, Any]:
        await ensure_deployed(request)
        stored = menus.default_menu()
        if stored is None:
            return {"menu": None}
        menu = stored.menu
        return {"menu": menu, "image": f"/emulator/richmenu/image?id={menu['richMenuId']}"}

    @router.get("/richmenu/image")
    async def read_richmenu_image() -> Response:
        stored = menus.default_menu()
        if stored is None or stored.image is None:
            return JSONResponse({"detail": "no default rich menu"}, status.HTTP_404_NOT_FOUND)
        return Response(stored.image, media_type=stored.content_type,
                        headers={"Cache-Control": "no-cache"})

    return router
