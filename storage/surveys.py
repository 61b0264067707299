"""Surveys in the database: definitions and their versions, campaigns, who takes part, and the answers.

Nothing here knows a message or a language: the handlers decide what to say (`handlers.surveys.messages`), this
module what to keep.
See `storage.survey_models` for why answers sit on sheets that name nobody.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audiences import GroupTarget, Person
from storage.db import dialect_name
from storage.erasure import register_anonymiser
from storage.models import Chat, Contact
from storage.survey_models import (
    CampaignStatus,
    QuestionType,
    ResponseState,
    ResponseVia,
    SurveyAnswer,
    SurveyCampaign,
    SurveyCampaignGroup,
    SurveyDefinition,
    SurveyQuestion,
    SurveyResponse,
    SurveySheet,
)

TEXT_ANSWER = 0  # the `value` of a typed answer's row
LIKERT_LEVELS = (1, 2, 3, 4, 5)
_RANDOM_ID_BITS = 62  # positive in a signed 64-bit BIGINT, and in SQLite's INTEGER


class SurveyError(ValueError):
    """Something a person can put right; `code` names the catalogue message, `values` fill it."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code, values)
        self.code = code
        self.values = values


# --- definitions -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    key: str
    type: QuestionType
    text: str
    section: str | None = None
    options: tuple[str, ...] = ()
    multiple: bool = False
    required: bool = True
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class SurveySpec:
    """A validated survey definition, as read from a file (`handlers.surveys.definitions`)."""

    key: str
    title: str
    questions: tuple[QuestionSpec, ...]
    intro: str | None = None
    anonymous: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    def checksum(self) -> str:
        """Equal for equal content, whatever the file's layout: the version only moves when the survey changes."""
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    definition: SurveyDefinition
    action: str  # "created", "updated" (no campaign had used it), "new_version", "unchanged"


async def latest_definition(session: AsyncSession, key: str, version: int | None = None) -> SurveyDefinition | None:
    query = select(SurveyDefinition).where(SurveyDefinition.key == key)
    query = query.where(SurveyDefinition.version == version) if version is not None else query
    query = query.order_by(SurveyDefinition.version.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def find_definition(session: AsyncSession, ref: str) -> SurveyDefinition:
    """`KEY` (its latest version) or `KEY@VERSION`; SurveyError when there is none."""
    key, _, version = ref.strip().partition("@")
    if version and not version.isdigit():
        raise SurveyError("sv_unknown_survey", key=ref)
    found = await latest_definition(session, key, int(version) if version else None)
    if found is None:
        raise SurveyError("sv_unknown_survey", key=ref)
    return found


async def _used(session: AsyncSession, definition_id: int) -> bool:
    query = select(SurveyCampaign.id).where(SurveyCampaign.definition_id == definition_id).limit(1)
    return (await session.execute(query)).first() is not None


def _questions(spec: SurveySpec) -> list[SurveyQuestion]:
    return [
        SurveyQuestion(
            position=position,
            key=q.key,
            type=q.type.value,
            text=q.text,
            section=q.section,
            options=list(q.options) if q.options else None,
            multiple=q.multiple,
            required=q.required,
            max_length=q.max_length,
        )
        for position, q in enumerate(spec.questions)
    ]


def _fill(definition: SurveyDefinition, spec: SurveySpec, checksum: str, source: str | None, now: datetime) -> None:
    definition.title, definition.intro, definition.anonymous = spec.title, spec.intro, spec.anonymous
    definition.settings, definition.checksum, definition.source = dict(spec.settings), checksum, source
    definition.updated_at = now


async def import_definition(
    session: AsyncSession, spec: SurveySpec, *, now: datetime, source: str | None = None
) -> ImportOutcome:
    """Store a definition. A version that a campaign has used is never changed: a changed file becomes the next."""
    checksum = spec.checksum()
    latest = await latest_definition(session, spec.key)
    if latest is not None and latest.checksum == checksum:
        return ImportOutcome(latest, "unchanged")
    if latest is not None and not await _used(session, latest.id):
        _fill(latest, spec, checksum, source, now)
        latest.questions.clear()
        await session.flush()  # the old questions go before the new take their positions
        latest.questions.extend(_questions(spec))
        await session.flush()
        return ImportOutcome(latest, "updated")
    definition = SurveyDefinition(key=spec.key, version=latest.version + 1 if latest else 1, created_at=now)
    _fill(definition, spec, checksum, source, now)
    definition.questions = _questions(spec)
    session.add(definition)
    await session.flush()
    return ImportOutcome(definition, "new_version" if latest else "created")


@dataclass(frozen=True, slots=True)
class DefinitionSummary:
    key: str
    version: int
    title: str
    questions: int
    anonymous: bool
    campaigns: int
    open_campaigns: int


async def list_definitions(session: AsyncSession) -> list[DefinitionSummary]:
    """Every survey's latest version, with how many campaigns all its versions have had."""
    latest = (
        select(SurveyDefinition.key, func.max(SurveyDefinition.version).label("version"))
        .group_by(SurveyDefinition.key)
        .subquery()
    )
    definitions = (
        (
            await session.execute(
                select(SurveyDefinition)
                .join(
                    latest,
                    (SurveyDefinition.key == latest.c.key) & (SurveyDefinition.version == latest.c.version),
                )
                .order_by(SurveyDefinition.key)
            )
        )
        .scalars()
        .all()
    )
    counts = await session.execute(
        select(
            SurveyDefinition.key,
            func.count(SurveyCampaign.id),
            func.count(SurveyCampaign.id).filter(SurveyCampaign.status == CampaignStatus.OPEN.value),
        )
        .join(SurveyCampaign, SurveyCampaign.definition_id == SurveyDefinition.id)
        .group_by(SurveyDefinition.key)
    )
    by_key = {key: (total, still_open) for key, total, still_open in counts}
    return [
        DefinitionSummary(d.key, d.version, d.title, len(d.questions), d.anonymous, *by_key.get(d.key, (0, 0)))
        for d in definitions
    ]


# --- campaigns ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """What `create_campaign` needs; `handlers.office.campaigns.open_campaign` fills it from a request."""

    definition: SurveyDefinition
    audience: list[str]
    people: Sequence[Person]
    groups: Sequence[GroupTarget]
    closes_at: datetime | None = None
    changes_allowed: bool = True
    changes_until: datetime | None = None
    remind_every: timedelta | None = None
    max_reminders: int = 0
    created_by: str = "cli"
    created_by_contact_id: int | None = None


def next_due(campaign: SurveyCampaign, *, groups_pending: bool, now: datetime) -> datetime | None:
    """The earliest moment the campaign has work: a group post (now), a reminder, or its closing."""
    if campaign.status != CampaignStatus.OPEN.value:
        return None
    moments = [m for m in (campaign.next_reminder_at, campaign.closes_at) if m is not None]
    if groups_pending:
        moments.append(now)
    return min(moments) if moments else None


async def create_campaign(session: AsyncSession, plan: CampaignPlan, *, now: datetime) -> SurveyCampaign:
    """The campaign, one response row per person (invited) and one row per group, in the caller's transaction."""
    remind = plan.remind_every if plan.remind_every and plan.max_reminders > 0 else None
    campaign = SurveyCampaign(
        definition_id=plan.definition.id,
        status=CampaignStatus.OPEN.value,
        audience=list(plan.audience),
        opened_at=now,
        closes_at=plan.closes_at,
        changes_allowed=plan.changes_allowed,
        changes_until=plan.changes_until,
        remind_every_s=int(remind.total_seconds()) if remind else None,
        max_reminders=plan.max_reminders if remind else 0,
        reminders_sent=0,
        next_reminder_at=now + remind if remind else None,
        invited=len(plan.people),
        created_by=plan.created_by,
        created_by_contact_id=plan.created_by_contact_id,
        created_at=now,
    )
    if campaign.next_reminder_at and campaign.closes_at and campaign.next_reminder_at >= campaign.closes_at:
        campaign.next_reminder_at = None  # the first reminder would come after the closing: none at all
    session.add(campaign)
    await session.flush()
    rows = [
        {
            "campaign_id": campaign.id,
            "contact_id": p.contact_id,
            "via": ResponseVia.INVITE.value,
            "state": ResponseState.INVITED.value,
            "current": 0,
            "editing": False,
            "invited_at": now,
            "reminders": 0,
            "updated_at": now,
        }
        for p in plan.people
    ]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(SurveyResponse), rows[start : start + 1000])
    for group in plan.groups:
        session.add(SurveyCampaignGroup(campaign_id=campaign.id, chat_id=group.chat_id))
    campaign.due_at = next_due(campaign, groups_pending=bool(plan.groups), now=now)
    await session.flush()
    return campaign


async def get_campaign(session: AsyncSession, campaign_id: int) -> SurveyCampaign | None:
    return await session.get(SurveyCampaign, campaign_id)


async def require_campaign(session: AsyncSession, campaign_id: int) -> SurveyCampaign:
    campaign = await session.get(SurveyCampaign, campaign_id)
    if campaign is None:
        raise SurveyError("sv_unknown_campaign", campaign=campaign_id)
    return campaign


def is_open(campaign: SurveyCampaign, now: datetime) -> bool:
    """Open and not past its closing time (the closing job may not have run yet: the time decides)."""
    return campaign.status == CampaignStatus.OPEN.value and (campaign.closes_at is None or now < campaign.closes_at)


def changes_open(campaign: SurveyCampaign, now: datetime) -> bool:
    """May a person who has submitted still change answers?"""
    if not campaign.changes_allowed or not is_open(campaign, now):
        return False
    return campaign.changes_until is None or now < campaign.changes_until


async def has_groups(session: AsyncSession, campaign_id: int) -> bool:
    query = select(SurveyCampaignGroup.chat_id).where(SurveyCampaignGroup.campaign_id == campaign_id).limit(1)
    return (await session.execute(query)).first() is not None


async def list_campaigns(session: AsyncSession, *, limit: int = 50) -> list[tuple[SurveyCampaign, int]]:
    """The latest campaigns with how many have submitted."""
    done = (
        select(SurveyResponse.campaign_id, func.count().label("completed"))
        .where(SurveyResponse.state == ResponseState.COMPLETED.value)
        .group_by(SurveyResponse.campaign_id)
        .subquery()
    )
    rows = await session.execute(
        select(SurveyCampaign, func.coalesce(done.c.completed, 0))
        .outerjoin(done, done.c.campaign_id == SurveyCampaign.id)
        .order_by(SurveyCampaign.id.desc())
        .limit(limit)
    )
    return [(campaign, int(completed)) for campaign, completed in rows.all()]


async def close_campaign(session: AsyncSession, campaign: SurveyCampaign, *, now: datetime) -> bool:
    """Close it now; False when it was closed already."""
    if campaign.status != CampaignStatus.OPEN.value:
        return False
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED.value, now
    campaign.due_at = campaign.next_reminder_at = None
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.campaign_id == campaign.id, SurveyResponse.editing.is_(True))
        .values(editing=False)
        .execution_options(synchronize_session=False)
    )
    return True


@dataclass(frozen=True, slots=True)
class Participation:
    invited: int  # response rows: the audience, and those who started from a group post
    started: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed * 100 / self.invited if self.invited else None


async def participation(session: AsyncSession, campaign_id: int) -> Participation:
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(SurveyResponse.state != ResponseState.INVITED.value),
                func.count().filter(SurveyResponse.state == ResponseState.COMPLETED.value),
            ).where(SurveyResponse.campaign_id == campaign_id)
        )
    ).one()
    return Participation(int(row[0]), int(row[1]), int(row[2]))


# --- taking part -------------------------------------------------------------------------------------


def _for_update(session: AsyncSession, query: Select[Any]) -> Select[Any]:
    # Two replicas handling two taps of the same person take turns on the row (SQLite has one writer anyway).
    return query.with_for_update() if dialect_name(session) == "postgresql" else query


def _same_person(contact: Contact) -> Select[Any]:
    """The ids of every account of the contact's person (LINE and Telegram linked by /link), the contact's own
    among them: a response belongs to the person, whichever app they answer from."""
    return select(Contact.id).where(func.coalesce(Contact.person_id, Contact.id) == (contact.person_id or contact.id))


async def response_for(session: AsyncSession, campaign_id: int, contact: Contact) -> SurveyResponse | None:
    """The person's response, locked; found through a linked account too (then it moves to this one)."""
    query = _for_update(
        session,
        select(SurveyResponse)
        .where(SurveyResponse.campaign_id == campaign_id, SurveyResponse.contact_id.in_(_same_person(contact)))
        .order_by(SurveyResponse.contact_id != contact.id, SurveyResponse.id)
        .limit(1),
    )
    response: SurveyResponse | None = (await session.execute(query)).scalar_one_or_none()
    if response is not None and response.contact_id != contact.id:
        response.contact_id = contact.id  # one person, one response: it follows them to the other app
    return response


async def join_from_group(
    session: AsyncSession, campaign_id: int, contact: Contact, *, now: datetime
) -> SurveyResponse:
    """A response for someone who starts from the campaign's post in a group (they were not invited by name)."""
    response = SurveyResponse(
        campaign_id=campaign_id,
        contact_id=contact.id,
        via=ResponseVia.GROUP.value,
        state=ResponseState.INVITED.value,
        current=0,
        editing=False,
        reminders=0,
        updated_at=now,
    )
    session.add(response)
    await session.flush()
    return response


async def start(
    session: AsyncSession, response: SurveyResponse, *, anonymous: bool, contact: Contact, now: datetime
) -> SurveySheet:
    """Begin answering: a new sheet with a random id. Only a named survey keeps the school and position."""
    sheet = SurveySheet(
        id=secrets.randbits(_RANDOM_ID_BITS),
        campaign_id=response.campaign_id,
        completed=False,
        school_id=None if anonymous else contact.school_id,
        position=None if anonymous else contact.position,
    )
    session.add(sheet)
    await session.flush()
    response.sheet_id, response.state, response.current = sheet.id, ResponseState.ANSWERING.value, 0
    response.started_at = response.started_at or now
    response.updated_at = now
    return sheet


async def answers(session: AsyncSession, sheet_id: int) -> dict[int, list[tuple[int, str | None]]]:
    """{question id: [(value, text)]} of one sheet."""
    rows = await session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.value, SurveyAnswer.text)
        .where(SurveyAnswer.sheet_id == sheet_id)
        .order_by(SurveyAnswer.question_id, SurveyAnswer.value)
    )
    found: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for question_id, value, text in rows:
        found[question_id].append((value, text))
    return dict(found)


async def set_answer(
    session: AsyncSession, sheet_id: int, question_id: int, values: Sequence[tuple[int, str | None]]
) -> None:
    """Replace the sheet's answer to one question (no values: the question is left unanswered)."""
    await session.execute(
        delete(SurveyAnswer).where(SurveyAnswer.sheet_id == sheet_id, SurveyAnswer.question_id == question_id)
    )
    if values:
        await session.execute(
            insert(SurveyAnswer),
            [{"sheet_id": sheet_id, "question_id": question_id, "value": v, "text": text} for v, text in values],
        )


async def toggle_option(session: AsyncSession, sheet_id: int, question_id: int, value: int) -> None:
    removed = await session.execute(
        delete(SurveyAnswer).where(
            SurveyAnswer.sheet_id == sheet_id, SurveyAnswer.question_id == question_id, SurveyAnswer.value == value
        )
    )
    if not getattr(removed, "rowcount", 0):
        await session.execute(insert(SurveyAnswer).values(sheet_id=sheet_id, question_id=question_id, value=value))


async def complete(session: AsyncSession, response: SurveyResponse, *, anonymous: bool, now: datetime) -> None:
    """Submit: the sheet counts from now on. For an anonymous survey the response forgets which sheet was its."""
    if response.sheet_id is not None:
        await session.execute(update(SurveySheet).where(SurveySheet.id == response.sheet_id).values(completed=True))
    response.state, response.completed_at, response.updated_at = ResponseState.COMPLETED.value, now, now
    response.editing = False
    if anonymous:
        response.sheet_id = None


@dataclass(frozen=True, slots=True)
class OpenItem:
    campaign: SurveyCampaign
    response: SurveyResponse | None  # None: a group campaign this person has not started


async def open_for(session: AsyncSession, contact: Contact, *, now: datetime) -> list[OpenItem]:
    """What the person can still answer (or change), newest first; open group campaigns on their platform too."""
    open_now = (SurveyCampaign.status == CampaignStatus.OPEN.value) & or_(
        SurveyCampaign.closes_at.is_(None), SurveyCampaign.closes_at > now
    )
    mine = (
        await session.execute(
            select(SurveyCampaign, SurveyResponse)
            .join(SurveyResponse, SurveyResponse.campaign_id == SurveyCampaign.id)
            .where(open_now, SurveyResponse.contact_id.in_(_same_person(contact)))
            .order_by(SurveyCampaign.id.desc())
        )
    ).all()
    items = [OpenItem(c, r) for c, r in mine]
    seen = {c.id for c, _ in mine}
    groups = (
        (
            await session.execute(
                select(SurveyCampaign)
                .join(SurveyCampaignGroup, SurveyCampaignGroup.campaign_id == SurveyCampaign.id)
                .join(Chat, Chat.id == SurveyCampaignGroup.chat_id)
                .where(open_now, Chat.channel == contact.channel)
                .distinct()
                .order_by(SurveyCampaign.id.desc())
            )
        )
        .scalars()
        .all()
    )
    items += [OpenItem(c, None) for c in groups if c.id not in seen]
    return sorted(items, key=lambda item: -item.campaign.id)


# --- due work ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    contact_id: int
    channel: str
    platform_user_id: str
    language: str


async def non_respondents(session: AsyncSession, campaign_id: int) -> list[Recipient]:
    """People invited who have not submitted and can still be reached."""
    rows = await session.execute(
        select(Contact.id, Contact.channel, Contact.platform_user_id, Contact.language)
        .join(SurveyResponse, SurveyResponse.contact_id == Contact.id)
        .where(
            SurveyResponse.campaign_id == campaign_id,
            SurveyResponse.state != ResponseState.COMPLETED.value,
            Contact.reachable.is_(True),
            Contact.erased_at.is_(None),
        )
        .order_by(Contact.id)
    )
    return [Recipient(*row) for row in rows.all()]


async def mark_reminded(session: AsyncSession, campaign_id: int, *, now: datetime) -> None:
    await session.execute(
        update(SurveyResponse)
        .where(
            SurveyResponse.campaign_id == campaign_id,
            SurveyResponse.state != ResponseState.COMPLETED.value,
        )
        .values(reminders=SurveyResponse.reminders + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def pending_groups(session: AsyncSession, campaign_id: int) -> list[SurveyCampaignGroup]:
    query = select(SurveyCampaignGroup).where(
        SurveyCampaignGroup.campaign_id == campaign_id, SurveyCampaignGroup.posted_at.is_(None)
    )
    return list((await session.execute(query)).scalars())


# --- erasure -----------------------------------------------------------------------------------------


@register_anonymiser
async def unlink_answers(session: AsyncSession, contact_id: int) -> None:
    """/forgetme: the person's answers stay (they count in the results) but nothing leads from them to the person."""
    sheets = select(SurveyResponse.sheet_id).where(
        SurveyResponse.contact_id == contact_id, SurveyResponse.sheet_id.is_not(None)
    )
    await session.execute(
        update(SurveySheet)
        .where(SurveySheet.id.in_(sheets))
        .values(school_id=None, position=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.contact_id == contact_id)
        .values(sheet_id=None, editing=False)
        .execution_options(synchronize_session=False)
    )


def question_type(question: SurveyQuestion) -> QuestionType:
    return QuestionType(question.type)
