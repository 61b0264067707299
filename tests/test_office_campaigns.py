"""Opening and closing a survey campaign is one office action (#15): from chat and from the CLI, on fresh databases,
it leaves the same campaign, the same invitations and the same audit rows; only who did it and `via` differ.
The action's own checks (roles, scheduled closing without an audit row) are tested on it directly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from core.actor import Actor
from core.clock import FakeClock
from handlers.office import campaigns
from handlers.office.acting import Refused
from handlers.office.campaigns import SendRequest
from handlers.texts import t
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditLog, Contact, OutboxMessage, Role
from storage.survey_models import SurveyCampaign, SurveyResponse
from tests.harness import known_person, running
from tests.test_registration import TelegramPerson
from tests.test_survey_flow import BANGKOK, FIXTURES, import_fixture

STAFF = "9001"
SURVEY = "test-hand-computed"
CHAT_SEND = f"/survey send {SURVEY} role:teacher closes=2099-01-31 remind=2d reminders=2"
CLI_SEND = (SURVEY, "--audience", "role:teacher", "--closes-at", "2099-01-31", "--remind-after", "2d")
CLI_SEND_OPTIONS = ("--max-reminders", "2")
# What differs by design between two runs on fresh databases: ids, moments, and who did it.
IGNORED = {"id", "definition_id", "opened_at", "closed_at", "created_at", "due_at", "next_reminder_at"}
WHO = {"created_by", "created_by_contact_id"}


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


async def seed_people(db: Database, clock: FakeClock) -> None:
    """The same people in each database, created in the same order (so contact ids match too)."""
    await known_person(db, clock, "telegram", STAFF, role=Role.STAFF.value)
    for i in range(3):
        await known_person(db, clock, "line", f"Uoffice{i}", position="teacher", registered_at=clock.now())
    await known_person(db, clock, "telegram", "9002", position="teacher", registered_at=clock.now())
    await known_person(db, clock, "telegram", "9003", position="director", registered_at=clock.now())


def run_cli(url: str, clock: FakeClock, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url}, obj={"clock": clock})
    assert result.exit_code == 0, result.output
    return result.stdout


async def phuankru(url: str, clock: FakeClock, *args: str) -> str:
    # The CLI runs its own event loop: in a thread, as in a terminal beside the test's loop.
    return await asyncio.to_thread(run_cli, url, clock, *args)


def _columns(row: Any, skip: set[str]) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


async def snapshot(db: Database) -> dict[str, Any]:
    """The rows an action leaves, without what differs by design (ids, moments, the actor, `via`)."""
    async with db.sessions() as session:
        found = list((await session.execute(select(SurveyCampaign).order_by(SurveyCampaign.id))).scalars())
        responses = await session.execute(
            select(Contact.channel, Contact.platform_user_id, SurveyResponse.state)
            .join(Contact, Contact.id == SurveyResponse.contact_id)
            .order_by(Contact.channel, Contact.platform_user_id)
        )
        # The staff member's own chat (previews, "sent", "closed") is the front's rendering, not the action's.
        outbox = await session.execute(select(OutboxMessage).where(OutboxMessage.target != STAFF))
        audits = await session.execute(select(AuditLog).where(AuditLog.action.like("survey.%")).order_by(AuditLog.id))
        return {
            "campaigns": [
                {**_columns(c, IGNORED | WHO), "survey": (c.definition.key, c.definition.version)} for c in found
            ],
            "responses": [tuple(r) for r in responses],
            "outbox": sorted(
                (m.channel, m.target_kind, m.target, sorted(m.recipients or []), repr(m.payload))
                for m in outbox.scalars()
            ),
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


async def who_did(db: Database) -> tuple[list[tuple[str, int | None]], list[tuple[str, str, bool]]]:
    """Who the campaign names as its sender, and each survey audit row's actor and front: a person's row says
    `via` only from the console (chat is the default), the CLI's actor is "cli"."""
    async with db.sessions() as session:
        senders = (await session.execute(select(SurveyCampaign.created_by, SurveyCampaign.created_by_contact_id))).all()
        rows = (
            await session.execute(
                select(AuditLog.actor, AuditLog.detail, AuditLog.actor_contact_id)
                .where(AuditLog.action.like("survey.%"))
                .order_by(AuditLog.id)
            )
        ).all()
    return [(s.created_by, s.created_by_contact_id) for s in senders], [
        (actor, detail.get("via", "chat" if actor.startswith(("line:", "telegram:")) else actor), contact is not None)
        for actor, detail, contact in rows
    ]


async def test_opening_and_closing_from_chat_and_from_the_cli_leave_the_same_rows(db: Database, cli_url: str) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await seed_people(h.db, h.clock)
        staff = TelegramPerson(h, int(STAFF))
        await staff.say(CHAT_SEND)
        await staff.tap("sv:send:yes")
        chat_opened = await snapshot(h.db)

        cli_db = Database(cli_url)
        try:
            await seed_people(cli_db, h.clock)
        finally:
            await cli_db.dispose()
        await phuankru(cli_url, h.clock, "survey", "import", str(FIXTURES / "hand-computed.yaml"))
        await phuankru(cli_url, h.clock, "survey", "send", *CLI_SEND, *CLI_SEND_OPTIONS)
        cli_db = Database(cli_url)
        try:
            cli_opened = await snapshot(cli_db)
            assert chat_opened == cli_opened
            assert len(chat_opened["campaigns"]) == 1 and chat_opened["campaigns"][0]["invited"] == 4
            assert (chat_opened["campaigns"][0]["remind_every_s"], chat_opened["campaigns"][0]["max_reminders"]) == (
                2 * 86400,
                2,
            )
            # Three LINE teachers in one multicast and one Telegram teacher; not the director, not the staff member.
            assert [(m[0], m[3]) for m in chat_opened["outbox"]] == [
                ("line", ["Uoffice0", "Uoffice1", "Uoffice2"]),
                ("telegram", []),
            ]
            assert chat_opened["audit"] == [
                (
                    "survey.send",
                    "survey_campaign",
                    True,
                    {"survey": SURVEY, "version": 1, "audience": ["role:teacher"], "people": 4, "groups": 0},
                )
            ]

            await staff.say("/survey close 1")
            await phuankru(cli_url, h.clock, "survey", "close", "1")
            chat_closed, cli_closed = await snapshot(h.db), await snapshot(cli_db)
            assert chat_closed == cli_closed
            assert chat_closed["campaigns"][0]["status"] == "closed"
            assert chat_closed["audit"][1:] == [("survey.close", "survey_campaign", True, {})]

            chat_who, cli_who = await who_did(h.db), await who_did(cli_db)
        finally:
            await cli_db.dispose()
    staff_id = chat_who[0][0][1]
    assert chat_who == ([(f"telegram:{STAFF}", staff_id)], [(f"telegram:{STAFF}", "chat", True)] * 2)
    assert staff_id is not None
    assert cli_who == ([("cli", None)], [("cli", "cli", False)] * 2)


async def test_the_office_action_checks_the_role_and_records_a_refusal(db: Database) -> None:
    clock = FakeClock()
    async with running(db, clock) as h:
        await import_fixture(h, "hand-computed")
    await seed_people(db, clock)
    teacher_id = await known_person(db, clock, "line", "Unotstaff", position="teacher")
    officer_id = await known_person(db, clock, "telegram", "9100", role=Role.OFFICER.value)
    teacher = Actor("line:Unotstaff", teacher_id, "teacher")
    officer = Actor("telegram:9100", officer_id, Role.OFFICER.value)
    request = SendRequest(SURVEY, ("role:teacher",))
    async with db.sessions() as session, session.begin():
        with pytest.raises(Refused):
            await campaigns.prepare_send(session, teacher, request, now=clock.now())
        with pytest.raises(Refused):
            await campaigns.prepare_send(session, officer, request, now=clock.now())
        # An officer opens the survey of a step of their own process (the process's action checked that).
        step_request = SendRequest(SURVEY, ("role:teacher",), from_step=1)
        opened = await campaigns.open_campaign(session, officer, step_request, now=clock.now(), tz=BANGKOK)
        with pytest.raises(Refused):
            await campaigns.close_campaign(session, officer, opened.campaign.id, now=clock.now())
    async with db.sessions() as session:
        rows = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
    assert [(r.action, r.allowed, r.actor, r.detail.get("needs")) for r in rows] == [
        ("survey.send", False, "line:Unotstaff", ["staff"]),
        ("survey.send", False, "telegram:9100", ["staff"]),
        ("survey.send", True, "telegram:9100", None),
        ("survey.close", False, "telegram:9100", ["staff"]),
    ]


async def test_closing_on_schedule_writes_no_audit_row_and_a_second_close_changes_nothing(db: Database) -> None:
    clock = FakeClock()
    async with running(db, clock) as h:
        await import_fixture(h, "hand-computed")
    await seed_people(db, clock)
    async with db.sessions() as session, session.begin():
        opened = await campaigns.open_campaign(
            session, Actor.operator(), SendRequest(SURVEY, ("all",)), now=clock.now(), tz=BANGKOK
        )
    async with db.sessions() as session, session.begin():
        closing = await campaigns.close_campaign(session, Actor.operator("system"), opened.campaign.id, now=clock.now())
        assert closing.closed and closing.participation.invited == opened.campaign.invited > 0
        again = await campaigns.close_campaign(session, Actor.operator(), opened.campaign.id, now=clock.now())
        assert not again.closed
        assert campaigns.closed_note(again, "en").text == t("sv_already_closed", "en", campaign=1)
    async with db.sessions() as session:
        actions = (await session.execute(select(AuditLog.action, AuditLog.actor))).all()
    assert [tuple(a) for a in actions] == [("survey.send", "cli")]
