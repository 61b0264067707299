"""Process-step reminders: the due-work job the ticker runs.

Each tick claims the reminder rows that are due (`storage.claims.claim_due`: FOR UPDATE SKIP LOCKED on PostgreSQL,
so replicas never share a row), and in the same transaction queues the messages to the outbox and marks the rows
sent: a reminder is sent once, or not at all and retried. Several reminders due at once for one officer (after
downtime, or steps falling due together) become one message listing them. Outside office time nothing is sent:
the rows wait for the next opening. A reminder of a due or late step schedules the next one (once a working day,
up to the policy's limit), then an escalation to the admins.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import OfficeCalendar
from core.clock import Clock
from core.model import Button, Channel, OutMessage, Target
from handlers.chat.asked import BUTTONS_KEY
from handlers.chat.processes import FLOW, MAX_LISTED
from handlers.processes import templates
from handlers.processes.messages import Show, contact_name, process_name, step_card, target_of
from storage import conversations, holidays, outbox
from storage import process_timing as timing
from storage import processes as repo
from storage.claims import claim_due
from storage.contacts import find_by_platform_id
from storage.conversations import State
from storage.db import Database, dialect_name
from storage.models import Contact
from storage.process_models import (
    ProcessReminder,
    ProcessRun,
    ProcessState,
    ProcessStep,
    ReminderKind,
    ReminderState,
    StepState,
)
from storage.process_reminders import add_reminder

log = structlog.get_logger("phuankru.reminders")

_URGENCY = {"overdue": 0, "due": 1, "upcoming": 2}
ADVISORY_LOCK_CLASS = 7_006  # pg_try_advisory_xact_lock(class, officer id): "process reminders of this officer"


@dataclass
class _Item:
    view: repo.ProcessView
    step: ProcessStep
    kinds: set[str] = field(default_factory=set)


class ProcessReminders:
    """Sends the process-step reminders that are due; `await job()` handles one batch (the ticker's DueJob)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        calendar: OfficeCalendar,
        *,
        wake: Callable[[], None] = lambda: None,
        admins: Iterable[tuple[str, str]] = (),
        owner: str | None = None,
        officers_per_tick: int = 100,
        rows_per_tick: int = 5000,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.db, self.clock, self.calendar = db, clock, calendar
        self.wake = wake  # the delivery worker: queued rows go out at once
        self.admins = frozenset(admins)  # PHUANKRU_ADMINS, who may not have written to the bot yet
        self.owner = owner or f"reminders:{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.officers_per_tick, self.rows_per_tick, self.lease = officers_per_tick, rows_per_tick, lease
        self._shipped_loaded = False

    async def __call__(self) -> int:
        if not self._shipped_loaded:
            await self._load_shipped()
        now = self.clock.now()
        async with self.db.sessions() as session, session.begin():
            ids = await self._claim(session, now)
            if not ids:
                return 0
            queued = await self._handle(session, ids, now)
        if queued:
            self.wake()
        return len(ids)

    async def _claim(self, session: AsyncSession, now: datetime) -> list[int]:
        """Every due reminder of the officers whose reminders are due first, so that one officer's reminders
        go out as one message. On PostgreSQL an advisory lock per officer keeps two replicas from splitting
        one officer's reminders between them (rows themselves are never shared: see claim_due)."""
        officer = func.coalesce(ProcessRun.officer_contact_id, 0)
        due = and_(
            ProcessReminder.state == ReminderState.PENDING.value,
            ProcessReminder.due_at <= now,
            or_(ProcessReminder.lease_until.is_(None), ProcessReminder.lease_until < now),
        )
        first = (
            select(officer)
            .join(ProcessReminder, ProcessReminder.process_id == ProcessRun.id)
            .where(due)
            .group_by(officer)
            .order_by(func.min(ProcessReminder.due_at))
            .limit(self.officers_per_tick * 4)  # room to pass over officers another replica is serving
        )
        candidates = list((await session.execute(first)).scalars())
        officers: list[int] = []
        for candidate in candidates:
            if len(officers) == self.officers_per_tick:
                break
            if dialect_name(session) != "postgresql" or await session.scalar(
                select(func.pg_try_advisory_xact_lock(ADVISORY_LOCK_CLASS, candidate))
            ):
                officers.append(candidate)
        if not officers:
            return []
        theirs = select(ProcessRun.id).where(officer.in_(officers))
        return await claim_due(
            session,
            ProcessReminder,
            due=ProcessReminder.due_at,
            lease_until=ProcessReminder.lease_until,
            lease_owner=ProcessReminder.lease_owner,
            now=now,
            owner=self.owner,
            lease=self.lease,
            limit=self.rows_per_tick,
            where=and_(ProcessReminder.state == ReminderState.PENDING.value, ProcessReminder.process_id.in_(theirs)),
        )

    async def _load_shipped(self) -> None:
        """The shipped templates and holidays, into a fresh database, once per process (idempotent)."""
        try:
            async with self.db.sessions() as session, session.begin():
                await templates.ensure_shipped(session, now=self.clock.now())
            self._shipped_loaded = True
        except Exception:
            log.exception("reminders.shipped_load_failed")

    async def _handle(self, session: AsyncSession, ids: list[int], now: datetime) -> int:
        reminders = list(
            (
                await session.execute(
                    select(ProcessReminder).where(ProcessReminder.id.in_(ids)).order_by(ProcessReminder.due_at)
                )
            ).scalars()
        )
        calendar = await holidays.office_calendar(session, self.calendar, timing.local_day(now, self.calendar).year)
        if not calendar.is_open(now):
            # After downtime, or with settings changed since they were planned: wait for the next office time.
            for reminder in reminders:
                reminder.due_at, reminder.lease_owner, reminder.lease_until = calendar.next_open(now), None, None
            return 0
        views: dict[int, repo.ProcessView] = {}
        officers: dict[int | None, dict[int, _Item]] = {}
        escalations: dict[int, _Item] = {}
        for reminder in reminders:
            reminder.lease_owner = reminder.lease_until = None
            if reminder.process_id not in views:
                loaded = await repo.load_view(session, reminder.process_id)
                assert loaded is not None  # the foreign key cascades
                views[reminder.process_id] = loaded
            view = views[reminder.process_id]
            step = next(s for s in view.steps if s.id == reminder.step_id)
            if view.process.state != ProcessState.ACTIVE.value or step.state != StepState.PENDING.value:
                reminder.state = ReminderState.CANCELLED.value
                continue
            reminder.state, reminder.sent_at = ReminderState.SENT.value, now
            if reminder.kind == ReminderKind.ESCALATION.value:
                escalations.setdefault(step.id, _Item(view, step)).kinds.add(reminder.kind)
            else:
                group = officers.setdefault(view.process.officer_contact_id, {})
                group.setdefault(step.id, _Item(view, step)).kinds.add(reminder.kind)
        await session.flush()
        queued = 0
        for items in officers.values():
            queued += await self._remind_officer(session, list(items.values()), calendar, now)
        if escalations:
            queued += await self._escalate(session, list(escalations.values()), calendar, now)
        return queued

    # --- the officer ------------------------------------------------------------------------------

    async def _remind_officer(
        self, session: AsyncSession, items: list[_Item], calendar: OfficeCalendar, now: datetime
    ) -> int:
        officer = items[0].view.officer
        show = Show(officer.language if officer else "th", calendar, now)
        items.sort(key=lambda i: self._urgency(i, show))
        for item in items:
            if timing.step_status(item.step, calendar, now).kind == "overdue":
                item.step.overdue_reminders += 1
        message = self._single(items[0], show) if len(items) == 1 else self._many(items, show)
        for item in items:
            repo.log(
                session,
                item.view.process,
                item.step,
                "reminded",
                repo.SYSTEM,
                now,
                kinds=sorted(item.kinds),
                status=timing.step_status(item.step, calendar, now).kind,
                together=len(items),
            )
        await self._schedule_followups(session, items, calendar, now)
        if officer is None or not officer.reachable or officer.erased_at is not None:
            log.info("reminders.officer_unreachable", steps=[i.step.id for i in items])
            return 0
        outbox.enqueue(session, target_of(officer), [message], now=now)
        await self._remember_buttons(session, officer, message, now)
        return 1

    @staticmethod
    def _urgency(item: _Item, show: Show) -> tuple[int, int, int]:
        status = timing.step_status(item.step, show.calendar, show.now)
        late = status.days if status.kind == "overdue" else 0
        return _URGENCY.get(status.kind, 3), -late, item.step.due_on.toordinal()

    def _single(self, item: _Item, show: Show) -> OutMessage:
        status = timing.step_status(item.step, show.calendar, show.now)
        limit = item.view.policy.overdue_limit
        if status.kind == "overdue":
            k = item.step.overdue_reminders
            header = show.t("rem_overdue", n=status.days, k=k, limit=limit)
            if k >= limit:
                header += "\n" + show.t("rem_overdue_last")
        elif status.kind == "due":
            header = show.t("rem_due")
        else:
            header = show.t("rem_before", n=status.days)
        return step_card(item.view, item.step, show, header=header, status=False)  # the header says it

    @staticmethod
    def _many(items: list[_Item], show: Show) -> OutMessage:
        lines = [show.t("rem_many", n=len(items))]
        buttons = []
        for i, item in enumerate(items[:MAX_LISTED], start=1):
            step = item.step
            lines.append(
                show.t(
                    "rem_many_line",
                    i=i,
                    name=process_name(item.view),
                    n=step.number,
                    title=step.title,
                    due=show.due(step),
                    status=show.status(step),
                )
            )
            buttons.append(Button(show.t("btn_rem_item", i=i), f"proc:card:{step.id}"))
        if len(items) > MAX_LISTED:
            lines.append(show.t("rem_more", n=len(items) - MAX_LISTED))
        return OutMessage(text="\n".join(lines), buttons=tuple(buttons))

    async def _schedule_followups(
        self, session: AsyncSession, items: list[_Item], calendar: OfficeCalendar, now: datetime
    ) -> None:
        step_ids = [i.step.id for i in items]
        waiting = set(
            (
                await session.execute(
                    select(ProcessReminder.step_id).where(
                        ProcessReminder.step_id.in_(step_ids), ProcessReminder.state == ReminderState.PENDING.value
                    )
                )
            ).scalars()
        )
        for item in items:
            if item.step.id in waiting:
                continue  # its next reminder is already planned (a "before" reminder ahead of the due one)
            planned = timing.followup(item.step, item.view.policy, calendar, now)
            if planned is not None:
                add_reminder(session, item.step, planned, now)

    @staticmethod
    async def _remember_buttons(session: AsyncSession, officer: Contact, message: OutMessage, now: datetime) -> None:
        """So that typing "1" or "เสร็จแล้ว" answers the reminder (LINE PC shows no buttons); never over a
        conversation the person is in the middle of."""
        if not message.buttons:
            return
        state = await conversations.get(session, officer.id, now=now)
        if state is not None and (state.flow, state.step) != (FLOW, "menu"):
            return
        offered = [[b.label, b.data] for b in message.buttons]
        await conversations.put(session, officer.id, State(FLOW, "menu", {BUTTONS_KEY: offered}), now=now)

    # --- the admins -------------------------------------------------------------------------------

    async def _escalate(
        self, session: AsyncSession, items: list[_Item], calendar: OfficeCalendar, now: datetime
    ) -> int:
        recipients = await self._admin_targets(session)
        for item in items:
            item.step.escalated_at = now
            repo.log(
                session,
                item.view.process,
                item.step,
                "escalated",
                repo.SYSTEM,
                now,
                admins=[f"{t.channel.value}:{t.id}" for t, _ in recipients],
            )
        if not recipients:
            log.warning("reminders.no_admin_to_escalate_to", steps=[i.step.id for i in items])
            return 0
        for target, lang in recipients:
            show = Show(lang, calendar, now)
            items.sort(key=lambda i: self._urgency(i, show))
            lines = [show.t("rem_escalation", n=len(items))]
            for i, item in enumerate(items[:MAX_LISTED], start=1):
                lines.append(
                    show.t(
                        "rem_escalation_line",
                        i=i,
                        name=process_name(item.view),
                        n=item.step.number,
                        title=item.step.title,
                        officer=contact_name(item.view.officer, show),
                        due=show.due(item.step),
                        status=show.status(item.step),
                    )
                )
            if len(items) > MAX_LISTED:
                lines.append(show.t("rem_more", n=len(items) - MAX_LISTED))
            ids = sorted({i.view.process.id for i in items})[:MAX_LISTED]
            buttons = tuple(Button(f"#{pid}", f"proc:view:{pid}") for pid in ids)
            outbox.enqueue(session, target, [OutMessage(text="\n".join(lines), buttons=buttons)], now=now)
        return len(recipients)

    async def _admin_targets(self, session: AsyncSession) -> list[tuple[Target, str]]:
        """Every reachable admin contact, and the PHUANKRU_ADMINS who have not written to the bot yet."""
        targets = [(target_of(c), c.language or "th") for c in await repo.admin_contacts(session)]
        known = {(t.channel.value, t.id) for t, _ in targets}
        for channel, user_id in sorted(self.admins - known):
            contact = await find_by_platform_id(session, channel, user_id)
            if contact is not None and (not contact.reachable or contact.erased_at is not None):
                continue
            contact_id = contact.id if contact else None
            targets.append((Target(Channel(channel), "user", user_id, contact_id=contact_id), "th"))
        return targets
