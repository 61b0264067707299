"""A process step's reminders as rows: planned from its due date, replaced when it moves, cancelled when it ends.

The scheduler (`scheduler/reminders.py`) claims the rows that are due; when each is sent follows
`storage.process_timing`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import OfficeCalendar
from storage.process_models import ProcessReminder, ProcessRun, ProcessState, ProcessStep, ReminderState, StepState
from storage.process_timing import PlannedReminder, Policy, plan_reminders


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
