"""Faults: a killed server, a platform that fails for a while, a database that cannot be written."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from bot.cli import cli
from core.clock import FakeClock
from storage.db import Database
from tests.conftest import start_pg_cluster
from tests.events import line_text, tg_message
from tests.fakes import FakeLineApi, FakeTelegramApi, line_signature
from tests.harness import LINE_SECRET, TELEGRAM_SECRET, known_person
from tests.pg import PostgresCluster
from tests.procs import ServeProcess, run_cli
from tests.test_serve_channels import eventually, serve_env

pytestmark = pytest.mark.slow


async def _people(url: str, line_n: int, tg_n: int) -> None:
    db = Database(url)
    try:
        for i in range(line_n):
            await known_person(db, FakeClock(), "line", f"Ukill{i:04d}")
        for i in range(tg_n):
            await known_person(db, FakeClock(), "telegram", str(40_000 + i))
    finally:
        await db.dispose()


def _send(url: str, env: dict[str, str], *args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["broadcast", "send", *args, "--json"], env={**env, "DATABASE_URL": url})
    assert result.exit_code == 0, result.stderr
    return dict(json.loads(result.stdout))


async def test_sigkill_during_a_broadcast_loses_nothing_and_line_gets_nothing_twice(
    tmp_path: Path, database_url: str
) -> None:
    async with FakeLineApi(latency_s=0.02) as line, FakeTelegramApi(latency_s=0.02) as tg:
        env = serve_env(database_url, line, tg)
        assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        await _people(database_url, 0, 300)
        # One LINE push per person: 300 separate calls, so the kill lands in the middle of them.
        from core.clock import FakeClock
        from core.model import Channel, OutMessage, Target
        from storage.db import Database
        from storage.outbox import enqueue

        db = Database(database_url)
        async with db.sessions() as session, session.begin():
            for i in range(300):
                enqueue(
                    session,
                    Target(Channel.LINE, "user", f"Upush{i:04d}"),
                    [OutMessage(text="ข่าว")],
                    now=FakeClock().now(),
                )
        await db.dispose()
        await asyncio.to_thread(_send, database_url, env, "--audience", "channel:telegram", "--text", "ประกาศด่วน")
        first = ServeProcess(tmp_path, env)
        try:
            await first.wait_ready_async()
            await eventually(lambda: len(tg.sent) >= 60 and len(line.deliveries) >= 60, timeout=60)
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(timeout=10)
        finally:
            first.close()
        sent_before = len(tg.sent)
        second = ServeProcess(tmp_path, env)  # the restart: leases of the dead process run out (120 s) ...
        try:
            await second.wait_ready_async()
            # ... so move them along: the test cannot wait two minutes.
            db = Database(database_url)
            async with db.engine.begin() as conn:
                from sqlalchemy import text

                await conn.execute(text("UPDATE outbox SET lease_until = next_attempt_at WHERE state = 'sending'"))
            await db.dispose()
            await eventually(
                lambda: len({s.chat_id for s in tg.sent}) >= 300 and len(line.delivery_counts()) >= 300, timeout=90
            )
            assert await second.terminate_async() == 0
        finally:
            second.close()
        line_counts = line.delivery_counts()
        assert len(line_counts) == 300
        assert set(line_counts.values()) == {1}, (
            "LINE's retry key: a resend after the kill is a 409, not a second message"
        )
        tg_counts = Counter(s.chat_id for s in tg.sent)
        assert len(tg_counts) == 300, "nothing lost"
        doubled = sum(n - 1 for n in tg_counts.values())
        print(f"\nSIGKILL after {sent_before} Telegram sends: {doubled} doubled (the in-flight window)")
        assert doubled <= 32  # at most the worker's concurrency


async def test_platform_failing_for_a_while_is_retried_then_delivered(tmp_path: Path, database_url: str) -> None:
    async with FakeLineApi() as line, FakeTelegramApi() as tg:
        env = serve_env(database_url, line, tg)
        assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        await _people(database_url, 5, 5)
        line.fail_for("multicast", 500, 3)
        tg.fail_for("sendMessage", 502, 3)
        await asyncio.to_thread(_send, database_url, env, "--audience", "all", "--text", "ทดสอบ")
        server = ServeProcess(tmp_path, env)
        try:
            await server.wait_ready_async()
            await eventually(lambda: len(tg.sent) == 5 and len(line.deliveries) == 5, timeout=60)
            assert await server.terminate_async() == 0
        finally:
            server.close()
        assert any(r.path.endswith("/multicast") for r in line.requests[:1])
        assert set(line.delivery_counts().values()) == {1}
        assert set(tg.sent_counts().values()) == {1}


async def test_a_database_that_cannot_be_written_answers_503_and_keeps_nothing_half_done(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    async with FakeLineApi() as line, FakeTelegramApi() as tg:
        env = serve_env(f"sqlite+aiosqlite:///{path}", line, tg)
        assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        # SQLite's read-only mode stands in for a read-only or full disk (root ignores file permissions).
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
        server = ServeProcess(tmp_path, env)
        try:
            await server.wait_ready_async()
            body = json.dumps({"destination": "U", "events": [line_text("Uro", "hi", reply_token="r")]}).encode()
            async with aiohttp.ClientSession() as session:
                headers = {"X-Line-Signature": line_signature(LINE_SECRET, body)}
                async with session.post(f"{server.url}/webhooks/line", data=body, headers=headers) as response:
                    assert response.status == 503  # LINE and Telegram deliver it again later
                update = json.dumps(tg_message(1, "/help")).encode()
                headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
                async with session.post(f"{server.url}/webhooks/telegram", data=update, headers=headers) as response:
                    assert response.status == 503
            assert await server.terminate_async() == 0
            log = server.output()
        finally:
            server.close()
        assert "webhook.store_failed" in log


async def test_postgresql_restart_during_a_broadcast_recovers_without_a_restart(tmp_path: Path) -> None:
    cluster: PostgresCluster = start_pg_cluster()
    try:
        url = cluster.url(cluster.create_database())
        async with FakeLineApi() as line, FakeTelegramApi(latency_s=0.02) as tg:
            env = serve_env(url, line, tg)
            assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
            await _people(url, 0, 200)
            await asyncio.to_thread(_send, url, env, "--audience", "all", "--text", "ประกาศ")
            server = ServeProcess(tmp_path, env)
            try:
                await server.wait_ready_async()
                await eventually(lambda: len(tg.sent) >= 20, timeout=60)
                cluster.halt()
                await asyncio.sleep(2)  # the service meets a dead database for a while (real time: a real server)
                cluster.resume()
                await eventually(lambda: len({s.chat_id for s in tg.sent}) == 200, timeout=120)
                assert await server.terminate_async() == 0
            finally:
                server.close()
    finally:
        cluster.stop()
