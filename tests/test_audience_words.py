"""The words an office types for an audience — ทุกคน, ครู, ผู้บริหาร, บุคลากร, a school's name or code, a group's name, a
tag — work wherever an audience is typed: `broadcast send --audience` and the console's composer (one reader,
handlers/office/audience_words.py). A word that names nothing is one polite Thai line and queues nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from core.clock import FakeClock
from handlers.texts import t
from storage import chats, contacts, schools
from storage.broadcast_models import Broadcast, BroadcastRecipient
from storage.db import Database
from storage.models import Contact
from storage.schools import SchoolRow
from tests.harness import Harness, running
from tests.test_console import PUBLIC_URL, cookie, csrf_of, sign_in


@pytest.fixture
async def h(db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    async with running(db, clock, settings_extra={"phuankru_public_url": PUBLIC_URL}) as harness:
        async with db.sessions() as session, session.begin():
            await schools.upsert_many(session, [SchoolRow("โรงเรียนบ้านโพนงาม", "1034000101", "เดชอุดม")], now=clock.now())
            await chats.joined(session, "telegram", "-100555", "supergroup", title="ครูอำเภอเดชอุดม", now=clock.now())
        school_id = 1
        people = {
            "8001": {"position": "teacher", "school_id": school_id},
            "8002": {"position": "teacher"},
            "8003": {"position": "director", "school_id": school_id},
            "8004": {"position": "personnel"},
        }
        for uid, fields in people.items():
            await harness.known_person("telegram", uid, registered_at=clock.now(), **fields)
        async with db.sessions() as session, session.begin():
            person = (await session.execute(select(Contact).where(Contact.platform_user_id == "8004"))).scalar_one()
            await session.refresh(person, ["tags"])
            contacts.add_tag(person, "คณะกรรมการ")
        yield harness


def send(h: Harness, *audience: str) -> tuple[int, str]:
    url = h.db.engine.url.render_as_string(hide_password=False)
    args = ["broadcast", "send", "--text", "ประชุมวันจันทร์"]
    for word in audience:
        args += ["--audience", word]
    result = CliRunner().invoke(cli, args, env={"DATABASE_URL": url})
    return result.exit_code, result.output


async def last_recipients(h: Harness) -> tuple[list[str], list[str]]:
    async with h.db.sessions() as session:
        b = (await session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(1))).scalar_one()
        ids = await session.execute(
            select(BroadcastRecipient.platform_id).where(BroadcastRecipient.broadcast_id == b.id)
        )
        return list(b.audience), sorted(ids.scalars())


@pytest.mark.parametrize(
    ("words", "specs", "recipients"),
    [
        (["ครู"], ["role:teacher"], ["8001", "8002"]),
        (["ผู้บริหาร"], ["role:director"], ["8003"]),
        (["บุคลากร"], ["role:personnel"], ["8004"]),
        (["ทุกคน"], ["all"], ["8001", "8002", "8003", "8004"]),
        (["ครู, ผู้บริหาร"], ["role:teacher", "role:director"], ["8001", "8002", "8003"]),
        (["โรงเรียนบ้านโพนงาม"], ["school:1034000101"], ["8001", "8003"]),
        (["1034000101"], ["school:1034000101"], ["8001", "8003"]),
        (["ครูอำเภอเดชอุดม"], ["group:1"], ["-100555"]),
        (["#คณะกรรมการ"], ["tag:คณะกรรมการ"], ["8004"]),
        (["role:teacher", "คุณครู"], ["role:teacher"], ["8001", "8002"]),  # one spec, however it is named
    ],
)
async def test_typed_words_in_the_cli(h: Harness, words: list[str], specs: list[str], recipients: list[str]) -> None:
    code, output = await asyncio.to_thread(send, h, *words)
    assert code == 0, output
    assert await last_recipients(h) == (specs, recipients)


async def test_a_word_that_names_nothing_is_one_thai_line_and_queues_nothing(h: Harness) -> None:
    code, output = await asyncio.to_thread(send, h, "ครู", "นักเรียน")
    assert code == 2
    assert (
        output.strip()
        .splitlines()[-1]
        .endswith("ไม่พบกลุ่มเป้าหมาย “นักเรียน” ค่ะ พิมพ์ได้เช่น ทุกคน, ครู, ผู้บริหาร, บุคลากร, ชื่อหรือรหัสโรงเรียน, ชื่อกลุ่ม หรือแท็ก")
    )
    assert "Traceback" not in output
    assert await h.count(Broadcast) == 0


async def test_the_console_reads_the_same_words(h: Harness) -> None:
    session_id = await sign_in(h, role="staff", chat_id=9001)
    form = {"csrf": await csrf_of(h.client, session_id), "text": "ประชุม", "audience": "ผู้บริหาร, บุคลากร"}
    made = await h.client.post("/console/announcements", headers=cookie(session_id), data=form, allow_redirects=False)
    assert made.status == 303
    assert await last_recipients(h) == (["role:director", "role:personnel"], ["8003", "8004"])
    form["audience"] = "นักเรียน"
    refused = await h.client.post("/console/announcements", headers=cookie(session_id), data=form)
    assert refused.status == 422
    assert "ไม่พบกลุ่มเป้าหมาย “นักเรียน”" in await refused.text()
    assert await h.count(Broadcast) == 1


async def test_a_survey_goes_to_the_same_words_in_chat_and_in_the_cli(h: Harness) -> None:
    """The demo's PR officer typed `/survey send KEY ครู` and was told “ไม่เข้าใจกลุ่มเป้าหมาย ‘ครู’”."""
    from storage.survey_models import SurveyCampaign, SurveyResponse
    from tests.test_registration import TelegramPerson
    from tests.test_survey_flow import import_fixture

    await import_fixture(h, "hand-computed")
    await h.known_person("telegram", "9001", role="staff")
    staff = TelegramPerson(h, 9001)
    await staff.say("/survey send test-hand-computed ครู")
    await staff.tap(staff.last_buttons()[0][1])  # the preview's confirm
    url = h.db.engine.url.render_as_string(hide_password=False)
    args = ["survey", "send", "test-hand-computed", "--audience", "ผู้บริหาร", "--audience", "#คณะกรรมการ"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    async with h.db.sessions() as session:
        campaigns = (await session.execute(select(SurveyCampaign).order_by(SurveyCampaign.id))).scalars().all()
        assert [c.audience for c in campaigns] == [["role:teacher"], ["role:director", "tag:คณะกรรมการ"]]
        invited = await session.execute(
            select(SurveyResponse.campaign_id, Contact.platform_user_id)
            .join(Contact, Contact.id == SurveyResponse.contact_id)
            .order_by(SurveyResponse.campaign_id, Contact.platform_user_id)
        )
        assert invited.all() == [(1, "8001"), (1, "8002"), (2, "8003"), (2, "8004")]
    assert await staff.say("/survey send test-hand-computed นักเรียน") == [t("sv_audience_unknown_word", value="นักเรียน")]
