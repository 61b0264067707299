"""The aiohttp application: health, metrics, and (from the channel adapters) the webhooks.

Shared objects live under typed `web.AppKey`s; everything opened at start is closed in `cleanup_ctx`,
so SIGTERM stops accepting requests, lets in-flight ones finish and then closes the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.utils import encode_rfc2231

from aiohttp import web
from aiohttp.helpers import content_disposition_header

from bot import metrics, webhooks
from bot.config import Settings
from bot.logs import get_logger
from bot.services import Services, build_services
from core.clock import Clock
from storage import media, outbox
from storage.db import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
CLOCK = web.AppKey("clock", Clock)

log = get_logger("phuankru.app")


async def healthz(request: web.Request) -> web.Response:
    try:
        await request.app[DATABASE].ping()
    except Exception as exc:  # any failure to reach the database means "not healthy"
        log.warning("health.database_unreachable", error=type(exc).__name__, detail=str(exc)[:200])
        metrics.HEALTH_CHECKS.labels("unavailable").inc()
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    metrics.HEALTH_CHECKS.labels("ok").inc()
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics_endpoint(request: web.Request) -> web.Response:
    # The queue depth is read at scrape time: one cheap count, always current, shared by all replicas.
    try:
        async with request.app[DATABASE].sessions() as session:
            counts = await outbox.count_by_state(session)
        metrics.OUTBOX_DEPTH.set(counts.get("pending", 0) + counts.get("sending", 0))
    except Exception:
        log.warning("metrics.depth_unavailable")
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE_LATEST})


async def media_file(request: web.Request) -> web.Response:
    """Files LINE and Telegram fetch for announcements; the token in the URL is the only key."""
    async with request.app[DATABASE].sessions() as session:
        found = await media.fetch(session, request.match_info["token"])
    if found is None:
        raise web.HTTPNotFound()
    headers = {"Cache-Control": "public, max-age=86400"}
    if found.filename:
        headers["Content-Disposition"] = content_disposition(found.filename)
    return web.Response(body=found.data, content_type=found.content_type, headers=headers)


def content_disposition(filename: str) -> str:
    """`inline` with the platform-supplied file name made safe for a header (RFC 6266).

    The name is whatever the sender's app called the file: a `"` ended the quoted value, CR/LF made aiohttp
    drop the connection, and Thai went out as raw bytes. aiohttp's helper percent-escapes the plain `filename`
    inside its quotes (nothing can break out of them); `filename*=utf-8''…` (RFC 5987, written by the standard
    library's RFC 2231 encoder) carries the exact name, and clients prefer it when both are there.
    """
    plain = content_disposition_header("inline", filename=filename)
    return f"{plain}; filename*={encode_rfc2231(filename, 'utf-8')}"


def create_app(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    services: Services | None = None,
    background: bool = True,
) -> web.Application:
    """The web application. `background=False` leaves processing and delivery to the caller (tests, tour)."""
    # Platform webhooks are far below 1 MB; anything larger is answered 413 before it is read.
    app = web.Application(client_max_size=1024**2, middlewares=[webhooks.never_5xx])
    app[SETTINGS] = settings
    app[DATABASE] = db
    app[CLOCK] = clock
    app[webhooks.SERVICES] = services or build_services(settings, db, clock)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/media/{token}", media_file)
    webhooks.add_routes(app)
    from bot import console  # imported here: bot.console imports this module's keys

    console.add_routes(app)
    if settings.sandbox_enabled and app[webhooks.SERVICES].web is not None:
        # Imported only when on: in production the sandbox is not even loaded, and /sandbox is a 404.
        from bot import sandbox

        sandbox.add_routes(app)
    app.cleanup_ctx.append(_database_lifetime)  # first in, last out: the database outlives the services

    async def services_lifetime(app: web.Application) -> AsyncIterator[None]:
        running = app[webhooks.SERVICES]
        await running.start(background=background)
        yield
        await running.close()

    app.cleanup_ctx.append(services_lifetime)
    return app


async def _database_lifetime(app: web.Application) -> AsyncIterator[None]:
    log.info("database.open", backend=app[DATABASE].backend)
    yield
    await app[DATABASE].dispose()
    log.info("database.closed")
