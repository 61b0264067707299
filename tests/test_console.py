"""The staff web console over HTTP, on both databases: sign-in through the bot, sessions, CSRF, roles."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import create_app
from bot.console import GUARDED_ROUTES
from bot.console.auth import COOKIE
from core.actor import Actor
from core.clock import FakeClock
from handlers.office.roles import grant_role
from storage import console
from storage.broadcast_models import Broadcast
from storage.console_models import ConsoleLink, ConsoleSession
from storage.db import Database
from storage.models import AuditLog
from tests.events import tg_message
from tests.harness import Harness, running

PUBLIC_URL = "https://phuankru.example"
STAFF, TEACHER = 7001, 7002
LINK = re.compile(r"https://phuankru\.example(/console/signin/[A-Za-z0-9_-]+)")


@pytest.fixture
async def h(db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    async with running(db, clock, settings_extra={"phuankru_public_url": PUBLIC_URL}) as harness:
        yield harness


async def link_via_telegram(h: Harness, chat_id: int) -> str:
    """Send /console from Telegram; the path of the link the bot answered with."""
    await h.post_telegram(tg_message(chat_id, "/console"))
    await h.settle()
    found = [m.group(1) for text in h.telegram.sent_texts(chat_id) if (m := LINK.search(text))]
    assert found, h.telegram.sent_texts(chat_id)
    return found[-1]


async def sign_in(h: Harness, role: str = "staff", chat_id: int = STAFF) -> str:
    """A session id for a person with `role`, signed in through the link the fake Telegram received."""
    await h.known_person("telegram", str(chat_id), role=role)
    response = await h.client.get(await link_via_telegram(h, chat_id), allow_redirects=False)
    assert response.status == 303
    return response.cookies[COOKIE].value


def cookie(session_id: str) -> dict[str, str]:
    # Sent by hand: aiohttp's cookie jar withholds a Secure cookie from the test server's http:// address.
    return {"Cookie": f"{COOKIE}={session_id}"}


async def csrf_of(client: TestClient[Any, Any], session_id: str) -> str:
    page = await (await client.get("/console/", headers=cookie(session_id))).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def test_a_teacher_is_refused_and_audited(h: Harness) -> None:
    await h.known_person("telegram", str(TEACHER))
    await h.post_telegram(tg_message(TEACHER, "/console"))
    await h.settle()
    replies = h.telegram.sent_texts(TEACHER)
    assert replies and not any(LINK.search(text) for text in replies)
    assert "ขออภัย" in replies[-1] or "เฉพาะ" in replies[-1], replies
    assert await h.count(ConsoleLink) == 0
    refused = await h.count(AuditLog, AuditLog.action == "console.link", AuditLog.allowed.is_(False))
    assert refused == 1


async def test_the_link_works_once_sets_a_safe_cookie_and_opens_the_home_page(h: Harness) -> None:
    await h.known_person("telegram", str(STAFF), role="staff")
    path = await link_via_telegram(h, STAFF)
    first = await h.client.get(path, allow_redirects=False)
    assert first.status == 303 and first.headers["Location"] == "/console/"
    set_cookie = first.headers["Set-Cookie"]
    for flag in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/console"):
        assert flag in set_cookie, set_cookie
    session_id = first.cookies[COOKIE].value
    async with h.db.sessions() as session:
        stored = list((await session.execute(select(ConsoleSession.id_hash))).scalars())
        links = list((await session.execute(select(ConsoleLink.token_hash))).scalars())
    assert stored == [console.digest(session_id)]  # only the hash is kept
    assert links == [console.digest(path.rsplit("/", 1)[1])]
    home = await h.client.get("/console/", headers=cookie(session_id), allow_redirects=False)
    assert home.status == 200
    assert "สิ่งที่ต้องดูวันนี้" in await home.text()
    again = await h.client.get(path, allow_redirects=False)
    assert again.status == 410 and COOKIE not in again.cookies
    assert "/console" in await again.text()  # the page says how to get a new link


async def test_the_link_expires_after_ten_minutes(h: Harness) -> None:
    await h.known_person("telegram", str(STAFF), role="staff")
    path = await link_via_telegram(h, STAFF)
    h.clock.advance(timedelta(minutes=10, seconds=1))
    expired = await h.client.get(path, allow_redirects=False)
    assert expired.status == 410 and await h.count(ConsoleSession) == 0
    unknown = await h.client.get("/console/signin/not-a-token", allow_redirects=False)
    assert unknown.status == 410


async def test_a_session_ends_after_twelve_idle_hours(h: Harness) -> None:
    session_id = await sign_in(h)
    h.clock.advance(timedelta(hours=11))
    assert (await h.client.get("/console/", headers=cookie(session_id), allow_redirects=False)).status == 200
    h.clock.advance(timedelta(hours=11, minutes=59))  # touched 11 h ago: still alive
    assert (await h.client.get("/console/", headers=cookie(session_id), allow_redirects=False)).status == 200
    h.clock.advance(timedelta(hours=12))
    gone = await h.client.get("/console/", headers=cookie(session_id), allow_redirects=False)
    assert gone.status == 303 and gone.headers["Location"] == "/console/signin"


@pytest.mark.parametrize(("method", "path"), GUARDED_ROUTES)
async def test_no_route_answers_without_a_session(h: Harness, method: str, path: str) -> None:
    for headers in ({}, cookie("forged-session-id")):
        response = await h.client.request(method, path, headers=headers, allow_redirects=False)
        assert response.status == 303, (method, path, response.status)
        assert response.headers["Location"] == "/console/signin"
    assert await h.count(Broadcast) == 0


ADMIN_ONLY = {"/console/settings", "/console/audit"}
STAFF_ONLY = {"/console/announcements", "/console/announcements/1", "/console/announcements/1/cancel"}


@pytest.mark.parametrize(("method", "path"), [r for r in GUARDED_ROUTES if r[1] in ADMIN_ONLY | STAFF_ONLY])
async def test_without_the_role_a_page_is_403_in_thai(h: Harness, method: str, path: str) -> None:
    # An officer may use the console, but not announcements (as in chat) nor the admins' pages.
    session_id = await sign_in(h, role="officer")
    csrf = await csrf_of(h.client, session_id)
    response = await h.client.request(
        method, path, headers=cookie(session_id), data={"csrf": csrf, "text": "x", "audience": "all"}
    )
    assert response.status == 403
    assert "ไม่มีสิทธิ์" in await response.text()
    assert await h.count(Broadcast) == 0
    assert await h.count(AuditLog, AuditLog.allowed.is_(False), AuditLog.target == path) == 1
    if path in ADMIN_ONLY:
        staff_session = await sign_in(h, role="staff", chat_id=STAFF + 10)
        assert (await h.client.get(path, headers=cookie(staff_session))).status == 403


async def test_a_post_without_the_csrf_token_is_403_and_changes_nothing(h: Harness) -> None:
    await h.known_person("telegram", "8001")  # someone to announce to
    session_id = await sign_in(h)
    form = {"text": "ประชุมวันจันทร์", "audience": "all"}
    for extra in ({}, {"csrf": "wrong"}):
        refused = await h.client.post("/console/announcements", headers=cookie(session_id), data={**form, **extra})
        assert refused.status == 403
    assert await h.count(Broadcast) == 0
    signout = await h.client.post("/console/signout", headers=cookie(session_id), allow_redirects=False)
    assert signout.status == 403 and await h.count(ConsoleSession) == 1
    csrf = await csrf_of(h.client, session_id)
    made = await h.client.post(
        "/console/announcements", headers=cookie(session_id), data={**form, "csrf": csrf}, allow_redirects=False
    )
    assert made.status == 303 and made.headers["Location"].startswith("/console/announcements/")
    assert await h.count(Broadcast) == 1
    assert await h.count(AuditLog, AuditLog.action == "broadcast.create", AuditLog.allowed.is_(True)) == 1


async def test_a_removed_role_ends_every_session_at_once(h: Harness) -> None:
    first = await sign_in(h)
    second = await sign_in(h)
    assert await h.count(ConsoleSession) == 2
    async with h.db.sessions() as session, session.begin():
        await grant_role(session, Actor.operator(), contact_ref=f"telegram:{STAFF}", role="teacher", now=h.clock.now())
    assert await h.count(ConsoleSession) == 0
    for session_id in (first, second):
        response = await h.client.get("/console/", headers=cookie(session_id), allow_redirects=False)
        assert response.status == 303


async def test_sign_out_everywhere(h: Harness) -> None:
    first, second = await sign_in(h), await sign_in(h)
    csrf = await csrf_of(h.client, first)
    out = await h.client.post("/console/signout-all", headers=cookie(first), data={"csrf": csrf}, allow_redirects=False)
    assert out.status == 303
    for session_id in (first, second):
        assert (await h.client.get("/console/", headers=cookie(session_id), allow_redirects=False)).status == 303


async def test_two_replicas_on_one_database_share_a_session(h: Harness, database_url: str) -> None:
    session_id = await sign_in(h)
    other_db = Database(database_url)
    try:
        other = create_app(h.services.settings, other_db, h.clock, background=False)
        async with TestClient(TestServer(other)) as client:
            response = await client.get("/console/", headers=cookie(session_id), allow_redirects=False)
            assert response.status == 200
            csrf = await csrf_of(client, session_id)
            out = await client.post("/console/signout", headers=cookie(session_id), data={"csrf": csrf})
            assert out.status == 200  # followed to the sign-in page
    finally:
        await other_db.dispose()
    # Signed out on the other replica: gone here too.
    assert (await h.client.get("/console/", headers=cookie(session_id), allow_redirects=False)).status == 303


def run_cli(url: str, *args: str) -> Any:
    from click.testing import CliRunner

    from bot.cli import cli

    env = {"DATABASE_URL": url, "PHUANKRU_PUBLIC_URL": PUBLIC_URL}
    return CliRunner().invoke(cli, list(args), env=env)


def test_the_cli_prints_a_link_for_staff_and_refuses_others(migrated_url: str) -> None:
    from tests.harness import known_person, on_db

    clock = FakeClock()
    on_db(migrated_url, lambda db: known_person(db, clock, "telegram", "501", role="admin"))
    on_db(migrated_url, lambda db: known_person(db, clock, "telegram", "502"))
    ok = run_cli(migrated_url, "console", "link", "telegram:501", "--minutes", "5")
    assert ok.exit_code == 0, ok.output
    assert LINK.fullmatch(ok.output.strip().splitlines()[-1])
    teacher = run_cli(migrated_url, "console", "link", "telegram:502")
    assert teacher.exit_code == 1 and "Traceback" not in teacher.output
    unknown = run_cli(migrated_url, "console", "link", "telegram:999")
    assert unknown.exit_code == 2

    async def rows(db: Database) -> list[tuple[str, bool]]:
        async with db.sessions() as session:
            found = await session.execute(
                select(AuditLog.actor, AuditLog.allowed).where(AuditLog.action == "console.link").order_by(AuditLog.id)
            )
            return [(a, bool(b)) for a, b in found]

    assert on_db(migrated_url, rows) == [("cli", True), ("cli", False)]
    links = on_db(migrated_url, lambda db: _links(db))
    assert len(links) == 1 and links[0] == timedelta(minutes=5)


async def _links(db: Database) -> list[timedelta]:
    async with db.sessions() as session:
        return [e - c for c, e in await session.execute(select(ConsoleLink.created_at, ConsoleLink.expires_at))]


async def test_the_sandbox_button_opens_the_console_as_the_demo_admin(db: Database) -> None:
    from tests.test_sandbox import sandbox

    async with sandbox(db) as box:
        page = await (await box.client.get("/sandbox")).text()
        assert 'href="/sandbox/console"' in page
        opened = await box.client.get("/sandbox/console", allow_redirects=False)
        assert opened.status == 303 and opened.headers["Location"].startswith("/console/signin/")
        signed_in = await box.client.get(opened.headers["Location"], allow_redirects=False)
        assert signed_in.status == 303
        session_id = signed_in.cookies[COOKIE].value
        home = await box.client.get("/console/", headers=cookie(session_id))
        assert home.status == 200 and "คุณอำนาจ" in await home.text()
