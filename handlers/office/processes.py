"""Processes: starting one for an officer, and what is done to its steps (done, skipped, snoozed, due dates moved).

Chat (`handlers.chat.processes`), the CLI (`bot/cli_processes.py`) and the demo call these and render what they
return. Officers start their own processes; starting one for someone else is an admin's (the CLI's operator is one).
A step is acted on by its process's officer or an admin. Mistakes a person can put right raise `ProcessError` (a
code of the message catalogue) before anything is written; a missing role raises `Refused` after its audit row.

Finishing a yearly or monthly process starts the next period's run inside storage (`storage.processes`, actor
"system"): that is a consequence of the step just recorded, not a new decision, so it has its step log but no
audit row of its own, as before this layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from core.calendar import OfficeCalendar
from core.model import OutMessage
from handlers.office.acting import record, require, role_allows
from handlers.processes import templates
from handlers.processes.messages import Show, assignment_messages
from storage import processes
from storage.models import Contact, Role
from storage.process_models import ProcessError, ProcessStep, ProcessTemplate

START = "process.start"
ASSIGN = "process.assign"  # starting a process for someone else
STEP = "process.step"
SET_DUE = "process.set_due"


@dataclass(frozen=True, slots=True)
class StartPlan:
    """What a start would make, before anything is written: the preview chat asks the person to confirm."""

    template: ProcessTemplate
    officer: Contact
    plan: processes.Plan


@dataclass(frozen=True, slots=True)
class Started:
    view: processes.ProcessView
    template: ProcessTemplate
    officer: Contact
    # What the officer is told (the plan, the forms, the first step's card), in their language; the front delivers
    # it: chat as a reply or to the officer's chat, the CLI through the outbox.
    officer_messages: list[OutMessage] = field(default_factory=list)


async def _officer(session: AsyncSession, actor: Actor, officer: str | None) -> Contact:
    if officer is not None:
        return await processes.officer_contact(session, officer)
    contact = await session.get(Contact, actor.contact_id) if actor.contact_id is not None else None
    if contact is None:
        raise ProcessError("proc_no_contact", who=actor.name)
    return contact


async def prepare_start(
    session: AsyncSession,
    actor: Actor,
    key: str,
    *,
    officer: str | None = None,
    calendar: OfficeCalendar,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    step_due: Mapping[int, date | datetime] | None = None,
) -> StartPlan:
    """Check a start and plan its due dates; writes nothing but a refusal (or the shipped templates, first time).

    `officer` names who will carry it out (line:USERID, telegram:USERID or a contact id); None is the actor."""
    require(session, actor, START, Role.OFFICER, now=now)
    if officer is not None:
        # Naming an officer is assigning, an admin's, even when the name is one's own (as chat always had it).
        require(session, actor, ASSIGN, Role.ADMIN, now=now)
    template = await templates.find_or_load(session, key.lower(), now=now)
    person = await _officer(session, actor, officer)
    plan = await processes.plan_process(
        session, template, calendar=calendar, now=now, start=start, end=end, step_due=step_due
    )
    return StartPlan(template, person, plan)


async def start_process(
    session: AsyncSession,
    actor: Actor,
    key: str,
    *,
    officer: str | None = None,
    calendar: OfficeCalendar,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    step_due: Mapping[int, date | datetime] | None = None,
) -> Started:
    """Start template `key` for `officer` (None: the actor): its steps, due dates and reminders, and the audit row.

    Checked again as in `prepare_start`: time may have passed since the preview (a role taken away)."""
    checked = await prepare_start(
        session, actor, key, officer=officer, calendar=calendar, now=now, start=start, end=end, step_due=step_due
    )
    template, person = checked.template, checked.officer
    view = await processes.start_process(
        session,
        template=template,
        officer=person,
        calendar=calendar,
        now=now,
        actor=actor,
        start=start,
        end=end,
        step_due=step_due,
    )
    record(
        session,
        actor,
        START,
        f"process:{view.process.id}",
        now=now,
        key=template.key,
        version=template.version,
        officer=person.id,
    )
    show = Show(person.language or "th", checked.plan.calendar, now)
    return Started(view, template, person, assignment_messages(view, template, show))


# --- steps ------------------------------------------------------------------------------------------


def may_act(actor: Actor, view: processes.ProcessView) -> bool:
    """The process's own officer, or an admin."""
    own = actor.contact_id is not None and view.process.officer_contact_id == actor.contact_id
    return own or role_allows(actor.role, Role.ADMIN)


class NotYours(PermissionError):
    """The actor is neither the process's officer nor an admin; the refusal is already in the audit log."""

    def __init__(self, process_id: int) -> None:
        super().__init__(process_id)
        self.process_id = process_id


def require_own(session: AsyncSession, actor: Actor, view: processes.ProcessView, *, now: datetime) -> None:
    """Raise NotYours (audit-logged, with the process as target) unless the actor may act on this process."""
    if not may_act(actor, view):
        record(session, actor, STEP, f"process:{view.process.id}", now=now, allowed=False)
        raise NotYours(view.process.id)


async def mark_done(
    session: AsyncSession,
    actor: Actor,
    view: processes.ProcessView,
    step: ProcessStep,
    *,
    calendar: OfficeCalendar,
    now: datetime,
) -> processes.Transition:
    """The step is done: the next one is reached, or the process finishes (and the next period's run starts)."""
    require_own(session, actor, view, now=now)
    return await processes.mark_done(session, view, step, calendar=calendar, now=now, actor=actor)


async def skip_step(
    session: AsyncSession,
    actor: Actor,
    view: processes.ProcessView,
    step: ProcessStep,
    reason: str,
    *,
    calendar: OfficeCalendar,
    now: datetime,
) -> processes.Transition:
    """The step is skipped, for a reason the closing report shows."""
    require_own(session, actor, view, now=now)
    return await processes.skip_step(session, view, step, reason, calendar=calendar, now=now, actor=actor)


async def snooze_step(
    session: AsyncSession,
    actor: Actor,
    view: processes.ProcessView,
    step: ProcessStep,
    to: date,
    *,
    calendar: OfficeCalendar,
    now: datetime,
) -> None:
    """Put the step off to the day `to` (the front offers 1 or 3 working days, or reads a typed day).

    The step log records it; there is no audit row, as there never was: it is the officer's own planning."""
    require_own(session, actor, view, now=now)
    await processes.change_due(session, view, step, to, calendar=calendar, now=now, actor=actor, snooze=True)


async def set_due(
    session: AsyncSession,
    actor: Actor,
    view: processes.ProcessView,
    due: Mapping[int, date | datetime],
    *,
    calendar: OfficeCalendar,
    now: datetime,
) -> list[tuple[int, date, datetime | None]]:
    """Correct the due dates of steps by number (a day, or a moment in the office's time zone unless it has one):
    an admin's correction, audit-logged once for all the steps moved. Returns (number, day, moment) per step.

    `view` is loaded for update by the caller. ProcessError when a step is not in it, before anything moves."""
    require(session, actor, SET_DUE, Role.ADMIN, now=now)
    steps = {s.number: s for s in view.steps}
    missing = [n for n in due if n not in steps]
    if missing:
        raise ProcessError("proc_no_such_step", n=missing[0], steps=len(view.steps))
    changed = []
    for n, value in due.items():
        at = value if isinstance(value, datetime) else None
        day = at.astimezone(calendar.timezone).date() if at is not None else value
        assert isinstance(day, date)
        await processes.change_due(session, view, steps[n], day, due_at=at, calendar=calendar, now=now, actor=actor)
        changed.append((n, day, at))
    record(session, actor, SET_DUE, f"process:{view.process.id}", now=now, steps=sorted(due))
    return changed
