"""`broadcast send --wait` delivers from the CLI while `serve` delivers too, on one SQLite file: two processes, two
workers, one slow Telegram group (20 messages a minute, three at once: each process keeps that limit itself), whose
fourteen messages take longer than a delivery lease (15 s). Each row goes out once, the group's messages in the
order they were queued, and `--wait` ends when its broadcast is done."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from core.clock import FakeClock
from storage import chats
from storage.db import Database
from storage.migrate import upgrade
from tests.fakes import FakeLineApi, FakeTelegramApi
from tests.harness import known_person
from tests.procs import ServeProcess
from tests.test_serve_channels import eventually, serve_env

pytestmark = pytest.mark.slow

GROUP = "-1009876543"
TEACHERS = [str(61_000 + i) for i in range(12)]


async def _office(url: str) -> int:
    db = Database(url)
    try:
        await upgrade(db)
        clock = FakeClock()
        for uid in TEACHERS:
            await known_person(db, clock, "telegram", uid, position="teacher", registered_at=clock.now())
        async with db.sessions() as session, session.begin():
            group = await chats.joined(session, "telegram", GROUP, "supergroup", title="ครูอำเภอเมือง", now=clock.now())
            return group.id
    finally:
        await db.dispose()


def _send(env: dict[str, str], *args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(cli, ["broadcast", "send", *args, "--json"], env=env)
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else {}, result.stderr


async def test_wait_beside_serve_on_sqlite_sends_a_slow_groups_rows_once_in_order(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/office.db"
    group_id = await _office(url)
    earlier = [f"ข่าวที่ {i}" for i in range(1, 14)]
    last = "ข่าวที่ 14 ถึงครูทุกคนและกลุ่ม"
    async with FakeLineApi() as line, FakeTelegramApi(per_chat_limit=True) as tg:
        env = serve_env(url, line, tg)
        for text in earlier:  # queued for serve's worker
            code, _, err = await asyncio.to_thread(_send, env, "--audience", f"group:{group_id}", "--text", text)
            assert code == 0, err
        server = ServeProcess(tmp_path, env)
        try:
            await server.wait_ready_async()
            await eventually(lambda: len(tg.sent_texts(GROUP)) >= 1, timeout=30)
            # Now the CLI's own worker joins in, while serve's still has the group's rows to send.
            code, report, err = await asyncio.to_thread(
                _send, env, "--audience", f"group:{group_id}", "--audience", "role:teacher", "--text", last, "--wait"
            )
            assert code == 0, err
            assert report["state"] == "done"
            assert report["totals"] == {"sent": 13, "failed": 0, "blocked": 0, "pending": 0, "cancelled": 0}
            await eventually(lambda: len(tg.sent_texts(GROUP)) >= 14, timeout=90)
            assert await server.terminate_async() == 0
        finally:
            server.close()
    assert tg.sent_texts(GROUP) == [*earlier, last], "each group row once, in the order queued"
    for uid in TEACHERS:
        assert tg.sent_texts(int(uid)) == [last], uid
    sends = [r.at for r in tg.requests if r.method == "sendMessage" and str(r.params.get("chat_id")) == GROUP]
    print(f"\n{len(sends)} calls for the group's 14 messages over {sends[-1] - sends[0]:.0f} s")
    assert sends[-1] - sends[0] >= 15, "the group's sends outlived a lease"
