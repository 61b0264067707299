"""The web sandbox without a browser: its routes, its WebSocket protocol, the clock control and the staff view.

The app runs in-process with its background tasks (processor, delivery worker) on a FakeClock; the page's side
of the WebSocket is played by aiohttp's client. `tests/test_sandbox_browser.py` drives the real page.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.web import FrameError, WebChannel, chat_key
from bot.config import load_settings
from bot.demo import demo_settings, office_calendar, seed
from bot.demo_tour import TOUR_START
from bot.services import Services, build_services
from core.clock import FakeClock
from core.model import OutMessage
from handlers.texts import t
from storage import broadcasts
from storage.db import Database
from storage.models import InboundEvent
from tests.harness import running

WAIT_S = 15.0  # generous: the app's background tasks answer within milliseconds, CI machines can be slow


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


@dataclass
class Sandbox:
    client: TestClient[Any, Any]
    services: Services
    clock: FakeClock

    @property
    def web(self) -> WebChannel:
        assert self.services.web is not None
        return self.services.web

    @property
    def base_url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")


@asynccontextmanager
async def sandbox(db: Database, *, seeded: bool = True) -> AsyncIterator[Sandbox]:
    """The demo's app on a test database, serving on 127.0.0.1 with processing and delivery running."""
    clock = FakeClock(TOUR_START)  # a Monday, 09:00 in Bangkok
    settings = demo_settings(url_of(db), phuankru_office_hours="08:30-16:30", phuankru_workdays="mon-fri")
    if seeded:
        await seed(db, clock, office_calendar(settings))
    services = build_services(settings, db, clock)
    app = create_app(settings, db, clock, services=services)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Sandbox(client, services, clock)


class Page:
    """One open page: a WebSocket as the persona, and everything it has been sent."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, hello: dict[str, Any]) -> None:
        self.ws, self.hello = ws, hello
        self.frames: list[dict[str, Any]] = []
        self._n = 0

    @classmethod
    @asynccontextmanager
    async def open(cls, box: Sandbox, persona: str, group: str | None = None) -> AsyncIterator[Page]:
        query = f"as={persona}" + (f"&group={group}" if group else "")
        async with box.client.ws_connect(f"/sandbox/ws?{query}") as ws:
            hello = await ws.receive_json(timeout=WAIT_S)
            assert hello["type"] == "hello"
            yield cls(ws, hello)

    async def send(self, frame: dict[str, Any]) -> str:
        if "id" not in frame:
            self._n += 1
            frame = {**frame, "id": f"f{self._n}"}
        await self.ws.send_json(frame)
        return str(frame["id"])

    async def until(self, found: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """Read frames until `found(frames so far)` holds; fail after WAIT_S."""
        async with asyncio.timeout(WAIT_S):
            while not found(self.frames):
                self.frames.append(await self.ws.receive_json())
        return self.frames

    def bot_texts(self) -> list[str]:
        return [f["item"].get("text", "") for f in self.frames if f["type"] == "message" and f["item"]["from"] == "bot"]

    async def bot_says(self, text: str) -> None:
        await self.until(lambda _: any(text in said for said in self.bot_texts()))

    def buttons(self) -> list[tuple[str, str]]:
        for frame in reversed(self.frames):
            if frame["type"] == "message" and frame["item"].get("buttons"):
                return [(b["label"], b["data"]) for b in frame["item"]["buttons"]]
        return []

    async def tap(self, label: str) -> str:
        data = dict(self.buttons())[label]
        return await self.send({"type": "tap", "data": data, "label": label})


async def queue_broadcast(box: Sandbox, audience: str, text: str) -> None:
    async with box.services.db.sessions() as session, session.begin():
        await broadcasts.create(
            session,
            author="cli",
            author_contact_id=None,
            audience_texts=[audience],
            content=OutMessage(text=text),
            now=box.clock.now(),
        )
    box.services.worker.wake()


def acks(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "ack"]


# --- on or off ---------------------------------------------------------------------------------------


async def test_sandbox_routes_are_404_when_a_real_channel_is_configured(db: Database) -> None:
    async with running(db) as h:
        assert not h.services.settings.sandbox_enabled
        for path in ("/sandbox", "/sandbox/ws?as=teacher-1", "/sandbox/api/staff", "/sandbox/static/app.js"):
            assert (await h.client.get(path)).status == 404, path
        assert (await h.client.post("/sandbox/api/clock", json={"advance_s": 60})).status == 404


async def test_sandbox_is_off_without_channels_and_on_when_asked_for(db: Database) -> None:
    clock = FakeClock()
    none_configured = load_settings(database_url=url_of(db), line_channel_secret=None, line_channel_access_token=None,
                                    telegram_bot_token=None)  # fmt: skip
    assert not none_configured.sandbox_enabled
    assert build_services(none_configured, db, clock).web is None
    app = create_app(none_configured, db, clock)
    assert "/sandbox" not in {r.canonical for r in app.router.resources()}
    forced = load_settings(
        database_url=url_of(db),
        line_channel_secret="s",
        line_channel_access_token="a",
        line_api_base_url="http://127.0.0.1:9",
        phuankru_sandbox=True,
    )
    services = build_services(forced, db, clock)
    assert services.line is not None and services.web is not None
    app = create_app(forced, db, clock, services=services)
    assert "/sandbox" in {r.canonical for r in app.router.resources()}


async def test_the_page_font_and_files_are_served(db: Database) -> None:
    async with sandbox(db, seeded=False) as box:
        page = await box.client.get("/sandbox")
        assert page.status == 200 and "เพื่อนครู" in await page.text()
        css = await (await box.client.get("/sandbox/static/style.css")).text()
        assert "@font-face" in css and "/sandbox/fonts/Laksaman.ttf" in css
        font = await box.client.get("/sandbox/fonts/Laksaman.ttf")
        assert font.status == 200 and font.headers["Content-Type"] == "font/ttf"
        assert (await font.read())[:4] == b"\x00\x01\x00\x00"  # a TrueType font
        assert (await box.client.get("/sandbox/static/../../cli.py")).status == 404
        assert (await box.client.get("/sandbox/fonts/COPYRIGHT")).status == 404


# --- the conversation ------------------------------------------------------------------------------------


async def test_a_newcomer_is_welcomed_and_a_frame_sent_twice_is_handled_once(db: Database) -> None:
    async with sandbox(db) as box, Page.open(box, "teacher-new") as page:
        assert page.hello["history"] == []
        await page.send({"type": "follow"})
        await page.bot_says(t("consent_question"))
        assert page.bot_texts()[0] == t("welcome")
        tap = {"type": "tap", "data": "reg:consent:yes", "label": t("btn_consent_yes"), "id": "same-id-1"}
        await page.send(tap)
        await page.bot_says(t("consent_thanks"))
        await page.send(tap)  # the page lost its connection and sent it again
        await page.until(lambda frames: len(acks(frames)) == 3)
        assert acks(page.frames)[-1] == {"type": "ack", "id": "same-id-1", "duplicate": True}
        await page.send({"type": "text", "text": "/help"})
        await page.bot_says(t("help"))
        # The repeated tap made neither a second bubble of the person's nor a second answer.
        mine = [f["item"]["text"] for f in page.frames if f["type"] == "message" and f["item"]["from"] == "teacher-new"]
        assert mine == [t("btn_consent_yes"), "/help"]
        assert page.bot_texts().count(t("consent_thanks")) == 1
    assert await count_web_events(db) == 3


async def count_web_events(db: Database) -> int:
    from sqlalchemy import func, select

    async with db.sessions() as session:
        query = select(func.count()).select_from(InboundEvent).where(InboundEvent.channel == "web")
        return int((await session.execute(query)).scalar_one())


async def test_a_second_page_gets_the_history_and_the_new_messages(db: Database) -> None:
    async with sandbox(db) as box:
        async with Page.open(box, "teacher-1") as first:
            await first.send({"type": "text", "text": "/help"})
            await first.bot_says(t("help"))
            async with Page.open(box, "teacher-1") as second:
                shown = [(i["from"], i.get("text")) for i in second.hello["history"]]
                assert shown == [("teacher-1", "/help"), ("bot", t("help"))]
                await first.send({"type": "text", "text": "สวัสดีค่ะ"})
                await second.bot_says(t("inbox_ack_open", hours="08:30–16:30"))
                assert ("teacher-1", "สวัสดีค่ะ") in [
                    (f["item"]["from"], f["item"]["text"]) for f in second.frames if f["type"] == "message"
                ]
        async with Page.open(box, "teacher-2") as other:
            assert other.hello["history"] == []  # one persona's chat is nobody else's


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "Expecting value"),
        ('["a list"]', "a frame is a JSON object"),
        ('{"type": "text", "text": "hi"}', "every frame needs an id"),
        ('{"type": "text", "text": "", "id": "x1"}', "a message is 1-4000 characters"),
        ('{"type": "text", "text": "' + "ก" * 4001 + '", "id": "x2"}', "a message is 1-4000 characters"),
        ('{"type": "tap", "data": "ข้อมูล", "id": "x3"}', "a tap carries the button's data"),
        ('{"type": "sticker", "id": "x4"}', "unknown frame type 'sticker'"),
        ('{"type": "text", "text": "hi", "id": "<script>"}', "every frame needs an id"),
    ],
)
async def test_bad_frames_get_an_error_and_store_nothing(db: Database, frame: str, error: str) -> None:
    async with sandbox(db, seeded=False) as box, Page.open(box, "teacher-1") as page:
        await page.ws.send_str(frame)
        await page.until(lambda frames: any(f["type"] == "error" for f in frames))
        assert error in page.frames[-1]["message"]
    assert await count_web_events(db) == 0


async def test_a_bad_persona_or_an_unknown_group_is_refused(db: Database) -> None:
    async with sandbox(db) as box:
        for query in ("as=", "as=Teacher%201", "as=x" + "y" * 40, "as=teacher-1&group=%3Cb%3E"):
            assert (await box.client.get(f"/sandbox/ws?{query}")).status == 400, query
        assert (await box.client.get("/sandbox/ws?as=teacher-1&group=no-such-group")).status == 404


async def test_another_sites_page_may_not_use_the_sandbox(db: Database) -> None:
    async with sandbox(db) as box:
        evil = {"Origin": "http://evil.example"}
        assert (await box.client.get("/sandbox/ws?as=staff-1", headers=evil)).status == 403
        assert (await box.client.post("/sandbox/api/clock", json={"advance_s": 60}, headers=evil)).status == 403
        own = {"Origin": box.base_url}
        assert (await box.client.post("/sandbox/api/clock", json={"advance_s": 60}, headers=own)).status == 200
        async with box.client.ws_connect("/sandbox/ws?as=staff-1", headers=own) as ws:
            assert (await ws.receive_json(timeout=WAIT_S))["type"] == "hello"


async def test_a_group_chat_shows_who_said_what_and_what_the_bot_posts(db: Database) -> None:
    async with (
        sandbox(db) as box,
        Page.open(box, "teacher-1", group="group-teachers") as one,
        Page.open(box, "teacher-2", group="group-teachers") as two,
    ):
        await one.send({"type": "text", "text": "/help"})
        await two.until(lambda frames: any(f["type"] == "message" and f["item"]["from"] == "bot" for f in frames))
        said = next(f["item"] for f in two.frames if f["type"] == "message" and f["item"]["from"] == "teacher-1")
        assert (said["text"], said["name"]) == ("/help", "ครูสมศรี ใจดี")
        await queue_broadcast(box, "group:group-teachers", "ประกาศในกลุ่ม")
        await two.bot_says("ประกาศในกลุ่ม")
        await one.bot_says("ประกาศในกลุ่ม")


# --- the staff view and the clock ---------------------------------------------------------------------------


async def test_staff_view_counts_a_broadcast_and_the_clock_jump_brings_a_reminder(db: Database) -> None:
    async with sandbox(db) as box, Page.open(box, "officer-1") as officer:
        await queue_broadcast(box, "role:teacher", "ทดสอบ <b>ไม่ใช่ HTML</b>")
        async with asyncio.timeout(WAIT_S):
            while (view := await (await box.client.get("/sandbox/api/staff")).json())["broadcasts"][0]["counts"][
                "sent"
            ] < 4:
                await asyncio.sleep(0.05)
        first = view["broadcasts"][0]
        assert (first["text"], first["counts"]) == (
            "ทดสอบ <b>ไม่ใช่ HTML</b>",
            {"sent": 4, "pending": 0, "failed": 0, "blocked": 0, "cancelled": 0},
        )
        assert [(p["done"], p["total"], p["current"]) for p in view["processes"]] == [(0, 5, 1)]

        clock = await (await box.client.get("/sandbox/api/clock")).json()
        assert (clock["adjustable"], clock["rates"], clock["local"]) == (True, [], "5 ม.ค. 2569 09:00 น.")
        assert (await box.client.post("/sandbox/api/clock", json={"rate": 60})).status == 400  # a FakeClock has no rate
        assert (await box.client.post("/sandbox/api/clock", json={"advance_s": -5})).status == 400
        assert (await box.client.post("/sandbox/api/clock", data="{")).status == 400
        jumped = await box.client.post("/sandbox/api/clock", json={"advance_s": 86400})
        assert (await jumped.json())["local"] == "6 ม.ค. 2569 09:00 น."
        await officer.bot_says("ถึงกำหนดวันนี้")
        assert (t("btn_proc_done"), officer.buttons()[0][1]) == officer.buttons()[0]


async def test_survey_chart_is_a_png_and_unknown_campaigns_are_404(db: Database) -> None:
    from core.actor import Actor
    from handlers.office import campaigns

    async with sandbox(db) as box:
        async with box.services.db.sessions() as session, session.begin():
            closes = box.clock.now() + timedelta(days=7)
            request = campaigns.SendRequest("demo-service", ("role:teacher",), closes)
            opened = await campaigns.open_campaign(
                session, Actor.operator("test"), request, now=box.clock.now(), tz=box.services.calendar.timezone
            )
            campaign = opened.campaign
        chart = await box.client.get(f"/sandbox/api/surveys/{campaign.id}/chart.png")
        assert chart.status == 200 and (await chart.read())[:8] == b"\x89PNG\r\n\x1a\n"
        assert (await box.client.get("/sandbox/api/surveys/999/chart.png")).status == 404
        view = await (await box.client.get("/sandbox/api/staff")).json()
        assert [(s["campaign"], s["invited"], s["completed"]) for s in view["surveys"]] == [(campaign.id, 4, 0)]


# --- the web channel on its own --------------------------------------------------------------------------


async def test_the_conversation_is_restored_from_the_database_after_a_restart(db: Database) -> None:
    async with sandbox(db) as box, Page.open(box, "teacher-1") as page:
        await page.send({"type": "text", "text": "ขอเมนูหน่อย"})
        await page.bot_says(t("inbox_ack_open", hours="08:30–16:30"))
        box.clock.advance(timedelta(seconds=30))  # the order comes from the times, as it does with a real clock
        await page.send({"type": "text", "text": "/help"})
        await page.bot_says(t("help"))
    restarted = WebChannel(db)
    await restarted.start()
    shown = [(i["from"], i["text"]) for i in restarted.history(chat_key("user", "teacher-1"))]
    assert shown == [
        ("teacher-1", "ขอเมนูหน่อย"),
        ("bot", t("inbox_ack_open", hours="08:30–16:30")),
        ("teacher-1", "/help"),
        ("bot", t("help")),
    ]


def test_frames_become_events_of_the_internal_model() -> None:
    web = WebChannel()
    raw = web.raw_event("teacher-1", {"type": "tap", "data": "reg:start", "label": "ลงทะเบียน", "id": "a1"})
    assert (raw.channel, raw.dedupe_key, raw.kind) == ("web", "teacher-1:a1", "postback")
    event = web.to_event(raw.raw)
    assert (event.kind.value, event.data, event.user_id, event.chat.id, event.chat.kind.value) == (
        "postback", "reg:start", "teacher-1", "teacher-1", "private",
    )  # fmt: skip
    group = web.to_event(web.raw_event("teacher-1", {"type": "text", "text": "/help", "id": "a2"}, chat="g-1").raw)
    assert (group.kind.value, group.text, group.chat.id, group.chat.kind.value) == ("text", "/help", "g-1", "group")
    assert json.dumps(raw.raw, ensure_ascii=False)  # stored as JSON


async def test_a_page_that_stops_reading_is_dropped_not_waited_for() -> None:
    from bot.channels import web as web_module

    web = WebChannel()
    key = chat_key("user", "teacher-1")
    queue = web.subscribe(key)
    for n in range(web_module.QUEUE_PER_PAGE + 1):
        web.echo({"user": "teacher-1", "text": f"{n}"})
    assert web.open_pages(key) == 0
    assert queue.get_nowait() == {"type": "reload"}
    assert len(web.history(key)) == web_module.HISTORY_PER_CHAT


async def test_staff_view_shows_open_threads_and_the_median_first_response(db: Database) -> None:
    async with sandbox(db) as box, Page.open(box, "teacher-1") as teacher:
        await teacher.send({"type": "text", "text": "ขอแบบฟอร์มลาออนไลน์ค่ะ"})
        await teacher.bot_says(t("inbox_ack_open", hours="08:30–16:30"))
        view = await (await box.client.get("/sandbox/api/staff")).json()
        assert [(th["id"], th["answered"]) for th in view["inbox"]["open"]] == [(1, False)]
        assert view["inbox"]["median_first_response_min"] is None
        async with Page.open(box, "staff-1") as staff:
            box.clock.advance(timedelta(minutes=12))
            await staff.send({"type": "text", "text": "/reply 1 ส่งแบบฟอร์มทางอีเมลแล้วค่ะ"})
            await teacher.bot_says(t("inbox_from_office", text="ส่งแบบฟอร์มทางอีเมลแล้วค่ะ"))
        view = await (await box.client.get("/sandbox/api/staff")).json()
        assert view["inbox"]["open"][0]["answered"] is True
        assert view["inbox"]["median_first_response_min"] == 12.0


# --- photos and files from the page (the 📎 button) ------------------------------------------------------------

PDF = b"%PDF-1.4\n% a leave form\n" + b"0" * 2000


def png(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def upload(
    box: Sandbox,
    persona: str,
    data: bytes,
    filename: str,
    *,
    content_type: str = "application/octet-stream",
    upload_id: str | None = None,
    group: str | None = None,
) -> aiohttp.ClientResponse:
    """What the page's 📎 button sends: multipart, the page's id for the message and the file."""
    form = aiohttp.FormData()
    if upload_id is not None:
        form.add_field("id", upload_id)
    form.add_field("file", io.BytesIO(data), filename=filename, content_type=content_type)
    query = f"as={persona}" + (f"&group={group}" if group else "")
    return await box.client.post(f"/sandbox/api/upload?{query}", data=form)


def attachments(page: Page, sender: str) -> list[dict[str, Any]]:
    return [
        f["item"]["attachment"]
        for f in page.frames
        if f["type"] == "message" and f["item"]["from"] == sender and f["item"].get("attachment")
    ]


async def media_count(db: Database) -> int:
    from sqlalchemy import func, select

    from storage.broadcast_models import Media

    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Media))).scalar_one())


async def staff_at_content_step(staff: Page) -> None:
    await staff.send({"type": "text", "text": "/broadcast"})
    await staff.bot_says(t("bc_who"))
    await staff.tap(t("bc_teachers"))
    await staff.until(lambda _: t("bc_next") in dict(staff.buttons()))
    await staff.tap(t("bc_next"))
    await staff.bot_says(t("bc_content"))


async def test_a_staff_picture_from_the_sandbox_is_previewed_and_broadcast_to_teachers(db: Database) -> None:
    from sqlalchemy import select

    picture = png()
    async with sandbox(db) as box, Page.open(box, "teacher-1") as teacher, Page.open(box, "staff-1") as staff:
        await staff_at_content_step(staff)
        sent = await upload(box, "staff-1", picture, "กำหนดการ.png", content_type="image/png", upload_id="up-1")
        assert sent.status == 200
        assert await sent.json() == {
            "ok": True, "id": "up-1", "duplicate": False, "kind": "image", "filename": "กำหนดการ.png",
        }  # fmt: skip
        # The picture shows in the staff's chat as their own message, then the bot asks for its text (as on LINE).
        await staff.bot_says(t("bc_ask_caption"))
        (mine,) = attachments(staff, "staff-1")
        assert (mine["kind"], mine["filename"]) == ("image", "กำหนดการ.png") and mine["url"].startswith("/media/")
        await staff.send({"type": "text", "text": "กำหนดการประชุมครู 5 ธ.ค."})
        await staff.bot_says("ตัวอย่างด้านบน")
        (preview,) = [
            f["item"] for f in staff.frames if f["type"] == "message" and f["item"]["from"] == "bot"
            and f["item"].get("attachment")
        ]  # fmt: skip
        assert preview["text"] == "กำหนดการประชุมครู 5 ธ.ค." and preview["attachment"]["url"] == mine["url"]
        await staff.tap(t("bc_send_now"))
        await staff.bot_says(t("bc_queued", id=1, total=4))  # the four seeded teachers (one is a director)
        await teacher.bot_says("กำหนดการประชุมครู 5 ธ.ค.")
        (got,) = attachments(teacher, "bot")
        assert (got["kind"], got["url"], got["content_type"]) == ("image", mine["url"], "image/png")
        served = await box.client.get(got["url"])
        assert served.status == 200 and served.content_type == "image/png" and await served.read() == picture
        # The page sent the same upload again (a retry): no second message, no second file kept.
        again = await upload(box, "staff-1", picture, "กำหนดการ.png", upload_id="up-1")
        assert (await again.json())["duplicate"] is True
        view = await (await box.client.get("/sandbox/api/staff")).json()
        assert (view["broadcasts"][0]["image"], view["broadcasts"][0]["file"]) == (mine["url"], None)
    assert await media_count(db) == 1
    async with db.sessions() as session:
        stored = (await session.execute(select(InboundEvent.raw).where(InboundEvent.kind == "media"))).scalars().all()
    # The stored event names the kept file; the bytes live only in the media table.
    assert [sorted(raw["file"]) for raw in stored] == [["content_type", "filename", "kind", "token"]]


async def test_a_teachers_pdf_reaches_staff_and_a_staff_picture_answers_it(db: Database) -> None:
    from storage.inbox_models import InboxMessage

    async with sandbox(db) as box, Page.open(box, "staff-1") as staff:
        async with Page.open(box, "teacher-1") as teacher:
            assert (await upload(box, "teacher-1", PDF, "ใบลา.pdf", content_type="application/pdf")).status == 200
            await teacher.bot_says(t("inbox_ack_open", hours="08:30–16:30"))
            assert [(a["kind"], a["filename"]) for a in attachments(teacher, "teacher-1")] == [("document", "ใบลา.pdf")]
            await staff.bot_says(t("media_file"))
            (forwarded,) = attachments(staff, "bot")
            assert (forwarded["kind"], forwarded["filename"], forwarded["content_type"]) == (
                "document", "ใบลา.pdf", "application/pdf",
            )  # fmt: skip
            assert await (await box.client.get(forwarded["url"])).read() == PDF
            view = await (await box.client.get("/sandbox/api/staff")).json()
            assert [(th["from"], th["channel"], th["answered"]) for th in view["inbox"]["open"]] == [
                ("ครูสมศรี ใจดี", "web", False)
            ]
            # Staff tap "reply" under the forward and answer with a picture.
            await staff.tap(t("btn_inbox_reply"))
            await staff.bot_says(t("inbox_type_reply", who="ครูสมศรี ใจดี", thread=1))
            assert (await upload(box, "staff-1", png(), "แบบฟอร์ม.png")).status == 200
            await staff.bot_says(t("inbox_reply_sent", thread=1, who="ครูสมศรี ใจดี"))
            await teacher.until(lambda _: bool(attachments(teacher, "bot")))
            assert [a["kind"] for a in attachments(teacher, "bot")] == ["image"]
        async with db.sessions() as session:
            from sqlalchemy import select

            kept = (await session.execute(select(InboxMessage.kind, InboxMessage.media_token))).all()
        assert [k for k, _ in kept] == ["file", "image"] and all(token for _, token in kept)
    # After a restart the teacher's chat still shows the file they sent.
    restarted = WebChannel(db)
    await restarted.start()
    shown = [i.get("attachment", {}).get("filename") for i in restarted.history(chat_key("user", "teacher-1"))]
    assert shown[0] == "ใบลา.pdf"


async def test_a_program_as_an_announcement_is_refused_in_thai_and_nothing_is_queued(db: Database) -> None:
    from sqlalchemy import select

    from storage.broadcast_models import Broadcast

    async with sandbox(db) as box, Page.open(box, "staff-1") as staff:
        await staff_at_content_step(staff)
        program = b"MZ\x90\x00\x03\x00\x00\x00 a windows program"
        assert (await upload(box, "staff-1", program, "setup.exe")).status == 200  # kept as any file is (inbox)
        await staff.until(lambda _: staff.bot_texts().count(t("bc_content")) == 2)
        assert staff.bot_texts()[-2:] == [t("file_wrong_type", name="setup.exe"), t("bc_content")]
        # The flow goes on: a text still makes the announcement.
        await staff.send({"type": "text", "text": "ประกาศทดสอบ"})
        await staff.bot_says("ตัวอย่างด้านบน")
        async with db.sessions() as session:
            assert (await session.execute(select(Broadcast))).first() is None


async def test_uploads_too_large_empty_or_in_a_group_are_refused_and_nothing_is_kept(db: Database) -> None:
    from handlers.attachments import MAX_DOCUMENT_BYTES

    async with sandbox(db) as box, Page.open(box, "teacher-1") as page:
        for size in (MAX_DOCUMENT_BYTES + 1, MAX_DOCUMENT_BYTES + 5 * 1024 * 1024):  # read to the limit; by header
            refused = await upload(box, "teacher-1", b"%PDF" + b"0" * (size - 4), "big.pdf")
            assert refused.status == 413, size
            assert await refused.json() == {"error": t("file_too_large", limit_mb=20)}
        empty = await upload(box, "teacher-1", b"", "empty.pdf")
        assert (empty.status, await empty.json()) == (400, {"error": t("file_empty")})
        in_group = await upload(box, "teacher-1", png(), "a.png", group="group-teachers")
        assert (in_group.status, await in_group.json()) == (400, {"error": t("file_private_only")})
        no_file = await box.client.post("/sandbox/api/upload?as=teacher-1", data={"id": "x1"})
        assert (no_file.status, await no_file.json()) == (400, {"error": t("file_missing")})
        not_multipart = await box.client.post("/sandbox/api/upload?as=teacher-1", json={"file": "x"})
        assert not_multipart.status == 400
        assert (await upload(box, "Teacher 1", png(), "a.png")).status == 400
        evil = await box.client.post(
            "/sandbox/api/upload?as=teacher-1", data={"file": "x"}, headers={"Origin": "http://evil.example"}
        )
        assert evil.status == 403
        # None of them shows in the chat: the page says the refusal itself (app.js), nothing was sent.
        await page.send({"type": "text", "text": "/help"})
        await page.bot_says(t("help"))
        assert [f["item"].get("text") for f in page.frames if f["type"] == "message"] == ["/help", t("help")]
    assert await media_count(db) == 0
    assert await count_web_events(db) == 1  # the /help


def test_an_upload_becomes_a_media_event_with_its_kept_file_attached() -> None:
    web = WebChannel(public_url="https://phuankru.example.go.th/")
    raw = web.file_event(
        "teacher-1", "u1", token="tok123", kind="image", filename="รูป.jpg", content_type="image/jpeg", preview=True
    )
    assert (raw.channel, raw.dedupe_key, raw.kind) == ("web", "teacher-1:u1", "media")
    event = web.to_event(raw.raw)
    assert (event.kind.value, event.media_type, event.file, event.user_id, event.chat.is_private) == (
        "media", "image", None, "teacher-1", True,
    )  # fmt: skip
    assert event.attachment is not None
    assert (event.attachment.url, event.attachment.preview_url, event.attachment.media_token) == (
        "https://phuankru.example.go.th/media/tok123",
        "https://phuankru.example.go.th/media/tok123-preview",
        "tok123",
    )
    document = web.to_event(web.file_event("t-2", "u2", token="t", kind="document", filename="a.pdf",
                                           content_type="application/pdf").raw)  # fmt: skip
    assert (document.media_type, document.attachment and document.attachment.kind) == ("file", "document")
    with pytest.raises(FrameError):
        web.file_event("teacher-1", "<bad>", token="t", kind="image", filename="a.png", content_type="image/png")


@pytest.mark.parametrize(
    ("given", "kind", "content_type", "kept"),
    [
        ("ใบลา.pdf", "document", "application/pdf", "ใบลา.pdf"),  # a browser: UTF-8 as it is
        ("%E0%B9%83%E0%B8%9A.pdf", "document", "application/pdf", "ใบ.pdf"),  # a client that %-escapes it all
        ("ใบ%22ลา%22%0D%0A.pdf", "document", "application/pdf", "ใบลา.pdf"),  # a browser's ", CR, LF
        ("C:\\Users\\ครู\\รูป.jpg", "image", "image/jpeg", "รูป.jpg"),
        ("../../etc/passwd", "document", "application/octet-stream", "passwd"),
        ("", "image", "image/png", "photo.png"),
        (None, "document", "application/pdf", "file.pdf"),
        ("\x00\x1b", "document", "application/octet-stream", "file"),
        ("ก" * 300 + ".docx", "document", "application/zip", ("ก" * 300 + ".docx")[-255:]),
    ],
)
def test_an_uploaded_files_name_is_kept_without_folders_or_control_characters(
    given: str | None, kind: str, content_type: str, kept: str
) -> None:
    from bot.sandbox import _clean_name
    from handlers.sent_files import sent_file_name

    assert sent_file_name(_clean_name(given), kind, content_type) == kept
