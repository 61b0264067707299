"""The async engine and session factory, with the per-database settings PhuanKru relies on."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the webhook writer and the delivery worker work at once; the busy timeout makes a
    # writer wait for the lock instead of failing; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        # No pre-ping: a file does not drop connections, and each ping is one more trip through aiosqlite's
        # thread for every session (several per handled event).
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,  # a restarted PostgreSQL leaves dead connections in the pool
        pool_size=10,
        max_overflow=10,
        pool_timeout=10,
        connect_args={"timeout": 5, "command_timeout": 30},
    )


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class Database:
    """One engine and its session factory for the whole process."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.engine = create_engine(url, echo=echo)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    async def ping(self, within_s: float = 3.0) -> None:
        """Raise unless the database answers and the schema is readable within `within_s` seconds."""
        async with asyncio.timeout(within_s), self.engine.connect() as conn:
            # Reading a real table, not `SELECT 1`: SQLite answers that even when the file is gone.
            await conn.execute(text("SELECT count(*) FROM alembic_version"))

    async def dispose(self) -> None:
        await self.engine.dispose()
