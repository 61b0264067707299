"""Scale-out proof: three `phuankru serve` replicas on one PostgreSQL database, both channels on, real processes.

Webhooks go round-robin to the three replicas (a person's next step usually lands on another replica than the
last one), some are delivered twice to two replicas at once, and meanwhile every replica's delivery worker and
ticker compete for the same outbox and due-work rows. Then everything is counted, at the fake platforms and in
the database: every person got every message exactly once, every answer is stored once, every reminder went
out once, no outbox row was sent twice, and each replica did part of the work.

1. 30 people register (15 LINE, 15 Telegram), every step of the conversation on the next replica.
2. 500 registered teachers answer a three-question survey opened by `phuankru survey send`, by tapping.
3. `phuankru broadcast send` to 5,000 people (2,500 LINE by multicast, 2,500 Telegram), while
4. 200 process-step reminders of 150 officers fall due at once (50 officers have two: one message for both).

PostgreSQL only (SQLite has one writer and is not for replicas): like every PostgreSQL test it is skipped
when PostgreSQL is not installed, and fails instead under PHUANKRU_REQUIRE_PG=1 (CI).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, func, insert, literal, select, update

from core.calendar import OfficeCalendar
from core.clock import SystemClock
from core.model import OutMessage
from handlers.catalogue.office import PRIVACY_NOTICE_VERSION
from handlers.processes import templates as process_files
from handlers.texts import t
from scheduler.broadcast_jobs import BroadcastJobs
from storage import broadcasts, contacts, holidays, process_templates
from storage import processes as repo
from storage.broadcast_models import Broadcast, BroadcastRecipient
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Contact, ContactTag, InboundEvent, OutboxMessage, School
from storage.process_models import Holiday, ProcessReminder, ProcessRun, ReminderState, StepLog
from storage.schools import SchoolRow, upsert_many
from storage.survey_models import ResponseState, SurveyAnswer, SurveyQuestion, SurveyResponse
from tests.events import line_follow, line_postback, line_text, tg_callback, tg_message
from tests.fakes import FakeLineApi, FakeTelegramApi, line_signature
from tests.fakes.line_api import BOT_USER_ID
from tests.fakes.threaded import in_thread
from tests.harness import LINE_SECRET, TELEGRAM_SECRET
from tests.pg import PostgresCluster
from tests.procs import ServeProcess, run_cli
from tests.test_serve_channels import serve_env

pytestmark = pytest.mark.slow

REPLICAS = 3
REGISTRANTS = 15  # per platform
RESPONDENTS = 500  # the registrants among them
BULK = 2_500  # broadcast recipients per platform
ONE_STEP_OFFICERS, TWO_STEP_OFFICERS = 100, 50  # 100 + 2 × 50 = 200 reminders due at once
TICK_S = 10  # scheduler.ticker.Ticker's interval in `serve`
BKK = ZoneInfo("Asia/Bangkok")

SCHOOL = SchoolRow("โรงเรียนบ้านโพนงาม", "1034000101", "เดชอุดม")
SURVEY_KEY = "scaleout-satisfaction"
SURVEY_YAML = f"""\
key: {SURVEY_KEY}
title: แบบสอบถามความพึงพอใจการให้บริการ
questions:
  - {{key: speed, type: likert5, text: ความรวดเร็วในการให้บริการ, section: ด้านกระบวนการ}}
  - {{key: accuracy, type: likert5, text: ความถูกต้องของข้อมูล, section: ด้านกระบวนการ}}
  - {{key: role, type: choice, text: ตำแหน่งของท่าน, options: [ครู, ผู้บริหาร, อื่น ๆ]}}
"""
QUESTIONS = 3
ONE_STEP = "key: scale-one\ntitle: ส่งรายงานข้อมูลสารสนเทศ\nsteps:\n  - {number: 1, title: ส่งรายงานประจำเดือน}\n"
TWO_STEPS = (
    "key: scale-two\ntitle: จัดทำข้อมูลนักเรียน\nsteps:\n"
    "  - {number: 1, title: รวบรวมข้อมูลนักเรียน}\n  - {number: 2, title: ตรวจสอบและรายงานผล}\n"
)
NEWS = "ประกาศ สพป.: ขอเชิญครูทุกท่านร่วมอบรมการใช้ระบบข้อมูลนักเรียน วันที่ 5 ธ.ค. 2569"


def answer(i: int, q: int) -> int:
    """Respondent i's answer to question q: 1–5 on the likert items, 1–3 on the choice."""
    return 1 + (i + 2 * q) % 5 if q < 2 else 1 + i % 3


# --- people -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    channel: str  # "line" | "telegram"
    user_id: str

    def texts(self, line: FakeLineApi, tg: FakeTelegramApi) -> list[str]:
        return line.delivered_texts(self.user_id) if self.channel == "line" else tg.sent_texts(self.user_id)


def line_people(prefix: str, n: int) -> list[Who]:
    return [Who("line", f"U{prefix}{i:05d}") for i in range(n)]


def tg_people(first: int, n: int) -> list[Who]:
    return [Who("telegram", str(first + i)) for i in range(n)]


def interleave(a: Sequence[Who], b: Sequence[Who]) -> list[Who]:
    return [p for pair in zip(a, b, strict=True) for p in pair]


REGISTERING = interleave(line_people("reg", REGISTRANTS), tg_people(5_000_000, REGISTRANTS))
SEEDED_RESPONDENTS = interleave(
    line_people("resp", (RESPONDENTS - 2 * REGISTRANTS) // 2),
    tg_people(6_000_000, (RESPONDENTS - 2 * REGISTRANTS) // 2),
)
RESPONDING = REGISTERING + SEEDED_RESPONDENTS
BULK_PEOPLE = line_people("bulk", BULK) + tg_people(7_000_000, BULK)
OFFICERS = interleave(
    line_people("off", (ONE_STEP_OFFICERS + TWO_STEP_OFFICERS) // 2),
    tg_people(8_000_000, (ONE_STEP_OFFICERS + TWO_STEP_OFFICERS) // 2),
)


# --- webhooks, round-robin ------------------------------------------------------------------------------


@dataclass
class Webhooks:
    """Posts events to the replicas and remembers which replica answered what."""

    replicas: list[ServeProcess]
    line: FakeLineApi
    session: aiohttp.ClientSession
    statuses: list[Counter[int]] = field(default_factory=list)  # per replica: HTTP status -> requests
    keys: set[str] = field(default_factory=set)  # every event posted, by its LINE/Telegram id

    def __post_init__(self) -> None:
        self.statuses = [Counter() for _ in self.replicas]

    def line_event(self, who: Who, build: Callable[[str], dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        token = self.line.issue_reply_token(to=who.user_id)  # as LINE does for each event it sends
        return "line", build(token)

    async def post(self, replica: int, channel: str, event: dict[str, Any]) -> None:
        server = self.replicas[replica % len(self.replicas)]
        if channel == "line":
            body = json.dumps({"destination": BOT_USER_ID, "events": [event]}).encode()
            headers = {"Content-Type": "application/json", "X-Line-Signature": line_signature(LINE_SECRET, body)}
        else:
            body = json.dumps(event).encode()
            headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        url = f"{server.url}/webhooks/{channel}"
        async with self.session.post(url, data=io.BytesIO(body), headers=headers) as response:
            self.statuses[replica % len(self.replicas)][response.status] += 1

    async def round(
        self,
        db: Database,
        events: Sequence[tuple[int, str, dict[str, Any]]],
        *,
        twice_every: int = 0,
        timeout: float = 90,
    ) -> None:
        """Post (replica, channel, event) all at once, some twice to two replicas; wait until all are handled."""
        posts = [self.post(r, c, e) for r, c, e in events]
        if twice_every:  # a platform's redelivery, landing on another replica at the same moment
            posts += [self.post(r + 1, c, e) for k, (r, c, e) in enumerate(events) if k % twice_every == 0]
        await asyncio.gather(*posts)
        keys = [str(e["webhookEventId"] if c == "line" else e["update_id"]) for _, c, e in events]
        self.keys.update(keys)
        await until(lambda: handled(db, keys), len(keys), timeout=timeout, what="webhook events handled")


async def handled(db: Database, keys: Sequence[str]) -> int:
    async with db.sessions() as session:
        query = select(func.count()).where(InboundEvent.dedupe_key.in_(keys), InboundEvent.processed_at.is_not(None))
        return int((await session.execute(query)).scalar_one())


async def until(
    measure: Callable[[], Awaitable[int]], target: int, *, timeout: float, what: str, at_least: bool = False
) -> None:
    """Poll real processes (they run on the system clock) until `measure()` is `target` (or more, `at_least`)."""
    deadline = time.monotonic() + timeout
    value = await measure()
    while not (value >= target if at_least else value == target):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {value}, not {target}, after {timeout:g} s")
        await asyncio.sleep(0.25)
        value = await measure()


async def scalar(db: Database, query: Any) -> int:
    async with db.sessions() as session:
        return int((await session.execute(query)).scalar_one() or 0)


# --- the database, seeded directly where chat is not the point -------------------------------------------------


def contact_rows(people: Sequence[Who], now: datetime, **fields: Any) -> list[dict[str, Any]]:
    base = {"created_at": now, "updated_at": now, "consent_at": now, "consent_notice_version": PRIVACY_NOTICE_VERSION}
    return [{"channel": p.channel, "platform_user_id": p.user_id, **base, **fields} for p in people]


async def seed_people(db: Database, school_id: int) -> None:
    now = datetime.now(UTC)
    async with db.sessions() as session, session.begin():
        teachers = contact_rows(
            SEEDED_RESPONDENTS, now, position="teacher", registered_at=now, school_id=school_id, display_name="ครู"
        )
        await session.execute(insert(Contact), teachers)
        await session.execute(insert(Contact), contact_rows(BULK_PEOPLE, now, display_name="scaleout-bulk"))
        tagged = select(Contact.id, literal("scaleout")).where(Contact.display_name == "scaleout-bulk")
        await session.execute(insert(ContactTag).from_select(["contact_id", "tag"], tagged))
        officers = [
            {**row, "display_name": f"เจ้าหน้าที่ {i}"} for i, row in enumerate(contact_rows(OFFICERS, now, role="officer"))
        ]
        await session.execute(insert(Contact), officers)


async def start_processes(db: Database) -> dict[Who, list[str]]:
    """A process for every officer, steps due in two months; then the first reminder of every step made due now.

    Returns the titles of the steps each officer is to be reminded of.
    """
    calendar = OfficeCalendar(hours=None, workdays=frozenset(range(7)))  # PHUANKRU_OFFICE_HOURS/WORKDAYS=always/all
    now = datetime.now(UTC)
    today = now.astimezone(BKK).date()
    expected: dict[Who, list[str]] = {}
    async with db.sessions() as session, session.begin():
        for text in (ONE_STEP, TWO_STEPS):
            await process_templates.import_template(
                session, process_files.parse_template(text, "scaleout.yaml"), now=now
            )
        templates = {key: await process_templates.find_template(session, key) for key in ("scale-one", "scale-two")}
        officers = {
            (c.channel, c.platform_user_id): c
            for c in (await session.execute(select(Contact).where(Contact.role == "officer"))).scalars()
        }
        for k, who in enumerate(OFFICERS):
            template = templates["scale-one" if k < ONE_STEP_OFFICERS else "scale-two"]
            assert template is not None
            steps = template.definition["steps"]
            view = await repo.start_process(
                session,
                template=template,
                officer=officers[(who.channel, who.user_id)],
                calendar=calendar,
                now=now,
                actor=repo.Actor("test"),
                step_due={int(s["number"]): today + timedelta(days=60 + n) for n, s in enumerate(steps)},
            )
            expected[who] = [s.title for s in view.steps]
    async with db.sessions() as session, session.begin():
        first = select(func.min(ProcessReminder.id)).group_by(ProcessReminder.step_id)
        made_due = await session.execute(
            update(ProcessReminder).where(ProcessReminder.id.in_(first)).values(due_at=datetime.now(UTC))
        )
        assert getattr(made_due, "rowcount", None) == ONE_STEP_OFFICERS + 2 * TWO_STEP_OFFICERS
    return expected


async def open_office_today(db: Database) -> None:
    """Reminders wait out holidays even with WORKDAYS=all: if today is a shipped public holiday, it is not one here.

    Each replica loads the shipped holidays once, at its first tick (it would put a deleted row back then), so
    this runs only after every replica has ticked once, and nothing here loads them again.
    """
    today = datetime.now(UTC).astimezone(BKK).date()
    async with db.sessions() as session, session.begin():
        await session.execute(
            delete(Holiday).where(
                Holiday.year.in_((holidays.EVERY_YEAR, today.year)),
                Holiday.month == today.month,
                Holiday.day == today.day,
            )
        )


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


# --- the test ----------------------------------------------------------------------------------------------


async def test_three_replicas_on_one_postgresql_do_everything_exactly_once(
    tmp_path: Path, pg_cluster: PostgresCluster
) -> None:
    started = time.monotonic()
    url = pg_cluster.url(pg_cluster.create_database())
    phases: dict[str, float] = {}
    with in_thread(FakeLineApi()) as line, in_thread(FakeTelegramApi()) as tg:
        env = serve_env(
            url,
            line,
            tg,
            PHUANKRU_PUBLIC_URL="https://bot.example.go.th",
            PHUANKRU_OFFICE_HOURS="always",
            PHUANKRU_WORKDAYS="all",
        )
        upgraded = await asyncio.to_thread(run_cli, "db", "upgrade", cwd=tmp_path, env=env)
        assert upgraded.returncode == 0, upgraded.stderr
        db = Database(url)
        replicas: list[ServeProcess] = []
        try:
            async with db.sessions() as session, session.begin():
                await upsert_many(session, [SCHOOL], now=datetime.now(UTC))
            school_id = await scalar(db, select(School.id).where(School.code == SCHOOL.code))
            await seed_people(db, school_id)

            replicas = [ServeProcess(tmp_path, env) for _ in range(REPLICAS)]
            await asyncio.gather(*(r.wait_ready_async(timeout=60) for r in replicas))
            ready_at = time.monotonic()
            phases["start"] = ready_at - started
            connector = aiohttp.TCPConnector(limit=48)
            async with aiohttp.ClientSession(connector=connector) as http:
                hooks = Webhooks(replicas, line, http)

                # 1. Registration, each step on the next replica: the conversation state lives in the database.
                mark = time.monotonic()
                for step in range(9):
                    batch = []
                    for k, who in enumerate(REGISTERING):
                        channel, event = registration_step(hooks, who, k, step, school_id)
                        batch.append((k + step, channel, event))
                    await hooks.round(db, batch, twice_every=5)
                phases["registration"] = time.monotonic() - mark

                # 2. The survey: opened from the CLI, answered by tapping, each tap on the next replica.
                mark = time.monotonic()
                survey_file = tmp_path / "survey.yaml"
                survey_file.write_text(SURVEY_YAML, encoding="utf-8")
                imported = await asyncio.to_thread(run_cli, "survey", "import", str(survey_file), cwd=tmp_path, env=env)
                assert imported.returncode == 0, imported.stderr
                sent = await asyncio.to_thread(
                    run_cli, "survey", "send", SURVEY_KEY, "--audience", "role:teacher", "--json", cwd=tmp_path, env=env
                )
                assert sent.returncode == 0, sent.stderr
                opened = json.loads(sent.stdout)
                campaign = int(opened["campaign"])
                assert opened["people"] == RESPONDENTS
                taps = [f"sv:s:{campaign}"] + [f"sv:a:{campaign}:{q}:" for q in range(QUESTIONS)]
                for step, tap in enumerate(taps):
                    batch = []
                    for i, who in enumerate(RESPONDING):
                        data = tap + (str(answer(i, step - 1)) if step else "")
                        batch.append((i + step, *tap_event(hooks, who, data)))
                    await hooks.round(db, batch, twice_every=10, timeout=120)
                phases["survey"] = time.monotonic() - mark

                # 3 and 4. A 5,000-person broadcast from the CLI, and 200 reminders due at the same moment.
                mark = time.monotonic()
                if today_is_a_shipped_holiday():
                    # Every replica has ticked once (and loaded the shipped holidays) TICK_S after it started.
                    await until(
                        lambda: since(ready_at), TICK_S + 2, timeout=2 * TICK_S, what="seconds up", at_least=True
                    )
                    await open_office_today(db)
                reminded_titles = await start_processes(db)
                announced = await asyncio.to_thread(
                    run_cli,
                    "broadcast",
                    "send",
                    "--audience",
                    "tag:scaleout",
                    "--text",
                    NEWS,
                    "--json",
                    cwd=tmp_path,
                    env=env,
                )
                assert announced.returncode == 0, announced.stderr
                broadcast_id = int(json.loads(announced.stdout)["id"])
                unfinished = select(func.count()).where(OutboxMessage.state.in_(("pending", "sending")))
                await until(lambda: scalar(db, unfinished), 0, timeout=150, what="outbox rows not final")
                await until(
                    lambda: scalar(db, select(func.count()).where(ProcessReminder.state == ReminderState.SENT.value)),
                    ONE_STEP_OFFICERS + 2 * TWO_STEP_OFFICERS,
                    timeout=60,
                    what="reminders sent",
                )
                await until(lambda: scalar(db, unfinished), 0, timeout=60, what="outbox rows not final")
                # The broadcast is marked done by a ticker (any replica's) once every row is final.
                done = select(func.count()).where(Broadcast.id == broadcast_id, Broadcast.state == "done")
                await until(lambda: scalar(db, done), 1, timeout=3 * TICK_S, what="broadcast done")
                phases["broadcast+reminders"] = time.monotonic() - mark

                metrics = []
                for server in replicas:
                    async with http.get(f"{server.url}/metrics") as response:
                        metrics.append(await response.text())
            exits = await asyncio.gather(*(r.terminate_async() for r in replicas))
            assert exits == [0] * REPLICAS, [r.output()[-2000:] for r in replicas]
            phases["total"] = time.monotonic() - started

            await check_registrations(db, line, tg, school_id)
            await check_survey(db, line, tg, campaign)
            await check_broadcast(db, line, tg, broadcast_id)
            await check_reminders(db, line, tg, reminded_titles)
            await check_outbox_and_replicas(db, line, tg, hooks, metrics)
        finally:
            for server in replicas:
                server.close()
            await db.dispose()
    print("\nscale-out phases (s): " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in phases.items()))


async def since(mark: float) -> int:
    return int(time.monotonic() - mark)


def today_is_a_shipped_holiday() -> bool:
    today = datetime.now(UTC).astimezone(BKK).date()
    return any(
        (h.month, h.day) == (today.month, today.day) and h.year in (holidays.EVERY_YEAR, today.year)
        for h in process_files.shipped_holidays()
    )


def tap_event(hooks: Webhooks, who: Who, data: str) -> tuple[str, dict[str, Any]]:
    """A tap on a button with `data`: a LINE postback or a Telegram callback query."""
    if who.channel == "line":
        return hooks.line_event(who, lambda token: line_postback(who.user_id, data, reply_token=token))
    return "telegram", tg_callback(int(who.user_id), data)


def registration_step(hooks: Webhooks, who: Who, k: int, step: int, school_id: int) -> tuple[str, dict[str, Any]]:
    """Step `step` of registering (by tapping where there are buttons), as LINE or Telegram sends it."""
    name, phone = f"ครูทดสอบ คนที่ {k}", f"0812{k:06d}"
    kinds = ["hello", "tap", "tap", "say", "tap", "say", "tap", "say", "tap"]
    payloads = [
        "",
        "reg:consent:yes",
        "reg:start",
        name,
        "reg:pos:teacher",
        "โพนงาม",
        f"reg:school:{school_id}",
        phone,
        "reg:confirm",
    ]
    kind, payload = kinds[step], payloads[step]
    if who.channel == "line":
        uid = who.user_id
        if kind == "hello":
            return hooks.line_event(who, lambda tok: line_follow(uid, reply_token=tok))
        if kind == "tap":
            return hooks.line_event(who, lambda tok: line_postback(uid, payload, reply_token=tok))
        return hooks.line_event(who, lambda tok: line_text(uid, payload, reply_token=tok))
    chat = int(who.user_id)
    if kind == "hello":
        return "telegram", tg_message(chat, "/start")
    if kind == "tap":
        return "telegram", tg_callback(chat, payload)
    return "telegram", tg_message(chat, payload)


# --- what is checked ------------------------------------------------------------------------------------------


async def check_registrations(db: Database, line: FakeLineApi, tg: FakeTelegramApi, school_id: int) -> None:
    async with db.sessions() as session:
        rows = {
            (c.channel, c.platform_user_id): c
            for c in (await session.execute(select(Contact).where(Contact.registered_at.is_not(None)))).scalars()
        }
    for k, who in enumerate(REGISTERING):
        person = rows[(who.channel, who.user_id)]
        assert (person.display_name, person.position, person.school_id, person.phone) == (
            f"ครูทดสอบ คนที่ {k}",
            "teacher",
            school_id,
            f"0812{k:06d}",
        ), who
        texts = who.texts(line, tg)
        assert texts.count(t("welcome")) == 1, who
        assert texts.count(t("reg_done")) == 1, who


async def check_survey(db: Database, line: FakeLineApi, tg: FakeTelegramApi, campaign: int) -> None:
    async with db.sessions() as session:
        states = dict(
            (
                await session.execute(
                    select(SurveyResponse.state, func.count())
                    .where(SurveyResponse.campaign_id == campaign)
                    .group_by(SurveyResponse.state)
                )
            ).all()
        )
        per_sheet = Counter(
            (
                await session.execute(
                    select(SurveyAnswer.sheet_id).join(SurveyResponse, SurveyResponse.sheet_id == SurveyAnswer.sheet_id)
                )
            ).scalars()
        )
        stored = Counter(
            (position, value)
            for position, value in (
                await session.execute(
                    select(SurveyQuestion.position, SurveyAnswer.value).join(
                        SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id
                    )
                )
            ).all()
        )
    assert states == {ResponseState.COMPLETED.value: RESPONDENTS}
    assert len(per_sheet) == RESPONDENTS and set(per_sheet.values()) == {QUESTIONS}, "each answer stored once"
    assert stored == Counter((q, answer(i, q)) for i in range(RESPONDENTS) for q in range(QUESTIONS))
    thanks = t("sv_thanks_changes_open")
    for who in RESPONDING:
        texts = who.texts(line, tg)
        assert sum(text.startswith("📋 แบบสอบถาม: แบบสอบถามความพึงพอใจ") for text in texts) == 1, (who, texts)
        for q in range(1, QUESTIONS + 1):
            asked = t("sv_progress", n=q, total=QUESTIONS)
            assert sum(text.startswith(asked) for text in texts) == 1, (who, q, texts)
        assert sum(text.startswith(thanks) for text in texts) == 1, (who, texts)


async def check_broadcast(db: Database, line: FakeLineApi, tg: FakeTelegramApi, broadcast_id: int) -> None:
    async with db.sessions() as session:
        recipients = Counter(
            (channel, platform_id)
            for channel, platform_id in (
                await session.execute(
                    select(BroadcastRecipient.channel, BroadcastRecipient.platform_id).where(
                        BroadcastRecipient.broadcast_id == broadcast_id
                    )
                )
            ).all()
        )
    assert recipients == Counter((p.channel, p.user_id) for p in BULK_PEOPLE)
    # LINE: multicast calls of up to 500 ids; the fake records one delivery per id. A repeated retry key is
    # a 409 at the fake and delivers nothing, so a row sent twice would show in the requests, checked below.
    line_got = Counter(d.to for d in line.deliveries if d.message.get("text") == NEWS)
    tg_got = Counter(s.chat_id for s in tg.sent if s.text == NEWS)
    assert line_got == Counter(p.user_id for p in BULK_PEOPLE if p.channel == "line")
    assert tg_got == Counter(p.user_id for p in BULK_PEOPLE if p.channel == "telegram")
    multicasts = [r for r in line.requests if r.path.endswith("/multicast") and r.json["messages"][0]["text"] == NEWS]
    assert len(multicasts) == BULK // 500 and all(len(r.json["to"]) == 500 for r in multicasts)


async def check_reminders(db: Database, line: FakeLineApi, tg: FakeTelegramApi, titles: dict[Who, list[str]]) -> None:
    async with db.sessions() as session:
        sent = (
            await session.execute(
                select(ProcessReminder.step_id, func.count())
                .where(ProcessReminder.state == ReminderState.SENT.value)
                .group_by(ProcessReminder.step_id)
            )
        ).all()
        logged = Counter((await session.execute(select(StepLog.step_id).where(StepLog.action == "reminded"))).scalars())
    processes = await scalar(db, select(func.count()).select_from(ProcessRun))
    assert processes == len(OFFICERS)
    assert len(sent) == ONE_STEP_OFFICERS + 2 * TWO_STEP_OFFICERS and {n for _, n in sent} == {1}
    assert set(logged) == {step for step, _ in sent} and set(logged.values()) == {1}, "each step reminded once"
    single = t("rem_before", n=999).split("999")[0]
    together = t("rem_many", n=2)
    for who, step_titles in titles.items():
        texts = who.texts(line, tg)
        reminders = [text for text in texts if text.startswith((single, together))]
        assert len(reminders) == 1, (who, texts)  # one message, even with two steps due (never split by replicas)
        (reminder,) = reminders
        assert reminder.startswith(single if len(step_titles) == 1 else together), reminder
        assert all(title in reminder for title in step_titles), (reminder, step_titles)


async def check_outbox_and_replicas(
    db: Database, line: FakeLineApi, tg: FakeTelegramApi, hooks: Webhooks, metrics: list[str]
) -> None:
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(
                    OutboxMessage.channel,
                    OutboxMessage.state,
                    OutboxMessage.attempts,
                    OutboxMessage.interrupted_at,
                    OutboxMessage.error,
                    OutboxMessage.idempotency_key,
                )
            )
        ).all()
    events = await scalar(db, select(func.count()).select_from(InboundEvent))
    failed_events = await scalar(db, select(func.count()).where(InboundEvent.error.is_not(None)))
    by_channel = Counter(r.channel for r in rows)
    # No outbox row sent twice: each sent once, at its first attempt, never interrupted, never a 409 on LINE.
    assert Counter(r.state for r in rows) == {"sent": len(rows)}
    assert {(r.attempts, r.interrupted_at, r.error) for r in rows} == {(1, None, None)}
    line_calls = [r for r in line.requests if r.path.startswith("/v2/bot/message/")]
    retry_keys = Counter(r.headers.get("x-line-retry-key") for r in line_calls if "x-line-retry-key" in r.headers)
    assert set(retry_keys.values()) == {1}, "a LINE row was sent again"
    assert set(retry_keys) <= {r.idempotency_key for r in rows if r.channel == "line"}
    assert len(line_calls) == by_channel["line"], "one LINE call per row (reply, push or multicast)"
    tg_sends = [r for r in tg.requests if r.method.lower() == "sendmessage"]
    assert len(tg_sends) == len(tg.sent) == by_channel["telegram"], "one Telegram sendMessage per row"
    assert failed_events == 0

    # Every replica took webhooks (all answered 200) and delivered messages; together they did each once.
    assert all(set(s) == {200} and sum(s.values()) > 0 for s in hooks.statuses), hooks.statuses
    received = [metric(m, "phuankru_events_received_total") for m in metrics]
    delivered = [metric(m, "phuankru_outbox_results_total", outcome="sent") for m in metrics]
    print(f"\nper replica: events received {received}, outbox rows sent {delivered}; {len(rows)} rows in all")
    # The metric counts every event a replica received, the redeliveries it then ignored too.
    assert all(n > 0 for n in received) and sum(received) == sum(sum(s.values()) for s in hooks.statuses)
    assert events == len(hooks.keys), "each event stored once, whichever replicas it was delivered to"
    assert all(n > 0 for n in delivered), "every replica's delivery worker sent part of the outbox"
    assert sum(delivered) == len(rows), "the replicas together sent each row once"
    assert sum(metric(m, "phuankru_outbox_results_total", outcome="possibly_doubled") for m in metrics) == 0


async def test_replicas_finishing_a_broadcast_at_the_same_moment_report_to_its_author_once(
    pg_cluster: PostgresCluster,
) -> None:
    """Every replica's ticker looks for finished broadcasts; when their ticks meet, the author gets one report."""
    url = pg_cluster.url(pg_cluster.create_database())
    setup, clock = Database(url), SystemClock()
    replicas = [Database(url) for _ in range(REPLICAS)]
    try:
        await upgrade(setup)
        async with setup.sessions() as session, session.begin():
            staff, _ = await contacts.get_or_create(session, "telegram", "900", now=clock.now())
            staff.role = "staff"
            for i in range(100):
                await contacts.get_or_create(session, "telegram", str(10_000 + i), now=clock.now())
            await session.flush()
            broadcast = await broadcasts.create(
                session,
                author="telegram:900",
                author_contact_id=staff.id,
                audience_texts=["channel:telegram"],
                content=OutMessage(text=NEWS),
                now=clock.now(),
            )
            author, broadcast_id = staff.id, broadcast.id
        async with setup.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).values(state="sent", sent_at=clock.now()))
        await asyncio.gather(*(BroadcastJobs(db, clock).finish() for db in replicas))
        async with setup.sessions() as session:
            reports = (
                await session.execute(
                    select(OutboxMessage.payload).where(
                        OutboxMessage.contact_id == author, OutboxMessage.state == "pending"
                    )
                )
            ).all()
            done = await session.get(Broadcast, broadcast_id)
        assert done is not None and done.state == "done" and done.report_sent_at is not None
        assert len(reports) == 1, "the author got the delivery report once, not once per replica"
    finally:
        for db in [setup, *replicas]:
            await db.dispose()
