"""`phuankru demo --tour`: the three jobs walked through by script, printing what each persona sees.

The tour runs the real pipeline — the web channel's events stored by the InboundWriter, the handlers, the outbox,
the delivery worker, the ticker's due work — on a fresh temporary SQLite database with a fake clock, so it is
the same every time and needs no browser. Each step states what it expects; the first surprise ends the tour
with a line saying what was expected and what was seen (exit 1). At the end comes the survey report table.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.channels.web import WebChannel, chat_key
from bot.demo import DEMO_PROCESS_KEY, PERSONAS, TEACHERS, demo_settings, next_working_day, office_calendar, seed
from bot.services import Services, build_services
from core.clock import FakeClock
from handlers.texts import t
from storage import contacts
from storage.db import Database
from storage.migrate import upgrade

# Monday 5 January 2026, 09:00 in Bangkok: a working morning, so reminders may go out at once.
TOUR_START = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
ANNOUNCEMENT = "ขอเชิญครูทุกท่านร่วมอบรม “ห้องเรียนดิจิทัล” วันศุกร์นี้ เวลา 13:30 น. ณ ห้องประชุม สพป."
NEWCOMER = "teacher-new"
NEWCOMER_NAME = "ครูใหม่ ใจกว้าง"
# (teacher, levels of q1..q3, suggestion): the means the report must show follow from these.
ANSWERS: tuple[tuple[str, tuple[int, int, int], str | None], ...] = (
    ("teacher-1", (5, 4, 5), "อยากให้มีคู่มือออนไลน์"),
    ("teacher-2", (4, 4, 5), None),
    ("teacher-3", (3, 4, 4), None),
)
SURVEY_KEY = "demo-service"
EXPECTED_MEANS = ("4.00", "4.00", "4.67")


class TourFailure(AssertionError):
    """A step did not behave as expected; the message says what was expected and what was seen."""


def expect(condition: bool, what: str, seen: object = None) -> None:
    if not condition:
        raise TourFailure(f"{what}; saw: {seen!r}"[:1500] if seen is not None else what)


class Person:
    """One persona's chat on the web channel: what they send, and every bubble they are shown."""

    def __init__(self, tour: Tour, persona: str, name: str) -> None:
        self.tour, self.id, self.name = tour, persona, name
        self.key = chat_key("user", persona)
        self.queue = tour.web.subscribe(self.key)
        self.seen: list[dict[str, Any]] = []
        self._seq = 0

    def _collect(self) -> list[dict[str, Any]]:
        new = []
        while not self.queue.empty():
            frame = self.queue.get_nowait()
            if frame.get("type") == "message" and frame["item"]["from"] == "bot":
                new.append(frame["item"])
        self.seen += new
        for item in new:
            self.tour.show(self, item)
        return new

    async def _send(self, frame: dict[str, Any], shown: str) -> list[dict[str, Any]]:
        self._seq += 1
        frame = {**frame, "id": f"tour-{self._seq}"}
        raw = self.tour.web.raw_event(self.id, frame)
        self.tour.line(f"[{self.name}] {shown}")
        stored = await self.tour.services.writer.store_events([raw])
        expect(len(stored) == 1, f"{self.name}'s message is stored once", [event_id for event_id, _ in stored])
        self.tour.web.echo(raw.raw)
        self.tour.services.processor.submit_stored(stored)
        await self.tour.settle()
        return self._collect()

    async def follow(self) -> list[dict[str, Any]]:
        return await self._send({"type": "follow"}, "➕ (เพิ่มเพื่อน)")

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self._send({"type": "text", "text": text}, f"⌨ {text}")

    async def tap(self, label: str) -> list[dict[str, Any]]:
        """Tap the button so labelled on the latest message that has one, as a person scrolling up would."""
        for item in reversed(self.seen):
            for button in item.get("buttons", ()):
                if button["label"] == label:
                    return await self._send({"type": "tap", "data": button["data"], "label": label}, f"👆 {label}")
        offered = [b["label"] for i in self.seen[-3:] for b in i.get("buttons", ())]
        raise TourFailure(f"{self.name} has no button {label!r} to tap; the last buttons were {offered}")

    def texts(self, items: Sequence[dict[str, Any]]) -> list[str]:
        return [str(i.get("text", "")) for i in items]

    def pending(self) -> list[dict[str, Any]]:
        return self._collect()


class Tour:
    def __init__(self, services: Services, web: WebChannel, clock: FakeClock, out: TextIO) -> None:
        self.services, self.web, self.clock, self.out = services, web, clock, out
        self.people: dict[str, Person] = {}
        self.step_number = 0

    def person(self, persona: str, name: str | None = None) -> Person:
        if persona not in self.people:
            known = next((p.name for p in PERSONAS if p.id == persona), persona)
            self.people[persona] = Person(self, persona, name or known)
        return self.people[persona]

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def show(self, person: Person, item: dict[str, Any]) -> None:
        body = str(item.get("text") or "")
        if item.get("attachment"):
            body = f"🖼 {item['attachment'].get('url')}\n{body}".strip()
        if item.get("link"):
            body = f"{body}\n{item['link']}".strip()
        lines = body.splitlines() or [""]
        self.line(f"[{person.name}] 🤖 {lines[0]}")
        for rest in lines[1:]:
            self.line(f"{' ' * (len(person.name) + 3)}   {rest}")
        if item.get("buttons"):
            chips = "  ".join(f"[{b['label']}]" for b in item["buttons"])
            self.line(f"{' ' * (len(person.name) + 3)}   {chips}")

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.step_number += 1
        self.line()
        self.line(f"=== {self.step_number}. {title} ===")
        yield
        self.line(f"✓ {title}")

    async def settle(self, rounds: int = 50) -> None:
        """Handle what is queued and deliver what is due until nothing moves (the tests' `settle`)."""
        for _ in range(rounds):
            await self.services.processor.drain()
            if await self.services.worker.run_once() == 0 and self.services.processor.queue.empty():
                return
        raise TourFailure("the outbox did not settle")

    async def tick(self) -> dict[str, int]:
        handled = await self.services.ticker.tick()
        await self.settle()
        return handled


# --- the steps --------------------------------------------------------------------------------------------


async def registration(tour: Tour) -> None:
    with tour.step("ครูคนใหม่ลงทะเบียนด้วยการแตะปุ่ม (registration)"):
        newcomer = tour.person(NEWCOMER, "ครูคนใหม่")
        first = newcomer.texts(await newcomer.follow())
        expect(t("welcome") in first, "a newcomer is welcomed", first)
        expect(any(t("consent_question") in x for x in first), "and asked for consent", first)
        expect(t("consent_thanks") in newcomer.texts(await newcomer.tap(t("btn_consent_yes"))), "consent is thanked")
        expect(newcomer.texts(await newcomer.tap(t("btn_register"))) == [t("reg_name")], "the name is asked")
        expect(newcomer.texts(await newcomer.say(NEWCOMER_NAME)) == [t("reg_position")], "the position is asked")
        expect(newcomer.texts(await newcomer.tap(t("pos_teacher"))) == [t("reg_school")], "the school is asked")
        found = await newcomer.say("โพนงาม")
        expect(newcomer.texts(found) == [t("reg_school_found")], "the school search finds it", newcomer.texts(found))
        expect(newcomer.texts(await newcomer.tap("โรงเรียนบ้านโพนงาม")) == [t("reg_phone")], "the phone is asked")
        summary = newcomer.texts(await newcomer.tap(t("btn_skip")))
        expect(any(NEWCOMER_NAME in x and "โรงเรียนบ้านโพนงาม" in x for x in summary), "a summary to confirm", summary)
        expect(newcomer.texts(await newcomer.tap(t("btn_confirm"))) == [t("reg_done")], "registration is done")
        async with tour.services.db.sessions() as session:
            person = await contacts.find_by_platform_id(session, "web", NEWCOMER)
        expect(person is not None and person.registered_at is not None, "the newcomer is registered in the database")
        assert person is not None
        expect((person.display_name, person.position) == (NEWCOMER_NAME, "teacher"), "with name and position")


async def broadcast(tour: Tour) -> None:
    with tour.step("เจ้าหน้าที่ส่งประกาศถึงครูทุกคน (broadcast)"):
        staff = tour.person("staff-1")
        expect(staff.texts(await staff.say("/broadcast")) == [t("bc_who")], "staff are asked for the audience")
        chosen = staff.texts(await staff.tap(t("bc_teachers")))
        expect(bool(chosen) and "ครู" in chosen[0], "the teachers are chosen", chosen)
        expect(staff.texts(await staff.tap(t("bc_next"))) == [t("bc_content")], "the content is asked")
        preview = staff.texts(await staff.say(ANNOUNCEMENT))
        expect(preview[:1] == [ANNOUNCEMENT], "the preview shows the announcement as teachers will see it", preview)
        # "ครู" is everyone registered as a teacher: the director (teacher-4) is not one of them.
        teachers = [p.id for p in TEACHERS if p.position == "teacher"] + [NEWCOMER]
        queued = staff.texts(await staff.tap(t("bc_send_now")))
        expect(queued == [t("bc_queued", id=1, total=len(teachers))], "it is queued for every teacher", queued)
        for persona in [p.id for p in TEACHERS] + [NEWCOMER]:
            got = tour.person(persona).texts(tour.person(persona).pending())
            wanted = 1 if persona in teachers else 0
            expect(got.count(ANNOUNCEMENT) == wanted, f"{persona} receives the announcement {wanted} time(s)", got)
        await tour.tick()  # the broadcast job sees it finished and reports to its author
        report = staff.texts(staff.pending())
        sent = f"ส่งสำเร็จ {len(teachers)} "
        expect(any(sent in x for x in report), f"staff get the delivery report: {len(teachers)} sent", report)


async def survey(tour: Tour) -> None:
    with tour.step("แบบสอบถามความพึงพอใจ: ส่ง ตอบด้วยการแตะ และดูผล (survey)"):
        staff = tour.person("staff-1")
        preview = await staff.say(f"/survey send {SURVEY_KEY} role:teacher")
        expect(any(b["label"] == t("sv_btn_send") for i in preview for b in i.get("buttons", ())), "a send preview")
        sent = staff.texts(await staff.tap(t("sv_btn_send")))
        expect(bool(sent) and sent[0].startswith(t("sv_sent", campaign=1, people=0, groups=0)[:20]), "sent", sent)
        from handlers.surveys.messages import level_button_label

        for persona, levels, suggestion in ANSWERS:
            teacher = tour.person(persona)
            invitation = teacher.texts(teacher.pending())
            expect(any("แบบสอบถาม" in x for x in invitation), f"{persona} is invited", invitation)
            await teacher.tap(t("sv_btn_start"))
            for level in levels:
                await teacher.tap(level_button_label(level, "th"))
            done = await (teacher.say(suggestion) if suggestion else teacher.tap(t("sv_btn_skip")))
            expect(any("ขอบคุณ" in x for x in teacher.texts(done)), f"{persona} is thanked", teacher.texts(done))
        results = staff.texts(await staff.say("/survey results 1"))
        expect(any("3" in x for x in results), "staff see the results in chat", results)
        view = await _staff_view(tour)
        items = view["surveys"][0]["report"]["items"]
        means = tuple(i["mean_2dp"] for i in items)
        expect(means == EXPECTED_MEANS, f"the staff view shows the means {EXPECTED_MEANS}", means)


async def process(tour: Tour) -> None:
    with tour.step("เตือนขั้นตอนกระบวนงาน: วันพรุ่งนี้มาถึง เจ้าหน้าที่แตะ เสร็จแล้ว (process reminders)"):
        officer = tour.person("officer-1")
        officer.pending()  # a reminder that a step is coming may already have arrived: shown, not checked
        view = await _staff_view(tour)
        running = [p for p in view["processes"] if p["done"] == 0]
        expect(len(running) == 1, "one process is under way, no step done", view["processes"])
        calendar = office_calendar(tour.services.settings)
        tomorrow = next_working_day(calendar, tour.clock.now().astimezone(calendar.timezone).date())
        tour.line(f"⏩ เวลาเดินไปถึงวันทำการถัดไป {tomorrow.isoformat()} 09:00 น.")
        tour.clock.set(datetime.combine(tomorrow, time(9, 0), calendar.timezone))
        await tour.tick()
        reminder = [i for i in officer.pending() if any(b["label"] == t("btn_proc_done") for b in i.get("buttons", ()))]
        expect(bool(reminder), "the officer is reminded of the step due today, with a Done button")
        done = officer.texts(await officer.tap(t("btn_proc_done")))
        expect(any(x.startswith(t("proc_done_ok", n=1, title="")[:6]) for x in done), "the step is marked done", done)
        view = await _staff_view(tour)
        expect([p["done"] for p in view["processes"]] == [1], "the staff view shows one step done", view["processes"])


async def _staff_view(tour: Tour) -> dict[str, Any]:
    from bot import sandbox_staff

    s = tour.services
    return await sandbox_staff.collect(s.db, s.clock, s.calendar)


async def report_table(tour: Tour) -> None:
    from handlers.surveys import report as survey_report

    async with tour.services.db.sessions() as session:
        report = await survey_report.build_report(session, 1)
    tour.line()
    tour.line("=== ตารางรายงานผลแบบสอบถาม (survey report) ===")
    tour.line(survey_report.to_table(report))


STEPS = (registration, broadcast, survey, process)


async def tour_async(out: TextIO, workdir: Path) -> int:
    settings = demo_settings(
        f"sqlite+aiosqlite:///{workdir / 'tour.db'}", phuankru_office_hours="08:30-16:30", phuankru_workdays="mon-fri"
    )
    clock = FakeClock(TOUR_START)
    db = Database(settings.database_url)
    web = WebChannel(clock=clock)
    services = build_services(settings, db, clock, web=web)
    try:
        await upgrade(db)
        seeded = await seed(db, clock, office_calendar(settings))
        out.write(f"PhuanKru tour: {len(PERSONAS)} personas, {seeded.surveys} surveys, process {DEMO_PROCESS_KEY}\n")
        if seeded.missing:
            raise TourFailure(f"this version cannot seed {', '.join(seeded.missing)}")
        await services.start(background=False)
        tour = Tour(services, web, clock, out)
        for persona in PERSONAS:
            tour.person(persona.id)
        for step in STEPS:
            await step(tour)
        await report_table(tour)
    except TourFailure as failure:
        out.write(f"\n✗ TOUR FAILED: {failure}\n")
        return 1
    finally:
        await services.close()
        await db.dispose()
    out.write("\n✓ Every step behaved as expected.\n")
    return 0


def run_tour(out: TextIO | None = None) -> int:
    """Run the tour on a throwaway database; 0 when every step behaved as expected, 1 otherwise."""
    with tempfile.TemporaryDirectory(prefix="phuankru-tour-") as workdir:
        return asyncio.run(tour_async(out or sys.stdout, Path(workdir)))


def main() -> None:  # `python -m bot.demo_tour`
    sys.exit(run_tour())


if __name__ == "__main__":
    main()
