"""The sandbox page in a real browser: headless Chromium (Debian's `chromium`) driven by Playwright.

The app runs in-process on 127.0.0.1 (see `tests/test_sandbox.py`), the page is the one `phuankru demo` serves.
A teacher registers by tapping, a staff announcement reaches the teacher's page, the teacher answers a survey by
tapping, and the staff view shows the right means; an officer sends a photo with the 📎 button as a step's evidence.
Every step leaves a screenshot in test-artifacts/screenshots/<test>/<step>.png. Without Chromium or Playwright the
tests are skipped, with the reason; with PHUANKRU_REQUIRE_BROWSER=1 (CI) that is a failure instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from handlers.texts import t
from storage.db import Database
from storage.migrate import upgrade
from tests.test_sandbox import Sandbox, png, sandbox

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("PHUANKRU_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("PHUANKRU_REQUIRE_BROWSER") == "1"
# As root Chromium needs --no-sandbox; the rest keep it from reaching for the network (MACHINE_NOTES.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
WAIT_MS = 15_000
ANNOUNCEMENT = "ขอเชิญครูทุกท่านร่วมอบรม “ห้องเรียนดิจิทัล” วันศุกร์นี้ 13:30 น."
# Stored verbatim; must show as text, never as markup.
TRICKY_NAME = 'ครูใหม่ "ใจดี" <b>ทดสอบ</b> <img src=x onerror=alert(1)> 😊'


def _missing_browser() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set PHUANKRU_CHROMIUM)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    reason = _missing_browser()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"PHUANKRU_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    # One backend is enough here: what the page shows comes through the same code on both (test_sandbox.py).
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/browser.db")
    await upgrade(database)
    yield database
    await database.dispose()


class Shots:
    def __init__(self, test: str) -> None:
        self.folder = SCREENSHOTS / test
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def take(self, page: Page, step: str) -> None:
        await page.screenshot(path=str(self.folder / f"{step}.png"))


class Phone:
    """One persona's page, with the gestures a person makes."""

    def __init__(self, page: Page, errors: list[str]) -> None:
        self.page, self.errors = page, errors

    @classmethod
    async def open(cls, browser: Browser, box: Sandbox, persona: str) -> Phone:
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="th-TH")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))  # an alert() that ran
        await page.goto(f"{box.base_url}/sandbox?as={persona}")
        await page.wait_for_selector("body[data-ready='1']", timeout=WAIT_MS)
        return cls(page, errors)

    async def bot_says(self, text: str) -> None:
        from playwright.async_api import expect

        await expect(self.page.locator(".msg.bot .bubble", has_text=text).last).to_be_visible(timeout=WAIT_MS)

    async def tap(self, label: str) -> None:
        # The newest chip so labelled, as a person taps the buttons under the latest question.
        await self.page.get_by_role("button", name=label, exact=True).last.click()

    async def type(self, text: str) -> None:
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")


async def _register(teacher: Phone, shots: Shots) -> None:
    await teacher.bot_says(t("consent_question"))
    await shots.take(teacher.page, "01-teacher-welcome")
    await teacher.tap(t("btn_consent_yes"))
    await teacher.bot_says("บันทึกความยินยอมแล้ว")
    await teacher.tap(t("btn_register"))
    await teacher.bot_says(t("reg_name"))
    await teacher.type(TRICKY_NAME)
    await teacher.bot_says(t("reg_position"))
    await teacher.tap(t("pos_teacher"))
    await teacher.bot_says(t("reg_school"))
    await teacher.type("โพนงาม")
    await teacher.tap("โรงเรียนบ้านโพนงาม")
    await teacher.bot_says(t("reg_phone"))
    await teacher.tap(t("btn_skip"))
    await teacher.bot_says("ตรวจสอบข้อมูล")
    summary = await teacher.page.locator(".msg.bot .bubble").last.inner_text()
    assert TRICKY_NAME in summary  # the name as typed, tags and all, as text
    assert await teacher.page.locator("#messages b, #messages img[src='x']").count() == 0
    await shots.take(teacher.page, "02-teacher-summary")
    await teacher.tap(t("btn_confirm"))
    await teacher.bot_says(t("reg_done"))
    await shots.take(teacher.page, "03-teacher-registered")


async def _broadcast(staff: Phone, teacher: Phone, shots: Shots) -> None:
    await staff.type("/broadcast")
    await staff.bot_says(t("bc_who"))
    await staff.tap(t("bc_teachers"))
    await staff.tap(t("bc_next"))
    await staff.bot_says("พิมพ์ข้อความประกาศ")
    await staff.type(ANNOUNCEMENT)
    await staff.bot_says("ตัวอย่างด้านบน")
    await staff.tap(t("bc_send_now"))
    await staff.bot_says(t("bc_queued", id=1, total=5))
    await shots.take(staff.page, "04-staff-broadcast-sent")
    await teacher.bot_says(ANNOUNCEMENT)
    await shots.take(teacher.page, "05-teacher-got-announcement")


async def _answer_by_tapping(teacher: Phone, levels: tuple[int, ...], shots: Shots) -> None:
    from handlers.surveys.messages import level_button_label

    await teacher.bot_says("📋 แบบสอบถาม")
    await teacher.tap(t("sv_btn_start"))
    for number, level in enumerate(levels, start=1):
        await teacher.bot_says(f"ข้อ {number}/4")  # the question's own buttons are there before tapping
        await teacher.tap(level_button_label(level, "th"))
    await teacher.bot_says("ข้อเสนอแนะเพิ่มเติม")
    await shots.take(teacher.page, "06-teacher-answering")
    await teacher.tap(t("sv_btn_skip"))
    await teacher.bot_says("ขอบคุณที่ตอบแบบสอบถาม")
    await shots.take(teacher.page, "07-teacher-answered")


async def _answer_by_typing(teacher: Phone, levels: tuple[int, ...]) -> None:
    """LINE PC shows no quick replies: typing the level's number works the same."""
    await teacher.bot_says("📋 แบบสอบถาม")
    await teacher.type("แบบสอบถาม")
    for number, level in enumerate(levels, start=1):
        await teacher.bot_says(f"ข้อ {number}/4")
        await teacher.type(str(level))
    await teacher.bot_says("ข้อ 4/4")
    await teacher.type("ข้าม")
    await teacher.bot_says("ขอบคุณที่ตอบแบบสอบถาม")


def _cells(rows: list[list[str]], first: str) -> list[str]:
    return next(r for r in rows if len(r) > 1 and r[1] == first)


async def test_register_broadcast_survey_and_staff_view_in_the_browser(browser: Browser, sqlite_db: Database) -> None:
    from playwright.async_api import expect

    shots = Shots("test_register_broadcast_survey_and_staff_view")
    async with sandbox(sqlite_db) as box:
        teacher = await Phone.open(browser, box, "teacher-new")
        await _register(teacher, shots)
        staff = await Phone.open(browser, box, "staff-1")
        await _broadcast(staff, teacher, shots)

        await staff.type("/survey send demo-service role:teacher")
        await staff.bot_says("พร้อมส่งแบบสอบถาม")
        await staff.tap(t("sv_btn_send"))
        await staff.bot_says("ส่งแบบสอบถามแล้ว")
        await _answer_by_tapping(teacher, (5, 4, 5), shots)
        other = await Phone.open(browser, box, "teacher-1")
        await _answer_by_typing(other, (3, 4, 4))

        await staff.page.click("#staff-refresh")
        table = staff.page.locator("[data-testid='survey-table']").first
        await expect(table).to_contain_text("4.50", timeout=WAIT_MS)
        rows = await _table_rows(table)
        # q1 (5, 3) → 4.00, q2 (4, 4) → 4.00, q3 (5, 4) → 4.50; all six answers → 25/6 = 4.17.
        assert _cells(rows, "ความรวดเร็วในการให้บริการ")[2:6] == ["2", "4.00", "1.41", "มาก"]
        assert _cells(rows, "ความชัดเจนของข้อมูลที่ได้รับ")[2:6] == ["2", "4.00", "0.00", "มาก"]
        assert _cells(rows, "ความสุภาพของเจ้าหน้าที่")[2:6] == ["2", "4.50", "0.71", "มาก"]
        assert _cells(rows, "ภาพรวม")[2:4] == ["6", "4.17"]
        broadcast_row = (await _table_rows(staff.page.locator("[data-testid='broadcast-table']")))[1]
        assert broadcast_row[3:6] == ["5", "0", "0"]  # sent, pending, failed
        chart = staff.page.locator("[data-testid='staff-surveys'] img").first
        await expect(chart).to_be_visible(timeout=WAIT_MS)
        # Looked up inside the page each time: the staff view re-renders every 3 s, which replaces the <img>, so a
        # handle held across two calls can be detached by then.
        first_chart = "document.querySelector(\"[data-testid='staff-surveys'] img\")"
        loaded = f"() => {{ const img = {first_chart}; return !!img && img.complete && img.naturalWidth > 0; }}"
        await staff.page.wait_for_function(loaded, timeout=WAIT_MS)
        await staff.page.evaluate(f"() => {first_chart}.scrollIntoView()")
        await shots.take(staff.page, "08-staff-view")
        assert teacher.errors == staff.errors == other.errors == []


async def _table_rows(table: Any) -> list[list[str]]:
    return list(await table.evaluate("t => [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim()))"))


async def test_the_clock_jump_brings_tomorrows_reminder_and_done_shows_in_the_staff_view(
    browser: Browser, sqlite_db: Database
) -> None:
    from playwright.async_api import expect

    shots = Shots("test_the_clock_jump_brings_tomorrows_reminder")
    async with sandbox(sqlite_db) as box:
        officer = await Phone.open(browser, box, "officer-1")
        await expect(officer.page.locator("#clock-now")).to_have_text("5 ม.ค. 2569 09:00 น.", timeout=WAIT_MS)
        await expect(officer.page.locator("[data-testid='staff-processes']")).to_contain_text("เสร็จ 0/5")
        await officer.page.get_by_role("button", name="+1 วัน", exact=True).click()
        await officer.bot_says("ถึงกำหนดวันนี้")
        await expect(officer.page.locator("#clock-now")).to_have_text("6 ม.ค. 2569 09:00 น.", timeout=WAIT_MS)
        await shots.take(officer.page, "01-officer-reminded")
        # A photo as the step's evidence, sent with the 📎 button as on a phone.
        await officer.tap(t("btn_proc_evidence"))
        await officer.bot_says(t("proc_ask_evidence", n=1))
        attach = officer.page.get_by_role("button", name="แนบรูปหรือไฟล์", exact=True)
        await expect(attach).to_be_visible()
        async with officer.page.expect_file_chooser() as chooser:
            await attach.click()
        await (await chooser.value).set_files([{"name": "หลักฐาน.png", "mimeType": "image/png", "buffer": png()}])
        sent = officer.page.locator(".msg.me .bubble img").last
        await expect(sent).to_be_visible(timeout=WAIT_MS)
        await officer.page.wait_for_function(
            "img => img.complete && img.naturalWidth === 40", arg=await sent.element_handle()
        )
        assert (await sent.get_attribute("src") or "").startswith("/media/")
        await officer.bot_says(t("proc_evidence_saved", n=1, count=1))
        await shots.take(officer.page, "02-officer-evidence-photo")
        await officer.tap(t("btn_proc_done"))
        await officer.bot_says("เสร็จแล้ว")
        await officer.page.click("#staff-refresh")
        await expect(officer.page.locator("[data-testid='staff-processes']")).to_contain_text(
            "เสร็จ 1/5", timeout=WAIT_MS
        )
        await shots.take(officer.page, "03-officer-step-done")
        assert officer.errors == []
