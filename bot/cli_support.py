"""What every `phuankru` command module shares: settings, the database, one-line errors, JSON output."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, load_settings
from bot.logs import configure_logging
from core.clock import Clock, SystemClock
from storage import audit
from storage.db import Database
from storage.migrate import ensure_current

T = TypeVar("T")

# DESIGN.md's contract: 0 done (a recipient who blocked the account is an outcome, not a failure); 1 something
# failed that the office can act on; 2 a usage error (a bad option, file or date): nothing was changed.
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_AVAILABLE = 3


def clock_of(ctx: click.Context) -> Clock:
    """The clock from `ctx.obj["clock"]` when one is given (tests: "tomorrow" and "16.30 น." are then fixed
    days), else the system clock."""
    obj = ctx.find_root().obj
    clock = obj.get("clock") if isinstance(obj, dict) else None
    return clock if clock is not None else SystemClock()


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


def checked(work: Callable[[Database], Awaitable[T]]) -> Callable[[Database], Awaitable[T]]:
    """`work` preceded by the schema check, so an un-upgraded database gives one line, not an SQL traceback."""

    async def run(db: Database) -> T:
        await ensure_current(db)
        return await work(db)

    return run


def cli_audit(session: AsyncSession, action: str, target: str, **detail: Any) -> None:
    audit.record(session, at=SystemClock().now(), actor="cli", action=action, target=target, detail=detail)


def read_text_file(path: Path, option: str = "") -> str:
    """A UTF-8 text file a person named (a BOM, as Windows Notepad writes, is dropped); a missing, unreadable or
    non-UTF-8 file is one line and exit 2, never a traceback."""
    where = f"{option} {path}" if option else str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{where} is a folder, not a file") from None
    except OSError as exc:
        raise CommandError(f"cannot read {where}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CommandError(f"{where}: not UTF-8 text (line {line}); save it as UTF-8 and try again") from None
