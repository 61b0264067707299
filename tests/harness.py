"""A PhuanKru wired to the fake LINE and Telegram APIs, with a fake clock and no background tasks.

Tests post webhooks through aiohttp's test client, then `settle()` handles the stored events and runs the
delivery worker until nothing is due: every step is explicit, nothing waits on real time.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot import metrics
from bot.app import create_app
from bot.channels.line import LineChannel
from bot.channels.telegram import TelegramChannel
from bot.config import Settings, load_settings
from bot.services import Services, build_services
from core.clock import FakeClock
from handlers.catalogue.office import PRIVACY_NOTICE_VERSION
from storage import contacts
from storage.db import Database
from storage.models import InboundEvent, OutboxMessage
from tests.fakes import FakeLineApi, FakeTelegramApi, line_signature

LINE_SECRET = "test-line-channel-secret"
TELEGRAM_SECRET = "test_webhook_secret-1"


class Harness:
    def __init__(
        self,
        db: Database,
        clock: FakeClock,
        line: FakeLineApi,
        telegram: FakeTelegramApi,
        services: Services,
        client: TestClient[Any, Any],
    ) -> None:
        self.db, self.clock, self.line, self.telegram = db, clock, line, telegram
        self.services, self.client = services, client

    # --- inbound ---------------------------------------------------------------------------------

    async def post_line(self, events: list[dict[str, Any]], *, signature: str | None = "auto") -> ClientResponse:
        body = json.dumps({"destination": "Ubot0000", "events": events}).encode()
        return await self.post_line_body(body, signature=signature)

    async def post_line_body(self, body: bytes, *, signature: str | None = "auto") -> ClientResponse:
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            signature = line_signature(LINE_SECRET, body)
        if signature is not None:
            headers["X-Line-Signature"] = signature
        # A BytesIO body: aiohttp warns that large raw bytes would block the loop.
        return await self.client.post("/webhooks/line", data=io.BytesIO(body), headers=headers)

    async def post_telegram(self, update: dict[str, Any], *, secret: str | None = TELEGRAM_SECRET) -> ClientResponse:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return await self.client.post("/webhooks/telegram", data=json.dumps(update).encode(), headers=headers)

    # --- running the pipeline ----------------------------------------------------------------------

    async def settle(self, *, max_rounds: int = 50) -> None:
        """Handle queued events, then deliver until the outbox has nothing due now."""
        for _ in range(max_rounds):
            await self.services.processor.drain()
            if await self.services.worker.run_once() == 0 and self.services.processor.queue.empty():
                return
        raise AssertionError("the outbox did not settle")

    async def advance(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    async def count(self, model: type[Any], *where: Any) -> int:
        async with self.db.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    async def known_person(self, channel: str, user_id: str, **fields: Any) -> int:
        """A contact who has already met the bot and consented, so a test sees only the reply it is about."""
        return await known_person(self.db, self.clock, channel, user_id, **fields)

    async def stored_events(self) -> int:
        return await self.count(InboundEvent)

    async def outbox_rows(self, *where: Any) -> list[OutboxMessage]:
        async with self.db.sessions() as session:
            return list(
                (await session.execute(select(OutboxMessage).where(*where).order_by(OutboxMessage.id))).scalars()
            )


async def known_person(db: Database, clock: FakeClock, channel: str, user_id: str, **fields: Any) -> int:
    async with db.sessions() as session, session.begin():
        contact, _ = await contacts.get_or_create(session, channel, user_id, now=clock.now())
        contact.consent_at, contact.consent_notice_version = clock.now(), PRIVACY_NOTICE_VERSION
        for name, value in fields.items():
            setattr(contact, name, value)
        return contact.id


def settings_for(db: Database, line: FakeLineApi, telegram: FakeTelegramApi, **extra: Any) -> Settings:
    return load_settings(
        database_url=str(db.engine.url.render_as_string(hide_password=False)),
        line_channel_secret=LINE_SECRET,
        line_channel_access_token=line.access_token,
        line_api_base_url=line.base_url,
        telegram_bot_token=telegram.token,
        telegram_webhook_secret=TELEGRAM_SECRET,
        telegram_api_base_url=telegram.base_url,
        **extra,
    )


@asynccontextmanager
async def running(
    db: Database,
    clock: FakeClock | None = None,
    *,
    line_options: dict[str, Any] | None = None,
    telegram_options: dict[str, Any] | None = None,
    worker_options: dict[str, Any] | None = None,
    settings_extra: dict[str, Any] | None = None,
) -> AsyncIterator[Harness]:
    clock = clock or FakeClock()
    async with FakeLineApi(**(line_options or {})) as line, FakeTelegramApi(**(telegram_options or {})) as telegram:
        settings = settings_for(db, line, telegram, **(settings_extra or {}))
        line_channel = LineChannel(
            channel_secret=LINE_SECRET, access_token=line.access_token, api_base_url=line.base_url, clock=clock
        )
        telegram_channel = TelegramChannel(
            token=telegram.token, api_base_url=telegram.base_url, webhook_secret=TELEGRAM_SECRET
        )
        services = build_services(
            settings, db, clock, line=line_channel, telegram=telegram_channel, worker_options=worker_options
        )
        app = create_app(settings, db, clock, services=services, background=False)
        async with TestClient(TestServer(app)) as client:
            yield Harness(db, clock, line, telegram, services, client)


def webhook_crashes() -> float:
    """Webhook requests that met an unexpected error so far in this process. The middleware answers them 400, like
    a refused body (bot/webhooks.py), so only this counter tells a crash from a rejection."""
    return sum(
        metrics.REGISTRY.get_sample_value("phuankru_webhook_crashes_total", {"channel": channel}) or 0.0
        for channel in ("line", "telegram", "other")
    )


T = TypeVar("T")


def on_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` on a database of its own, from synchronous test code (the CLI tests)."""

    async def run() -> T:
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())
