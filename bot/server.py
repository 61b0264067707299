"""`phuankru serve`: build the application on a checked database and run it until SIGTERM/SIGINT."""

from __future__ import annotations

import ipaddress

from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from bot.logs import get_logger
from core.clock import Clock, SystemClock
from storage.db import Database
from storage.migrate import ensure_current

log = get_logger("phuankru.serve")

SHUTDOWN_TIMEOUT_S = 15.0


class StartupError(Exception):
    """PhuanKru cannot start; the message is one line for the person starting it."""


async def open_checked_database(settings: Settings) -> Database:
    """Open the database and make sure its schema is current; raise `StartupError` otherwise."""
    db = Database(settings.database_url)
    try:
        await ensure_current(db)
    except (TimeoutError, OSError, ConnectionError) as exc:
        await db.dispose()
        raise StartupError(f"cannot reach the database at {settings.database_url_safe}: {exc}") from None
    except Exception:
        await db.dispose()
        raise
    return db


def log_channels(settings: Settings) -> None:
    if settings.line_enabled:
        log.info("channel.on", channel="line", api=settings.line_api_base_url)
    else:
        log.info(
            "channel.off",
            channel="line",
            reason="LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not both set",
        )
    if settings.telegram_enabled:
        log.info("channel.on", channel="telegram", mode=settings.telegram_mode, api=settings.telegram_api_base_url)
    else:
        log.info("channel.off", channel="telegram", reason="TELEGRAM_BOT_TOKEN is not set")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to an address others reach


def run_server(settings: Settings, *, host: str, port: int, clock: Clock | None = None) -> None:
    clock = clock or SystemClock()

    async def build() -> web.Application:
        db = await open_checked_database(settings)
        log.info("serve.starting", database=settings.database_url_safe, timezone=settings.phuankru_timezone)
        log_channels(settings)
        if settings.sandbox_enabled:
            log.warning(
                "sandbox.on",
                url=f"http://{host}:{port}/sandbox",
                risk="no login: whoever reaches this address can act as any person, staff included",
                loopback_only=is_loopback(host),
            )
        app = create_app(settings, db, clock)

        async def announce(_app: web.Application) -> None:
            log.info("serve.listening", url=f"http://{host}:{port}")

        app.on_startup.append(announce)
        return app

    web.run_app(
        build(),
        host=host,
        port=port,
        print=None,
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        handle_signals=True,
    )
    log.info("serve.stopped")
