"""The security checklist (issue #9), each item a test of what answers and what is stored, on SQLite and PostgreSQL.

- webhooks without or with a wrong signature/secret: 401, nothing stored, nobody answered;
- a replayed body is stored and answered once;
- an oversized body is 413 and a deeply nested one a 400, never a 5xx nor a crash, and the server keeps answering;
- names with CR/LF, control characters or thousands of characters are kept, and never reach an HTTP header;
- SQL and HTML in everything a person can type is stored verbatim, and leaves only as text: the sandbox sends JSON
  its page puts on screen with textContent, exports are spreadsheets, not HTML;
- a text starting with = + - @ (or a tab or CR) is never a formula in any export;
- a teacher who crafts staff, officer or admin button data is refused politely and nothing changes;
- button data that is long, non-ASCII or garbage changes nothing and never makes a 5xx.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.cli_people import write_csv, write_xlsx
from bot.cli_processes import write_report_xlsx
from core.model import OutMessage
from core.spreadsheet_safe import FORMULA_START, csv_cell
from handlers.surveys import report as survey_report
from handlers.texts import t
from storage import broadcasts, inbox
from storage.broadcast_models import Broadcast
from storage.db import Database
from storage.inbox_models import InboxMessage, InboxThread
from storage.models import AuditLog, Contact, InboundEvent, OutboxMessage
from storage.process_models import ProcessStep
from storage.survey_models import SurveyAnswer
from tests.events import line_postback, line_text, tg_callback, tg_message
from tests.fakes import line_signature
from tests.harness import LINE_SECRET, TELEGRAM_SECRET, Harness, running
from tests.test_processes_helpers import TWO_STEPS, import_template, start
from tests.test_registration import LinePerson, TelegramPerson
from tests.test_survey_flow import import_fixture, report_of, send

PLATFORMS = ["line", "telegram"]
pytestmark = pytest.mark.usefixtures("no_webhook_crashes")  # a crash is answered 400 too: counted, it fails here
INTERNAL_ERROR = t("internal_error")
REFUSED = {
    t("refused", roles=t("role_staff")),
    t("refused", roles=t("role_officer")),
    t("refused", roles=t("role_admin")),
}

SQL_DROP = "'); DROP TABLE contacts;--"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
# Each is 2-100 characters with no leading/trailing space, so every field (registration name: 2-100, unlisted
# school: 2-200, survey note: at most 50) takes it as typed.
INJECTIONS = [SQL_DROP, SCRIPT, IMG, "ครู\"สมศรี\" ' OR '1'='1"]

Person = LinePerson | TelegramPerson


def person(h: Harness, platform: str, n: int) -> Person:
    return LinePerson(h, f"Usec{n:04d}") if platform == "line" else TelegramPerson(h, 8800 + n)


def platform_id(p: Person) -> str:
    return str(p.id)


async def contact_of(h: Harness, platform: str, p: Person) -> Contact:
    async with h.db.sessions() as session:
        row = (
            await session.execute(
                select(Contact).where(Contact.channel == platform, Contact.platform_user_id == platform_id(p))
            )
        ).scalar_one()
        return row


def assert_no_apology(h: Harness) -> None:
    texts = [d.message.get("text") for d in h.line.deliveries] + [s.text for s in h.telegram.sent]
    assert INTERNAL_ERROR not in texts


# --- signatures and secrets -------------------------------------------------------------------------------


async def test_unsigned_or_wrongly_signed_webhooks_are_401_and_store_nothing(db: Database) -> None:
    async with running(db) as h:
        event = line_text("Uforged", "/help", reply_token=h.line.issue_reply_token(to="Uforged"))
        body = json.dumps({"destination": "Ubot0000", "events": [event]}).encode()
        other_body = json.dumps({"destination": "Ubot0000", "events": []}).encode()
        missing, invalid = "missing X-Line-Signature", "invalid X-Line-Signature"
        line_cases = {
            "missing": (None, missing),
            "empty": ("", missing),
            "garbage": ("not base64 at all!", invalid),
            "another body's": (line_signature(LINE_SECRET, other_body), invalid),
            "another secret's": (line_signature("not-the-channel-secret", body), invalid),
            "truncated": (line_signature(LINE_SECRET, body)[:-4], invalid),
        }
        for name, (signature, reason) in line_cases.items():
            response = await h.post_line_body(body, signature=signature)
            assert (response.status, await response.json()) == (401, {"ok": False, "error": reason}), name
        update = tg_message(8701, "/help")
        refused = (401, {"ok": False, "error": "invalid X-Telegram-Bot-Api-Secret-Token"})
        for secret in (None, "", "wrong-secret", TELEGRAM_SECRET.upper(), TELEGRAM_SECRET + "x", TELEGRAM_SECRET[:-1]):
            response = await h.post_telegram(update, secret=secret)
            assert (response.status, await response.json()) == refused, secret
        await h.settle()
        assert await h.stored_events() == 0
        assert await h.count(Contact) == 0
        assert await h.count(OutboxMessage) == 0
        assert (h.line.deliveries, h.telegram.sent) == ([], [])
        # The same requests, correctly signed, do get in: the 401s were about the signature only.
        assert (await h.post_line_body(body)).status == 200
        assert (await h.post_telegram(update)).status == 200
        assert await h.stored_events() == 2


# --- replays -------------------------------------------------------------------------------------------------


async def test_a_replayed_body_is_stored_and_answered_once(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("line", "Ureplay")
        await h.known_person("telegram", "8702")
        body = json.dumps(
            {
                "destination": "Ubot0000",
                "events": [line_text("Ureplay", "/help", reply_token=h.line.issue_reply_token(to="Ureplay"))],
            }
        ).encode()
        update = tg_message(8702, "/help")
        # Sequential and concurrent replays of the very same bytes.
        first = [(await h.post_line_body(body)).status, (await h.post_telegram(update)).status]
        again = await asyncio.gather(
            *(h.post_line_body(body) for _ in range(3)), *(h.post_telegram(update) for _ in range(3))
        )
        assert first + [r.status for r in again] == [200] * 8
        await h.settle()
        assert await h.stored_events() == 2
        assert h.line.delivered_texts("Ureplay") == [t("help")]
        assert h.telegram.sent_texts(8702) == [t("help")]
        assert await h.count(OutboxMessage) == 2


# --- size and depth ---------------------------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_oversized_and_deeply_nested_bodies_are_refused_and_the_server_keeps_answering(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("line", "Udeep")
        await h.known_person("telegram", "8703")
        huge = b'{"destination": "U", "events": [], "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        too_large = (413, "Maximum request body size 1048576 exceeded.")
        response = await h.post_line_body(huge)
        assert (response.status, await response.text()) == too_large
        response = await h.client.post(
            "/webhooks/telegram", data=io.BytesIO(huge), headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        )
        assert (response.status, await response.text()) == too_large
        answers = []
        # Too deep for Python's parser; parsed but too deep to store (~960 levels failed at the commit); shallow.
        for depth in (100_000, 5_000, 900, 50):
            event = {
                "type": "message",
                "webhookEventId": f"01DEEP{depth:020d}",
                "timestamp": 1,
                "mode": "active",
                "source": {"type": "user", "userId": "Udeep"},
                "replyToken": "r",
                "message": "@",
            }
            line_body = json.dumps({"destination": "U", "events": [event]}).replace('"@"', nested(depth)).encode()
            update = json.dumps({"update_id": 990_000 + depth, "message": "@"}).replace('"@"', nested(depth))
            for response in (
                await h.post_line_body(line_body),  # validly signed
                await h.client.post(
                    "/webhooks/telegram",
                    data=update.encode(),
                    headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
                ),
            ):
                answers.append((response.status, await response.json()))
        not_json = (400, {"ok": False, "error": "body is not JSON"})
        too_deep = (400, {"ok": False, "error": "body is nested more than 100 deep"})
        assert answers == [not_json] * 4 + [too_deep] * 2 + [(200, {"ok": True})] * 2
        await h.settle()  # what was accepted (the shallow ones) is handled without a crash or an apology
        async with h.db.sessions() as session:
            rows = (await session.execute(select(InboundEvent).order_by(InboundEvent.channel))).scalars().all()
        assert [(r.channel, r.processed_at is not None, r.error) for r in rows] == [
            ("line", True, None),
            ("telegram", True, None),
        ]
        assert_no_apology(h)
        assert (h.line.deliveries, h.telegram.sent) == ([], [])
        # Still serving.
        assert (await h.client.get("/healthz")).status == 200
        await LinePerson(h, "Udeep").say("/help")
        await TelegramPerson(h, 8703).say("/help")
        assert h.line.delivered_texts("Udeep") == [t("help")]
        assert h.telegram.sent_texts(8703) == [t("help")]


async def test_the_adapters_themselves_reject_deep_json_without_a_recursion_error(db: Database) -> None:
    from bot.channels.common import WebhookRejected

    async with running(db) as h:
        assert h.services.line is not None and h.services.telegram is not None
        body = ('{"events": ' + nested(100_000) + "}").encode()
        with pytest.raises(WebhookRejected):
            h.services.line.verify(body, line_signature(LINE_SECRET, body))
        with pytest.raises(WebhookRejected):
            h.services.telegram.verify(body, TELEGRAM_SECRET)


# --- names ---------------------------------------------------------------------------------------------------

HEADERISH = "ครู\r\nX-Injected: 1\r\n\r\n<b>hi</b>\x01\x07\x1b[31m\u202e\u200b"


async def test_names_with_cr_lf_control_characters_or_great_length_are_kept_and_never_in_a_header(
    db: Database,
) -> None:
    long_name = "ก" * 5000 + "\r\n" + "x" * 5000
    async with running(db) as h:
        await h.known_person("line", "Ustaff", role="staff", display_name="เจ้าหน้าที่")
        for user_id, name in ((8704, HEADERISH), (8705, long_name)):
            update = tg_message(user_id, "/start")
            update["message"]["from"]["first_name"] = name
            update["message"]["chat"]["first_name"] = name
            assert (await h.post_telegram(update)).status == 200
            await h.settle()
            assert h.telegram.sent_texts(user_id)[0] == t("welcome")  # the bot still answers
            # Then a message to the office: staff get the name in the forward's text.
            assert (await TelegramPerson(h, user_id).tap("reg:consent:yes")) == [t("consent_thanks")]
            assert await TelegramPerson(h, user_id).say("สอบถามเรื่องเงินเดือนค่ะ") == [
                t("inbox_ack_open", hours="08:30–16:30")
            ]
        async with h.db.sessions() as session:
            names = {
                row[0]: row[1] for row in await session.execute(select(Contact.platform_user_id, Contact.display_name))
            }
        assert (names["8704"], names["8705"]) == (HEADERISH, long_name)  # verbatim
        forwards = h.line.delivered_texts("Ustaff")
        assert HEADERISH in forwards[0]
        assert "".join(forwards[1:]).count("ก") >= 5000  # the long one, split into several messages, all of it
        # A LINE name is what the person types at registration: whitespace is folded, the rest kept.
        teacher = LinePerson(h, "Uheader")
        await h.known_person("line", "Uheader")
        await teacher.say("/register")
        assert (await teacher.say(HEADERISH))[0].startswith(t("reg_position"))
        assert_no_apology(h)
        for request in h.line.requests:
            for value in request.headers.values():
                assert "X-Injected" not in value and "\r" not in value and "\n" not in value and "ครู" not in value
        assert not any(HEADERISH in str(r.params.get("chat_id", "")) for r in h.telegram.requests)


# --- SQL and HTML in what people type ----------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_sql_and_html_typed_anywhere_is_stored_verbatim_and_changes_nothing_else(
    db: Database, platform: str
) -> None:
    name, school, note, message = SQL_DROP, SCRIPT, IMG, f"{SQL_DROP} {SCRIPT} {IMG}"
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        teacher, staff = person(h, platform, 1), person(h, platform, 2)
        await h.known_person(platform, platform_id(teacher))
        await h.known_person(platform, platform_id(staff), role="staff", display_name="เจ้าหน้าที่")

        # Registration: the name, and a school that is not in the list, typed.
        await teacher.say("/register")
        await teacher.say(name)
        await teacher.tap("reg:pos:teacher")
        assert (await teacher.say(school))[0].startswith(t("reg_school_none", query=school))
        await teacher.tap("reg:school:typed")
        summary = await teacher.say("ข้าม")
        assert name in summary[0] and school in summary[0]  # shown as typed: chat messages are plain text
        assert await teacher.tap("reg:confirm") == [t("reg_done")]

        # A survey's free-text answer.
        campaign = await send(h, "test-hand-computed", f"channel:{platform}")
        assert (await teacher.say("แบบสอบถาม"))[1].startswith("ข้อ 1/5")
        for answer in ("5", "4", "3", "1"):
            await teacher.say(answer)
        assert (await teacher.say(note))[0].startswith(t("sv_thanks_changes_open"))

        # A message to the office, and the staff's broadcast.
        assert await teacher.say(message) == [t("inbox_ack_open", hours="08:30–16:30")]
        await staff.say("/broadcast")
        await staff.tap("bc:a:all")
        await staff.tap("bc:next")
        preview = await staff.say(message)
        assert preview[0] == message
        queued = await staff.tap("bc:now")
        await h.settle()

        async with h.db.sessions() as session:
            registered = (
                await session.execute(select(Contact).where(Contact.platform_user_id == platform_id(teacher)))
            ).scalar_one()
            typed_note = await session.execute(select(SurveyAnswer.text).where(SurveyAnswer.text.is_not(None)))
            inbox_texts = (await session.execute(select(InboxMessage.text))).scalars().all()
            broadcast = (await session.execute(select(Broadcast))).scalar_one()
        assert (registered.display_name, registered.school_name_unlisted) == (name, school)
        assert typed_note.scalars().all() == [note]
        assert message in inbox_texts
        assert OutMessage.from_json(broadcast.content).text == message
        assert t("bc_queued", id=broadcast.id, total=2) in queued  # (staff are in "all" too: they got it as well)
        # The table is still there, with everyone in it, and the announcement arrived as text, unchanged.
        assert await h.count(Contact) == 2
        received = h.line.delivered_texts(teacher.id) if platform == "line" else h.telegram.sent_texts(teacher.id)
        assert message in received
        # The exports carry them as text.
        report = await report_of(h, campaign)
        assert [answer for answer, _ in report.texts[0].answers] == [note]
        rows = list(csv.reader(io.StringIO(survey_report.to_csv(report))))
        assert note in [r[-1] for r in rows]
        sheet = load_workbook(io.BytesIO(survey_report.to_xlsx(report)))["ข้อเสนอแนะ"]
        cells = {c.value: c.data_type for row in sheet.iter_rows() for c in row if c.value is not None}
        assert cells[note] == "s" and cells[name] == "s"  # a named survey shows who wrote it
        assert_no_apology(h)


async def test_the_sandbox_serves_typed_html_as_json_data_and_its_page_writes_text_only(db: Database) -> None:
    from tests.test_sandbox import Page, queue_broadcast, sandbox

    static = Path(__file__).parent.parent / "bot" / "sandbox_static"
    script = (static / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    assert "textContent" in script
    async with sandbox(db) as box:
        await queue_broadcast(box, "role:teacher", f"{SCRIPT} {IMG}")
        async with Page.open(box, "teacher-1") as page:
            await page.send({"type": "text", "text": f"{SQL_DROP} {SCRIPT}"})
            await page.bot_says(t("inbox_ack_open", hours="08:30–16:30"))
            mine = [f["item"]["text"] for f in page.frames if f["type"] == "message" and f["item"]["from"] != "bot"]
            assert mine == [f"{SQL_DROP} {SCRIPT}"]  # echoed as data, unchanged
        view = await box.client.get("/sandbox/api/staff")
        assert view.content_type == "application/json"
        data = await view.json()
        assert data["broadcasts"][0]["text"] == f"{SCRIPT} {IMG}"
        html = await (await box.client.get("/sandbox")).text()
        assert SCRIPT not in html and "onerror" not in html  # the page is static; data comes only as JSON
        async with box.services.db.sessions() as session:
            stored = (await session.execute(select(InboxMessage.text))).scalars().all()
        assert f"{SQL_DROP} {SCRIPT}" in stored


# --- formulas in exports ---------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","คลิก")', "+1+1", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"]
FORMULA_NAMES = [*FORMULAS, "\t=1+1", "\r=1+1"]


def test_csv_cell_neutralises_formula_starts_and_keeps_numbers() -> None:
    for text in FORMULA_NAMES:
        assert csv_cell(text) == "'" + text
    assert [csv_cell(v) for v in (-5, 3.5, None, "ครู", "a=b", "")] == [-5, 3.5, None, "ครู", "a=b", ""]
    assert set(FORMULA_START) == {"=", "+", "-", "@", "\t", "\r"}


def assert_csv_safe(text: str, *, expect: list[str]) -> None:
    cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
    assert cells, "an empty export proves nothing"
    for value in expect:
        assert "'" + value in cells, value
    assert not [c for c in cells if c.startswith(FORMULA_START)], "a cell a spreadsheet would run"


def assert_xlsx_safe(data: bytes | Path, *, expect: list[str]) -> None:
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.value for c in cells if c.data_type == "f"], "a formula cell"
    values = {c.value for c in cells}
    for value in expect:
        # Kept verbatim, as a text cell (XML reads a stored CR back as LF).
        assert value.replace("\r", "\n") in values, value


async def test_survey_results_exports_never_carry_a_formula(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        people = [TelegramPerson(h, 8710 + i) for i in range(len(FORMULAS))]
        names = FORMULA_NAMES[2:]  # "-2+3", "@SUM(A1:A2)", "=cmd|...", "\t=1+1", "\r=1+1": a named survey shows them
        for p, name in zip(people, names, strict=True):
            await h.known_person("telegram", str(p.id), display_name=name)
        campaign = await send(h, "test-hand-computed", "all")
        for p, answer in zip(people, FORMULAS, strict=True):
            await p.say("แบบสอบถาม")
            for level in ("5", "4", "3", "1"):
                await p.say(level)
            assert (await p.say(answer))[0].startswith(t("sv_thanks_changes_open")), answer
        async with h.db.sessions() as session:
            stored = (await session.execute(select(SurveyAnswer.text).where(SurveyAnswer.text.is_not(None)))).scalars()
            assert sorted(stored) == sorted(FORMULAS)  # kept as typed in the database
        report = await report_of(h, campaign)
        assert_csv_safe(survey_report.to_csv(report), expect=FORMULAS)
        assert_xlsx_safe(survey_report.to_xlsx(report), expect=FORMULAS + names)
        # Numbers stay numbers.
        sheet = load_workbook(io.BytesIO(survey_report.to_xlsx(report)))["สรุปผล"]
        assert any(isinstance(c.value, float) for row in sheet.iter_rows() for c in row)
        rows = list(csv.reader(io.StringIO(survey_report.to_csv(report))))
        assert rows[1][6] == str(len(FORMULAS))  # n


async def test_contacts_export_never_carries_a_formula(db: Database, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from bot.cli_people import export_rows

    async with running(db) as h:
        for i, name in enumerate(FORMULA_NAMES):
            await h.known_person("telegram", str(8720 + i), display_name=name, school_name_unlisted=name)
        async with h.db.sessions() as session:
            rows = await export_rows(session, role=None, tag=None, tz=ZoneInfo("Asia/Bangkok"))
    write_csv(tmp_path / "c.csv", rows)
    write_xlsx(tmp_path / "c.xlsx", rows)
    assert_csv_safe((tmp_path / "c.csv").read_bytes().decode("utf-8-sig"), expect=FORMULA_NAMES)
    assert_xlsx_safe(tmp_path / "c.xlsx", expect=FORMULA_NAMES)
    sheet = load_workbook(tmp_path / "c.xlsx").active
    assert sheet is not None and isinstance(sheet.cell(2, 1).value, int)  # the contact id stays a number


def test_process_report_xlsx_never_carries_a_formula(tmp_path: Path) -> None:
    evil = FORMULA_NAMES
    data: dict[str, Any] = {
        "id": 1,
        "code": "=1+1",
        "title": evil[0],
        "fiscal_year": 2569,
        "officer": {"name": evil[1], "contact": "telegram:1"},
        "start": "2026-01-05",
        "end": None,
        "state": "active",
        "summary": dict.fromkeys(("steps", "done", "done_on_time", "skipped", "pending", "snoozes", "evidence"), 1),
        "objectives": [evil[2]],
        "forms": [evil[3]],
        "references": [evil[4]],
        "steps": [
            {
                "number": 1,
                "title": evil[5],
                "planned": "2026-01-06",
                "due": "2026-01-07",
                "state": "skipped",
                "finished_at": "2026-01-07T03:00:00+00:00",
                "finished_by": evil[6],
                "late_days": 1,
                "skip_reason": evil[0],
                "snoozes": 2,
                "evidence": [{"kind": "note", "note": evil[1], "reference": None}],
            }
        ],
        "log": [{"at": "2026-01-07T03:00:00+00:00", "step": 1, "who": evil[2], "action": "=x", "detail": None}],
    }
    from zoneinfo import ZoneInfo

    write_report_xlsx(tmp_path / "p.xlsx", data, ZoneInfo("Asia/Bangkok"))
    assert_xlsx_safe(tmp_path / "p.xlsx", expect=[*evil[:7], "=x"])
    steps = load_workbook(tmp_path / "p.xlsx")["ขั้นตอน"]
    assert [steps.cell(2, c).value for c in (1, 8, 10)] == [1, 1, 2]  # numbers stay numbers


# --- role escalation through crafted buttons -------------------------------------------------------------------


async def snapshot(h: Harness, teacher_contact: int) -> dict[str, Any]:
    async with h.db.sessions() as session:
        return {
            "outbox_to_others": await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where((OutboxMessage.contact_id.is_(None)) | (OutboxMessage.contact_id != teacher_contact))
            ),
            "broadcasts": [tuple(r) for r in await session.execute(select(Broadcast.id, Broadcast.state))],
            "threads": [
                tuple(r)
                for r in await session.execute(select(InboxThread.id, InboxThread.state, InboxThread.assigned_to))
            ],
            "steps": [
                tuple(r) for r in await session.execute(select(ProcessStep.id, ProcessStep.state, ProcessStep.due_on))
            ],
            "roles": [tuple(r) for r in await session.execute(select(Contact.id, Contact.role).order_by(Contact.id))],
            "inbox_messages": await session.scalar(select(func.count()).select_from(InboxMessage)),
        }


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_teacher_crafting_staff_officer_and_admin_buttons_is_refused_and_nothing_changes(
    db: Database, platform: str
) -> None:
    async with running(db) as h:
        officer_id = await h.known_person("telegram", "8790", role="officer", display_name="เจ้าหน้าที่กระบวนงาน")
        staff_id = await h.known_person("telegram", "8791", role="staff", display_name="เจ้าหน้าที่")
        await import_template(h, TWO_STEPS)
        step_ids = await start(h, "two-steps", officer_id)
        await h.known_person("telegram", "8792")
        await TelegramPerson(h, 8792).say("ขอแบบฟอร์มค่ะ")  # thread 1, forwarded to staff
        async with h.db.sessions() as session, session.begin():
            scheduled = await broadcasts.create(
                session,
                author="cli",
                author_contact_id=None,
                audience_texts=["all"],
                content=OutMessage(text="ประกาศตั้งเวลา"),
                now=h.clock.now(),
                at=h.clock.now() + timedelta(days=1),
            )
            thread_id = (await inbox.list_threads(session, open_only=True, limit=1))[0].id
        await h.settle()
        teacher = person(h, platform, 3)
        teacher_contact = await h.known_person(platform, platform_id(teacher))
        before = await snapshot(h, teacher_contact)
        audited_before = await h.count(AuditLog, AuditLog.allowed.is_(False))

        step = step_ids[0]
        refused_data = [
            "bc:a:all", "bc:a:role:teacher", "bc:next", "bc:now", "bc:later", "bc:tags", "bc:groups", "bc:schools",
            f"bc:stop:{scheduled.id}", f"bc:detail:{scheduled.id}", "bc:cancel",
            f"inbox:r:{thread_id}", f"inbox:c:{thread_id}", f"inbox:a:{thread_id}",
            f"inbox:as:{thread_id}:{teacher_contact}", f"inbox:as:{thread_id}:{staff_id}", "inbox:x",
            f"proc:done:{step}", f"proc:skip:{step}", f"proc:snz:{step}:3", f"proc:snz:{step}:d", f"proc:ev:{step}",
            f"proc:card:{step}", "proc:view:1", "proc:tpl:two-steps", "proc:go", "proc:setend",
        ]  # fmt: skip
        for data in refused_data:
            answer = await teacher.tap(data)
            assert len(answer) == 1 and answer[0] in REFUSED, (data, answer)
        # The survey send button only works after a staff preview, which a teacher can't get.
        assert await teacher.tap("sv:send:yes") == [t("expired_button")]
        # Typed, the same commands are refused too.
        for command in ("/grant telegram:8792 admin", "/broadcast", "/inbox", "/reply 1 สวัสดี", "/processes"):
            assert (await teacher.say(command))[0] in REFUSED, command

        assert await snapshot(h, teacher_contact) == before
        assert await h.count(AuditLog, AuditLog.allowed.is_(False)) == audited_before + len(refused_data) + 5
        assert await h.count(Broadcast) == 1
        assert_no_apology(h)


def garbage_data(seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abc:0123456789ก-ฮ๑๒ \t\n\\\"'%;<>/?=&\u200b😀"
    junk = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(8)]
    prefixes = ["bc:", "inbox:", "proc:", "sv:", "reg:", "priv:forget:", "lang:", "sv:send:", "sv:a:"]
    long = [p + "x" * 300 for p in prefixes] + [p + "ข้อมูล" * 20 for p in prefixes]
    return [*long, *junk, "", ":", "::::", "bc", "sv:a:1:2:3:4:5:6", "sv:a:-1:0:5", "proc:done:99999999999999999999"]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_long_non_ascii_or_garbage_button_data_changes_nothing(db: Database, platform: str) -> None:
    async with running(db) as h:
        teacher = person(h, platform, 4)
        teacher_contact = await h.known_person(platform, platform_id(teacher))
        before = await snapshot(h, teacher_contact)
        statuses = []
        for n, data in enumerate(garbage_data(seed=hash(platform) % 1000)):
            if platform == "line":
                token = h.line.issue_reply_token(to=str(teacher.id))
                response = await h.post_line([line_postback(str(teacher.id), data, reply_token=token)])
            else:
                response = await h.post_telegram(tg_callback(int(teacher.id), data))
            statuses.append(response.status)
            if n % 8 == 7:
                await h.settle()
        await h.settle()
        assert set(statuses) == {200}
        async with h.db.sessions() as session:
            errors = await session.execute(select(InboundEvent.error).where(InboundEvent.error.is_not(None)))
            assert errors.scalars().all() == []
        assert_no_apology(h)
        assert await snapshot(h, teacher_contact) == before
        # Still answering normally.
        assert await teacher.say("/help") == [t("help")]


async def test_a_long_crafted_button_is_refused_and_audited_even_on_postgresql(db: Database) -> None:
    """Regression: "inbox:" + 300 characters made an audit action longer than its column, and PostgreSQL's refusal
    of that row turned the polite refusal into the internal-error apology (storage/audit.py now clips)."""
    from storage import audit

    columns = AuditLog.__table__.c
    assert tuple(columns[name].type.length for name in ("actor", "action", "target")) == (
        audit.ACTOR_MAX,
        audit.ACTION_MAX,
        audit.TARGET_MAX,
    )
    async with running(db) as h:
        await h.known_person("telegram", "8796")
        answer = await TelegramPerson(h, 8796).tap("inbox:" + "ข" * 300)
        assert answer == [t("refused", roles=t("role_staff"))]
        async with h.db.sessions() as session:
            action = (await session.execute(select(AuditLog.action).where(AuditLog.allowed.is_(False)))).scalar_one()
        assert action == "inbox.button"  # a fixed name: the crafted data is not the action


# --- NUL characters ---------------------------------------------------------------------------------------------


def test_storable_replaces_only_real_nul_and_lone_surrogates_and_nulls_non_finite_numbers() -> None:
    from storage.inbound import RawEvent, parse, storable

    raw = {"a\x00": ["x\x00y", "\\u0000 typed as text", "\\\x00", {"k": "\x00\x00"}], "n": 1}
    assert storable(raw) == {
        "a\ufffd": ["x\ufffdy", "\\u0000 typed as text", "\\\ufffd", {"k": "\ufffd\ufffd"}],
        "n": 1,
    }
    # Lone surrogates (in keys too) become U+FFFD; a pair that is an emoji, and "\\ud83d" typed as text, stay.
    raw = {"\ud83d": "abc\udfff", "e": "😀 \\ud83d", "two": "\ude00\ud83d", "f": [float("nan"), float("-inf"), 1e308]}
    assert storable(raw) == {"\ufffd": "abc\ufffd", "e": "😀 \\ud83d", "two": "\ufffd\ufffd", "f": [None, None, 1e308]}
    clean = {"text": "ครู \\u0000 😀", "x": 1.5}
    assert storable(clean) is clean
    assert RawEvent("telegram", "1", "message", {"message": {"text": "a\x00"}}).raw == {"message": {"text": "a\ufffd"}}
    event = RawEvent("line", "k\ud83d\x00", "\udfff", {})
    assert (event.dedupe_key, event.kind) == ("k\ufffd\ufffd", "\ufffd")
    # The fast path (plain) is taken only for bodies with nothing to clean.
    assert parse('{"text": "ครู 😀", "n": 1.5e10, "big": 1e300, "id": "U4e123abc", "t": "NaN or Infinity, typed"}')[1]
    for body in ('"\\u0000"', '"\\uD83D"', '"\\udfff"', '"\\ud83d\\ude00"', "[NaN]", "[-Infinity]", "[1e400]"):
        assert parse(body)[1] is False, body
    assert parse("[" + "1" * 400 + ".0]") == ([float("inf")], False)


async def test_a_nul_character_in_a_message_is_stored_replaced_and_answered(db: Database) -> None:
    """Regression: PostgreSQL stores no NUL in JSONB, so such an update was refused with 503 at every delivery (the
    platform retries a 503 for ever) while SQLite took it; storage/inbound.py now replaces NUL with U+FFFD."""
    async with running(db) as h:
        await h.known_person("telegram", "8797")
        await h.known_person("line", "Unul")
        assert (await h.post_telegram(tg_message(8797, "ขอ\x00แบบฟอร์ม"))).status == 200
        token = h.line.issue_reply_token(to="Unul")
        assert (await h.post_line([line_text("Unul", "ขอ\x00แบบฟอร์ม", reply_token=token)])).status == 200
        await h.settle()
        ack = [t("inbox_ack_open", hours="08:30–16:30")]
        assert (h.telegram.sent_texts(8797), h.line.delivered_texts("Unul")) == (ack, ack)
        async with h.db.sessions() as session:
            texts = (await session.execute(select(InboxMessage.text))).scalars().all()
        assert texts == ["ขอ\ufffdแบบฟอร์ม", "ขอ\ufffdแบบฟอร์ม"]
        assert_no_apology(h)
