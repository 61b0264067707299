"""“รายละเอียด” under a delivery report: who has not been reached (failed, blocked, still waiting) with their name,
school and platform in Thai, paged, and every recipient as an xlsx sheet sent as a document."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from core.model import OutMessage
from handlers.texts import t
from scheduler.broadcast_jobs import BroadcastJobs
from storage import broadcasts, media, schools
from storage.db import Database
from storage.schools import SchoolRow
from tests.harness import running
from tests.test_registration import TelegramPerson

PUBLIC_URL = "https://phuankru.example"


async def test_details_list_who_was_not_reached_by_school_and_send_the_sheet(db: Database) -> None:
    async with running(db, settings_extra={"phuankru_public_url": PUBLIC_URL}) as h:
        async with db.sessions() as session, session.begin():
            await schools.upsert_many(session, [SchoolRow("โรงเรียนบ้านนาดี", "1034000301", "เมือง")], now=h.clock.now())
        await h.known_person("telegram", "9001", role="staff")
        now = h.clock.now()
        for i in range(30):  # 30 teachers who blocked the bot, at the school, so the list needs a second page
            await h.known_person(
                "telegram",
                str(7000 + i),
                display_name=f"ครูบล็อก {i:02d}",
                position="teacher",
                registered_at=now,
                school_id=1,
            )
            h.telegram.blocked.add(7000 + i)
        await h.known_person("telegram", "7100", display_name="=HYPERLINK(1)", position="teacher", registered_at=now)
        async with db.sessions() as session, session.begin():
            made = await broadcasts.create(
                session,
                author="cli",
                author_contact_id=None,
                audience_texts=["role:teacher"],
                content=OutMessage(text="ประชุม"),
                now=now,
            )
        await h.settle()
        await BroadcastJobs(db, h.clock).tick()
        await h.settle()
        staff = TelegramPerson(h, 9001)
        first = await staff.tap(f"bc:detail:{made.id}")
        report, listing, sheet_caption = first
        assert report.startswith(f"ผลการส่งประกาศหมายเลข {made.id}\nส่งสำเร็จ 1 | ไม่สำเร็จ 0 | ถูกบล็อก 30")
        assert "Telegram: ถูกบล็อก 30, ส่งแล้ว 1" in report  # the platform and outcomes in Thai, not "TELEGRAM: blocked"
        lines = listing.splitlines()
        assert lines[0] == t("bc_not_reached", n=30, first=1, last=25)
        assert lines[1] == "1. ครูบล็อก 00 (โรงเรียนบ้านนาดี) · Telegram — ถูกบล็อก"
        assert len(lines) == 26
        assert sheet_caption == t("bc_sheet_caption", id=made.id)
        # The second page, from the button under the first.
        second = await staff.tap(f"bc:detail:{made.id}:25")
        assert second[0].splitlines()[0] == t("bc_not_reached", n=30, first=26, last=30)
        assert second[0].splitlines()[-1] == "30. ครูบล็อก 29 (โรงเรียนบ้านนาดี) · Telegram — ถูกบล็อก"
        assert len(second) == 1  # no report, no sheet again
        # The sheet went as a document from /media; every recipient, formula-safe.
        document = next(s for s in h.telegram.sent if s.method == "sendDocument" and s.chat_id == "9001")
        assert document.text == t("bc_sheet_caption", id=made.id)
        async with db.sessions() as session:
            from storage.broadcast_models import Media

            row = (await session.execute(select(Media).where(Media.filename.like("phuankru-broadcast-%")))).scalar_one()
            kept = await media.fetch(session, row.token)
        assert kept is not None
        sheet = load_workbook(io.BytesIO(kept.data)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        last = sheet.cell(row=sheet.max_row, column=1)
        assert (last.value, last.data_type) == ("=HYPERLINK(1)", "s")  # kept as text, never a formula
        assert rows[0] == ("ชื่อ", "โรงเรียน", "ช่องทาง", "ผลการส่ง", "เวลาที่ส่งถึง", "สาเหตุ")
        assert len(rows) == 32
        assert rows[1][:4] == ("ครูบล็อก 00", "โรงเรียนบ้านนาดี", "Telegram", "ถูกบล็อก")
        assert rows[-1][3] == "ส่งแล้ว"
