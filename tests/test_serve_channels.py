"""`phuankru serve` as a real process, wired to the fake LINE and Telegram APIs by their base URLs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from handlers.texts import MENU_COMMANDS, t
from tests.events import line_text, tg_message
from tests.fakes import FakeLineApi, FakeTelegramApi, line_signature
from tests.harness import LINE_SECRET, TELEGRAM_SECRET
from tests.procs import ServeProcess, phuankru_env, run_cli

pytestmark = pytest.mark.slow


async def eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


def serve_env(database_url: str, line: FakeLineApi, tg: FakeTelegramApi, **extra: str) -> dict[str, str]:
    return phuankru_env(
        DATABASE_URL=database_url,
        LINE_CHANNEL_SECRET=LINE_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=line.access_token,
        LINE_API_BASE_URL=line.base_url,
        TELEGRAM_BOT_TOKEN=tg.token,
        TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
        TELEGRAM_API_BASE_URL=tg.base_url,
        **extra,
    )


async def test_webhooks_to_replies_through_a_running_server(tmp_path: Path, database_url: str) -> None:
    async with FakeLineApi() as line, FakeTelegramApi() as tg:
        env = serve_env(database_url, line, tg, PHUANKRU_PUBLIC_URL="https://bot.example.go.th")
        assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        server = ServeProcess(tmp_path, env)
        try:
            await server.wait_ready_async()
            # Set-up on start: Telegram webhook with its secret, and the command menu.
            assert tg.webhook is not None
            assert (tg.webhook.url, tg.webhook.secret) == (
                "https://bot.example.go.th/webhooks/telegram",
                TELEGRAM_SECRET,
            )
            assert [c["command"] for c in tg.commands] == [name for name, _ in MENU_COMMANDS]

            token = line.issue_reply_token(to="Userve")
            body = json.dumps({"destination": "U", "events": [line_text("Userve", "/help", reply_token=token)]})
            async with aiohttp.ClientSession() as session:
                signed = {"X-Line-Signature": line_signature(LINE_SECRET, body.encode())}
                async with session.post(f"{server.url}/webhooks/line", data=body, headers=signed) as response:
                    assert response.status == 200
                update = json.dumps(tg_message(8001, "/help"))
                secret = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
                async with session.post(f"{server.url}/webhooks/telegram", data=update, headers=secret) as response:
                    assert response.status == 200
                await eventually(lambda: len(line.deliveries) >= 4 and len(tg.sent_texts(8001)) >= 4)
                async with session.get(f"{server.url}/metrics") as response:
                    text = await response.text()
            # Strangers: welcome, privacy notice and consent question first, then the answer to /help.
            assert line.delivered_texts("Userve")[0] == t("welcome")
            assert line.delivered_texts("Userve")[-1] == t("help")
            assert tg.sent_texts(8001)[-1] == t("help")
            assert 'phuankru_events_received_total{channel="line",kind="message"} 1.0' in text
            assert 'phuankru_outbox_results_total{channel="telegram",outcome="sent"} 4.0' in text
            assert await server.terminate_async() == 0
        finally:
            server.close()
        log = server.output()
        assert line.access_token not in log
        assert tg.token not in log


async def test_polling_mode_without_a_public_address(tmp_path: Path, database_url: str) -> None:
    async with FakeLineApi() as line, FakeTelegramApi() as tg:
        env = serve_env(database_url, line, tg, TELEGRAM_MODE="polling")
        assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
        server = ServeProcess(tmp_path, env)
        try:
            await server.wait_ready_async()
            tg.add_update(tg_message(8002, "/start"))
            await eventually(lambda: len(tg.sent_texts(8002)) >= 3)
            assert tg.sent_texts(8002)[0] == t("welcome")
            assert tg.webhook is None
            assert await server.terminate_async() == 0
        finally:
            server.close()
