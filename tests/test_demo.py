"""`phuankru demo`: the demo clock, the seeded database, the served sandbox, and the scripted tour."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import demo_tour
from bot.cli import cli
from bot.demo import PERSONAS, SpeedClock, demo_settings, office_calendar, seed
from core.clock import FakeClock
from storage.db import Database
from storage.models import Chat, Contact, School
from storage.process_models import ProcessRun, ProcessTemplate
from storage.survey_models import SurveyDefinition
from tests.pg import free_port
from tests.procs import phuankru_env

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


# --- the demo clock ---------------------------------------------------------------------------------------


def test_speed_clock_runs_faster_jumps_ahead_and_never_goes_back() -> None:
    real = FakeMonotonic()
    clock = SpeedClock(START, monotonic=real)
    real.value += 10
    assert clock.now() == START + timedelta(seconds=10)
    clock.set_rate(3600)  # an hour a second
    real.value += 2
    assert clock.now() == START + timedelta(seconds=10, hours=2)
    before = clock.monotonic()
    assert clock.advance(timedelta(days=1)) == START + timedelta(days=1, hours=2, seconds=10)
    assert clock.monotonic() == before + 86400
    clock.set_rate(1)
    real.value += 1
    assert clock.now() == START + timedelta(days=1, hours=2, seconds=11)
    with pytest.raises(ValueError, match="forwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="forwards"):
        clock.set_rate(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        SpeedClock(datetime(2026, 1, 5))


async def test_speed_clock_sleeps_the_real_time_that_makes_the_demo_time() -> None:
    clock = SpeedClock(rate=3600)
    started = time.monotonic()
    await clock.sleep(3600)  # an hour of demo time: one real second
    assert 0.9 <= time.monotonic() - started < 3


# --- seeding ----------------------------------------------------------------------------------------------


async def count(db: Database, model: type[object], *where: object) -> int:
    async with db.sessions() as session:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return int((await session.execute(query)).scalar_one())


async def test_seed_fills_the_demo_database_once(db: Database) -> None:
    clock = FakeClock(START)
    calendar = office_calendar(demo_settings())
    first = await seed(db, clock, calendar)
    assert (first.schools, first.people, first.surveys, first.templates, first.processes, first.missing) == (
        10, 8, 2, 8, 1, (),
    )  # fmt: skip
    again = await seed(db, clock, calendar)
    assert (again.schools, again.people, again.surveys, again.templates, again.processes) == (0, 0, 0, 0, 0)
    assert await count(db, School) == 10
    assert await count(db, Contact, Contact.channel == "web", Contact.registered_at.is_not(None)) == len(PERSONAS)
    assert await count(db, Chat, Chat.channel == "web") == 1
    assert await count(db, SurveyDefinition) == 2
    assert await count(db, ProcessTemplate) == 8
    assert await count(db, ProcessRun) == 1
    async with db.sessions() as session:
        roles = dict((await session.execute(select(Contact.platform_user_id, Contact.role))).all())
        schools = (await session.execute(select(func.count(func.distinct(Contact.school_id))))).scalar_one()
    assert (roles["staff-1"], roles["officer-1"], roles["admin-1"], roles["teacher-3"]) == (
        "staff", "officer", "admin", "teacher",
    )  # fmt: skip
    assert schools == 5  # five teachers in five different schools


def test_demo_settings_ignore_real_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "real-secret")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "real-token")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:real")
    settings = demo_settings()
    assert (settings.line_enabled, settings.telegram_enabled, settings.sandbox_enabled) == (False, False, True)
    assert settings.database_url.endswith("/phuankru-demo.db")


# --- the tour ---------------------------------------------------------------------------------------------


def test_tour_walks_the_three_jobs_and_ends_with_the_report_table() -> None:
    result = CliRunner().invoke(cli, ["demo", "--tour"])
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in ("(registration)", "(broadcast)", "(survey)", "(process reminders)", "(survey report)"):
        assert heading in out
    assert "[ครูคนใหม่] 👆 ยินยอม" in out
    assert f"[ครูสมศรี ใจดี] 🤖 {demo_tour.ANNOUNCEMENT}" in out
    table = out[out.index("=== ตารางรายงานผลแบบสอบถาม") :]
    for mean in demo_tour.EXPECTED_MEANS:
        assert mean in table
    assert out.rstrip().endswith("✓ Every step behaved as expected.")


def test_tour_stops_at_the_first_surprise_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_tour, "EXPECTED_MEANS", ("1.00", "1.00", "1.00"))
    out = io.StringIO()
    assert demo_tour.run_tour(out) == 1
    last = out.getvalue().rstrip().splitlines()[-1]
    assert last.startswith("✗ TOUR FAILED: the staff view shows the means ('1.00', '1.00', '1.00'); saw: ('4.00'")


# --- `phuankru demo` as the newcomer runs it ----------------------------------------------------------------


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except OSError:
        return 0, b""


def _post(url: str) -> int:
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_demo_serves_the_sandbox_on_its_own_database_without_real_channels(tmp_path: Path) -> None:
    port = free_port()
    # Credentials in the environment must not matter: a demo never talks to a real LINE or Telegram account.
    env = phuankru_env(
        LINE_CHANNEL_SECRET="line-secret", LINE_CHANNEL_ACCESS_TOKEN="line-token", LINE_API_BASE_URL="http://127.0.0.1:9",
        TELEGRAM_BOT_TOKEN="123:token", TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
    )  # fmt: skip
    for run in ("first", "second"):
        log = tmp_path / f"demo-{run}.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "demo", "--port", str(port)],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 60
                while _get(f"http://127.0.0.1:{port}/healthz")[0] != 200:
                    assert proc.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)  # a real process starting up: no clock to inject
                status, page = _get(f"http://127.0.0.1:{port}/sandbox")
                assert status == 200 and "เพื่อนครู".encode() in page
                personas = json.loads(_get(f"http://127.0.0.1:{port}/sandbox/api/personas")[1])
                assert [p["id"] for p in personas["personas"]] == [p.id for p in PERSONAS]
                assert _post(f"http://127.0.0.1:{port}/webhooks/line") == 404  # LINE is off in a demo
            finally:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=30) == 0
        text = log.read_text()
        assert f"open http://127.0.0.1:{port}/sandbox" in text
        assert '"channel": "line", "reason"' in text and '"event": "channel.off"' in text
        if run == "first":
            assert "Demo database ./phuankru-demo.db created" in text
            assert "Demo data added: 10 schools, 8 people, 2 surveys, 8 process templates" in text
        else:
            assert "Demo data already in place." in text
    assert (tmp_path / "phuankru-demo.db").exists()


def test_demo_help_keeps_its_options() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert all(option in result.output for option in ("--tour", "--host", "--port"))


def test_tour_runs_without_an_event_loop_already_running() -> None:
    # `phuankru demo --tour` starts its own loop; nothing may be left running after it.
    assert demo_tour.run_tour(io.StringIO()) == 0
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
