"""Telegram long polling, for offices without a public HTTPS address: same storing, dedupe and handling."""

from __future__ import annotations

import asyncio

import structlog
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import TelegramChannel
from bot.ingest import InboundWriter
from bot.processing import EventProcessor
from core.clock import Clock

log = structlog.get_logger("phuankru.polling")


async def poll_telegram(
    channel: TelegramChannel,
    writer: InboundWriter,
    processor: EventProcessor,
    clock: Clock,
    stop: asyncio.Event,
    *,
    timeout_s: int = 25,
) -> None:
    """Fetch updates until `stop`; an update is confirmed to Telegram (offset) only once it is stored."""
    # Telegram refuses getUpdates while a webhook is set.
    await channel.bot.delete_webhook()
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        try:
            updates = await channel.fetch_updates(offset, timeout_s)
        except InvalidToken:
            log.error("polling.token_refused", hint="check TELEGRAM_BOT_TOKEN")
            return
        except TelegramError as exc:
            failures += 1
            wait = min(60.0, 2.0**failures)
            log.warning("polling.failed", error=str(exc), retry_in_s=wait)
            await clock.sleep(wait)
            continue
        failures = 0
        if not updates:
            continue
        try:
            stored = await writer.store_events([channel.raw_event(u) for u in updates])
        except Exception:
            # Not confirmed: the same updates come again on the next call.
            log.exception("polling.store_failed")
            await clock.sleep(5.0)
            continue
        processor.submit_stored(stored)
        offset = max(int(u["update_id"]) for u in updates) + 1
