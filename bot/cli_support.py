"""What every `phuankru` command module shares: settings, the database, one-line errors, JSON output."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

from bot.config import Settings, load_settings
from bot.logs import configure_logging
from storage.db import Database

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
