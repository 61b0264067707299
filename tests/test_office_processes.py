"""Starting a process is one office action (#15): from chat and from the CLI, on fresh databases, it leaves the same
process, steps, reminders, step log and audit rows; only who did it differs ("telegram:…" in chat, "cli" at the
terminal). The action's own checks (who may start, assign, act on a step, correct due dates) are tested on it."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from core.actor import Actor
from core.calendar import OfficeCalendar
from core.clock import FakeClock
from handlers.office import processes as office
from handlers.office.acting import Refused
from handlers.texts import t
from storage import processes as repo
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditLog, OutboxMessage, Role
from storage.process_models import ProcessError, ProcessReminder, ProcessRun, ProcessStep, StepLog
from tests.harness import known_person, running
from tests.test_registration import TelegramPerson

ADMIN, OFFICER, TEACHER = "9401", "9402", "9403"
KEY = "website"
CALENDAR = OfficeCalendar(timezone=ZoneInfo("Asia/Bangkok"))
# What differs by design between two runs on fresh databases: ids, moments, and who did it.
IGNORED = {"id", "process_id", "step_id", "template_id", "created_at", "updated_at", "reached_at", "at"}
WHO = {"created_by", "actor", "actor_contact_id"}


@pytest.fixture
async def cli_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second fresh database on the same backend as `db`, for the CLI."""
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path}/phuankru-cli.db"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.url(cluster.create_database())
    database = Database(url)
    await upgrade(database)
    await database.dispose()
    return url


async def seed_people(db: Database, clock: FakeClock) -> dict[str, int]:
    """The same people in each database, created in the same order (so contact ids match too)."""
    return {
        ADMIN: await known_person(db, clock, "telegram", ADMIN, role=Role.ADMIN.value, display_name="ผู้ดูแล"),
        OFFICER: await known_person(db, clock, "telegram", OFFICER, role=Role.OFFICER.value, display_name="ครูเอ"),
        TEACHER: await known_person(db, clock, "telegram", TEACHER, role=Role.TEACHER.value),
    }


def run_cli(url: str, clock: FakeClock, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url}, obj={"clock": clock})
    assert result.exit_code == 0, result.output
    return result.stdout


async def phuankru(url: str, clock: FakeClock, *args: str) -> str:
    # The CLI runs its own event loop: in a thread, as in a terminal beside the test's loop.
    return await asyncio.to_thread(run_cli, url, clock, *args)


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in IGNORED | WHO}


async def snapshot(db: Database) -> dict[str, Any]:
    """The rows starting a process leaves, without what differs by design (ids, moments, the actor)."""
    async with db.sessions() as session:

        async def rows(model: Any, *order: Any) -> list[dict[str, Any]]:
            return [_columns(r) for r in (await session.execute(select(model).order_by(*order))).scalars()]

        audits = await session.execute(select(AuditLog).where(AuditLog.action.like("process.%")).order_by(AuditLog.id))
        return {
            "processes": await rows(ProcessRun, ProcessRun.id),
            "steps": await rows(ProcessStep, ProcessStep.process_id, ProcessStep.number),
            "reminders": await rows(ProcessReminder, ProcessReminder.step_id, ProcessReminder.due_at),
            "step_log": await rows(StepLog, StepLog.id),
            "audit": [
                (
                    a.action,
                    (a.target or "").partition(":")[0],
                    a.allowed,
                    {k: v for k, v in a.detail.items() if k != "via"},
                )
                for a in audits.scalars()
            ],
        }


async def who_did(db: Database) -> list[tuple[str, str]]:
    """Who the process, its step log and its audit rows name."""
    async with db.sessions() as session:
        run = (await session.execute(select(ProcessRun.created_by))).scalars().all()
        log = (await session.execute(select(StepLog.actor).order_by(StepLog.id))).scalars().all()
        audit = (await session.execute(select(AuditLog.actor).where(AuditLog.action == office.START))).scalars().all()
    return [("process", a) for a in run] + [("log", a) for a in log] + [("audit", a) for a in audit]


async def officer_outbox(db: Database, officer: str) -> int:
    async with db.sessions() as session:
        return len((await session.execute(select(OutboxMessage).where(OutboxMessage.target == officer))).all())


async def test_starting_from_chat_and_from_the_cli_leaves_the_same_rows(db: Database, cli_url: str) -> None:
    async with running(db) as h:
        people = await seed_people(h.db, h.clock)
        admin = TelegramPerson(h, int(ADMIN))
        [preview] = await admin.say(f"/process_start {KEY} telegram:{OFFICER}")
        assert "ครูเอ" in preview
        assert await admin.tap("proc:go") == [t("proc_started_for", id=1, officer="ครูเอ")]
        assert h.telegram.sent_texts(int(OFFICER))[0].startswith("ท่านได้รับมอบหมายเป็นผู้รับผิดชอบ กระบวนการ ๕")
        chat = await snapshot(h.db)
        chat_who = await who_did(h.db)

        cli_db = Database(cli_url)
        try:
            assert await seed_people(cli_db, h.clock) == people
            out = await phuankru(cli_url, h.clock, "process", "start", KEY, "--officer", f"telegram:{OFFICER}")
            assert out.startswith("Started process #1 website for ครูเอ")
            cli_rows = await snapshot(cli_db)
            cli_who = await who_did(cli_db)
            # The CLI queues the officer's messages; chat sent them through the same outbox.
            assert await officer_outbox(cli_db, OFFICER) == await officer_outbox(h.db, OFFICER) > 0
        finally:
            await cli_db.dispose()

    assert chat == cli_rows
    assert len(chat["processes"]) == 1 and chat["processes"][0]["officer_contact_id"] == people[OFFICER]
    assert [s["number"] for s in chat["steps"]] == list(range(1, len(chat["steps"]) + 1)) and chat["reminders"]
    assert [r["action"] for r in chat["step_log"]] == ["started", "reached"]
    assert chat["audit"] == [("process.start", "process", True, {"key": KEY, "version": 1, "officer": people[OFFICER]})]
    by_admin = f"telegram:{ADMIN}"
    assert chat_who == [("process", by_admin), ("log", by_admin), ("log", by_admin), ("audit", by_admin)]
    assert cli_who == [("process", "cli"), ("log", "cli"), ("log", "cli"), ("audit", "cli")]


async def test_the_office_action_checks_who_may_start_assign_and_act(db: Database) -> None:
    clock = FakeClock()
    people = await seed_people(db, clock)
    admin = Actor(f"telegram:{ADMIN}", people[ADMIN], Role.ADMIN.value)
    officer = Actor(f"telegram:{OFFICER}", people[OFFICER], Role.OFFICER.value)
    teacher = Actor(f"telegram:{TEACHER}", people[TEACHER], Role.TEACHER.value)
    now = clock.now()
    async with db.sessions() as session, session.begin():
        with pytest.raises(Refused):
            await office.start_process(session, teacher, KEY, calendar=CALENDAR, now=now)
        with pytest.raises(Refused):  # naming an officer is assigning: an admin's
            await office.start_process(session, officer, KEY, officer=f"telegram:{ADMIN}", calendar=CALENDAR, now=now)
        with pytest.raises(ProcessError) as unknown:
            await office.start_process(session, officer, "nope", calendar=CALENDAR, now=now)
        assert unknown.value.key == "proc_unknown_template"
        started = await office.start_process(session, officer, KEY, calendar=CALENDAR, now=now)
        assert started.officer.id == people[OFFICER] and started.officer_messages
        view = await repo.load_view(session, started.view.process.id, for_update=True)
        assert view is not None
        first = view.steps[0]
        with pytest.raises(office.NotYours):  # a teacher is neither its officer nor an admin
            await office.mark_done(session, teacher, view, first, calendar=CALENDAR, now=now)
        with pytest.raises(Refused):  # correcting due dates is an admin's
            await office.set_due(session, officer, view, {1: date(2026, 1, 20)}, calendar=CALENDAR, now=now)
        with pytest.raises(ProcessError) as no_step:
            await office.set_due(session, admin, view, {99: date(2026, 1, 20)}, calendar=CALENDAR, now=now)
        assert no_step.value.key == "proc_no_such_step"
        moved = await office.set_due(session, admin, view, {1: date(2026, 1, 20)}, calendar=CALENDAR, now=now)
        assert moved == [(1, date(2026, 1, 20), None)] and first.due_on == date(2026, 1, 20)
        transition = await office.mark_done(session, admin, view, first, calendar=CALENDAR, now=now)  # admins may
        assert transition.reached is not None and transition.reached.number == 2
    async with db.sessions() as session:
        rows = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
    assert [(r.action, r.allowed, r.actor, r.target, r.detail.get("needs")) for r in rows] == [
        (office.START, False, f"telegram:{TEACHER}", None, ["officer"]),
        (office.ASSIGN, False, f"telegram:{OFFICER}", None, ["admin"]),
        (office.START, True, f"telegram:{OFFICER}", "process:1", None),
        (office.STEP, False, f"telegram:{TEACHER}", "process:1", None),
        (office.SET_DUE, False, f"telegram:{OFFICER}", None, ["admin"]),
        (office.SET_DUE, True, f"telegram:{ADMIN}", "process:1", None),
    ]
