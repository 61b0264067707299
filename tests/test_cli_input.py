"""What people type, through the real CLI and the chat against the fake LINE and Telegram APIs, on SQLite and
PostgreSQL: the date forms offices write (one parser for chat and CLI), bad files and options (one line, exit 2,
nothing queued), `--wait`'s exit code and progress bar, `--json` everywhere, typing slips, survey keys with _.

The CLI's clock is a FakeClock handed in through click's context (Monday 5 January 2026, 09:00 in Bangkok), so
"พรุ่งนี้" and "16.30 น." name fixed days."""

from __future__ import annotations

import json
import os
import pty
import select as selectors
import subprocess
import sys
import time as walltime
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import cli
from core.clock import FakeClock
from core.thaidate import thai_datetime
from handlers.texts import t
from storage.broadcast_models import Broadcast
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Contact, OutboxMessage
from storage.survey_models import SurveyCampaign
from tests.fakes import FakeLineApi, FakeTelegramApi
from tests.fakes.threaded import in_thread
from tests.harness import known_person, on_db, running
from tests.procs import phuankru_env
from tests.test_registration import LinePerson, TelegramPerson
from tests.test_survey_flow import import_fixture, report_of, send
from tests.test_thaidate import DAY_ONLY, REFUSED, WITH_TIME

BANGKOK = ZoneInfo("Asia/Bangkok")
SURVEYS = Path(__file__).parent / "fixtures" / "surveys"
ROOT = Path(__file__).parent.parent


def invoke(url: str, *args: str, clock: FakeClock | None = None, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url, **env}, obj={"clock": clock or FakeClock()})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
async def office(database_url: str) -> str:
    """A migrated database with two teachers, one on each platform."""
    database = Database(database_url)
    await upgrade(database)
    clock = FakeClock()
    await known_person(database, clock, "telegram", "7100", position="teacher", registered_at=clock.now())
    await known_person(database, clock, "line", "Ucli", position="teacher", registered_at=clock.now())
    await database.dispose()
    return database_url


def count(url: str, model: type[Any]) -> int:
    async def work(db: Database) -> int:
        async with db.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(model))).scalar_one())

    return on_db(url, work)


def utc(moment: datetime) -> str:
    return moment.replace(tzinfo=BANGKOK).astimezone(UTC).isoformat()


# --- dates: one parser for chat and CLI --------------------------------------------------------------


def test_the_formats_offices_write_through_broadcast_at_and_survey_closes_at(office: str) -> None:
    assert invoke(office, "survey", "import", str(SURVEYS / "hand-computed.yaml"))[0] == 0
    for typed, expected in WITH_TIME:
        code, out, err = invoke(
            office, "broadcast", "send", "--audience", "all", "--text", "x", "--at", typed, "--json"
        )
        assert (code, err) == (0, ""), typed
        assert json.loads(out)["scheduled_at"] == utc(expected), typed
        code, out, err = invoke(
            office, "survey", "send", "test-hand-computed", "--audience", "all", "--closes-at", typed, "--json"
        )
        assert (code, err) == (0, ""), typed
        assert json.loads(out)["closes_at"] == utc(expected), typed
    for typed, day in DAY_ONLY:
        # A survey closes at the end of the day named; an announcement asks for the time rather than guess one.
        code, out, err = invoke(
            office, "survey", "send", "test-hand-computed", "--audience", "all", "--closes-at", typed, "--json"
        )
        assert (code, err) == (0, ""), typed
        assert json.loads(out)["closes_at"] == utc(datetime.combine(day, time(23, 59))), typed
        code, _, err = invoke(office, "broadcast", "send", "--audience", "all", "--text", "x", "--at", typed)
        assert (code, err) == (2, f"phuankru: {t('bc_time_needs_time')}\n"), typed
    for typed in [r for r in REFUSED if r]:
        code, _, err = invoke(office, "broadcast", "send", "--audience", "all", "--text", "x", "--at", typed)
        assert (code, err) == (2, f"phuankru: {t('bc_time_bad')}\n"), typed
        code, _, err = invoke(office, "survey", "send", "test-hand-computed", "--audience", "all", "--closes-at", typed)
        assert (code, err) == (2, f"phuankru: --closes-at: {t('sv_bad_moment', 'en', value=typed)}\n"), typed
    code, _, err = invoke(office, "broadcast", "send", "--audience", "all", "--text", "x", "--at", "5 ธ.ค. 2568 09:00")
    assert (code, err) == (2, f"phuankru: {t('bc_time_past')}\n")  # 2025: the year has passed
    assert count(office, Broadcast) == len(WITH_TIME)
    assert count(office, SurveyCampaign) == len(WITH_TIME) + len(DAY_ONLY)


async def test_the_same_formats_in_the_chats_schedule_step(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "9001", role="staff")
        await h.known_person("telegram", "9002", position="teacher", registered_at=h.clock.now())
        staff = TelegramPerson(h, 9001)

        async def schedule(typed: str) -> list[str]:
            await staff.say("/broadcast")
            await staff.tap("bc:a:role:teacher")
            await staff.tap("bc:next")
            await staff.say("ประชุมครู")
            assert await staff.tap("bc:later") == [t("bc_ask_time")]
            return await staff.say(typed)

        for number, (typed, expected) in enumerate(WITH_TIME, start=1):
            when = expected.replace(tzinfo=BANGKOK)
            assert await schedule(typed) == [t("bc_scheduled", id=number, when=thai_datetime(when, BANGKOK))], typed
            async with db.sessions() as session:
                row = await session.get(Broadcast, number)
                assert row is not None and row.scheduled_at == when, typed
        for typed, _ in DAY_ONLY:
            assert await schedule(typed) == [t("bc_time_needs_time"), t("bc_ask_time")], typed
            await staff.tap("bc:cancel")
        for typed in ["soon", "31 ก.พ. 2569 09:00", "5/13/2569 09:00"]:
            assert await schedule(typed) == [t("bc_time_bad"), t("bc_ask_time")], typed
            await staff.tap("bc:cancel")
        assert await schedule("5 ธ.ค. 2568 09:00") == [t("bc_time_past"), t("bc_ask_time")]
        assert await h.count(Broadcast) == len(WITH_TIME)


async def test_survey_send_in_chat_reads_the_same_dates(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "8300", role="staff")
        await h.known_person("line", "Uclose", position="teacher", registered_at=h.clock.now())
        staff = TelegramPerson(h, 8300)
        for typed, shown in [
            ('closes="5 ธ.ค. 2569 16:30"', "ปิดรับ: 5 ธ.ค. 2569 16:30 น."),
            ("closes=“๕ ธันวาคม ๒๕๖๙”", "ปิดรับ: 5 ธ.ค. 2569 23:59 น."),  # a phone's curly quotes, Thai digits
            ("closes=5/12/2569", "ปิดรับ: 5 ธ.ค. 2569 23:59 น."),
        ]:
            preview = await staff.say(f"/survey send test-hand-computed all {typed}")
            assert shown in preview[0], typed
            assert await staff.say("2") == [t("sv_send_cancelled")]
        assert await staff.say('/survey send test-hand-computed all closes="5 ธ.ค. 2569 25:00"') == [
            t("sv_bad_moment", value="5 ธ.ค. 2569 25:00")
        ]
        assert await h.count(SurveyCampaign) == 0


# --- bad files and options -----------------------------------------------------------------------------


def test_bad_text_files_and_two_attachments_are_one_line_and_queue_nothing(office: str, tmp_path: Path) -> None:
    latin1 = tmp_path / "news.txt"
    latin1.write_bytes("ประกาศ\n".encode() + "café".encode("latin-1"))
    cases = {
        ("--text-file", str(tmp_path / "missing.txt")): f"--text-file {tmp_path / 'missing.txt'}: no such file",
        ("--text-file", str(latin1)): f"--text-file {latin1}: not UTF-8 text (line 2); save it as UTF-8 and try again",
        ("--text", "x", "--image", "https://example.com/a.jpg", "--document", "https://example.com/a.pdf"): (
            "give --image or --document, not both: send the other as a second announcement"
        ),
    }
    for args, message in cases.items():
        code, out, err = invoke(office, "broadcast", "send", "--audience", "all", *args)
        assert (code, out, err) == (2, "", f"phuankru: {message}\n"), args
    assert (count(office, Broadcast), count(office, OutboxMessage)) == (0, 0)
    good = tmp_path / "good.txt"
    good.write_bytes("\ufeffประกาศจากไฟล์\n".encode())  # Notepad's UTF-8 with a BOM
    code, out, err = invoke(office, "broadcast", "send", "--audience", "all", "--text-file", str(good), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["recipients"] == 2


# --- --wait: exit codes and the progress bar -----------------------------------------------------------


def fake_env(line: FakeLineApi, tg: FakeTelegramApi) -> dict[str, str]:
    return {
        "LINE_CHANNEL_SECRET": "s",
        "LINE_CHANNEL_ACCESS_TOKEN": line.access_token,
        "LINE_API_BASE_URL": line.base_url,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
    }


def wait_send(url: str, line: FakeLineApi, tg: FakeTelegramApi, *extra: str) -> tuple[int, str, str]:
    # The system clock here: delivery really happens, with the worker's own timing.
    result = CliRunner().invoke(
        cli,
        ["broadcast", "send", "--audience", "role:teacher", "--text", "ประกาศ", "--wait", *extra],
        env={"DATABASE_URL": url, **fake_env(line, tg)},
    )
    return result.exit_code, result.stdout, result.stderr


def test_wait_with_a_teacher_who_blocked_the_account_exits_0_and_says_so(office: str) -> None:
    with in_thread(FakeLineApi()) as line, in_thread(FakeTelegramApi()) as tg:
        tg.blocked.add(7100)
        code, out, err = wait_send(office, line, tg)
        assert (code, err) == (0, ""), out
        assert out.splitlines()[-1] == "Delivered: 1 sent, 1 blocked the account (not a failure), 0 failed."
        assert line.delivered_texts("Ucli") == ["ประกาศ"]
        # The block is remembered: the next announcement is not even addressed to that teacher.
        code, out, err = wait_send(office, line, tg, "--json")
        assert (code, err) == (0, "")
        assert json.loads(out)["totals"] == {"sent": 1, "failed": 0, "blocked": 0, "pending": 0, "cancelled": 0}


def test_wait_with_a_message_that_failed_exits_1(office: str) -> None:
    with in_thread(FakeLineApi()) as line, in_thread(FakeTelegramApi()) as tg:
        tg.missing.add(7100)  # "chat not found": a failure the office can look into, not a block
        code, out, err = wait_send(office, line, tg)
        assert (code, err) == (1, ""), out
        assert out.splitlines()[-1] == "Delivered: 1 sent, 0 blocked the account (not a failure), 1 failed."
        assert "! telegram:7100 failed:" in out


def test_wait_draws_a_progress_bar_on_a_terminal(office: str) -> None:
    """The real `phuankru` process with its output on a pseudo-terminal, as an office runs it by hand."""
    with in_thread(FakeLineApi()) as line, in_thread(FakeTelegramApi()) as tg:
        env = phuankru_env(DATABASE_URL=office, COLUMNS="100", **fake_env(line, tg))
        leader, follower = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "broadcast", "send", "--audience", "role:teacher", "--text", "x", "--wait"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
        )
        os.close(follower)
        output = b""
        deadline = walltime.monotonic() + 60
        while walltime.monotonic() < deadline:
            ready, _, _ = selectors.select([leader], [], [], 1.0)  # reading a real process's terminal output
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the process closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            elif proc.poll() is not None:
                break
        os.close(leader)
        assert proc.wait(timeout=30) == 0, output
    text = output.decode()
    assert "Delivering  [" in text
    assert "2/2" in text  # the bar counts messages, the last frame every one
    assert "Delivered: 2 sent, 0 blocked the account (not a failure), 0 failed." in text


# --- --json on every command that reports ----------------------------------------------------------------


def test_json_on_the_commands_that_lacked_it(office: str, tmp_path: Path) -> None:
    code, out, err = invoke(office, "db", "current", "--json")
    assert (code, err) == (0, "")
    current = json.loads(out)
    assert current["up_to_date"] is True and current["current"] == current["needed"]

    code, out, err = invoke(office, "staff", "add", "telegram:7100", "--role", "officer")
    assert code == 0, err
    code, out, err = invoke(
        office, "process", "start", "website", "--officer", "telegram:7100", "--json", "--start", "5 ม.ค. 2569"
    )
    assert (code, err) == (0, "")
    started = json.loads(out)
    assert started["start"] == "2026-01-05"
    code, out, err = invoke(
        office, "process", "set-due", str(started["id"]), "2=20 ก.พ. 2569", "3=๒/๓/๒๕๖๙ 14.00 น.", "--json"
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {"step": 2, "due": "2026-02-20", "due_at": None},
        {"step": 3, "due": "2026-03-02", "due_at": "2026-03-02T07:00:00+00:00"},
    ]
    report = tmp_path / "report.xlsx"
    code, out, err = invoke(office, "process", "report", str(started["id"]), "--out", str(report), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "process": started["id"],
        "format": "xlsx",
        "file": str(report),
        "bytes": report.stat().st_size,
    }

    assert invoke(office, "survey", "import", str(SURVEYS / "hand-computed.yaml"))[0] == 0
    code, out, _ = invoke(office, "survey", "send", "test-hand-computed", "--audience", "all", "--json")
    campaign = json.loads(out)["campaign"]
    code, out, err = invoke(office, "survey", "close", str(campaign), "--json")
    assert (code, err, json.loads(out)) == (0, "", {"campaign": campaign, "closed": True})
    code, out, err = invoke(office, "survey", "close", str(campaign), "--json")
    assert json.loads(out) == {"campaign": campaign, "closed": False}

    export = tmp_path / "teachers.csv"
    code, out, err = invoke(office, "contacts", "export", "--out", str(export), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"file": str(export), "format": "csv", "contacts": 2}
    assert export.is_file()


# --- typing slips and survey keys ---------------------------------------------------------------------------


async def test_misordered_marks_match_the_skip_button_in_a_survey(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("line", "Uslip")
        campaign = await send(h, "test-hand-computed", "all")
        person = LinePerson(h, "Uslip")
        assert (await person.say("แบบสอบถาม"))[1].startswith("ข้อ 1/5")
        for answer in ("4", "4", "4", "2"):
            await person.say(answer)
        assert "ขา้ม" != "ข้าม"  # the tone mark typed before the vowel: other code points
        done = await person.say("ขา้ม")
        assert done[0].startswith(t("sv_thanks_changes_open"))
        report = await report_of(h, campaign)
        assert report.texts[0].answers == []  # skipped, not kept as the answer "ขา้ม"


async def test_misordered_marks_match_the_skip_button_in_registration(db: Database) -> None:
    async with running(db) as h:
        teacher = LinePerson(h, "Uslip2")
        await teacher.follow()
        await teacher.say("1")
        await teacher.say("ลงทะเบียน")
        await teacher.say("ครูมานะ")
        await teacher.say("ครู")
        await teacher.say("โรงเรียนที่ไม่มีในรายชื่อ")
        assert (await teacher.say("1"))[0].startswith(t("reg_phone"))
        summary = await teacher.say("ขา้ม")
        assert "โรงเรียนที่ไม่มีในรายชื่อ (รอเจ้าหน้าที่ตรวจสอบ)" in summary[0]
        assert (await teacher.say("1"))[0] == t("reg_done")
        async with db.sessions() as session:
            person = (await session.execute(select(Contact).where(Contact.platform_user_id == "Uslip2"))).scalar_one()
        assert (person.registered_at is not None, person.phone) == (True, None)


def test_a_survey_key_with_an_underscore_imports_and_sends(office: str, tmp_path: Path) -> None:
    source = tmp_path / "ict.yaml"
    text = (SURVEYS / "hand-computed.yaml").read_text(encoding="utf-8")
    assert "key: test-hand-computed" in text
    source.write_text(text.replace("key: test-hand-computed", "key: ict_2569", 1), encoding="utf-8")
    code, out, err = invoke(office, "survey", "import", str(source), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)[0]["key"] == "ict_2569"
    code, out, err = invoke(office, "survey", "send", "ict_2569", "--audience", "all", "--json")
    assert (code, err) == (0, "")
    assert (json.loads(out)["survey"], json.loads(out)["people"]) == ("ict_2569", 2)


def test_the_fake_clock_reaches_the_cli(office: str) -> None:
    """ "พรุ่งนี้" follows the clock handed in, so the tables above are about fixed days."""
    later = FakeClock(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    code, out, _ = invoke(
        office, "broadcast", "send", "--audience", "all", "--text", "x", "--at", "พรุ่งนี้ 08:30", "--json", clock=later
    )
    assert code == 0
    assert json.loads(out)["scheduled_at"] == utc(datetime.combine(date(2026, 3, 2), time(8, 30)))
