"""What every `phuankru` command module shares: settings, the database, one-line errors, JSON output."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, load_settings
from bot.logs import configure_logging
from core.clock import SystemClock
from storage import audit
from storage.db import Database
from storage.migrate import ensure_current

T = TypeVar("T")

EXIT_USAGE = 2
EXIT_NOT_AVAILABLE = 3


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"phuankru: {message}", err=True)
    sys.exit(code)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


def settings_from_env(**overrides: Any) -> Settings:
    settings = load_settings(**overrides)
    configure_logging(settings.secret_values())
    return settings


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except OSError as exc:
        fail(f"cannot reach the database at {settings.database_url_safe}: {exc}")


class CommandError(Exception):
    """Something the person can put right (a bad file, an unknown group): one line on stderr, nothing changed."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def not_yet(command: str) -> NoReturn:
    fail(f"`{command}` is not yet available in this version of PhuanKru", EXIT_NOT_AVAILABLE)


def checked(work: Callable[[Database], Awaitable[T]]) -> Callable[[Database], Awaitable[T]]:
    """`work` preceded by the schema check, so an un-upgraded database gives one line, not an SQL traceback."""

    async def run(db: Database) -> T:
        await ensure_current(db)
        return await work(db)

    return run


def cli_audit(session: AsyncSession, action: str, target: str, **detail: Any) -> None:
    audit.record(session, at=SystemClock().now(), actor="cli", action=action, target=target, detail=detail)
