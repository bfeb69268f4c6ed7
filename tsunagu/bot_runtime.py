"""Wiring of the bot worker: its channels (LINE, with the API client from settings), and the worker loop of the app
or CLI."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from linebot.v3.messaging import AsyncMessagingApi, Configuration

from bot.conversation import Conversation
from bot.dispatch import EventDispatcher
from bot.line.channel import LineChannel
from bot.line.client import LineApiClient, LineSender
from bot.worker import BotWorker
from handoff.desk import citizen_desk_from
from handoff.notify import build_hub
from handoff.notify_job import TicketNotificationJob
from tsunagu.container import Services
from tsunagu.retention import purge_daily
from tsunagu.settings import Settings

logger = logging.getLogger(__name__)


@asynccontextmanager
async def messaging_api(settings: Settings) -> AsyncIterator[AsyncMessagingApi]:
    """``AsyncMessagingApi`` pointed at ``LINE_API_BASE`` (LINE itself, or a local fake), on a client that lets
    the sender see LINE's 2xx even when the SDK cannot read the body."""
    token = settings.line_channel_access_token.get_secret_value() if settings.line_channel_access_token else ""
    if not token:
        logger.warning("LINE_CHANNEL_ACCESS_TOKEN is not set: deliveries to %s will be refused", settings.line_api_base)
    async with LineApiClient(Configuration(host=settings.line_api_base, access_token=token)) as client:
        yield AsyncMessagingApi(client)


def make_worker(services: Services, api: AsyncMessagingApi) -> BotWorker:
    """The worker with the channels it answers on: LINE (through ``api``)."""
    settings = services.settings
    signer = services.signer
    conversation = Conversation(services.retriever, signer, settings.data_retention_days)
    dispatcher = EventDispatcher(conversation, citizen_desk_from(settings, signer))
    sender = LineSender(api, max_attempts=settings.delivery_max_attempts)
    notify = TicketNotificationJob(services.engine, build_hub(settings.notifications), settings.public_base_url)
    line = LineChannel(sender, services.retriever)
    return BotWorker(services.engine, dispatcher, [line], jobs=[notify.run_once])


async def run_worker(services: Services, stop: asyncio.Event) -> None:
    """Process the inbox and deliver the outbox until ``stop`` is set, once the index is built: events stored
    meanwhile wait in the inbox (answering them earlier would need the index they are answered from).

    Beside it, once a day across processes, the retention purge (``tsunagu.retention.purge_daily``): it needs no
    index, so it starts at once."""
    retention = asyncio.create_task(purge_daily(
        services.engine, retention_days=services.settings.data_retention_days, stop=stop))
    try:
        await _run_when_indexed(services, stop)
    finally:
        retention.cancel()  # ends with the worker (a purge already in its thread finishes its transaction)


async def _run_when_indexed(services: Services, stop: asyncio.Event) -> None:
    if not services.index.ready:
        logger.info("the worker waits for the search index; stored events are answered once it is built")
    if not await services.index.wait_ready(stop):
        return
    async with messaging_api(services.settings) as api:
        await make_worker(services, api).run(stop)
