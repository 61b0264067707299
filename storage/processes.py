"""Work processes: templates, starting a process, its steps' due dates and reminders, and what officers do.

Everything here runs inside the caller's transaction (a chat event, a CLI command, a scheduler tick), raises
`ProcessError` before changing anything when the input is wrong, and writes the step log as it goes.
The timing rules (due dates spread over working days, reminder times) are small pure functions, tested alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import OfficeCalendar
from core.choices import western_digits
from storage import holidays
from storage.contacts import find_contact
from storage.db import dialect_name
from storage.models import Contact, Role
from storage.process_models import (
    ProcessError,
    ProcessReminder,
    ProcessRun,
    ProcessState,
    ProcessStep,
    ProcessTemplate,
    ReminderKind,
    ReminderState,
    StepLog,
    StepState,
)

SHIPPED_SOURCE = "shipped"
IMPORTED_SOURCE = "imported"
RECURRENCES = ("yearly", "monthly", "none")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")  # ASCII and short: it rides in button data
SURVEY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_STEP_DAYS = 400
MAX_STEPS = 50
REASON_MAX = 500
NOTE_MAX = 2000
OFFICER_ROLES = (Role.OFFICER.value, Role.ADMIN.value)
_TOP_FIELDS = {
    "key",
    "code",
    "title",
    "group",
    "recurrence",
    "objectives",
    "scope",
    "steps",
    "forms",
    "references",
    "reminders",
}
_STEP_FIELDS = {"number", "title", "days", "survey", "survey_report"}
_REMINDER_FIELDS = {"before", "overdue_limit", "time"}


# --- reminder policy --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    """When a step's officer is reminded: working days before, overdue reminders before escalating, time of day."""

    before_days: tuple[int, ...] = (3, 1)
    overdue_limit: int = 3
    reminder_time: time = time(8, 30)

    def to_json(self) -> dict[str, Any]:
        return {
            "before": list(self.before_days),
            "overdue_limit": self.overdue_limit,
            "time": self.reminder_time.strftime("%H:%M"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        default = cls()
        raw_time = data.get("time")
        return cls(
            before_days=tuple(data.get("before", default.before_days)),
            overdue_limit=int(data.get("overdue_limit", default.overdue_limit)),
            reminder_time=time.fromisoformat(raw_time) if raw_time else default.reminder_time,
        )


# --- templates --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepSpec:
    number: int
    title: str
    days: int = 1
    survey: str | None = None
    survey_report: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    key: str
    title: str
    steps: tuple[StepSpec, ...]
    code: str | None = None
    group: str | None = None
    recurrence: str = "none"
    objectives: tuple[str, ...] = ()
    scope: str | None = None
    forms: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    reminders: Mapping[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "code": self.code,
            "title": self.title,
            "group": self.group,
            "recurrence": self.recurrence,
            "objectives": list(self.objectives),
            "scope": self.scope,
            "steps": [
                {
                    "number": s.number,
                    "title": s.title,
                    "days": s.days,
                    "survey": s.survey,
                    "survey_report": s.survey_report,
                }
                for s in self.steps
            ],
            "forms": list(self.forms),
            "references": list(self.references),
            "reminders": dict(self.reminders),
        }

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.definition(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Lines:
    """Line numbers of a YAML document's fields and steps, so that every refusal can say where."""

    def __init__(self, text: str) -> None:
        self.fields: dict[str, int] = {}
        self.steps: list[int] = []
        self.step_fields: list[dict[str, int]] = []
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if not isinstance(root, yaml.MappingNode):
            return
        for key_node, value_node in root.value:
            self.fields[str(key_node.value)] = key_node.start_mark.line + 1
            if key_node.value == "steps" and isinstance(value_node, yaml.SequenceNode):
                for item in value_node.value:
                    self.steps.append(item.start_mark.line + 1)
                    inner = item.value if isinstance(item, yaml.MappingNode) else []
                    self.step_fields.append({str(k.value): k.start_mark.line + 1 for k, _ in inner})

    def step(self, index: int, name: str | None = None) -> int:
        if name is not None and index < len(self.step_fields) and name in self.step_fields[index]:
            return self.step_fields[index][name]
        return self.steps[index] if index < len(self.steps) else 1


def _strings(value: Any, name: str, where: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ProcessError("tpl_bad_list", where=where, line=line, field=name)
    return tuple(_clean(str(v)) for v in value if str(v).strip())


def _optional_text(value: Any, name: str, where: str, line: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise ProcessError("tpl_bad_text", where=where, line=line, field=name)
    return _clean(str(value)) or None


def _int_in(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _reminders(value: Any, where: str, line: int) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - _REMINDER_FIELDS:
        raise ProcessError("tpl_bad_reminders", where=where, line=line)
    out: dict[str, Any] = {}
    if "before" in value:
        before = value["before"] if isinstance(value["before"], list) else [value["before"]]
        days = [_int_in(d, 1, 30) for d in before]
        if any(d is None for d in days):
            raise ProcessError("tpl_bad_reminders", where=where, line=line)
        out["before"] = sorted({d for d in days if d is not None}, reverse=True)
    if "overdue_limit" in value:
        limit = _int_in(value["overdue_limit"], 0, 30)
        if limit is None:
            raise ProcessError("tpl_bad_reminders", where=where, line=line)
        out["overdue_limit"] = limit
    if "time" in value:
        try:
            out["time"] = time.fromisoformat(str(value["time"])).strftime("%H:%M")
        except ValueError:
            raise ProcessError("tpl_bad_reminders", where=where, line=line) from None
    return out


def _step(raw: Any, index: int, lines: _Lines, where: str) -> StepSpec:
    line = lines.step(index)
    if not isinstance(raw, dict):
        raise ProcessError("tpl_step_not_mapping", where=where, line=line, index=index + 1)
    unknown = sorted(set(map(str, raw)) - _STEP_FIELDS)
    if unknown:
        raise ProcessError("tpl_unknown_field", where=where, line=lines.step(index, unknown[0]), field=unknown[0])
    title = raw.get("title")
    if not isinstance(title, str | int | float) or not str(title).strip():
        raise ProcessError("tpl_step_no_title", where=where, line=lines.step(index, "title"), index=index + 1)
    number = raw.get("number", index + 1)
    if _int_in(number, 1, 999) is None:
        raise ProcessError("tpl_bad_number", where=where, line=lines.step(index, "number"), index=index + 1)
    days = raw.get("days", 1)
    if _int_in(days, 1, MAX_STEP_DAYS) is None:
        raise ProcessError("tpl_bad_days", where=where, line=lines.step(index, "days"), max=MAX_STEP_DAYS)
    surveys: dict[str, str | None] = {}
    for name in ("survey", "survey_report"):
        value = raw.get(name)
        if value is not None and not (isinstance(value, str) and SURVEY_KEY_PATTERN.match(value)):
            raise ProcessError("tpl_bad_survey", where=where, line=lines.step(index, name))
        surveys[name] = value
    return StepSpec(int(number), _clean(str(title)), int(days), surveys["survey"], surveys["survey_report"])


def parse_template(text: str, where: str) -> TemplateSpec:
    """A template from YAML, checked; the first problem raises ProcessError naming its line."""
    try:
        data = yaml.safe_load(text)
        lines = _Lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProcessError("tpl_bad_yaml", where=where, line=mark.line + 1 if mark else 1, error=problem) from None
    if not isinstance(data, dict):
        raise ProcessError("tpl_not_mapping", where=where)
    unknown = sorted(set(map(str, data)) - _TOP_FIELDS)
    if unknown:
        raise ProcessError("tpl_unknown_field", where=where, line=lines.fields.get(unknown[0], 1), field=unknown[0])
    key = data.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ProcessError("tpl_bad_key", where=where, line=lines.fields.get("key", 1))
    title = _optional_text(data.get("title"), "title", where, lines.fields.get("title", 1))
    if title is None:
        raise ProcessError("tpl_no_title", where=where, line=lines.fields.get("title", 1))
    recurrence = data.get("recurrence", "none")
    if recurrence not in RECURRENCES:
        raise ProcessError("tpl_bad_recurrence", where=where, line=lines.fields.get("recurrence", 1))
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps or len(raw_steps) > MAX_STEPS:
        raise ProcessError("tpl_no_steps", where=where, line=lines.fields.get("steps", 1), max=MAX_STEPS)
    steps: list[StepSpec] = []
    first_line: dict[int, int] = {}
    for index, raw in enumerate(raw_steps):
        step = _step(raw, index, lines, where)
        if step.number in first_line:
            line = lines.step(index, "number")
            raise ProcessError(
                "tpl_step_duplicate", where=where, line=line, n=step.number, first=first_line[step.number]
            )
        first_line[step.number] = lines.step(index, "number")
        steps.append(step)
    return TemplateSpec(
        key=key,
        title=title,
        steps=tuple(sorted(steps, key=lambda s: s.number)),
        code=_optional_text(data.get("code"), "code", where, lines.fields.get("code", 1)),
        group=_optional_text(data.get("group"), "group", where, lines.fields.get("group", 1)),
        recurrence=recurrence,
        objectives=_strings(data.get("objectives"), "objectives", where, lines.fields.get("objectives", 1)),
        scope=_optional_text(data.get("scope"), "scope", where, lines.fields.get("scope", 1)),
        forms=_strings(data.get("forms"), "forms", where, lines.fields.get("forms", 1)),
        references=_strings(data.get("references"), "references", where, lines.fields.get("references", 1)),
        reminders=_reminders(data.get("reminders"), where, lines.fields.get("reminders", 1)),
    )


@cache
def shipped_templates() -> tuple[TemplateSpec, ...]:
    """The eight processes of the seed manual, in the manual's order."""
    folder = files("handlers.processes").joinpath("templates")
    specs = [
        parse_template(entry.read_text(encoding="utf-8"), entry.name)
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    ]
    return tuple(sorted(specs, key=_manual_order))


def _manual_order(spec: TemplateSpec) -> tuple[int, str]:
    # กระบวนงาน ๑ first, then กระบวนการ ๑–๗; the office's own after them.
    code = western_digits(spec.code or "")
    digits = "".join(ch for ch in code if ch.isdigit())
    rank = (0 if code.startswith("กระบวนงาน") else 1) * 100 + int(digits or 99)
    return rank, spec.key


async def latest_templates(session: AsyncSession) -> list[ProcessTemplate]:
    """The newest version of every template, in the manual's order."""
    rows = (await session.execute(select(ProcessTemplate).order_by(ProcessTemplate.version))).scalars()
    latest = {t.key: t for t in rows}
    shipped = {s.key: i for i, s in enumerate(shipped_templates())}
    return sorted(latest.values(), key=lambda t: (shipped.get(t.key, len(shipped)), t.key))


async def find_template(session: AsyncSession, key: str) -> ProcessTemplate | None:
    result = await session.execute(
        select(ProcessTemplate).where(ProcessTemplate.key == key).order_by(ProcessTemplate.version.desc()).limit(1)
    )
    return result.scalar_one_or_none()


def _template_row(spec: TemplateSpec, version: int, source: str, now: datetime) -> dict[str, Any]:
    return {
        "key": spec.key,
        "version": version,
        "code": spec.code,
        "title": spec.title,
        "recurrence": spec.recurrence,
        "definition": spec.definition(),
        "digest": spec.digest,
        "source": source,
        "created_at": now,
    }


async def ensure_shipped_templates(session: AsyncSession, *, now: datetime) -> None:
    """Load the shipped templates that are missing or changed (after an upgrade); an office's import is kept."""
    latest = {t.key: t for t in await latest_templates(session)}
    rows = []
    for spec in shipped_templates():
        current = latest.get(spec.key)
        if current is None:
            rows.append(_template_row(spec, 1, SHIPPED_SOURCE, now))
        elif current.source == SHIPPED_SOURCE and current.digest != spec.digest:
            rows.append(_template_row(spec, current.version + 1, SHIPPED_SOURCE, now))
    if rows:
        await holidays.insert_ignoring_duplicates(session, ProcessTemplate, rows, ("key", "version"))


async def ensure_shipped(session: AsyncSession, *, now: datetime) -> None:
    """The shipped templates and holidays, loaded once into a fresh database (idempotent, replica-safe)."""
    await ensure_shipped_templates(session, now=now)
    await holidays.ensure_shipped(session, now=now)


async def import_template(session: AsyncSession, spec: TemplateSpec, *, now: datetime) -> tuple[ProcessTemplate, bool]:
    """A new version of the template, or the current one when nothing changed: (template, created)."""
    current = await find_template(session, spec.key)
    if current is not None and current.digest == spec.digest:
        return current, False
    row = ProcessTemplate(**_template_row(spec, (current.version + 1) if current else 1, IMPORTED_SOURCE, now))
    session.add(row)
    await session.flush()
    return row, True


# --- timing -------------------------------------------------------------------------------------------


def fiscal_year(day: date) -> int:
    """The Thai fiscal year (ปีงบประมาณ, Buddhist era) of a day: 1 October 2025 – 30 September 2026 is 2569."""
    return (day.year + 1 if day.month >= 10 else day.year) + holidays.BUDDHIST_ERA_OFFSET


def period_end(recurrence: str, start: date) -> date | None:
    """The last day of the period `start` is in: 30 September for yearly, the month's end for monthly."""
    if recurrence == "yearly":
        return date(start.year + 1 if start.month >= 10 else start.year, 9, 30)
    if recurrence == "monthly":
        first_of_next = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return first_of_next - timedelta(days=1)
    return None


def next_period(recurrence: str, start: date) -> tuple[date, date] | None:
    end = period_end(recurrence, start)
    if end is None:
        return None
    following = end + timedelta(days=1)
    following_end = period_end(recurrence, following)
    assert following_end is not None
    return following, following_end


def working_days_in(calendar: OfficeCalendar, start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if calendar.is_working_day(start + timedelta(days=i))
    ]


def spread_due_dates(calendar: OfficeCalendar, start: date, end: date | None, days: Sequence[int]) -> list[date]:
    """Each step's due day: its share of the period's working days by the steps' durations.

    Without an end, each step takes its own duration in working days from the start.
    """
    cumulative = [sum(days[: i + 1]) for i in range(len(days))]
    if end is None:
        return [calendar.add_working_days(start, total - 1) for total in cumulative]
    working = working_days_in(calendar, start, end)
    if not working:
        raise ProcessError("proc_no_working_day", start=start, end=end)
    whole = cumulative[-1]
    # Ceiling division: a step never falls due before its share of the period is over.
    return [working[max(0, -(-total * len(working) // whole) - 1)] for total in cumulative]


def working_days_before(calendar: OfficeCalendar, day: date, n: int) -> date:
    for _ in range(400 * max(n, 1)):
        if n <= 0:
            break
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


def working_days_between(calendar: OfficeCalendar, first: date, last: date) -> int:
    """Working days d with first < d <= last (negative when last is before first)."""
    if last < first:
        return -working_days_between(calendar, last, first)
    return sum(1 for i in range(1, (last - first).days + 1) if calendar.is_working_day(first + timedelta(days=i)))


def local_day(moment: datetime, calendar: OfficeCalendar) -> date:
    return moment.astimezone(calendar.timezone).date()


def at_reminder_time(day: date, policy: Policy, calendar: OfficeCalendar) -> datetime:
    """The office's reminder time on `day`, or the next office time after it."""
    return calendar.next_open(datetime.combine(day, policy.reminder_time, calendar.timezone))


def due_moment(step: ProcessStep, policy: Policy, calendar: OfficeCalendar) -> datetime:
    return step.due_at or datetime.combine(step.due_on, policy.reminder_time, calendar.timezone)


def next_working_morning(policy: Policy, calendar: OfficeCalendar, now: datetime) -> datetime:
    """The reminder time of the next working day after today."""
    tomorrow = local_day(now, calendar) + timedelta(days=1)
    return at_reminder_time(calendar.add_working_days(tomorrow, 0), policy, calendar)


PlannedReminder = tuple[ReminderKind, int, datetime]  # kind, sequence, when


def plan_reminders(step: ProcessStep, policy: Policy, calendar: OfficeCalendar, now: datetime) -> list[PlannedReminder]:
    """A pending step's reminders from now on: n working days before, then at the due time.

    A step already due when planned gets its first overdue reminder the next working morning (the message
    that planned it — the start, a due-date change — already told the officer).
    """
    moment = due_moment(step, policy, calendar)
    planned: list[PlannedReminder] = []
    for n in policy.before_days:
        at = at_reminder_time(working_days_before(calendar, step.due_on, n), policy, calendar)
        if now < at and local_day(at, calendar) < step.due_on:
            planned.append((ReminderKind.BEFORE, n, at))
    if moment > now:
        planned.append((ReminderKind.DUE, 0, calendar.next_open(moment)))
    else:
        planned.append((ReminderKind.OVERDUE, 1, next_working_morning(policy, calendar, now)))
    return planned


@dataclass(frozen=True, slots=True)
class StepStatus:
    kind: str  # done, skipped, upcoming, due, overdue
    days: int = 0  # working days left (upcoming) or late (overdue)


def step_status(step: ProcessStep, calendar: OfficeCalendar, now: datetime) -> StepStatus:
    if step.state != StepState.PENDING.value:
        return StepStatus(step.state)
    today = local_day(now, calendar)
    if step.due_on > today:
        return StepStatus("upcoming", working_days_between(calendar, today, step.due_on))
    if step.due_on == today:
        return StepStatus("due")
    return StepStatus("overdue", max(1, working_days_between(calendar, step.due_on, today)))


def followup(step: ProcessStep, policy: Policy, calendar: OfficeCalendar, now: datetime) -> PlannedReminder | None:
    """After a reminder of a step that is due or late: the next overdue reminder, or the escalation, or nothing."""
    if step_status(step, calendar, now).kind not in ("due", "overdue") or due_moment(step, policy, calendar) > now:
        return None
    at = next_working_morning(policy, calendar, now)
    if step.overdue_reminders < policy.overdue_limit:
        return ReminderKind.OVERDUE, step.overdue_reminders + 1, at
    if step.escalated_at is None:
        return ReminderKind.ESCALATION, 0, at
    return None


# --- processes ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes a process: `cli`, `system`, or a person in chat (`telegram:42`) with their contact id."""

    name: str
    contact_id: int | None = None


SYSTEM = Actor("system")


@dataclass
class ProcessView:
    process: ProcessRun
    steps: list[ProcessStep]
    officer: Contact | None

    @property
    def policy(self) -> Policy:
        return Policy.from_json(self.process.policy)

    @property
    def finished(self) -> int:
        return sum(1 for s in self.steps if s.state != StepState.PENDING.value)

    @property
    def current(self) -> ProcessStep | None:
        """The first step not yet done or skipped."""
        return next((s for s in self.steps if s.state == StepState.PENDING.value), None)


@dataclass(frozen=True, slots=True)
class Transition:
    """What a step's change led to: the step now reached, the process finished, the next period's run."""

    reached: ProcessStep | None = None
    finished: bool = False
    next_run: ProcessRun | None = None


def log(
    session: AsyncSession,
    process: ProcessRun,
    step: ProcessStep | None,
    action: str,
    actor: Actor,
    now: datetime,
    **detail: Any,
) -> None:
    session.add(
        StepLog(
            process_id=process.id,
            step_id=step.id if step else None,
            at=now,
            actor=actor.name,
            actor_contact_id=actor.contact_id,
            action=action,
            detail={k: v.isoformat() if isinstance(v, date) else v for k, v in detail.items()},
        )
    )


async def officer_contact(session: AsyncSession, ref: str) -> Contact:
    """The contact named by `ref` (line:USERID, telegram:USERID or an id), who must be an officer or admin."""
    contact = await find_contact(session, ref)
    if contact is None or contact.erased_at is not None:
        raise ProcessError("proc_no_contact", who=ref)
    if contact.role not in OFFICER_ROLES:
        raise ProcessError("proc_not_officer", who=ref)
    return contact


async def calendar_for(session: AsyncSession, calendar: OfficeCalendar, *days: date) -> OfficeCalendar:
    return await holidays.office_calendar(session, calendar, *sorted({d.year for d in days}))


@dataclass(frozen=True, slots=True)
class Plan:
    """A process's period and its steps' due days (and times), before anything is stored."""

    start: date
    end: date | None
    due: list[tuple[date, datetime | None]]  # per step, in the template's order
    calendar: OfficeCalendar  # with the holidays of the period


async def plan_process(
    session: AsyncSession,
    template: ProcessTemplate,
    *,
    calendar: OfficeCalendar,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    step_due: Mapping[int, date | datetime] | None = None,
) -> Plan:
    """The due dates a start would give, spread over the period's working days unless given per step."""
    tz = calendar.timezone
    start = start or local_day(now, calendar)
    end = end if end is not None else period_end(template.recurrence, start)
    if end is not None and end < start:
        raise ProcessError("proc_end_before_start", start=start, end=end)
    specs = template.definition["steps"]
    numbers = [int(s["number"]) for s in specs]
    explicit: dict[int, tuple[date, datetime | None]] = {}
    for n, value in sorted((step_due or {}).items()):
        if n not in numbers:
            raise ProcessError("proc_no_such_step", n=n, steps=len(numbers))
        at = (value if value.tzinfo else value.replace(tzinfo=tz)) if isinstance(value, datetime) else None
        day = at.astimezone(tz).date() if at is not None else value
        assert isinstance(day, date)
        if day < start:
            raise ProcessError("proc_due_before_start", n=n, due=day, start=start)
        explicit[n] = (day, at)
    cal = await calendar_for(session, calendar, start, end or start, *(d for d, _ in explicit.values()))
    spread = spread_due_dates(cal, start, end, [int(s["days"]) for s in specs])
    due = [explicit.get(n, (day, None)) for n, day in zip(numbers, spread, strict=True)]
    return Plan(start, end, due, cal)


async def start_process(
    session: AsyncSession,
    *,
    template: ProcessTemplate,
    officer: Contact,
    calendar: OfficeCalendar,
    now: datetime,
    actor: Actor,
    start: date | None = None,
    end: date | None = None,
    step_due: Mapping[int, date | datetime] | None = None,
    previous_id: int | None = None,
) -> ProcessView:
    """Start `template` for `officer`: steps with due dates, the first step reached, reminders planned."""
    if officer.role not in OFFICER_ROLES or officer.erased_at is not None:
        raise ProcessError("proc_not_officer", who=officer.display_name or str(officer.id))
    plan = await plan_process(session, template, calendar=calendar, now=now, start=start, end=end, step_due=step_due)
    definition = template.definition
    specs = definition["steps"]
    start, end, cal = plan.start, plan.end, plan.calendar
    policy = Policy.from_json(definition.get("reminders") or {})
    process = ProcessRun(
        template_id=template.id,
        key=template.key,
        code=template.code,
        title=template.title,
        officer_contact_id=officer.id,
        start_on=start,
        end_on=end,
        recurrence=template.recurrence,
        policy=policy.to_json(),
        state=ProcessState.ACTIVE.value,
        previous_id=previous_id,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    session.add(process)
    await session.flush()
    steps = []
    for spec, (day, at) in zip(specs, plan.due, strict=True):
        steps.append(
            ProcessStep(
                process_id=process.id,
                number=int(spec["number"]),
                title=spec["title"],
                days=int(spec["days"]),
                survey_key=spec.get("survey"),
                survey_report=spec.get("survey_report"),
                planned_on=day,
                due_on=day,
                due_at=at,
                state=StepState.PENDING.value,
                snoozes=0,
                overdue_reminders=0,
            )
        )
    session.add_all(steps)
    await session.flush()
    steps[0].reached_at = now
    log(
        session,
        process,
        None,
        "started",
        actor,
        now,
        officer=officer.id,
        start=start,
        end=end,
        version=template.version,
    )
    log(session, process, steps[0], "reached", actor, now)
    for step in steps:
        await schedule_step(session, process, step, cal, now)
    return ProcessView(process, steps, officer)


async def cancel_reminders(session: AsyncSession, *step_ids: int) -> None:
    """Pending reminders of these steps will not be sent (a due date changed, the step or process finished)."""
    if not step_ids:
        return
    await session.execute(
        update(ProcessReminder)
        .where(ProcessReminder.step_id.in_(step_ids), ProcessReminder.state == ReminderState.PENDING.value)
        .values(state=ReminderState.CANCELLED.value, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def add_reminder(session: AsyncSession, step: ProcessStep, planned: PlannedReminder, now: datetime) -> None:
    kind, sequence, at = planned
    session.add(
        ProcessReminder(
            process_id=step.process_id,
            step_id=step.id,
            kind=kind.value,
            sequence=sequence,
            due_at=at,
            state=ReminderState.PENDING.value,
            created_at=now,
        )
    )


async def schedule_step(
    session: AsyncSession, process: ProcessRun, step: ProcessStep, calendar: OfficeCalendar, now: datetime
) -> None:
    """Replace the step's pending reminders with those of its current due date."""
    await cancel_reminders(session, step.id)
    if process.state != ProcessState.ACTIVE.value or step.state != StepState.PENDING.value:
        return
    for planned in plan_reminders(step, Policy.from_json(process.policy), calendar, now):
        add_reminder(session, step, planned, now)


async def _lock(session: AsyncSession, statement: Any) -> Any:
    # FOR UPDATE on PostgreSQL, so that two taps at once (officer and admin) change a step once; SQLite has one writer.
    if dialect_name(session) == "postgresql":
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def load_view(session: AsyncSession, process_id: int, *, for_update: bool = False) -> ProcessView | None:
    query = select(ProcessRun).where(ProcessRun.id == process_id)
    process = await _lock(session, query) if for_update else await session.scalar(query)
    if process is None:
        return None
    steps = list(
        (
            await session.execute(
                select(ProcessStep).where(ProcessStep.process_id == process_id).order_by(ProcessStep.number)
            )
        ).scalars()
    )
    officer = await session.get(Contact, process.officer_contact_id) if process.officer_contact_id else None
    return ProcessView(process, steps, officer)


async def view_of_step(
    session: AsyncSession, step_id: int, *, for_update: bool = False
) -> tuple[ProcessView, ProcessStep]:
    """The process of a step (locked for a change when asked), and the step; ProcessError when there is none."""
    process_id = await session.scalar(select(ProcessStep.process_id).where(ProcessStep.id == step_id))
    view = await load_view(session, process_id, for_update=for_update) if process_id is not None else None
    step = next((s for s in view.steps if s.id == step_id), None) if view else None
    if view is None or step is None:
        raise ProcessError("proc_no_step")
    return view, step


def check_active(view: ProcessView) -> None:
    if view.process.state != ProcessState.ACTIVE.value:
        raise ProcessError("proc_finished", id=view.process.id, state=view.process.state)


def check_open(view: ProcessView, step: ProcessStep) -> None:
    check_active(view)
    if step.state != StepState.PENDING.value:
        raise ProcessError("proc_step_finished", n=step.number, state=step.state)


async def _advance(
    session: AsyncSession, view: ProcessView, calendar: OfficeCalendar, now: datetime, actor: Actor
) -> Transition:
    """After a step finished: reach the next open step, or finish the process (and start the next period's)."""
    current = view.current
    if current is not None:
        if current.reached_at is not None:
            return Transition()
        current.reached_at = now
        log(session, view.process, current, "reached", actor, now)
        return Transition(reached=current)
    process = view.process
    process.state, process.finished_at, process.updated_at = ProcessState.DONE.value, now, now
    log(session, process, None, "finished", actor, now)
    return Transition(finished=True, next_run=await _start_next_period(session, view, calendar, now))


async def _start_next_period(
    session: AsyncSession, view: ProcessView, calendar: OfficeCalendar, now: datetime
) -> ProcessRun | None:
    process = view.process
    period = next_period(process.recurrence, process.start_on)
    officer = view.officer
    if period is None or officer is None or officer.role not in OFFICER_ROLES or officer.erased_at is not None:
        return None
    already = await session.scalar(
        select(func.count()).select_from(ProcessRun).where(ProcessRun.previous_id == process.id)
    )
    template = await find_template(session, process.key)
    if already or template is None:
        return None
    nxt = await start_process(
        session,
        template=template,
        officer=officer,
        calendar=calendar,
        now=now,
        actor=SYSTEM,
        start=period[0],
        end=period[1],
        previous_id=process.id,
    )
    return nxt.process


async def mark_done(
    session: AsyncSession,
    view: ProcessView,
    step: ProcessStep,
    *,
    calendar: OfficeCalendar,
    now: datetime,
    actor: Actor,
) -> Transition:
    check_open(view, step)
    calendar = await calendar_for(session, calendar, local_day(now, calendar), step.due_on)
    status = step_status(step, calendar, now)
    step.state, step.finished_at, step.finished_by_contact_id = StepState.DONE.value, now, actor.contact_id
    view.process.updated_at = now
    await cancel_reminders(session, step.id)
    late_days = status.days if status.kind == "overdue" else 0
    log(session, view.process, step, "done", actor, now, due=step.due_on, late_days=late_days)
    return await _advance(session, view, calendar, now, actor)


async def skip_step(
    session: AsyncSession,
    view: ProcessView,
    step: ProcessStep,
    reason: str,
    *,
    calendar: OfficeCalendar,
    now: datetime,
    actor: Actor,
) -> Transition:
    reason = " ".join(reason.split())
    if not 2 <= len(reason) <= REASON_MAX:
        raise ProcessError("proc_reason_bad", max=REASON_MAX)
    check_open(view, step)
    calendar = await calendar_for(session, calendar, local_day(now, calendar))
    step.state, step.finished_at, step.finished_by_contact_id = StepState.SKIPPED.value, now, actor.contact_id
    step.skip_reason = reason
    view.process.updated_at = now
    await cancel_reminders(session, step.id)
    log(session, view.process, step, "skipped", actor, now, reason=reason)
    return await _advance(session, view, calendar, now, actor)


def snooze_target(step: ProcessStep, days: int, calendar: OfficeCalendar, now: datetime) -> date:
    """`days` working days after today, or after the due day when that is later: a snooze never brings it closer."""
    return calendar.add_working_days(max(local_day(now, calendar), step.due_on), days)


async def change_due(
    session: AsyncSession,
    view: ProcessView,
    step: ProcessStep,
    due_on: date,
    *,
    due_at: datetime | None = None,
    calendar: OfficeCalendar,
    now: datetime,
    actor: Actor,
    snooze: bool = False,
) -> None:
    """Move a step's due date (a snooze, or an admin's correction): its pending reminders are replaced."""
    check_open(view, step)
    today = local_day(now, calendar)
    if snooze and due_on <= today:
        raise ProcessError("proc_snooze_past", due=due_on, today=today)
    if due_on < view.process.start_on:
        raise ProcessError("proc_due_before_start", n=step.number, due=due_on, start=view.process.start_on)
    previous = step.due_on
    step.due_on, step.due_at = due_on, due_at
    step.overdue_reminders, step.escalated_at = 0, None
    if snooze:
        step.snoozes += 1
    view.process.updated_at = now
    log(session, view.process, step, "snoozed" if snooze else "due_changed", actor, now, previous=previous, due=due_on)
    cal = await calendar_for(session, calendar, today, due_on)
    await schedule_step(session, view.process, step, cal, now)


async def add_evidence(
    session: AsyncSession,
    view: ProcessView,
    step: ProcessStep,
    *,
    kind: str,
    now: datetime,
    actor: Actor,
    note: str | None = None,
    reference: str | None = None,
) -> int:
    """Record evidence of a step (a note, or a photo/document's platform reference); returns the step's count."""
    check_active(view)
    if note is not None:
        note = note.strip()
        if not note or len(note) > NOTE_MAX:
            raise ProcessError("proc_note_bad", max=NOTE_MAX)
    log(session, view.process, step, "evidence", actor, now, kind=kind, note=note, reference=reference)
    await session.flush()
    return int(
        await session.scalar(
            select(func.count()).select_from(StepLog).where(StepLog.step_id == step.id, StepLog.action == "evidence")
        )
        or 0
    )


async def active_views(session: AsyncSession, *, officer_id: int | None = None) -> list[ProcessView]:
    query = select(ProcessRun).where(ProcessRun.state == ProcessState.ACTIVE.value).order_by(ProcessRun.id)
    if officer_id is not None:
        query = query.where(ProcessRun.officer_contact_id == officer_id)
    processes = list((await session.execute(query)).scalars())
    if not processes:
        return []
    ids = [p.id for p in processes]
    steps = (
        await session.execute(
            select(ProcessStep)
            .where(ProcessStep.process_id.in_(ids))
            .order_by(ProcessStep.process_id, ProcessStep.number)
        )
    ).scalars()
    by_process: dict[int, list[ProcessStep]] = {i: [] for i in ids}
    for step in steps:
        by_process[step.process_id].append(step)
    officer_ids = {p.officer_contact_id for p in processes if p.officer_contact_id is not None}
    officers = {c.id: c for c in (await session.execute(select(Contact).where(Contact.id.in_(officer_ids)))).scalars()}
    return [
        ProcessView(p, by_process[p.id], officers.get(p.officer_contact_id) if p.officer_contact_id else None)
        for p in processes
    ]


async def step_log(session: AsyncSession, process_id: int) -> list[StepLog]:
    rows = await session.execute(
        select(StepLog).where(StepLog.process_id == process_id).order_by(StepLog.at, StepLog.id)
    )
    return list(rows.scalars())


async def admin_contacts(session: AsyncSession) -> list[Contact]:
    rows = await session.execute(
        select(Contact)
        .where(Contact.role == Role.ADMIN.value, Contact.reachable.is_(True), Contact.erased_at.is_(None))
        .order_by(Contact.id)
    )
    return list(rows.scalars())
