from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.config import load_settings
from core.clock import FakeClock
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import start_pg_cluster


async def client_for(url: str) -> AsyncIterator[tuple[TestClient[object, object], Database]]:
    db = Database(url)
    await upgrade(db)
    app = create_app(load_settings(database_url=url), db, FakeClock())
    async with TestClient(TestServer(app)) as client:
        yield client, db


async def test_healthz_ok_on_both_backends(database_url: str) -> None:
    async for client, _ in client_for(database_url):
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_503_when_sqlite_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "health.db"
    async for client, db in client_for(f"sqlite+aiosqlite:///{path}"):
        assert (await client.get("/healthz")).status == 200
        # As root, chmod does not stop reads; a file that is no longer a database does.
        await db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.write_bytes(b"this is not a database file" * 100)
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "unavailable", "database": "unreachable"}


async def test_healthz_503_when_postgresql_stops_and_200_when_back() -> None:
    cluster = start_pg_cluster()  # its own cluster: stopping the shared one would break other tests
    try:
        url = cluster.url(cluster.create_database())
        async for client, _ in client_for(url):
            assert (await client.get("/healthz")).status == 200
            cluster.halt()
            response = await client.get("/healthz")
            assert response.status == 503
            cluster.resume()
            assert (await client.get("/healthz")).status == 200
    finally:
        cluster.stop()


async def test_metrics_are_prometheus_text(tmp_path: Path) -> None:
    async for client, _ in client_for(f"sqlite+aiosqlite:///{tmp_path}/m.db"):
        await client.get("/healthz")
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        body = await response.text()
        assert 'phuankru_health_checks_total{result="ok"}' in body


@pytest.mark.parametrize("path", ["/nothing", "/webhooks/unknown"])
async def test_unknown_routes_are_404(tmp_path: Path, path: str) -> None:
    async for client, _ in client_for(f"sqlite+aiosqlite:///{tmp_path}/n.db"):
        assert (await client.post(path)).status == 404
