"""Process tables: templates (versioned), running processes, their steps, the step log, reminders, holidays.

A running process copies its template's steps when it starts, so a later import of the same template (a new
version) never changes a process already under way. Reminders are due-work rows claimed by the scheduler.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import BigIntId


class ProcessError(ValueError):
    """Something a person can put right (an unknown template, a date before the start, a bad file line).

    It names a message of the catalogue (`handlers/catalogue/processes.py`) and its values, so that the chat
    says it in the person's language and the CLI in Thai and English; nothing has been changed when it is raised.
    """

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


class ProcessState(enum.StrEnum):
    ACTIVE = "active"
    DONE = "done"  # every step done or skipped
    CANCELLED = "cancelled"


class StepState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


class ReminderKind(enum.StrEnum):
    BEFORE = "before"  # n working days before the due day
    DUE = "due"  # at the due time
    OVERDUE = "overdue"  # once a working day while overdue, up to a limit
    ESCALATION = "escalation"  # to the admins, after the limit


class ReminderState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"


class ProcessTemplate(Base):
    """One version of a process template (a manual's กระบวนงาน/กระบวนการ, or the office's own)."""

    __tablename__ = "process_templates"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(64))  # "กระบวนการ ๔" as the manual numbers it
    title: Mapped[str] = mapped_column(Text)
    recurrence: Mapped[str] = mapped_column(String(16))
    definition: Mapped[dict[str, Any]]  # the whole validated template: objectives, scope, steps, forms...
    digest: Mapped[str] = mapped_column(String(64))  # of the definition: an unchanged import adds no version
    source: Mapped[str] = mapped_column(String(16))  # shipped | imported
    created_at: Mapped[datetime]


class ProcessRun(Base):
    """A process under way for one officer over one period."""

    __tablename__ = "processes"
    __table_args__ = (Index("ix_processes_state_officer", "state", "officer_contact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("process_templates.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    officer_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    start_on: Mapped[date]
    end_on: Mapped[date | None]
    recurrence: Mapped[str] = mapped_column(String(16))
    # Reminder settings fixed at start (days before, overdue limit, reminder time): see storage.process_timing.Policy.
    policy: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default=ProcessState.ACTIVE, server_default="active")
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class ProcessStep(Base):
    __tablename__ = "process_steps"
    __table_args__ = (UniqueConstraint("process_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    days: Mapped[int] = mapped_column(Integer)  # the template's duration, in working days
    survey_key: Mapped[str | None] = mapped_column(String(64))  # a survey to open when the step is reached
    survey_report: Mapped[str | None] = mapped_column(String(64))  # a survey whose report this step attaches
    planned_on: Mapped[date]  # the due day as first planned
    due_on: Mapped[date]  # the due day now (snoozes move it)
    due_at: Mapped[datetime | None]  # set when the step is due at a time of day, not just on a day
    state: Mapped[str] = mapped_column(String(16), default=StepState.PENDING, server_default="pending")
    reached_at: Mapped[datetime | None]  # when the steps before it were all finished
    finished_at: Mapped[datetime | None]
    finished_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    skip_reason: Mapped[str | None] = mapped_column(Text)
    snoozes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    overdue_reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[datetime | None]


class StepLog(Base):
    """The step log of a process: who did what when (done, skipped, snoozed, evidence, reminders)."""

    __tablename__ = "process_step_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("process_steps.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))  # "cli", "system", "telegram:42", "line:U…"
    actor_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProcessReminder(Base):
    """A reminder due at a time: claimed by the scheduler, queued to the outbox and marked sent in one transaction."""

    __tablename__ = "process_reminders"
    __table_args__ = (Index("ix_process_reminders_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("process_steps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # n of "before n days", overdue #n
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default=ReminderState.PENDING, server_default="pending")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Holiday(Base):
    """A day the office is closed. Year 0 means every year (the fixed public holidays)."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("year", "month", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # shipped | imported
    created_at: Mapped[datetime]
