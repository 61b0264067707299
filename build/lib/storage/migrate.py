"""Alembic, driven from code: `phuankru db upgrade` and the start-up check that the schema is current."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.db import Database


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "storage:migrations")
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to `revision`; return (before, after). Running it again changes nothing."""

    def run(conn: Connection) -> tuple[str | None, str | None]:
        before = _current(conn)
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        return before, _current(conn)

    async with db.engine.begin() as conn:
        return await conn.run_sync(run)


async def downgrade(db: Database, revision: str) -> None:
    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


class SchemaBehind(Exception):
    """The database is older than the code: `phuankru db upgrade` must run first."""


async def ensure_current(db: Database) -> None:
    current, head = await current_revision(db), head_revision()
    if current != head:
        raise SchemaBehind(
            f"the database schema is {'empty' if current is None else 'at ' + current}, this version needs {head}: "
            "run `phuankru db upgrade` first"
        )
