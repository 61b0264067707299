"""`phuankru demo`: the whole product offline, on ./phuankru-demo.db, in the browser at /sandbox.

The demo database gets sample schools, teachers in several schools, staff, an officer and an admin (all on the
`web` channel, so the sandbox page can be each of them), a group, two surveys, the manual's process templates
and one process under way. Seeding is idempotent: a second `demo` run finds everything and adds nothing.

The demo clock runs like a normal one until the page asks it to go faster or to jump ahead, so a reminder
due tomorrow can be seen today. `--tour` (`bot.demo_tour`) runs the same product through a script instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, load_settings
from core.actor import Actor
from core.calendar import OfficeCalendar
from core.clock import Clock
from handlers.catalogue.office import PRIVACY_NOTICE_VERSION
from storage import chats, contacts, schools
from storage.db import Database
from storage.models import Contact, Role, School
from storage.schools import SchoolRow

log = structlog.get_logger("phuankru.demo")

DEMO_DATABASE = "sqlite+aiosqlite:///./phuankru-demo.db"
DEMO_GROUP = "group-teachers"
DEMO_GROUP_TITLE = "ห้องครู สพป. (กลุ่มทดลอง)"


# --- the demo clock -------------------------------------------------------------------------------------


class SpeedClock:
    """A clock that runs `rate` times faster than real time and can jump ahead; it never goes back.

    It satisfies `core.clock.Clock`. Time is measured from the real monotonic clock, so a change of the
    machine's wall clock does not move it; `sleep` waits the real time that makes the demo time asked for.
    """

    __slots__ = ("_base_monotonic", "_base_now", "_real_monotonic", "_real_start", "rate")

    def __init__(
        self, start: datetime | None = None, *, rate: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("SpeedClock needs a timezone-aware start")
        if rate <= 0:
            raise ValueError("the demo clock only runs forwards")
        self.rate = rate
        self._real_monotonic = monotonic  # the real clock it measures with; tests hand in their own
        self._real_start = monotonic()
        self._base_now = (start or datetime.now(UTC)).astimezone(UTC)
        self._base_monotonic = 0.0

    def _elapsed(self) -> float:
        return (self._real_monotonic() - self._real_start) * self.rate

    def now(self) -> datetime:
        return self._base_now + timedelta(seconds=self._elapsed())

    def monotonic(self) -> float:
        return self._base_monotonic + self._elapsed()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.rate)

    def _rebase(self) -> None:
        self._base_now, self._base_monotonic = self.now(), self.monotonic()
        self._real_start = self._real_monotonic()

    def set_rate(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("the demo clock only runs forwards")
        self._rebase()
        self.rate = rate

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the demo clock only runs forwards")
        self._rebase()
        self._base_now += delta
        self._base_monotonic += delta.total_seconds()
        return self._base_now


# --- who and what the demo holds ------------------------------------------------------------------------

# Ten schools of the office's list (the layout of `phuankru schools import`).
SCHOOLS: tuple[SchoolRow, ...] = (
    SchoolRow("โรงเรียนบ้านโพนงาม", "1034450101", "เดชอุดม"),
    SchoolRow("โรงเรียนชุมชนบ้านเดชอุดม", "1034450102", "เดชอุดม"),
    SchoolRow("โรงเรียนบ้านแก้งเหนือ", "1034450103", "เดชอุดม"),
    SchoolRow("โรงเรียนบ้านบัวงาม", "1034450201", "บุณฑริก"),
    SchoolRow("โรงเรียนบ้านโพธิ์กลาง", "1034450202", "บุณฑริก"),
    SchoolRow("โรงเรียนบ้านห้วยข่า", "1034450203", "บุณฑริก"),
    SchoolRow("โรงเรียนบ้านนาจะหลวย", "1034450301", "นาจะหลวย"),
    SchoolRow("โรงเรียนบ้านโนนก่อ", "1034450302", "นาจะหลวย"),
    SchoolRow("โรงเรียนชุมชนบ้านน้ำยืน", "1034450401", "น้ำยืน"),
    SchoolRow("โรงเรียนบ้านโซง", "1034450402", "น้ำยืน"),
)


@dataclass(frozen=True, slots=True)
class Persona:
    id: str  # the web channel's user id: what /sandbox?as=... names
    name: str
    role: Role
    position: str
    school_code: str | None = None


PERSONAS: tuple[Persona, ...] = (
    Persona("teacher-1", "ครูสมศรี ใจดี", Role.TEACHER, "teacher", "1034450101"),
    Persona("teacher-2", "ครูมานะ ขยันยิ่ง", Role.TEACHER, "teacher", "1034450102"),
    Persona("teacher-3", "ครูปิติ รักเรียน", Role.TEACHER, "teacher", "1034450201"),
    Persona("teacher-4", "ครูชูใจ ใฝ่รู้", Role.TEACHER, "director", "1034450301"),
    Persona("teacher-5", "ครูวีระ กล้าหาญ", Role.TEACHER, "teacher", "1034450402"),
    Persona("staff-1", "คุณพรทิพย์ (ประชาสัมพันธ์)", Role.STAFF, "personnel"),
    Persona("officer-1", "คุณสุรชัย (ผู้รับผิดชอบกระบวนงาน)", Role.OFFICER, "personnel"),
    Persona("admin-1", "คุณอำนาจ (ผู้ดูแลระบบ)", Role.ADMIN, "personnel"),
)
TEACHERS = tuple(p for p in PERSONAS if p.role is Role.TEACHER)


def _survey_yaml(key: str, title: str, body: str) -> str:
    return f"key: {key}\ntitle: {title}\n{body}"


# Two surveys in the layout of `phuankru survey import` (see handlers/surveys/definitions.py).
SURVEYS: tuple[str, ...] = (
    _survey_yaml(
        "demo-service",
        "แบบสอบถามความพึงพอใจต่อการให้บริการของกลุ่มส่งเสริมการศึกษาทางไกลฯ",
        """intro: ขอความร่วมมือตอบแบบสอบถาม ใช้เวลาประมาณ 1 นาที
questions:
  - {key: q1, type: likert5, text: "ความรวดเร็วในการให้บริการ", section: "ด้านกระบวนการ"}
  - {key: q2, type: likert5, text: "ความชัดเจนของข้อมูลที่ได้รับ", section: "ด้านกระบวนการ"}
  - {key: q3, type: likert5, text: "ความสุภาพของเจ้าหน้าที่", section: "ด้านเจ้าหน้าที่"}
  - {key: q4, type: text, text: "ข้อเสนอแนะเพิ่มเติม", required: false}
""",
    ),
    _survey_yaml(
        "demo-training",
        "แบบประเมินการอบรมการใช้งานระบบสารสนเทศ",
        """anonymous: true
questions:
  - {key: q1, type: likert5, text: "เนื้อหาการอบรมตรงกับความต้องการ"}
  - {key: q2, type: likert5, text: "วิทยากรอธิบายได้เข้าใจ"}
  - {key: q3, type: choice, text: "รูปแบบการอบรมที่ต้องการครั้งต่อไป", options: ["ออนไลน์", "ในห้องประชุม", "แบบผสม"]}
""",
    ),
)


# --- seeding --------------------------------------------------------------------------------------------


@dataclass
class Seeded:
    schools: int = 0
    people: int = 0
    surveys: int = 0
    templates: int = 0
    processes: int = 0
    missing: tuple[str, ...] = ()  # parts that this version of PhuanKru cannot seed yet


async def seed(db: Database, clock: Clock, calendar: OfficeCalendar) -> Seeded:
    """Fill the demo database; running it again adds nothing (everything is found by its key first)."""
    done = Seeded()
    now = clock.now()
    async with db.sessions() as session, session.begin():
        done.schools = (await schools.upsert_many(session, SCHOOLS, now=now)).created
        done.people = await _people(session, now)
        await chats.joined(session, "web", DEMO_GROUP, "group", title=DEMO_GROUP_TITLE, now=now)
    missing: list[str] = []
    async with db.sessions() as session, session.begin():
        done.surveys = await _surveys(session, now, missing)
    async with db.sessions() as session, session.begin():
        done.templates, done.processes = await _processes(session, clock, calendar, missing)
    done.missing = tuple(missing)
    return done


async def _people(session: AsyncSession, now: datetime) -> int:
    codes = {s.code: s.id for s in (await session.execute(select(School))).scalars()}
    created = 0
    for persona in PERSONAS:
        contact, new = await contacts.get_or_create(session, "web", persona.id, now=now, display_name=persona.name)
        if not new:
            continue  # what the visitor changed in the sandbox (a new name, an erasure) stays
        created += 1
        contact.role = persona.role.value
        contact.position = persona.position
        contact.school_id = codes.get(persona.school_code) if persona.school_code else None
        contact.consent_at, contact.consent_notice_version = now, PRIVACY_NOTICE_VERSION
        contact.registered_at = now
    return created


async def _surveys(session: AsyncSession, now: datetime, missing: list[str]) -> int:
    try:
        from handlers.surveys.definitions import parse_definition
        from storage.surveys import import_definition
    except ImportError:  # an extension point: a PhuanKru without surveys still demonstrates the rest
        missing.append("surveys")
        return 0
    created = 0
    for text in SURVEYS:
        outcome = await import_definition(session, parse_definition(text, source="demo"), now=now, source="demo")
        created += outcome.action == "created"
    return created


def next_working_day(calendar: OfficeCalendar, day: date) -> date:
    day += timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


DEMO_PROCESS_KEY = "website"  # the manual's website process: short steps, easy to follow in a demo


async def _processes(
    session: AsyncSession, clock: Clock, calendar: OfficeCalendar, missing: list[str]
) -> tuple[int, int]:
    """The shipped templates, and one process under way for officer-1 whose first step is due next working day."""
    try:
        from handlers.office.processes import start_process
        from handlers.processes import templates as shipped
        from storage import processes
    except ImportError:  # an extension point, as for surveys
        missing.append("processes")
        return 0, 0
    now = clock.now()
    before = len(await shipped.latest_templates(session))
    await shipped.ensure_shipped(session, now=now)
    templates = await shipped.latest_templates(session)
    officer = await contacts.find_by_platform_id(session, "web", "officer-1")
    if officer is None or not templates or await processes.active_views(session, officer_id=officer.id):
        return len(templates) - before, 0
    template = next((t for t in templates if t.key == DEMO_PROCESS_KEY), templates[0])
    today = now.astimezone(calendar.timezone).date()
    cal = await processes.calendar_for(session, calendar, today)
    await start_process(
        session,
        Actor.operator("demo"),
        template.key,
        officer=str(officer.id),
        calendar=calendar,
        now=now,
        start=today,
        step_due={1: next_working_day(cal, today)},
    )
    return len(templates) - before, 1


async def demo_contact(session: AsyncSession, persona: str) -> Contact | None:
    return await contacts.find_by_platform_id(session, "web", persona)


DEMO_ADMIN = "admin-1"  # the persona the demo signs in to the web console as


async def admin_signin_link(session: AsyncSession, clock: Clock, base_url: str) -> str | None:
    """A one-time console sign-in link for the demo's admin (None before the demo data is seeded)."""
    from handlers.office.console_links import issue_signin_link

    admin = await demo_contact(session, DEMO_ADMIN)
    if admin is None:
        return None
    return await issue_signin_link(
        session, Actor.operator("demo"), admin, now=clock.now(), public_url=base_url, minutes=60
    )


async def print_admin_link(settings: Settings, clock: Clock, base_url: str) -> str | None:
    db = Database(settings.database_url)
    try:
        async with db.sessions() as session, session.begin():
            return await admin_signin_link(session, clock, base_url)
    finally:
        await db.dispose()


# --- `phuankru demo` --------------------------------------------------------------------------------------


def demo_overrides(database_url: str = DEMO_DATABASE) -> dict[str, object]:
    """The settings a demo forces: its database, the sandbox on, LINE and Telegram off whatever is configured
    (a demo must never talk to a real account)."""
    return {
        "database_url": database_url,
        "line_channel_secret": None,
        "line_channel_access_token": None,
        "telegram_bot_token": None,
        "telegram_webhook_secret": None,
        "phuankru_public_url": None,
        "phuankru_sandbox": True,
    }


def demo_settings(database_url: str = DEMO_DATABASE, **overrides: object) -> Settings:
    return load_settings(**{**demo_overrides(database_url), **overrides})


def office_calendar(settings: Settings) -> OfficeCalendar:
    return OfficeCalendar(timezone=settings.timezone, hours=settings.office_hours, workdays=settings.workdays)


async def prepare(settings: Settings, clock: Clock) -> tuple[tuple[str | None, str | None], Seeded]:
    """Create or migrate the demo database, then seed it: ((revision before, after), what was added)."""
    from storage.migrate import upgrade

    db = Database(settings.database_url)
    try:
        revisions = await upgrade(db)
        return revisions, await seed(db, clock, office_calendar(settings))
    finally:
        await db.dispose()


def describe(seeded: Seeded) -> str:
    """One line on what the demo database holds now (nothing new on a second run)."""
    if not (seeded.schools or seeded.people or seeded.surveys or seeded.templates or seeded.processes):
        line = "Demo data already in place."
    else:
        line = (
            f"Demo data added: {seeded.schools} schools, {seeded.people} people, {seeded.surveys} surveys, "
            f"{seeded.templates} process templates, {seeded.processes} process under way."
        )
    if seeded.missing:
        line += f" Not in this version yet: {', '.join(seeded.missing)}."
    return line
