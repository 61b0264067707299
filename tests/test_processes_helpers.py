"""Helpers shared by the process tests (this module holds no tests): people, processes, and driving the clock.

`run_until` moves the FakeClock from one due reminder to the next — never sleeping — ticking the scheduler
a minute before each (nothing may go out early) and at it, and records what each person received and when.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from handlers.processes import templates
from storage import holidays as holidays_repo
from storage import process_templates
from storage import processes as repo
from storage.models import Contact
from storage.process_models import ProcessReminder, ProcessStep, ReminderState
from tests.events import tg_callback, tg_message, tg_photo
from tests.harness import Harness

BKK = ZoneInfo("Asia/Bangkok")
_ids = itertools.count(50_000)

ONE_STEP = """\
key: one-step
title: ส่งรายงานข้อมูลสารสนเทศ
steps:
  - number: 1
    title: ส่งรายงาน
"""

TWO_STEPS = """\
key: two-steps
title: จัดทำข้อมูลนักเรียน
steps:
  - number: 1
    title: รวบรวมข้อมูล
    days: 2
  - number: 2
    title: ตรวจสอบและรายงาน
    days: 3
"""


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BKK)


def stamp(moment: datetime) -> str:
    """'Mon 12 08:30' in Bangkok time: what the assertions compare."""
    return moment.astimezone(BKK).strftime("%a %d %H:%M")


async def person(h: Harness, tg_id: int, *, role: str = "officer", name: str | None = None, **fields: Any) -> int:
    return await h.known_person("telegram", str(tg_id), role=role, display_name=name or f"ครู {tg_id}", **fields)


async def import_template(h: Harness, text: str) -> None:
    async with h.db.sessions() as session, session.begin():
        await process_templates.import_template(session, templates.parse_template(text, "test.yaml"), now=h.clock.now())


async def add_holiday(h: Harness, day: date, name: str = "วันหยุดพิเศษ") -> None:
    async with h.db.sessions() as session, session.begin():
        await holidays_repo.upsert(
            session, [holidays_repo.HolidayRow(day.year, day.month, day.day, name)], now=h.clock.now()
        )


async def start(
    h: Harness,
    key: str,
    officer_id: int,
    *,
    start_on: date | None = None,
    end_on: date | None = None,
    step_due: Mapping[int, date | datetime] | None = None,
) -> list[int]:
    """Start a process as the CLI does (no chat message); the step ids, in order."""
    async with h.db.sessions() as session, session.begin():
        await templates.ensure_shipped(session, now=h.clock.now())
        template = await process_templates.find_template(session, key)
        officer = await session.get(Contact, officer_id)
        assert template is not None and officer is not None
        view = await repo.start_process(
            session,
            template=template,
            officer=officer,
            calendar=h.services.calendar,
            now=h.clock.now(),
            actor=repo.Actor("test"),
            start=start_on,
            end=end_on,
            step_due=step_due,
        )
        return [s.id for s in view.steps]


async def tick(h: Harness) -> None:
    await h.services.ticker.tick()
    await h.settle()


async def next_due(h: Harness) -> datetime | None:
    async with h.db.sessions() as session:
        due: datetime | None = await session.scalar(
            select(func.min(ProcessReminder.due_at)).where(ProcessReminder.state == ReminderState.PENDING.value)
        )
        return due


async def pending(h: Harness) -> int:
    return await h.count(ProcessReminder, ProcessReminder.state == ReminderState.PENDING.value)


async def step_row(h: Harness, step_id: int) -> ProcessStep:
    async with h.db.sessions() as session:
        step = await session.get(ProcessStep, step_id)
        assert step is not None
        return step


@dataclass
class Received:
    at: str  # stamp() of when it was delivered
    who: int  # Telegram user id
    text: str


class Watch:
    """What the given Telegram users have received since the last look."""

    def __init__(self, h: Harness, *people: int) -> None:
        self.h, self.people = h, people
        self.seen = {p: len(h.telegram.sent_texts(p)) for p in people}

    def new(self) -> list[Received]:
        out = []
        for p in self.people:
            texts = self.h.telegram.sent_texts(p)
            out += [Received(stamp(self.h.clock.now()), p, text) for text in texts[self.seen[p] :]]
            self.seen[p] = len(texts)
        return out


async def run_until(h: Harness, until: datetime, watch: Watch) -> list[Received]:
    """Jump from one due reminder to the next until `until`; fail if anything goes out before its time."""
    received: list[Received] = []
    for _ in range(500):
        due = await next_due(h)
        if due is None or due > until:
            break
        if due > h.clock.now():
            h.clock.set(max(h.clock.now(), due - timedelta(minutes=1)))
            await tick(h)
            early = watch.new()
            assert early == [], f"sent before its time ({stamp(due)}): {early}"
            h.clock.set(due)
        await tick(h)
        received += watch.new()
    if until > h.clock.now():
        h.clock.set(until)
        await tick(h)
        received += watch.new()
    return received


class Officer:
    """Someone on Telegram who types and taps, and reads the answers."""

    def __init__(self, h: Harness, tg_id: int) -> None:
        self.h, self.id = h, tg_id

    async def _send(self, update: dict[str, Any]) -> list[str]:
        before = len(self.h.telegram.sent_texts(self.id))
        assert (await self.h.post_telegram(update)).status == 200
        await self.h.settle()
        return self.h.telegram.sent_texts(self.id)[before:]

    async def say(self, text: str) -> list[str]:
        return await self._send(tg_message(self.id, text))

    async def tap(self, data: str) -> list[str]:
        return await self._send(tg_callback(self.id, data))

    async def photo(self) -> list[str]:
        # A tiny JPEG header is enough: PhuanKru keeps what it fetched and tells pictures by their first bytes.
        file_id = self.h.telegram.add_file(b"\xff\xd8\xff\xe0 a photo of the signed report")
        return await self._send(tg_photo(self.id, file_id))

    def buttons(self) -> list[tuple[str, str]]:
        markup = next(s.reply_markup for s in reversed(self.h.telegram.sent) if s.chat_id == str(self.id))
        return [(b["text"], b["callback_data"]) for row in (markup or {}).get("inline_keyboard", []) for b in row]
