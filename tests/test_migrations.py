from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from storage.db import Database
from storage.migrate import SchemaBehind, current_revision, downgrade, ensure_current, head_revision, upgrade
from storage.schema import metadata

TABLES = {
    "alembic_version",
    "schools",
    "contacts",
    "contact_tags",
    "chats",
    "chat_tags",
    "inbound_events",
    "outbox",
    "audit_log",
}


async def test_upgrade_creates_schema_and_is_idempotent(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert await current_revision(db) is None
        before, after = await upgrade(db)
        assert (before, after) == (None, head_revision())
        again = await upgrade(db)
        assert again == (head_revision(), head_revision())
        async with db.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert tables >= TABLES
        await ensure_current(db)  # no exception: current
    finally:
        await db.dispose()


async def test_migrations_build_exactly_the_models(db: Database) -> None:
    def diff(conn: Connection) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_downgrade_and_upgrade_again(db: Database) -> None:
    await downgrade(db, "base")
    assert await current_revision(db) is None
    await upgrade(db)
    assert await current_revision(db) == head_revision()


async def test_ensure_current_refuses_an_empty_or_old_database(database_url: str) -> None:
    db = Database(database_url)
    try:
        with pytest.raises(SchemaBehind, match=r"run `phuankru db upgrade` first"):
            await ensure_current(db)
        await upgrade(db)
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
        with pytest.raises(SchemaBehind, match="at 0000"):
            await ensure_current(db)
    finally:
        await db.dispose()


async def test_sqlite_pragmas(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/p.db")
    try:
        async with db.engine.connect() as conn:
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        assert (journal, fks, busy) == ("wal", 1, 5000)
    finally:
        await db.dispose()
