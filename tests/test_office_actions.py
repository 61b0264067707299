"""One office action, three fronts: the same announcement, cancellation, role grant and console link from chat,
from the CLI and (for announcements) from the console give the same rows and the same audit rows; only the actor's
name differs, and the console's rows say `via: console`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import cli
from core.clock import FakeClock
from storage.broadcast_models import Broadcast, BroadcastRecipient
from storage.console_models import ConsoleLink
from storage.db import Database
from storage.models import AuditLog, Contact
from tests.harness import Harness, running
from tests.test_console import PUBLIC_URL, cookie, csrf_of, sign_in
from tests.test_registration import TelegramPerson

TEXT = "ประชุมครูวันศุกร์ 13.30 น. ห้องประชุมใหญ่"
STAFF = 9001


@pytest.fixture
async def h(db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    async with running(db, clock, settings_extra={"phuankru_public_url": PUBLIC_URL}) as harness:
        await harness.known_person("telegram", str(STAFF), role="admin")
        for uid in ("9101", "9102"):
            await harness.known_person("telegram", uid, position="teacher", registered_at=clock.now())
        await harness.known_person("line", "Uteacher", position="teacher", registered_at=clock.now())
        yield harness


async def cli_run(h: Harness, *args: str) -> Result:
    url = h.db.engine.url.render_as_string(hide_password=False)
    env = {
        "DATABASE_URL": url,
        "PHUANKRU_PUBLIC_URL": PUBLIC_URL,
        "LINE_CHANNEL_SECRET": "s",
        "LINE_CHANNEL_ACCESS_TOKEN": h.line.access_token,
        "LINE_API_BASE_URL": h.line.base_url,
        "TELEGRAM_BOT_TOKEN": h.telegram.token,
        "TELEGRAM_API_BASE_URL": h.telegram.base_url,
    }
    # In a thread: the CLI runs its own event loop, and the fake platforms answer on this one.
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


async def audit_rows(h: Harness, action: str) -> list[tuple[str, str | None, bool, dict[str, Any], int | None]]:
    async with h.db.sessions() as session:
        rows = await session.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [(a.actor, a.target, a.allowed, a.detail, a.actor_contact_id) for a in rows.scalars()]


async def broadcast_rows(h: Harness) -> list[tuple[Any, ...]]:
    async with h.db.sessions() as session:
        found = (await session.execute(select(Broadcast).order_by(Broadcast.id))).scalars().all()
        out = []
        for b in found:
            recipients = await session.execute(
                select(BroadcastRecipient.channel, BroadcastRecipient.platform_id)
                .where(BroadcastRecipient.broadcast_id == b.id)
                .order_by(BroadcastRecipient.channel, BroadcastRecipient.platform_id)
            )
            out.append((b.audience, b.content, b.state, b.recipients_total, list(recipients.all())))
        return out


async def staff_id(h: Harness) -> int:
    async with h.db.sessions() as session:
        found = await session.execute(select(Contact.id).where(Contact.platform_user_id == str(STAFF)))
        return int(found.scalar_one())


async def test_an_announcement_from_chat_cli_and_console_is_the_same_action(h: Harness) -> None:
    staff = TelegramPerson(h, STAFF)
    await staff.say("/broadcast")
    await staff.tap("bc:a:role:teacher")
    await staff.tap("bc:next")
    await staff.say(TEXT)
    await staff.say("1")
    await cli_run(h, "broadcast", "send", "--audience", "role:teacher", "--text", TEXT)
    session_id = await sign_in(h, role="admin", chat_id=STAFF)
    made = await h.client.post(
        "/console/announcements",
        headers=cookie(session_id),
        data={"csrf": await csrf_of(h.client, session_id), "text": TEXT, "audience": "role:teacher"},
        allow_redirects=False,
    )
    assert made.status == 303
    chat, by_cli, console = await broadcast_rows(h)
    assert chat == by_cli == console
    assert chat[3] == 3 and len(chat[4]) == 3
    me = await staff_id(h)
    detail = {"audience": ["role:teacher"], "at": None}
    assert await audit_rows(h, "broadcast.create") == [
        (f"telegram:{STAFF}", "broadcast:1", True, detail, me),
        ("cli", "broadcast:2", True, detail, None),
        (f"telegram:{STAFF}", "broadcast:3", True, {**detail, "via": "console"}, me),
    ]


async def test_cancelling_from_chat_and_cli_is_the_same_action(h: Harness) -> None:
    for _ in range(2):
        await cli_run(h, "broadcast", "send", "--audience", "all", "--text", TEXT, "--at", "2099-01-05T09:00")
    staff = TelegramPerson(h, STAFF)
    await staff.tap("bc:stop:1")
    await cli_run(h, "broadcast", "cancel", "2")
    first, second = await broadcast_rows(h)
    assert first == second and first[2] == "cancelled"
    assert [(actor, target, detail) for actor, target, _, detail, _ in await audit_rows(h, "broadcast.cancel")] == [
        (f"telegram:{STAFF}", "broadcast:1", {"stopped": 0}),
        ("cli", "broadcast:2", {"stopped": 0}),
    ]


async def test_a_role_granted_from_chat_and_cli_is_the_same_action(h: Harness) -> None:
    admin = TelegramPerson(h, STAFF)
    assert await admin.say("/grant telegram:9101 staff")
    await cli_run(h, "staff", "add", "telegram:9102", "--role", "staff")
    async with h.db.sessions() as session:
        roles = await session.execute(
            select(Contact.platform_user_id, Contact.role).where(Contact.platform_user_id.in_(["9101", "9102"]))
        )
        assert sorted(roles.all()) == [("9101", "staff"), ("9102", "staff")]
    grants = await audit_rows(h, "role.grant")
    assert [(actor, detail) for actor, _, _, detail, _ in grants] == [
        (f"telegram:{STAFF}", {"role": "staff", "previous": "teacher"}),
        ("cli", {"role": "staff", "previous": "teacher"}),
    ]


async def test_a_console_link_from_chat_and_cli_is_the_same_action(h: Harness) -> None:
    staff = TelegramPerson(h, STAFF)
    (answer,) = await staff.say("/console")
    assert f"{PUBLIC_URL}/console/signin/" in answer
    printed = (await cli_run(h, "console", "link", f"telegram:{STAFF}")).output.strip().splitlines()[-1]
    assert printed.startswith(f"{PUBLIC_URL}/console/signin/")
    async with h.db.sessions() as session:
        links = (await session.execute(select(ConsoleLink.contact_id))).scalars().all()
    me = await staff_id(h)
    assert links == [me, me]
    rows = await audit_rows(h, "console.link")
    assert [(actor, target, allowed, detail) for actor, target, allowed, detail, _ in rows] == [
        (f"telegram:{STAFF}", f"contact:{me}", True, {"minutes": 10}),
        ("cli", f"contact:{me}", True, {"minutes": 10}),
    ]
