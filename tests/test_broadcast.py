"""Announcements end to end: audiences, chat flow, schedule, cancel, missed, restart, reports, CLI."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from core.model import OutMessage
from handlers.texts import t
from scheduler.broadcast_jobs import BroadcastJobs
from storage import broadcasts, chats
from storage.broadcast_models import Broadcast
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditLog, OutboxMessage
from tests.fakes import FakeLineApi, FakeTelegramApi
from tests.fakes.threaded import in_thread
from tests.harness import Harness, known_person, running
from tests.test_registration import TelegramPerson

ANNOUNCEMENT = "ขอเชิญครูทุกท่านเข้าร่วมการอบรม “พบเพื่อนครู” วันศุกร์นี้ เวลา 13:30 น."


async def sixty_recipients(h: Harness) -> dict[str, list[str]]:
    """30 LINE teachers, 27 Telegram teachers, a LINE group, a Telegram group and the office's channel."""
    line_ids = [f"Uteacher{i:02d}" for i in range(30)]
    tg_ids = [str(8100 + i) for i in range(27)]
    for uid in line_ids:
        await h.known_person("line", uid, position="teacher", registered_at=h.clock.now())
    for uid in tg_ids:
        await h.known_person("telegram", uid, position="teacher", registered_at=h.clock.now())
    async with h.db.sessions() as session, session.begin():
        await chats.joined(session, "line", "Cschoolgroup", "group", title="ครูอำเภอเมือง", now=h.clock.now())
        await chats.joined(session, "telegram", "-100200", "group", title="ผู้บริหาร", now=h.clock.now())
        await chats.joined(session, "telegram", "-100300", "channel", title="ข่าว สพป.", now=h.clock.now())
    return {"line": line_ids, "telegram": tg_ids}


async def create(h: Harness, audience: list[str], text: str = ANNOUNCEMENT, **extra: object) -> int:
    async with h.db.sessions() as session, session.begin():
        made = await broadcasts.create(
            session,
            author="cli",
            author_contact_id=extra.pop("author_contact_id", None),  # type: ignore[arg-type]
            audience_texts=audience,
            content=OutMessage(text=text),
            now=h.clock.now(),
            at=extra.pop("at", None),  # type: ignore[arg-type]
        )
        return made.id


async def status(h: Harness, broadcast_id: int) -> broadcasts.Status:
    async with h.db.sessions() as session:
        found = await broadcasts.status(session, broadcast_id)
        assert found is not None
        return found


async def test_mixed_audience_of_sixty_gets_it_exactly_once(db: Database) -> None:
    async with running(db) as h:
        people = await sixty_recipients(h)
        broadcast_id = await create(h, ["role:teacher", "group:Cschoolgroup", "group:-100200", "group:-100300"])
        await h.settle()
        line_counts = h.line.delivery_counts()
        assert {to for to, _ in line_counts} == {*people["line"], "Cschoolgroup"}
        assert set(line_counts.values()) == {1}
        tg_counts = h.telegram.sent_counts()
        assert {chat for chat, _ in tg_counts} == {*people["telegram"], "-100200", "-100300"}
        assert set(tg_counts.values()) == {1}
        # LINE people went by one multicast; each group, each Telegram chat by its own call.
        assert [len(r.json["to"]) for r in h.line.requests if r.path.endswith("/multicast")] == [30]
        done = await status(h, broadcast_id)
        assert done.counts == Counter({("line", "sent"): 31, ("telegram", "sent"): 29})
        await BroadcastJobs(db, h.clock).tick()
        assert (await status(h, broadcast_id)).broadcast.state == "done"


async def test_staff_broadcast_in_chat_then_the_report(db: Database) -> None:
    async with running(db) as h:
        staff_id = await h.known_person("telegram", "9001", role="staff")
        for uid in ("9002", "9003"):
            await h.known_person("telegram", uid, position="teacher", registered_at=h.clock.now())
        await h.known_person("line", "Uline1", position="teacher", registered_at=h.clock.now())
        staff = TelegramPerson(h, 9001)
        assert (await staff.say("/broadcast")) == [t("bc_who")]
        chosen = await staff.tap("bc:a:role:teacher")
        assert chosen == [t("bc_chosen", audience="ครู", counts="LINE 1 คน, TELEGRAM 2 คน")]
        assert await staff.tap("bc:next") == [t("bc_content")]
        preview = await staff.say(ANNOUNCEMENT)
        assert preview[0] == ANNOUNCEMENT  # exactly what recipients will see
        assert preview[1].startswith("ตัวอย่างด้านบน")
        assert await staff.say("1") == [t("bc_queued", id=1, total=3)]  # typed "1" = ส่งทันที
        await h.settle()
        assert h.telegram.sent_texts(9002) == [ANNOUNCEMENT]
        assert h.line.delivered_texts("Uline1") == [ANNOUNCEMENT]
        await BroadcastJobs(db, h.clock).tick()
        await h.settle()
        report = h.telegram.sent_texts(9001)[-1]
        assert report.startswith("ผลการส่งประกาศหมายเลข 1\nส่งสำเร็จ 3 | ไม่สำเร็จ 0 | ถูกบล็อก 0")
        async with db.sessions() as session:
            actions = (await session.execute(select(AuditLog.action, AuditLog.actor_contact_id))).all()
        assert ("broadcast.create", staff_id) in actions


async def test_teacher_cannot_broadcast_and_nothing_is_queued(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "9010")
        teacher = TelegramPerson(h, 9010)
        assert await teacher.say("/broadcast") == [t("refused", roles=t("role_staff"))]
        assert await teacher.tap("bc:now") == [t("refused", roles=t("role_staff"))]
        async with db.sessions() as session:
            assert (await session.execute(select(Broadcast))).first() is None


async def test_scheduled_broadcast_fires_at_its_time_and_not_before(db: Database) -> None:
    async with running(db) as h:
        people = await sixty_recipients(h)
        jobs = BroadcastJobs(db, h.clock)
        broadcast_id = await create(h, ["channel:telegram"], at=h.clock.now() + timedelta(hours=2))
        await h.advance(3600)
        assert await jobs.send_due() == 0
        await h.settle()
        assert h.telegram.sent == []
        await h.advance(3600)
        assert await jobs.send_due() == 1
        await h.settle()
        assert {chat for chat, _ in h.telegram.sent_counts()} == set(people["telegram"])
        assert (await status(h, broadcast_id)).broadcast.note is None


async def test_one_missed_during_downtime_is_sent_late_with_a_note_or_reported_missed(db: Database) -> None:
    async with running(db) as h:
        await sixty_recipients(h)
        staff_id = await h.known_person("telegram", "9020", role="staff")
        jobs = BroadcastJobs(db, h.clock)
        late = await create(h, ["channel:telegram"], at=h.clock.now() + timedelta(minutes=10))
        too_late = await create(
            h, ["channel:line"], at=h.clock.now() + timedelta(minutes=10), author_contact_id=staff_id
        )
        async with db.sessions() as session, session.begin():
            row = await session.get(Broadcast, too_late)
            assert row is not None
            row.scheduled_at = h.clock.now() - timedelta(hours=7)  # due seven hours ago: the service was down
        await h.advance(40 * 60)  # back 30 minutes after the first one's time
        assert await jobs.send_due() == 2
        await jobs.finish()
        await h.settle()
        assert "min late" in ((await status(h, late)).broadcast.note or "")
        missed = await status(h, too_late)
        assert missed.broadcast.state == "missed"
        assert not h.line.deliveries
        assert h.telegram.sent_texts(9020)[-1].startswith("ประกาศหมายเลข 2 ไม่ได้ส่ง")


async def test_cancel_stops_what_is_not_yet_sent(db: Database) -> None:
    async with running(db) as h:
        await sixty_recipients(h)
        scheduled = await create(h, ["all"], at=h.clock.now() + timedelta(hours=1))
        sending = await create(h, ["channel:telegram"])
        async with db.sessions() as session, session.begin():
            await broadcasts.cancel(session, scheduled, now=h.clock.now())
            await broadcasts.cancel(session, sending, now=h.clock.now())
        await h.advance(7200)
        await BroadcastJobs(db, h.clock).tick()
        await h.settle()
        assert h.telegram.sent == []
        assert h.line.deliveries == []
        assert (await status(h, sending)).total("cancelled") == 27
        async with db.sessions() as session, session.begin():
            with pytest.raises(broadcasts.BroadcastError):
                await broadcasts.cancel(session, sending, now=h.clock.now())


async def test_restart_mid_broadcast_neither_loses_nor_doubles_on_line(db: Database) -> None:
    async with running(db, line_options={"latency_s": 0.01}) as h:
        ids = [f"Urestart{i:03d}" for i in range(120)]
        for uid in ids:
            await h.known_person("line", uid)
        # One push per person (a reply-style row each) so that the kill lands mid-batch.
        async with db.sessions() as session, session.begin():
            from core.model import Channel, Target
            from storage import outbox

            for uid in ids:
                outbox.enqueue(
                    session, Target(Channel.LINE, "user", uid), [OutMessage(text=ANNOUNCEMENT)], now=h.clock.now()
                )
        worker = h.services.worker
        worker.flush_every = 1000
        task = asyncio.create_task(worker.run_once())
        while len(h.line.deliveries) < 30:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await h.advance(600)  # the lease runs out, as after a restart
        await h.settle()
        counts = h.line.delivery_counts()
        assert len(counts) == 120
        assert set(counts.values()) == {1}


def invoke(url: str, *args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url, **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
async def migrated(database_url: str) -> str:
    database = Database(database_url)
    await upgrade(database)
    await known_person(database, _clock(), "telegram", "7100", position="teacher", registered_at=_clock().now())
    await known_person(database, _clock(), "line", "Ucli", position="teacher", registered_at=_clock().now())
    await database.dispose()
    return database_url


def _clock():  # type: ignore[no-untyped-def]
    from core.clock import FakeClock

    return FakeClock()


def test_cli_send_wait_status_list_and_cancel(migrated: str, tmp_path: Path) -> None:
    with in_thread(FakeLineApi()) as line, in_thread(FakeTelegramApi()) as tg:
        env = {
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": line.access_token,
            "LINE_API_BASE_URL": line.base_url,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
        }
        code, out, err = invoke(
            migrated,
            "broadcast",
            "send",
            "--audience",
            "role:teacher",
            "--text",
            ANNOUNCEMENT,
            "--wait",
            "--json",
            **env,
        )
        assert code == 0, err
        report = json.loads(out)
        assert report["state"] == "done"
        assert report["totals"] == {"sent": 2, "failed": 0, "blocked": 0, "pending": 0, "cancelled": 0}
        assert tg.sent_texts(7100) == [ANNOUNCEMENT]
        assert line.delivered_texts("Ucli") == [ANNOUNCEMENT]

        code, out, _ = invoke(migrated, "broadcast", "status", str(report["id"]), "--json", **env)
        recipients = json.loads(out)["recipients"]
        assert {(r["channel"], r["platform_id"], r["state"]) for r in recipients} == {
            ("telegram", "7100", "sent"),
            ("line", "Ucli", "sent"),
        }
        assert all(r["sent_at"] and r["platform_message_id"] for r in recipients)

        code, out, _ = invoke(
            migrated,
            "broadcast",
            "send",
            "--audience",
            "all",
            "--text",
            "later",
            "--at",
            "2099-01-01T09:00",
            "--json",
            **env,
        )
        later = json.loads(out)
        assert later["state"] == "scheduled"
        assert later["scheduled_at"] == "2099-01-01T02:00:00+00:00"  # 09:00 in Bangkok
        code, out, _ = invoke(migrated, "broadcast", "list", "--json", **env)
        assert [b["id"] for b in json.loads(out)] == [later["id"], report["id"]]
        code, out, _ = invoke(migrated, "broadcast", "cancel", str(later["id"]), "--json", **env)
        assert json.loads(out)["state"] == "cancelled"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--audience", "tag:nobody", "--text", "x"], t("bc_empty_audience")),
        (["--audience", "role:wizard", "--text", "x"], t("bc_bad_audience", value="wizard")),
        (["--audience", "all", "--text", "   "], t("bc_content_empty")),
        (["--audience", "all", "--text", "x", "--at", "2001-01-01T09:00"], t("bc_time_past")),
        (["--audience", "all", "--text", "x", "--image", "http://example.com/a.jpg"], t("url_not_https")),
        (["--audience", "all", "--text", "x", "--image", "https://example.com/a.gif"], t("url_not_image")),
    ],
)
def test_cli_bad_input_is_one_line_and_queues_nothing(migrated: str, args: list[str], expected: str) -> None:
    code, _, err = invoke(migrated, "broadcast", "send", *args)
    assert code == 2
    assert err.strip() == f"phuankru: {expected}"
    assert asyncio.run(_count_rows(migrated)) == (0, 0)


async def _count_rows(url: str) -> tuple[int, int]:
    database = Database(url)
    try:
        async with database.sessions() as session:
            b = len((await session.execute(select(Broadcast.id))).all())
            o = len((await session.execute(select(OutboxMessage.id))).all())
            return b, o
    finally:
        await database.dispose()


def test_cli_local_image_needs_the_public_url_and_a_real_picture(migrated: str, tmp_path: Path) -> None:
    fake_png = tmp_path / "poster.png"
    fake_png.write_bytes(b"GIF89a not a png")
    code, _, err = invoke(
        migrated,
        "broadcast",
        "send",
        "--audience",
        "all",
        "--image",
        str(fake_png),
        PHUANKRU_PUBLIC_URL="https://bot.example.go.th",
    )
    assert code == 2
    assert "poster.png" in err
    real = tmp_path / "real.png"
    real.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    code, _, err = invoke(migrated, "broadcast", "send", "--audience", "all", "--image", str(real))
    assert code == 2
    assert "PHUANKRU_PUBLIC_URL" in err
    code, out, err = invoke(
        migrated,
        "broadcast",
        "send",
        "--audience",
        "all",
        "--image",
        str(real),
        "--json",
        PHUANKRU_PUBLIC_URL="https://bot.example.go.th",
    )
    assert code == 0, err
    content = asyncio.run(_content(migrated, json.loads(out)["id"]))
    assert content["attachment"]["url"].startswith("https://bot.example.go.th/media/")  # type: ignore[index]


async def _content(url: str, broadcast_id: int) -> dict[str, object]:
    database = Database(url)
    try:
        async with database.sessions() as session:
            row = await session.get(Broadcast, broadcast_id)
            assert row is not None
            return row.content
    finally:
        await database.dispose()


async def test_media_files_are_served_by_token_only(db: Database) -> None:
    from storage import media

    async with running(db) as h:
        async with db.sessions() as session, session.begin():
            token = await media.store(
                session, b"\x89PNG\r\n\x1a\nrest", content_type="image/png", filename="poster.png", now=h.clock.now()
            )
        response = await h.client.get(f"/media/{token}")
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert await response.read() == b"\x89PNG\r\n\x1a\nrest"
        assert (await h.client.get("/media/not-a-token")).status == 404
