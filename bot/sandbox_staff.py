"""The sandbox's staff view: the last broadcasts with delivery counts, survey results, process progress.

Read-only, straight from the database through the same storage and report functions the CLI uses, so what
the page shows is what `phuankru broadcast status`, `survey results` and `process status` would say.
"""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import OfficeCalendar
from core.clock import Clock
from core.model import OutMessage
from core.thaidate import thai_date, thai_datetime
from handlers.surveys import report as survey_report
from storage import broadcasts, inbox, processes, surveys
from storage.db import Database
from storage.models import Contact
from storage.process_timing import local_day, step_status

log = structlog.get_logger("phuankru.sandbox")

RECENT_BROADCASTS = 10
RECENT_CAMPAIGNS = 10
DELIVERY_STATES = ("sent", "pending", "failed", "blocked", "cancelled")


def clock_json(clock: Clock, calendar: OfficeCalendar) -> dict[str, Any]:
    now = clock.now()
    return {"now": now.isoformat(), "local": thai_datetime(now, calendar.timezone)}


async def collect(db: Database, clock: Clock, calendar: OfficeCalendar) -> dict[str, Any]:
    tz = calendar.timezone
    async with db.sessions() as session:
        return {
            "clock": clock_json(clock, calendar),
            "broadcasts": await _broadcasts(session, tz),
            "surveys": await _surveys(session),
            "processes": await _processes(session, clock, calendar),
            "inbox": await _inbox(session, clock, tz),
        }


async def _inbox(session: AsyncSession, clock: Clock, tz: ZoneInfo) -> dict[str, Any]:
    """Open threads, and the median time to a first answer over the last 30 days."""
    threads = []
    for thread in await inbox.list_threads(session, open_only=True, limit=20):
        person = await session.get(Contact, thread.contact_id)
        threads.append(
            {
                "id": thread.id,
                "from": (person.display_name or person.platform_user_id) if person else "?",
                "channel": person.channel if person else "",
                "last": thai_datetime(thread.last_message_at, tz),
                "answered": thread.first_response_at is not None,
            }
        )
    stats = await inbox.response_stats(session, now=clock.now())
    median = stats.median_first_response
    return {
        "open": threads,
        "threads_30_days": stats.threads,
        "answered_30_days": stats.answered,
        "median_first_response_min": round(median.total_seconds() / 60, 1) if median is not None else None,
    }


async def _broadcasts(session: AsyncSession, tz: ZoneInfo) -> list[dict[str, Any]]:
    out = []
    for row in await broadcasts.recent(session, limit=RECENT_BROADCASTS):
        status = await broadcasts.status(session, row.id)
        content = OutMessage.from_json(row.content)
        attachment = content.attachment
        out.append(
            {
                "id": row.id,
                "text": (content.text or "")[:300],
                "image": attachment.url if attachment and attachment.kind == "image" else None,
                "file": (attachment.filename or attachment.url) if attachment and attachment.kind != "image" else None,
                "audience": row.audience,
                "state": row.state,
                "scheduled_at": thai_datetime(row.scheduled_at, tz),
                "recipients": row.recipients_total,
                "counts": {s: status.total(s) if status else 0 for s in DELIVERY_STATES},
            }
        )
    return out


async def _surveys(session: AsyncSession) -> list[dict[str, Any]]:
    out = []
    for campaign, completed in await surveys.list_campaigns(session, limit=RECENT_CAMPAIGNS):
        try:
            report = survey_report.to_json(await survey_report.build_report(session, campaign.id))
        except Exception:  # one unreadable campaign must not hide the others
            log.exception("sandbox.survey_report_failed", campaign=campaign.id)
            report = None
        out.append(
            {
                "campaign": campaign.id,
                "title": campaign.definition.title,
                "status": campaign.status,
                "invited": campaign.invited,
                "completed": completed,
                "report": report,
                "chart": f"/sandbox/api/surveys/{campaign.id}/chart.png",
            }
        )
    return out


async def _processes(session: AsyncSession, clock: Clock, calendar: OfficeCalendar) -> list[dict[str, Any]]:
    now = clock.now()
    views = await processes.active_views(session)
    days = [s.due_on for v in views for s in v.steps] or [local_day(now, calendar)]
    calendar = await processes.calendar_for(session, calendar, local_day(now, calendar), *days)
    out = []
    for view in views:
        steps = []
        for step in view.steps:
            status = step_status(step, calendar, now)
            steps.append(
                {
                    "number": step.number,
                    "title": step.title,
                    "due_on": step.due_on.isoformat(),
                    "due": thai_date(step.due_on, calendar.timezone),
                    "status": status.kind,
                    "days": status.days,
                }
            )
        current = view.current
        out.append(
            {
                "id": view.process.id,
                "code": view.process.code,
                "title": view.process.title,
                "officer": view.officer.display_name if view.officer else None,
                "done": view.finished,
                "total": len(view.steps),
                "current": current.number if current else None,
                "steps": steps,
            }
        )
    return out


async def survey_chart(db: Database, campaign_id: int) -> bytes | None:
    """The report's bar chart (matplotlib, the shipped Thai font), drawn off the event loop."""
    async with db.sessions() as session:
        try:
            report = await survey_report.build_report(session, campaign_id)
        except surveys.SurveyError:
            return None
    chart = await asyncio.to_thread(survey_report.render_chart, report)
    return chart.png
