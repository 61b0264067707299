"""Processes in chat: /processes, /process, /process_start, the step buttons, typed answers, and bad input.

The clock stands on Monday 5 January 2026, 09:00 in Bangkok unless a test moves it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from handlers.texts import t
from storage.db import Database
from storage.models import AuditLog
from storage.process_models import ProcessRun, ProcessStep, StepLog
from tests.events import line_text
from tests.harness import Harness, running
from tests.test_processes_helpers import ONE_STEP, TWO_STEPS, Officer, import_template, local, person, start, tick

EVALUATION = "กระบวนการ ๔ ติดตาม ประเมินผลระบบข้อมูลสารสนเทศ เพื่อการบริหารและการจัดการศึกษา"


async def log_actions(h: Harness) -> list[tuple[str, dict[str, object]]]:
    async with h.db.sessions() as session:
        rows = (await session.execute(select(StepLog).order_by(StepLog.id))).scalars()
        return [(r.action, dict(r.detail)) for r in rows]


async def test_only_officers_and_admins_see_processes(db: Database) -> None:
    async with running(db) as h:
        await person(h, 9301, role="teacher")
        await person(h, 9302)
        assert await Officer(h, 9301).say("/processes") == [t("refused", roles=t("role_officer"))]
        assert await h.count(AuditLog, AuditLog.action == "process.list", AuditLog.allowed.is_(False)) == 1
        assert await Officer(h, 9302).say("/processes") == [t("proc_none")]
        assert await Officer(h, 9301).tap("proc:done:1") == [t("refused", roles=t("role_officer"))]


async def test_processes_shows_progress_and_the_late_ones_first(db: Database) -> None:
    async with running(db) as h:
        officer_id = await person(h, 9310, name="ครูมานี")
        await person(h, 9311, role="admin")
        officer = Officer(h, 9310)
        evaluation = await start(h, "info-evaluation", officer_id, start_on=date(2026, 1, 5), end_on=date(2026, 3, 31))
        for step_id in evaluation[:2]:
            done = await officer.tap(f"proc:done:{step_id}")
            assert done[0].startswith("บันทึกแล้วค่ะ ✅")
        await import_template(h, ONE_STEP)
        await start(h, "one-step", officer_id, step_due={1: date(2026, 1, 6)})
        h.clock.set(local(2026, 1, 8, 10))
        [listing] = await officer.say("/processes")
        assert listing.startswith(t("proc_list_mine", n=2))
        assert listing.index("ส่งรายงานข้อมูลสารสนเทศ (#2)") < listing.index(EVALUATION)  # late first
        assert "⚠️ เลยกำหนด 2 วันทำการ" in listing
        assert "▰▰▱▱▱ 2/5" in listing and "▱ 0/1" in listing
        assert "ถัดไป: ขั้นที่ 3 เสนอผู้บริหารเพื่อให้เห็นชอบ" in listing
        assert officer.buttons() == [("#2", "proc:view:2"), ("#1", "proc:view:1")]
        [everyone] = await Officer(h, 9311).say("/processes")
        assert everyone.startswith(t("proc_list_all", n=2)) and "ครูมานี" in everyone
        page = await officer.tap("proc:view:1")
        assert page[0].splitlines()[:4] == [
            f"{EVALUATION} (#1)",
            "▰▰▱▱▱ 2/5",
            "✅ 1. กำหนดวัตถุประสงค์และเป้าหมายของการประเมิน",
            "    เสร็จเมื่อ 5 ม.ค. 2569",
        ]
        assert page[1].startswith(t("proc_current") + "\n" + f"{EVALUATION} (#1)\nขั้นที่ 3/5")


async def test_starting_a_process_by_tapping(db: Database) -> None:
    async with running(db) as h:
        await person(h, 9320, name="ครูวิชัย")
        officer = Officer(h, 9320)
        [menu] = await officer.say("/process_start")
        assert menu.startswith(t("proc_pick_template"))
        buttons = officer.buttons()
        assert len(buttons) == 9 and buttons[4] == ("กระบวนการ ๔", "proc:tpl:info-evaluation")
        [preview] = await officer.tap("proc:tpl:info-evaluation")
        assert "ผู้รับผิดชอบ: ครูวิชัย" in preview
        assert "ช่วงเวลา: 5 ม.ค. 2569 – 30 ก.ย. 2569" in preview  # the Thai fiscal year 2569 ends 30 September
        assert officer.buttons() == [("ยืนยัน", "proc:go"), ("กำหนดวันสิ้นสุดเอง", "proc:setend"), ("ยกเลิก", "proc:cancel")]
        assert await officer.tap("proc:setend") == [t("proc_ask_end")]
        assert await officer.say("1/1/2569") == [t("proc_end_before_start", start="5 ม.ค. 2569", end="1 ม.ค. 2569")]
        assert await officer.say("เมื่อไรก็ได้") == [t("proc_date_bad"), t("proc_ask_end")]
        [shorter] = await officer.say("31/3/2569")
        assert "ช่วงเวลา: 5 ม.ค. 2569 – 31 มี.ค. 2569" in shorter
        assert await h.count(ProcessRun) == 0  # nothing until confirmed
        started = await officer.tap("proc:go")
        assert started[0] == t("proc_started", id=1)
        assert started[1].startswith(t("proc_assigned", name=f"{EVALUATION} (#1)"))
        assert "แบบฟอร์มที่ใช้:\n1. แบบติดตาม การประเมินผลระบบข้อมูลสารสนเทศ" in started[1]
        assert started[2].startswith(t("proc_current"))
        assert await officer.tap("proc:go") == [t("expired_button")]  # a second tap starts nothing
        async with h.db.sessions() as session:
            run = (await session.execute(select(ProcessRun))).scalar_one()
        assert (run.key, run.start_on, run.end_on, run.created_by) == (
            "info-evaluation",
            date(2026, 1, 5),
            date(2026, 3, 31),
            "telegram:9320",
        )


async def test_an_admin_starts_a_process_for_an_officer_who_is_told(db: Database) -> None:
    async with running(db) as h:
        await person(h, 9330, role="admin")
        await person(h, 9332, name="ครูผู้รับผิดชอบ")
        admin = Officer(h, 9330)
        await admin.say("/process_start website telegram:9332")
        assert await admin.tap("proc:go") == [t("proc_started_for", id=1, officer="ครูผู้รับผิดชอบ")]
        told = h.telegram.sent_texts(9332)
        assert told[0].startswith("ท่านได้รับมอบหมายเป็นผู้รับผิดชอบ กระบวนการ ๕")


async def test_bad_starts_are_refused_and_change_nothing(db: Database) -> None:
    async with running(db) as h:
        await person(h, 9330, role="admin")
        await person(h, 9331, role="teacher")
        await person(h, 9332)
        officer, admin = Officer(h, 9332), Officer(h, 9330)
        assert await officer.say("/process_start nope") == [t("proc_unknown_template", template="nope")]
        assert await officer.say("/process_start website telegram:9330") == [t("refused", roles=t("role_admin"))]
        assert await admin.say("/process_start website telegram:9331") == [t("proc_not_officer", who="telegram:9331")]
        assert await admin.say("/process_start website telegram:4242") == [t("proc_no_contact", who="telegram:4242")]
        assert await admin.say("/process_start website someone") == [t("proc_start_usage")]
        assert await h.count(ProcessRun) == 0


async def test_skip_needs_a_reason_and_evidence_takes_notes_and_photos(db: Database) -> None:
    async with running(db) as h:
        officer_id = await person(h, 9340)
        await import_template(h, TWO_STEPS)
        first, second = await start(h, "two-steps", officer_id)
        officer = Officer(h, 9340)
        assert await officer.tap(f"proc:skip:{first}") == [t("proc_ask_reason", n=1)]
        assert await officer.say("x") == [t("proc_reason_bad", max=500), t("proc_ask_reason", n=1)]
        skipped = await officer.say("ไม่มีงบประมาณ   ปีนี้")
        assert skipped[0] == t("proc_skipped_ok", n=1)
        assert skipped[1].startswith(t("proc_current") + "\nจัดทำข้อมูลนักเรียน (#1)\nขั้นที่ 2/2: ตรวจสอบและรายงาน")
        assert await officer.tap(f"proc:ev:{second}") == [t("proc_ask_evidence", n=2)]
        assert await officer.say("ส่งแบบรายงานให้ผู้อำนวยการแล้ว") == [t("proc_evidence_saved", n=2, count=1)]
        assert await officer.photo() == [t("proc_evidence_saved", n=2, count=2)]
        assert officer.buttons() == [("เสร็จแล้ว", f"proc:done:{second}"), ("แนบครบแล้ว", f"proc:evend:{second}")]
        finished = await officer.say("1")  # typed: the first button
        assert finished[0] == t("proc_done_ok", n=2, title="ตรวจสอบและรายงาน")
        assert finished[1] == t("proc_finished_ok", name="จัดทำข้อมูลนักเรียน (#1)", id=1)
        actions = await log_actions(h)
        evidence = [d for a, d in actions if a == "evidence"]
        assert [(e["kind"], e["note"]) for e in evidence] == [("note", "ส่งแบบรายงานให้ผู้อำนวยการแล้ว"), ("image", None)]
        assert evidence[1]["reference"].startswith("/media/")  # the photo is kept, for the closing report
        served = await h.client.get(evidence[1]["reference"])
        assert await served.read() == b"\xff\xd8\xff\xe0 a photo of the signed report"
        assert [a for a, _ in actions] == [
            "started",
            "reached",
            "skipped",
            "reached",
            "evidence",
            "evidence",
            "done",
            "finished",
        ]
        async with h.db.sessions() as session:
            skipped_step = await session.get(ProcessStep, first)
            assert skipped_step is not None and skipped_step.skip_reason == "ไม่มีงบประมาณ ปีนี้"


async def test_taps_on_a_finished_process_change_nothing(db: Database) -> None:
    async with running(db) as h:
        officer_id = await person(h, 9350)
        await import_template(h, ONE_STEP)
        [step] = await start(h, "one-step", officer_id)
        officer = Officer(h, 9350)
        await officer.tap(f"proc:done:{step}")
        before = await log_actions(h)
        for data in (
            f"proc:done:{step}",
            f"proc:snz:{step}",
            f"proc:snz:{step}:1",
            f"proc:skip:{step}",
            f"proc:ev:{step}",
        ):
            assert await officer.tap(data) == [t("proc_finished", id=1)], data
        assert await officer.tap("proc:done:999") == [t("proc_no_step")]
        assert await log_actions(h) == before


async def test_only_the_officer_or_an_admin_may_record_a_step(db: Database) -> None:
    async with running(db) as h:
        owner = await person(h, 9360)
        await person(h, 9361)
        await person(h, 9362, role="admin")
        await import_template(h, TWO_STEPS)
        first, _ = await start(h, "two-steps", owner)
        assert await Officer(h, 9361).tap(f"proc:done:{first}") == [t("proc_not_yours", id=1)]
        assert await h.count(AuditLog, AuditLog.action == "process.step", AuditLog.allowed.is_(False)) == 1
        done = await Officer(h, 9362).tap(f"proc:done:{first}")
        assert done[0] == t("proc_done_ok", n=1, title="รวบรวมข้อมูล")


async def test_a_reminder_answered_by_typing_on_line_pc(db: Database) -> None:
    async with running(db) as h:
        officer_id = await h.known_person("line", "Uofficer1", role="officer", display_name="ครูไลน์")
        await import_template(h, ONE_STEP)
        await start(h, "one-step", officer_id, step_due={1: date(2026, 1, 12)})
        await start(h, "one-step", officer_id, step_due={1: date(2026, 1, 14)})
        h.clock.set(local(2026, 1, 7, 8, 30))
        await tick(h)
        [reminder] = h.line.delivered_texts("Uofficer1")
        assert "1. เสร็จแล้ว\n2. เลื่อน\n3. ข้าม\n4. แนบหลักฐาน" in reminder  # no quick replies on PC: numbered

        async def say(text: str) -> list[str]:
            before = len(h.line.delivered_texts("Uofficer1"))
            token = h.line.issue_reply_token(to="Uofficer1")
            assert (await h.post_line([line_text("Uofficer1", text, reply_token=token)])).status == 200
            await h.settle()
            return h.line.delivered_texts("Uofficer1")[before:]

        answer = await say("1")
        assert answer[0].startswith(t("proc_done_ok", n=1, title="ส่งรายงาน"))
        h.clock.set(local(2026, 1, 9, 8, 30))
        await tick(h)
        # Free text is not an answer to the reminder: it is a message to the office (acknowledged once) ...
        assert await say("สวัสดีค่ะ") == [t("inbox_ack_open", hours="08:30–16:30")]
        assert await say("1") == []  # ... and the reminder's buttons are forgotten: "1" joins that message

        await start(h, "one-step", officer_id, step_due={1: date(2026, 1, 20)})
        listing = await say("/processes")
        assert listing[0].startswith(t("proc_list_mine", n=2))
        assert t("proc_list_hint") in listing[0] and listing[0].endswith("1. #2\n2. #3\n\n" + t("options_hint"))
        page = await say("1")  # the number of the listed process
        assert page[0].startswith("ส่งรายงานข้อมูลสารสนเทศ (#2)\n▱ 0/1")
        assert "1. เสร็จแล้ว" in page[1]
        assert (await say("3"))[0] == t("proc_ask_reason", n=1)  # 3 = ข้าม on the step card


MONTHLY = """\
key: monthly-report
title: รายงานข้อมูลประจำเดือน
recurrence: monthly
steps:
  - number: 1
    title: รวบรวมและส่งรายงาน
    days: 3
"""


async def test_a_recurring_process_sets_up_its_next_period_when_finished(db: Database) -> None:
    async with running(db) as h:
        officer_id = await person(h, 9370)
        await import_template(h, MONTHLY)
        [step] = await start(h, "monthly-report", officer_id)
        async with h.db.sessions() as session:
            first = (await session.execute(select(ProcessRun))).scalar_one()
        assert (first.start_on, first.end_on) == (date(2026, 1, 5), date(2026, 1, 31))
        answer = await Officer(h, 9370).tap(f"proc:done:{step}")
        assert answer[-1] == t("proc_next_period", id=2, start="1 ก.พ. 2569")
        async with h.db.sessions() as session:
            runs = (await session.execute(select(ProcessRun).order_by(ProcessRun.id))).scalars().all()
            steps = (await session.execute(select(ProcessStep).where(ProcessStep.process_id == 2))).scalars().all()
        assert [(r.state, r.previous_id, r.start_on, r.end_on) for r in runs] == [
            ("done", None, date(2026, 1, 5), date(2026, 1, 31)),
            ("active", 1, date(2026, 2, 1), date(2026, 2, 28)),
        ]
        assert [s.due_on for s in steps] == [date(2026, 2, 27)]  # the period's last working day: 28 is a Saturday


async def test_chat_plans_follow_the_office_s_working_days(db: Database) -> None:
    six_days = "key: six-days\ntitle: งานหกวัน\nsteps:\n  - number: 1\n    title: ทำงาน\n    days: 6\n"
    for workdays, due in (("mon-fri", "12 ม.ค. 2569"), ("all", "10 ม.ค. 2569")):
        async with running(db, settings_extra={"phuankru_workdays": workdays}) as h:
            await person(h, 9380 + len(workdays))
            await import_template(h, six_days)
            [preview] = await Officer(h, 9380 + len(workdays)).say("/process_start six-days")
            assert f"1. ทำงาน — กำหนด {due}" in preview, workdays
