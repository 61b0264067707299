"""The webhook routes: verify, store once, answer at once; the handling happens after the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog
from aiohttp import web

from bot import metrics
from bot.channels.common import WebhookRejected
from bot.services import Services
from storage.inbound import RawEvent

SERVICES = web.AppKey("services", Services)

log = structlog.get_logger("phuankru.webhooks")


def _reject(channel: str, status: int, reason: str) -> web.Response:
    metrics.WEBHOOKS_REJECTED.labels(channel, reason).inc()
    return web.json_response({"ok": False, "error": reason}, status=status)


async def _accept(services: Services, channel: str, raws: list[RawEvent]) -> web.Response:
    try:
        stored = await services.writer.store_events(raws)
    except Exception:
        # Nothing stored: 503 makes the platform deliver it again later, so nothing is lost.
        log.exception("webhook.store_failed", channel=channel)
        return web.json_response({"ok": False, "error": "temporarily unavailable"}, status=503)
    for raw in raws:
        metrics.EVENTS_RECEIVED.labels(channel, raw.kind).inc()
    services.processor.submit_stored(stored)
    return web.json_response({"ok": True})


class Verifier(Protocol):
    def verify(self, body: bytes, credential: str | None) -> list[RawEvent]: ...


def webhook(channel: str, header: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The route of one platform: its adapter checks `header` over the body, then the events are stored."""

    async def route(request: web.Request) -> web.Response:
        services = request.app[SERVICES]
        adapter: Verifier | None = services.line if channel == "line" else services.telegram
        if adapter is None:
            return _reject(channel, 404, f"{channel} is not configured")
        body = await request.read()
        try:
            raws = adapter.verify(body, request.headers.get(header))
        except WebhookRejected as rejected:
            return _reject(channel, rejected.status, rejected.reason)
        return await _accept(services, channel, raws)

    return route


@web.middleware
async def never_5xx(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A webhook that meets a bug answers 400, not 500: platforms retry 5xx, and a retry storm helps nobody. Each
    one is counted (phuankru_webhook_crashes_total), so that a bug hidden behind a 400 is seen, in tests too."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        if not request.path.startswith("/webhooks/"):
            raise
        channel = request.path.removeprefix("/webhooks/")
        metrics.WEBHOOK_CRASHES.labels(channel if channel in ("line", "telegram") else "other").inc()
        log.exception("webhook.unexpected_error", path=request.path)
        return web.json_response({"ok": False, "error": "could not handle this request"}, status=400)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/webhooks/line", webhook("line", "X-Line-Signature"))
    app.router.add_post("/webhooks/telegram", webhook("telegram", "X-Telegram-Bot-Api-Secret-Token"))
