"""Survey campaigns: checking a send, opening a campaign (its response rows and invitations), closing it.

Staff open and close campaigns; an officer also opens the survey a step of their own process names (the process's
own action has checked that the step is theirs: `SendRequest.from_step`). The CLI's operator and the survey job
act as admins (`Actor.operator`). Chat (`handlers.chat.survey_staff`, `handlers.chat.process_surveys`), the CLI
(`bot/cli_surveys.py`) and the survey job (`scheduler/survey_jobs.py`) call these and render what they return.

Mistakes a person can put right raise `SurveyError` or `AudienceError` (codes of the message catalogue) before
anything is written; a missing role raises `Refused` after its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from core.model import OutMessage
from handlers.office.acting import record, require
from handlers.office.audience_words import read_audience
from handlers.surveys.messages import invitation, send_to_people
from handlers.texts import t
from storage import audiences, surveys
from storage.models import Role
from storage.survey_models import SurveyCampaign, SurveyDefinition
from storage.surveys import Participation, SurveyError

SEND = "survey.send"
CLOSE = "survey.close"


@dataclass(frozen=True, slots=True)
class SendRequest:
    survey: str  # KEY or KEY@VERSION
    audience: tuple[str, ...]
    closes_at: datetime | None = None
    remind_every: timedelta | None = None
    max_reminders: int = 0
    changes_allowed: bool = True
    changes_until: datetime | None = None
    from_step: int | None = None  # the process step whose survey this is: its officer may open it


@dataclass(frozen=True, slots=True)
class SendPreview:
    request: SendRequest
    definition: SurveyDefinition
    audience: audiences.Audience
    specs: tuple[str, ...]  # the audience as read (ครู → role:teacher), as the campaign keeps it


@dataclass(frozen=True, slots=True)
class Opened:
    preview: SendPreview  # as checked at the moment of opening
    campaign: SurveyCampaign


@dataclass(frozen=True, slots=True)
class Closing:
    campaign: SurveyCampaign
    closed: bool  # False: it was closed already, and nothing changed
    participation: Participation


def _send_roles(request: SendRequest) -> tuple[Role, ...]:
    return (Role.STAFF, Role.OFFICER) if request.from_step is not None else (Role.STAFF,)


async def prepare_send(session: AsyncSession, actor: Actor, request: SendRequest, *, now: datetime) -> SendPreview:
    """Check a send before anything is written: the preview staff confirm. Writes nothing but a refusal."""
    require(session, actor, SEND, *_send_roles(request), now=now)
    definition = await surveys.find_definition(session, request.survey)
    if request.closes_at is not None and request.closes_at <= now:
        raise SurveyError("sv_closes_in_past")
    if request.changes_until is not None and request.changes_until <= now:
        raise SurveyError("sv_changes_in_past")
    if request.max_reminders < 0 or (request.remind_every is not None and request.remind_every <= timedelta(0)):
        raise SurveyError("sv_bad_reminders")
    specs = await read_audience(session, request.audience)
    audience = await audiences.resolve(session, audiences.parse_all(specs))
    if not len(audience):
        raise SurveyError("sv_audience_empty")
    return SendPreview(request, definition, audience, tuple(specs))


async def open_campaign(
    session: AsyncSession, actor: Actor, request: SendRequest, *, now: datetime, tz: ZoneInfo
) -> Opened:
    """The campaign, a response row per person and their invitations, and its audit row, in one transaction.

    The request is checked again here: time has passed since its preview (the closing time may be past now, the
    audience changed). Group posts are queued by the survey job, which knows the Telegram bot's name for the deep
    link."""
    preview = await prepare_send(session, actor, request, now=now)
    definition = preview.definition
    plan = surveys.CampaignPlan(
        definition=definition,
        audience=list(preview.specs),
        people=preview.audience.people,
        groups=preview.audience.groups,
        closes_at=request.closes_at,
        changes_allowed=request.changes_allowed,
        changes_until=request.changes_until,
        remind_every=request.remind_every,
        max_reminders=request.max_reminders if request.remind_every else 0,
        created_by=actor.name,
        created_by_contact_id=actor.contact_id,
    )
    campaign = await surveys.create_campaign(session, plan, now=now)
    await send_to_people(
        session,
        [p.contact_id for p in preview.audience.people],
        lambda lang: invitation(campaign, definition, tz, lang),
        now=now,
    )
    record(
        session,
        actor,
        SEND,
        f"survey_campaign:{campaign.id}",
        now=now,
        survey=definition.key,
        version=definition.version,
        audience=list(preview.specs),
        people=len(preview.audience.people),
        groups=len(preview.audience.groups),
    )
    return Opened(preview, campaign)


async def close_campaign(session: AsyncSession, actor: Actor, campaign_id: int, *, now: datetime) -> Closing:
    """Close the campaign now: late taps get a polite "closed". SurveyError when there is no such campaign.

    The audit row records a person's (or the operator's) decision; a campaign reaching its closing time is closed by
    the survey job (`via="system"`) without one, since that time was chosen, and audited, when it was opened."""
    require(session, actor, CLOSE, Role.STAFF, now=now)
    campaign = await surveys.require_campaign(session, campaign_id)
    closed = await surveys.close_campaign(session, campaign, now=now)
    if closed and actor.via != "system":
        record(session, actor, CLOSE, f"survey_campaign:{campaign.id}", now=now)
    return Closing(campaign, closed, await surveys.participation(session, campaign.id))


def closed_note(closing: Closing, lang: str) -> OutMessage:
    """What staff are told of a closed campaign: the one who closed it, or (on schedule) the one who sent it."""
    if not closing.closed:
        return OutMessage(text=t("sv_already_closed", lang, campaign=closing.campaign.id))
    return OutMessage(
        text=t(
            "sv_closed_now",
            lang,
            campaign=closing.campaign.id,
            title=closing.campaign.definition.title,
            n=closing.participation.completed,
            invited=closing.participation.invited,
        )
    )
