"""Deploy the rich menu with line-bot-sdk v3: create → upload image → set as default → remove our older menus.

The order keeps a menu visible throughout: the old default is replaced before it is deleted. Only menus named
``bot.richmenu.MENU_NAME`` are removed, so menus made in LINE Official Account Manager or by other tools stay.
The image goes to LINE's data host (``api-data.line.me``), everything else to ``api.line.me``; both hosts are
parameters so tests and the emulator point them at the fake Messaging API.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiohttp import ClientError
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    RichMenuRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot.line.richmenu import rich_menu_request

T = TypeVar("T")


class RichMenuApi(Protocol):
    """The calls of ``AsyncMessagingApi`` that deploy uses."""

    async def create_rich_menu(self, rich_menu_request: RichMenuRequest, **kwargs: Any) -> Any: ...

    async def set_default_rich_menu(self, rich_menu_id: str, **kwargs: Any) -> Any: ...

    async def get_rich_menu_list(self, **kwargs: Any) -> Any: ...

    async def delete_rich_menu(self, rich_menu_id: str, **kwargs: Any) -> Any: ...


class RichMenuBlobApi(Protocol):
    """The call of ``AsyncMessagingApiBlob`` (data host) that deploy uses."""

    async def set_rich_menu_image(self, rich_menu_id: str, body: bytes, **kwargs: Any) -> Any: ...


class RichMenuDeployError(Exception):
    """A step LINE refused (``status`` is its HTTP status) or could not be reached for (``status`` is None)."""

    def __init__(self, step: str, status: int | None, detail: str) -> None:
        self.step, self.status, self.detail = step, status, detail
        where = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{step}: {where}: {detail}")


@dataclass(frozen=True)
class DeployResult:
    rich_menu_id: str
    removed: tuple[str, ...]


async def deploy_rich_menu(
    api: RichMenuApi, blob: RichMenuBlobApi, image: bytes, content_type: str,
    request: RichMenuRequest | None = None,
) -> DeployResult:
    """Create the menu, upload ``image``, make it every user's default, then delete our earlier menus."""
    request = request or rich_menu_request()
    created = await _step("create rich menu", api.create_rich_menu(request))
    menu_id: str = created.rich_menu_id
    try:
        await _step("upload image", blob.set_rich_menu_image(menu_id, image, _headers={"Content-Type": content_type}))
        await _step("set default rich menu", api.set_default_rich_menu(menu_id))
    except RichMenuDeployError:
        await _delete_quietly(api, menu_id)  # do not leave a half-made menu behind
        raise
    listed = await _step("list rich menus", api.get_rich_menu_list())
    old = tuple(m.rich_menu_id for m in listed.richmenus if m.name == request.name and m.rich_menu_id != menu_id)
    for old_id in old:
        await _step("delete old rich menu", api.delete_rich_menu(old_id))
    return DeployResult(menu_id, old)


async def _step(step: str, call: Awaitable[T]) -> T:
    try:
        return await call
    except ApiException as exc:
        raise RichMenuDeployError(step, exc.status, _line_message(exc)) from exc
    except (ClientError, OSError, TimeoutError) as exc:
        raise RichMenuDeployError(step, None, f"{type(exc).__name__}: {exc}") from exc


async def _delete_quietly(api: RichMenuApi, menu_id: str) -> None:
    try:
        await api.delete_rich_menu(menu_id)
    except (ApiException, ClientError, OSError, TimeoutError):
        pass  # the next deploy removes it by name anyway


def _line_message(exc: ApiException) -> str:
    """LINE's ``message`` (and details) from an error body, else the HTTP reason."""
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    try:
        data = json.loads(body or "")
    except ValueError:
        return str(exc.reason or body or "")
    if not isinstance(data, dict):
        return str(exc.reason or "")
    details = "; ".join(f"{d.get('property', '')} {d.get('message', '')}".strip()
                        for d in data.get("details") or [] if isinstance(d, dict))
    message = str(data.get("message") or exc.reason or "")
    return f"{message} ({details})" if details else message


@asynccontextmanager
async def line_apis(api_base: str, data_base: str, token: str) -> AsyncIterator[tuple[AsyncMessagingApi,
                                                                                        AsyncMessagingApiBlob]]:
    """``AsyncMessagingApi`` on ``api_base`` and ``AsyncMessagingApiBlob`` on ``data_base``, with ``token``."""
    async with (AsyncApiClient(Configuration(host=api_base, access_token=token)) as client,
                AsyncApiClient(Configuration(host=data_base, access_token=token)) as data_client):
        yield AsyncMessagingApi(client), AsyncMessagingApiBlob(data_client)


async def deploy_to(api_base: str, data_base: str, token: str, image: bytes, content_type: str) -> DeployResult:
    """Deploy the rich menu to the Messaging API at ``api_base`` / ``data_base`` (LINE, or a fake)."""
    async with line_apis(api_base, data_base, token) as (api, blob):
        return await deploy_rich_menu(api, blob, image, content_type)
