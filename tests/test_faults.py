"""Faults: a killed server, a platform that fails for a while, a database that cannot be written."""

from __future__ import annotations

import asyncio
import json
import signal
import time
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
        # The restart: the dead process's leases (15 s, renewed every 3 s while it lived) run out within seconds.
        restarted = time.monotonic()
        second = ServeProcess(tmp_path, env)
        try:
            await second.wait_ready_async()
            await eventually(lambda: len(tg.sent_counts()) >= 300 and len(line.delivery_counts()) >= 300, timeout=90)
            assert await second.terminate_async() == 0
            log = second.output()
        finally:
            second.close()
        sends = [r.at for r in tg.requests if r.method == "sendMessage"]
        sends += [r.at for r in line.requests if r.path.endswith("/push")]
        last_send = max(at for at in sends if at >= restarted)
        resumed_in = last_send - restarted
        line_counts = line.delivery_counts()
        assert len(line_counts) == 300
        assert set(line_counts.values()) == {1}, (
            "LINE's retry key: a resend after the kill is a 409, not a second message"
        )
        tg_counts = Counter(s.chat_id for s in tg.sent)
        assert len(tg_counts) == 300, "nothing lost"
        doubled = sum(n - 1 for n in tg_counts.values())
        # Every second message went to a row the dead process had in flight: the restart knew it and said so.
        interrupted = sum(
            int(event.get("rows", 0))
            for event in map(json.loads, filter(None, log.splitlines()))
            if event.get("event") == "delivery.resending_interrupted"
        )
        print(
            f"\nSIGKILL after {sent_before} Telegram sends: all sent {resumed_in:.1f} s after the restart began; "
            f"{doubled} doubled, {interrupted} rows resent as in flight"
        )
        assert resumed_in < 30, f"the restart took {resumed_in:.0f} s: it waited for the dead process's leases"
        assert doubled <= interrupted, "a row nobody had in flight was sent twice"
        assert doubled <= 36  # at most the worker's concurrency (16) and the outcomes not yet written (20)


async def test_platform_failing_for_a_while_is_retried_then_delivered(tmp_path: Path, database_url: str) -> None:
    async with FakeLineApi() as line, FakeTelegramApi() as tg:
        env = serve_env(database_url, line, tg)
        assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        await _people(database_url, 5, 5)
        server = ServeProcess(tmp_path, env)
        try:
            await server.wait_ready_async()
            # The outage starts with the server up (it used to end while the server was still starting).
            line.fail_for("multicast", 500, 5)
            tg.fail_for("sendMessage", 502, 5)
            await asyncio.to_thread(_send, database_url, env, "--audience", "all", "--text", "ทดสอบ")
            await eventually(lambda: len(tg.sent) == 5 and len(line.deliveries) == 5, timeout=60)
            assert await server.terminate_async() == 0
        finally:
            server.close()
        # The outage was met (the first calls were refused) and outlived by retries, not by luck of timing.
        multicasts = [r for r in line.requests if r.path.endswith("/multicast")]
        tg_calls = [r for r in tg.requests if r.method == "sendMessage"]
        assert len(multicasts) >= 2, "LINE: a refused multicast, then the one that went through"
        assert len(tg_calls) >= 10, "Telegram: five refused sends at least, then five that went through"
        assert multicasts[-1].at - multicasts[0].at >= 2 and tg_calls[-1].at - tg_calls[0].at >= 2
        assert set(line.delivery_counts().values()) == {1}
        assert set(tg.sent_counts().values()) == {1}
        assert len(line.delivery_counts()) == 5 and len(tg.sent_counts()) == 5


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
                await eventually(lambda: len(tg.sent_counts()) == 200, timeout=120)
                assert await server.terminate_async() == 0
            finally:
                server.close()
            counts = tg.sent_counts()
            assert len(counts) == 200, "nothing lost"
            assert set(counts.values()) == {1}, "each teacher once: a double send counts"
    finally:
        cluster.stop()
