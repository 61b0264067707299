"""The webhook routes: verify, store once, answer at once; the handling happens after the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

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
        ids = await services.writer.store(raws)
    except Exception:
        # Nothing stored: 503 makes the platform deliver it again later, so nothing is lost.
        log.exception("webhook.store_failed", channel=channel)
        return web.json_response({"ok": False, "error": "temporarily unavailable"}, status=503)
    for raw in raws:
        metrics.EVENTS_RECEIVED.labels(channel, raw.kind).inc()
    services.processor.submit(ids)
    return web.json_response({"ok": True})


async def line_webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    if services.line is None:
        return _reject("line", 404, "LINE is not configured")
    body = await request.read()
    try:
        raws = services.line.verify(body, request.headers.get("X-Line-Signature"))
    except WebhookRejected as rejected:
        return _reject("line", rejected.status, rejected.reason)
    return await _accept(services, "line", raws)


async def telegram_webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    if services.telegram is None:
        return _reject("telegram", 404, "Telegram is not configured")
    body = await request.read()
    try:
        raws = services.telegram.verify(body, request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
    except WebhookRejected as rejected:
        return _reject("telegram", rejected.status, rejected.reason)
    return await _accept(services, "telegram", raws)


@web.middleware
async def never_5xx(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A webhook that meets a bug answers 400, not 500: platforms retry 5xx, and a retry storm helps nobody."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        if not request.path.startswith("/webhooks/"):
            raise
        log.exception("webhook.unexpected_error", path=request.path)
        return web.json_response({"ok": False, "error": "could not handle this request"}, status=400)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/webhooks/line", line_webhook)
    app.router.add_post("/webhooks/telegram", telegram_webhook)
