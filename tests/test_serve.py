from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.pg import PostgresCluster
from tests.procs import ServeProcess, phuankru_env, run_cli

pytestmark = pytest.mark.slow

SECRETS = {
    "LINE_CHANNEL_SECRET": "line-secret-0123456789abcdef",
    "LINE_CHANNEL_ACCESS_TOKEN": "line-access-token-ZYXWVUTSRQ",
    "TELEGRAM_BOT_TOKEN": "123456789:AAH-telegram-token-value",
    "TELEGRAM_WEBHOOK_SECRET": "telegram_webhook_secret_42",
}


@pytest.fixture
def server_url(request: pytest.FixtureRequest, database_url: str) -> tuple[str, str | None]:
    """The test database's URL, on PostgreSQL with a password in it (trust auth ignores it) to prove it is masked."""
    if database_url.startswith("postgresql"):
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        name = database_url.rsplit("/", 1)[1]
        return cluster.url(name, password="pg-password-hunter2"), "pg-password-hunter2"
    return database_url, None


def test_serve_starts_answers_and_stops_on_sigterm_without_leaking_secrets(
    tmp_path: Path, server_url: tuple[str, str | None]
) -> None:
    url, password = server_url
    env = phuankru_env(
        DATABASE_URL=url,
        LINE_API_BASE_URL="http://127.0.0.1:9",
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
        **SECRETS,
    )
    upgrade = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    server = ServeProcess(tmp_path, env)
    try:
        server.wait_ready()
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            assert json.load(response) == {"status": "ok", "database": "ok"}
        assert server.terminate() == 0
        log = server.output()
    finally:
        server.close()

    secrets = list(SECRETS.values()) + ([password] if password else [])
    leaked = [s for s in secrets if s in log + upgrade.stdout + upgrade.stderr]
    assert leaked == []
    events = [json.loads(line) for line in log.splitlines() if line.strip()]  # JSON lines, every one
    names = [e["event"] for e in events]
    assert names[0] == "serve.starting"
    assert {"serve.listening", "database.closed", "serve.stopped"} <= set(names)
    assert names.index("database.closed") < names.index("serve.stopped")
    if password:
        starting = events[0]
        assert "***" in starting["database"]


def test_serve_refuses_a_database_that_is_behind(tmp_path: Path, database_url: str) -> None:
    result = run_cli("serve", "--port", "9", cwd=tmp_path, env=phuankru_env(DATABASE_URL=database_url))
    assert result.returncode == 1
    assert "run `phuankru db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_says_so_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    env = phuankru_env(DATABASE_URL="postgresql+asyncpg://u:pw-not-shown@127.0.0.1:9/nope")
    result = run_cli("serve", "--port", "9", cwd=tmp_path, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("phuankru: cannot reach the database at postgresql+asyncpg://u:***@127.0.0.1:9/nope")
    assert "pw-not-shown" not in result.stderr
    assert "Traceback" not in result.stderr
