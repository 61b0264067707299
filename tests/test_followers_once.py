"""`followers:line` beside other audiences: a LINE person who follows the OA gets the announcement once, not twice.

The OA broadcast reaches every follower, so the multicast to the LINE people another spec names would be a second
copy. These tests go through chat and through the CLI; the fake LINE API delivers a broadcast to each follower.
"""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from bot.cli import cli
from core.clock import FakeClock
from handlers.texts import t
from storage.db import Database
from storage.migrate import upgrade
from tests.fakes import FakeLineApi, FakeTelegramApi
from tests.fakes.threaded import in_thread
from tests.harness import known_person, running
from tests.test_registration import TelegramPerson

ANNOUNCEMENT = "ประชุมผู้บริหารสถานศึกษา วันศุกร์นี้ 09.00 น."


async def test_chat_teachers_and_line_followers_each_get_it_once(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "9001", role="staff")
        await h.known_person("telegram", "9002", position="teacher", registered_at=h.clock.now())
        for uid in ("Ufollow1", "Ufollow2"):
            await h.known_person("line", uid, position="teacher", registered_at=h.clock.now())
        h.line.followers = {"Ufollow1", "Ufollow2", "Ufollow3"}
        staff = TelegramPerson(h, 9001)
        await staff.say("/broadcast")
        await staff.tap("bc:a:role:teacher")
        await staff.tap("bc:more")
        chosen = await staff.tap("bc:a:followers:line")
        # The LINE teachers are among the followers: counted once, under the followers.
        assert chosen == [t("bc_chosen", audience="ครู, ผู้ติดตาม LINE OA", counts="TELEGRAM 1 คน, ผู้ติดตาม LINE OA")]
        await staff.tap("bc:next")
        await staff.say(ANNOUNCEMENT)
        assert await staff.say("1") == [t("bc_queued", id=1, total=2)]  # the Telegram teacher + one OA broadcast
        await h.settle()
        assert h.telegram.sent_texts(9002) == [ANNOUNCEMENT]
        for uid in ("Ufollow1", "Ufollow2", "Ufollow3"):
            assert h.line.delivered_texts(uid) == [ANNOUNCEMENT], uid
        endpoints = [d.endpoint for d in h.line.deliveries if d.to.startswith("Ufollow")]
        assert set(endpoints) == {"broadcast"}  # no multicast or push to a follower


def test_cli_teachers_and_line_followers_each_get_it_once(database_url: str) -> None:
    async def seed() -> None:
        database = Database(database_url)
        await upgrade(database)
        clock = FakeClock()
        await known_person(database, clock, "telegram", "7100", position="teacher", registered_at=clock.now())
        await known_person(database, clock, "line", "Ucli", position="teacher", registered_at=clock.now())
        await database.dispose()

    asyncio.run(seed())
    with in_thread(FakeLineApi()) as line, in_thread(FakeTelegramApi()) as tg:
        line.followers = {"Ucli", "Uother"}
        env = {
            "DATABASE_URL": database_url,
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": line.access_token,
            "LINE_API_BASE_URL": line.base_url,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
        }
        args = ["broadcast", "send", "--audience", "role:teacher", "--audience", "followers:line"]
        result = CliRunner().invoke(cli, [*args, "--text", ANNOUNCEMENT, "--wait", "--json"], env=env)
        assert result.exit_code == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["state"] == "done"
        assert report["totals"] == {"sent": 2, "failed": 0, "blocked": 0, "pending": 0, "cancelled": 0}
        assert tg.sent_texts(7100) == [ANNOUNCEMENT]
        assert line.delivered_texts("Ucli") == [ANNOUNCEMENT]
        assert line.delivered_texts("Uother") == [ANNOUNCEMENT]
