"""The surveys' due work, run by the ticker: posts in groups, reminders to non-respondents, closing campaigns.

Each tick claims the campaigns whose `due_at` has come (atomically: several replicas never take the same one),
then handles each in a transaction of its own that queues the messages and moves `due_at` on together: a crash
mid-way leaves the work due, and nothing is sent twice. Reminders wait for office hours; closing does not (the
closing time is a promise to the people answering), but the note to staff is delivered in office hours.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.actor import Actor
from core.calendar import OfficeCalendar
from core.clock import Clock
from core.model import Channel, Target
from handlers.office import campaigns
from handlers.surveys import messages as survey_messages
from storage import outbox, surveys
from storage.claims import claim_due
from storage.db import Database, dialect_name
from storage.models import Chat, Contact, Role
from storage.survey_models import CampaignStatus, SurveyCampaign

if TYPE_CHECKING:
    pass

log = structlog.get_logger("phuankru.survey_jobs")

LEASE = timedelta(minutes=5)
BATCH = 20
# The job closes a campaign at its closing time as the system: with no audit row (see campaigns.close_campaign).
SCHEDULE = Actor.operator("system")
RETRY_GROUP_POST = timedelta(minutes=5)  # a Telegram post waits for the bot's name (known once Telegram answers)
_GROUP_KINDS = {"group": "group", "supergroup": "group", "room": "room", "channel": "channel"}


class SurveyDueWork:
    """`await job()` handles every campaign due now; returns how many it handled."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        calendar: OfficeCalendar,
        *,
        wake: Callable[[], None] = lambda: None,
        owner: str | None = None,
    ) -> None:
        self.db, self.clock, self.calendar, self.wake = db, clock, calendar, wake
        self.owner = owner or f"surveys:{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.timezone

    async def __call__(self) -> int:
        now = self.clock.now()
        async with self.db.sessions() as session, session.begin():
            ids = await claim_due(
                session,
                SurveyCampaign,
                due=cast(InstrumentedAttribute[datetime], SurveyCampaign.due_at),
                lease_until=SurveyCampaign.lease_until,
                lease_owner=SurveyCampaign.lease_owner,
                now=now,
                owner=self.owner,
                lease=LEASE,
                limit=BATCH,
                where=SurveyCampaign.status == CampaignStatus.OPEN.value,
            )
        queued = 0
        for campaign_id in ids:
            try:
                async with self.db.sessions() as session, session.begin():
                    queued += await self.handle(session, campaign_id, now)
            except Exception:
                # Its lease runs out and it is tried again; the other campaigns are not held up meanwhile.
                log.exception("survey.due_work_failed", campaign=campaign_id)
        if queued:
            self.wake()
        return len(ids)

    async def handle(self, session: AsyncSession, campaign_id: int, now: datetime) -> int:
        """One campaign's due work; returns the outbox rows queued."""
        query = select(SurveyCampaign).where(SurveyCampaign.id == campaign_id)
        if dialect_name(session) == "postgresql":
            query = query.with_for_update()
        campaign = (await session.execute(query)).scalar_one_or_none()
        if campaign is None or campaign.lease_owner != self.owner:
            return 0  # closed by hand meanwhile, or our lease ran out and another worker has it
        queued, groups_retry = 0, False
        if campaign.closes_at is not None and campaign.closes_at <= now:
            queued += await self._close(session, campaign, now)
        else:
            posted, groups_retry = await self._post_in_groups(session, campaign, now)
            queued += posted
            if campaign.next_reminder_at is not None and campaign.next_reminder_at <= now:
                queued += await self._remind(session, campaign, now)
        campaign.due_at = surveys.next_due(campaign, groups_pending=False, now=now)
        if groups_retry and campaign.status == CampaignStatus.OPEN.value:
            retry = now + RETRY_GROUP_POST
            campaign.due_at = min(campaign.due_at, retry) if campaign.due_at else retry
        campaign.lease_owner = campaign.lease_until = None
        return queued

    async def _post_in_groups(self, session: AsyncSession, campaign: SurveyCampaign, now: datetime) -> tuple[int, bool]:
        """Queue the campaign's post in each group not posted yet; (rows queued, some must wait)."""
        queued, waiting = 0, False
        for row in await surveys.pending_groups(session, campaign.id):
            chat = await session.get(Chat, row.chat_id)
            if chat is None or not chat.active:
                row.posted_at = now  # the bot has left: nothing to post, nothing to wait for
                continue
            channel = Channel(chat.channel)
            if channel is Channel.TELEGRAM and survey_messages.deep_link(campaign.id) is None:
                waiting = True
                continue
            message = survey_messages.group_post(campaign, campaign.definition, channel, self.tz)
            target = Target(channel, _GROUP_KINDS.get(chat.kind, "group"), chat.platform_chat_id, chat_id=chat.id)
            queued += len(outbox.enqueue(session, target, [message], now=now))
            row.posted_at = now
        return queued, waiting

    async def _remind(self, session: AsyncSession, campaign: SurveyCampaign, now: datetime) -> int:
        """Nudge everyone invited who has not submitted — in office hours only; the next nudge is planned here."""
        opens = self.calendar.next_open(now)
        if opens > now:
            campaign.next_reminder_at = opens if campaign.closes_at is None or opens < campaign.closes_at else None
            return 0
        definition = campaign.definition
        recipients = await surveys.non_respondents(session, campaign.id)
        queued = await survey_messages.send_to_people(
            session,
            [r.contact_id for r in recipients],
            lambda lang: survey_messages.reminder(campaign, definition, self.tz, lang),
            now=now,
        )
        await surveys.mark_reminded(session, campaign.id, now=now)
        campaign.reminders_sent += 1
        every = timedelta(seconds=campaign.remind_every_s or 0)
        following = now + every if every and campaign.reminders_sent < campaign.max_reminders else None
        if following is not None and campaign.closes_at is not None and following >= campaign.closes_at:
            following = None
        campaign.next_reminder_at = following
        log.info("survey.reminded", campaign=campaign.id, people=len(recipients), reminder=campaign.reminders_sent)
        return queued

    async def _close(self, session: AsyncSession, campaign: SurveyCampaign, now: datetime) -> int:
        """End the campaign and tell staff (the one who sent it, or else every staff member and admin)."""
        closing = await campaigns.close_campaign(session, SCHEDULE, campaign.id, now=now)
        taking_part = closing.participation
        staff = await self._staff_to_tell(session, campaign)
        for contact in staff:
            note = campaigns.closed_note(closing, contact.language)
            target = Target(Channel(contact.channel), "user", contact.platform_user_id, contact_id=contact.id)
            outbox.enqueue(session, target, [note], now=now, not_before=self.calendar.next_open(now))
        log.info("survey.closed", campaign=campaign.id, completed=taking_part.completed, invited=taking_part.invited)
        return len(staff)

    @staticmethod
    async def _staff_to_tell(session: AsyncSession, campaign: SurveyCampaign) -> list[Contact]:
        reachable = (Contact.reachable.is_(True), Contact.erased_at.is_(None))
        if campaign.created_by_contact_id is not None:
            query = select(Contact).where(Contact.id == campaign.created_by_contact_id, *reachable)
            creator = (await session.execute(query)).scalar_one_or_none()
            if creator is not None:
                return [creator]
        query = (
            select(Contact)
            .where(Contact.role.in_([Role.STAFF.value, Role.ADMIN.value]), *reachable)
            .order_by(Contact.id)
        )
        return list((await session.execute(query)).scalars())
