"""Running processes: starting one for an officer, its steps done, skipped or moved, evidence, and the step log.

Everything here runs inside the caller's transaction (a chat event, a CLI command, a scheduler tick), raises
`ProcessError` before changing anything when the input is wrong, and writes the step log as it goes. Who may do
what, and the audit row, are the office actions' (`handlers.office.processes`); the timing rules are
`storage.process_timing`, the template rows `storage.process_templates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor as Actor  # re-exported: the step log's actor is an office action's
from core.calendar import OfficeCalendar
from storage import holidays
from storage.contacts import find_contact
from storage.db import dialect_name
from storage.models import Contact, Role
from storage.process_models import (
    ProcessError,
    ProcessRun,
    ProcessState,
    ProcessStep,
    ProcessTemplate,
    StepLog,
    StepState,
)
from storage.process_reminders import cancel_reminders, schedule_step
from storage.process_templates import find_template
from storage.process_timing import (
    Policy,
    local_day,
    next_period,
    period_end,
    spread_due_dates,
    step_status,
)

REASON_MAX = 500
NOTE_MAX = 2000
OFFICER_ROLES = (Role.OFFICER.value, Role.ADMIN.value)

# A period's next run, started when the last one finishes, is the system's doing (see `_start_next_period`).
SYSTEM = Actor("system", role=Role.ADMIN.value, via="system")


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
