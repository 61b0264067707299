"""Surveys in chat: the invitation, one question at a time with buttons (or the typed number or label), back and
skip, review and change after submitting, the start from a group's post, and the staff commands.

Where a person is lives in the database (`survey_responses.current`, and the conversation state that routes
their typed answers), so a restart resumes at the same question. Every button names its campaign and question,
so a tap on a button of an earlier question, another campaign or a closed one changes nothing.

Button data (ASCII, far under Telegram's 64 bytes):
    sv:s:C        start or resume campaign C          sv:g:C        start from C's post in a group
    sv:a:C:Q:V    answer question Q with V            sv:t:C:Q:V    tick/untick option V (several allowed)
    sv:d:C:Q      done ticking                        sv:k:C:Q      skip (optional question)
    sv:b:C:Q      back from question Q                sv:f:C        submit (anonymous survey)
    sv:r:C        review answers                      sv:e:C:Q      change the answer to Q
    sv:x:C        done reviewing                      sv:send:yes / sv:send:no   staff confirm a send

Anonymous surveys: nothing said to the person repeats an answer (outgoing messages are kept with their
recipient), and the stored webhook payload of every answer is blanked, so no table joins a person to an answer.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import thaidate
from core.choices import comparable, pick, western_digits
from core.model import Attachment, Button, Channel, Event, EventKind, OutMessage, Target
from core.thaidate import thai_datetime
from handlers.chat import basics
from handlers.chat.asked import remember_buttons
from handlers.chat.context import Context
from handlers.chat.roles import actor_of, has_role, refuse
from handlers.chat.router import Router
from handlers.surveys import report as survey_report
from handlers.texts import t
from storage import audiences, audit, contacts, conversations, surveys
from storage.models import Contact, InboundEvent, Role
from storage.outbox import Recipient, enqueue_many
from storage.survey_models import (
    QuestionType,
    ResponseState,
    SurveyCampaign,
    SurveyDefinition,
    SurveyQuestion,
    SurveyResponse,
)
from storage.surveys import SurveyError

log = structlog.get_logger("phuankru.surveys")

router = Router("surveys")

FLOW = "survey"  # steps: "question" (answering or changing), "review"
SEND_FLOW = "survey_send"
START_PREFIX = "sv_"  # Telegram deep link: /start sv_<campaign>
_SECONDS_PER_QUESTION = 15  # for the "about N minutes" of the invitation
_LABEL_CHARS = 40  # a question's text in the review list


@dataclass
class SurveyLinks:
    """What links to the bot and to files need, set once by `bot/` at start (handlers never read settings)."""

    public_url: str | None = None  # PHUANKRU_PUBLIC_URL: charts are served from it
    telegram_username: Callable[[], str | None] = field(default=lambda: None)  # known once Telegram answers getMe


LINKS = SurveyLinks()


def configure(*, public_url: str | None, telegram_username: Callable[[], str | None]) -> None:
    LINKS.public_url = public_url.rstrip("/") if public_url else None
    LINKS.telegram_username = telegram_username


def deep_link(campaign_id: int) -> str | None:
    username = LINKS.telegram_username()
    return f"https://t.me/{username}?start={START_PREFIX}{campaign_id}" if username else None


# --- messages others send too (invitations, reminders, group posts) ---------------------------------


def _minutes(definition: SurveyDefinition) -> int:
    return max(1, math.ceil(len(definition.questions) * _SECONDS_PER_QUESTION / 60))


def _closes(campaign: SurveyCampaign, tz: ZoneInfo, lang: str) -> str:
    if campaign.closes_at is None:
        return t("sv_no_closing", lang)
    return t("sv_closes", lang, when=thai_datetime(campaign.closes_at, tz, lang))


def privacy_note(campaign: SurveyCampaign, definition: SurveyDefinition, lang: str) -> str:
    """What happens to the answers: said before the first question, so nobody is surprised afterwards."""
    if definition.anonymous:
        return t("sv_anonymous_note", lang)
    return t("sv_named_note" if campaign.changes_allowed else "sv_named_no_changes", lang)


def invitation(campaign: SurveyCampaign, definition: SurveyDefinition, tz: ZoneInfo, lang: str) -> OutMessage:
    parts = [t("sv_invitation", lang, title=definition.title)]
    if definition.intro:
        parts.append(definition.intro)
    parts.append(t("sv_invitation_size", lang, n=len(definition.questions), minutes=_minutes(definition)))
    parts.append(_closes(campaign, tz, lang))
    parts.append(privacy_note(campaign, definition, lang))
    parts.append(t("sv_invitation_how", lang))
    return OutMessage(text="\n".join(parts), buttons=(Button(t("sv_btn_start", lang), f"sv:s:{campaign.id}"),))


def reminder(campaign: SurveyCampaign, definition: SurveyDefinition, tz: ZoneInfo, lang: str) -> OutMessage:
    parts = [t("sv_reminder", lang, title=definition.title), _closes(campaign, tz, lang), t("sv_invitation_how", lang)]
    text = "\n".join(parts)
    return OutMessage(text=text, buttons=(Button(t("sv_btn_start", lang), f"sv:s:{campaign.id}"),))


def group_post(campaign: SurveyCampaign, definition: SurveyDefinition, channel: Channel, tz: ZoneInfo) -> OutMessage:
    """The post in a group: the start happens in a private chat, so no answer is ever seen by the group."""
    lang = "th"  # groups are addressed in Thai, the office's language
    text = "\n".join(
        [
            t("sv_group_post", lang, title=definition.title),
            t("sv_invitation_size", lang, n=len(definition.questions), minutes=_minutes(definition)),
            _closes(campaign, tz, lang),
        ]
    )
    if channel is Channel.TELEGRAM:
        link = deep_link(campaign.id)
        if link is not None:
            return OutMessage(text=f"{text}\n{t('sv_group_post_telegram', lang)}", link=link)
    return OutMessage(
        text=f"{text}\n{t('sv_group_post_line', lang)}",
        buttons=(Button(t("sv_btn_start_private", lang), f"sv:g:{campaign.id}"),),
    )


def level_button_label(level: int, lang: str) -> str:
    return f"{t(f'sv_level_{level}', lang)} ({level})"


# --- opening a campaign (CLI and chat) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendRequest:
    survey: str  # KEY or KEY@VERSION
    audience: tuple[str, ...]
    closes_at: datetime | None = None
    remind_every: timedelta | None = None
    max_reminders: int = 0
    changes_allowed: bool = True
    changes_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SendPreview:
    request: SendRequest
    definition: SurveyDefinition
    audience: audiences.Audience


async def prepare_send(session: AsyncSession, request: SendRequest, *, now: datetime) -> SendPreview:
    """Check a send before anything is written; SurveyError or AudienceError say what is wrong."""
    definition = await surveys.find_definition(session, request.survey)
    if request.closes_at is not None and request.closes_at <= now:
        raise SurveyError("sv_closes_in_past")
    if request.changes_until is not None and request.changes_until <= now:
        raise SurveyError("sv_changes_in_past")
    if request.max_reminders < 0 or (request.remind_every is not None and request.remind_every <= timedelta(0)):
        raise SurveyError("sv_bad_reminders")
    audience = await audiences.resolve(session, audiences.parse_all(list(request.audience)))
    if not len(audience):
        raise SurveyError("sv_audience_empty")
    return SendPreview(request, definition, audience)


async def open_campaign(
    session: AsyncSession,
    preview: SendPreview,
    *,
    now: datetime,
    tz: ZoneInfo,
    actor: str,
    actor_contact_id: int | None = None,
) -> SurveyCampaign:
    """The campaign, a response row per person and their invitations, in one transaction.

    Group posts are queued by the survey job, which knows the Telegram bot's name for the deep link."""
    request, definition = preview.request, preview.definition
    plan = surveys.CampaignPlan(
        definition=definition,
        audience=list(request.audience),
        people=preview.audience.people,
        groups=preview.audience.groups,
        closes_at=request.closes_at,
        changes_allowed=request.changes_allowed,
        changes_until=request.changes_until,
        remind_every=request.remind_every,
        max_reminders=request.max_reminders if request.remind_every else 0,
        created_by=actor,
        created_by_contact_id=actor_contact_id,
    )
    campaign = await surveys.create_campaign(session, plan, now=now)
    await send_to_people(
        session,
        [p.contact_id for p in preview.audience.people],
        lambda lang: invitation(campaign, definition, tz, lang),
        now=now,
    )
    audit.record(
        session,
        at=now,
        actor=actor,
        action="survey.send",
        target=f"survey_campaign:{campaign.id}",
        actor_contact_id=actor_contact_id,
        detail={
            "survey": definition.key,
            "version": definition.version,
            "audience": list(request.audience),
            "people": len(preview.audience.people),
            "groups": len(preview.audience.groups),
        },
    )
    return campaign


async def send_to_people(
    session: AsyncSession,
    contact_ids: Sequence[int],
    message: Callable[[str], OutMessage],
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    """Queue one message to each contact, in their language, batched per platform (LINE multicast)."""
    buckets: dict[tuple[str, str], list[Recipient]] = {}
    for start in range(0, len(contact_ids), 5000):
        rows = await session.execute(
            select(Contact.id, Contact.channel, Contact.platform_user_id, Contact.language).where(
                Contact.id.in_(contact_ids[start : start + 5000])
            )
        )
        for contact_id, channel, platform_id, language in rows:
            buckets.setdefault((channel, language), []).append(Recipient(platform_id, contact_id))
    queued = 0
    for (channel, language), recipients in sorted(buckets.items()):
        queued += await enqueue_many(
            session, Channel(channel), recipients, [message(language)], now=now, not_before=not_before
        )
    return queued


# --- what a person is answering -----------------------------------------------------------------------


@dataclass
class Taking:
    """One person's campaign, as an event needs it."""

    campaign: SurveyCampaign
    definition: SurveyDefinition
    response: SurveyResponse

    @property
    def questions(self) -> list[SurveyQuestion]:
        return self.definition.questions

    @property
    def total(self) -> int:
        return len(self.definition.questions)

    @property
    def cid(self) -> int:
        return self.campaign.id


async def _taking(ctx: Context, campaign_id: int, *, join: bool = False) -> Taking | list[OutMessage]:
    """The person's campaign, or the polite answer when there is none to go on with."""
    assert ctx.contact is not None
    campaign = await surveys.get_campaign(ctx.session, campaign_id)
    if campaign is None:
        return [ctx.say("sv_stale")]
    if not surveys.is_open(campaign, ctx.clock.now()):
        if ctx.state is not None and ctx.state.flow == FLOW and ctx.state.data.get("campaign") == campaign_id:
            await ctx.end_state()
        return [ctx.say("sv_closed", title=campaign.definition.title)]
    response = await surveys.response_for(ctx.session, campaign_id, ctx.contact)
    if response is None:
        if not (join and await surveys.has_groups(ctx.session, campaign_id)):
            return [ctx.say("sv_not_invited")]
        response = await surveys.join_from_group(ctx.session, campaign_id, ctx.contact, now=ctx.clock.now())
    return Taking(campaign, campaign.definition, response)


def _progress(ctx: Context, tk: Taking, question: SurveyQuestion) -> str:
    key = "sv_progress_change" if tk.response.editing else "sv_progress"
    head = ctx.t(key, n=question.position + 1, total=tk.total)
    return f"{head} · {question.section}" if question.section else head


def _answer_label(ctx: Context, question: SurveyQuestion, values: list[tuple[int, str | None]]) -> str:
    if not values:
        return ctx.t("sv_not_answered")
    if question.type == QuestionType.LIKERT5.value:
        return level_button_label(values[0][0], ctx.lang)
    if question.type == QuestionType.CHOICE.value:
        options = question.options or []
        return ", ".join(options[v - 1] for v, _ in values if 0 < v <= len(options))
    return values[0][1] or ctx.t("sv_not_answered")


async def _ask(ctx: Context, tk: Taking) -> list[OutMessage]:
    """The current question, with its buttons and how to answer by typing."""
    response = tk.response
    question = tk.questions[response.current]
    cid, q = tk.cid, question.position
    await ctx.set_state(FLOW, "question", campaign=cid)
    named = not tk.definition.anonymous
    current: list[tuple[int, str | None]] = []
    if response.sheet_id is not None and (named or question.multiple):
        current = (await surveys.answers(ctx.session, response.sheet_id)).get(question.id, [])
    lines = [_progress(ctx, tk, question), question.text]
    buttons: list[Button] = []
    if question.type == QuestionType.LIKERT5.value:
        lines.append(ctx.t("sv_hint_likert"))
        buttons = [Button(level_button_label(v, ctx.lang), f"sv:a:{cid}:{q}:{v}") for v in surveys.LIKERT_LEVELS]
    elif question.type == QuestionType.CHOICE.value and question.multiple:
        ticked = {v for v, _ in current}
        # An anonymous survey shows only how many are ticked: an outgoing message must not repeat an answer.
        marks = ticked if named else set()
        buttons = [
            Button(("✓ " if i in marks else "") + option, f"sv:t:{cid}:{q}:{i}")
            for i, option in enumerate(question.options or [], start=1)
        ]
        buttons.append(Button(ctx.t("sv_btn_next"), f"sv:d:{cid}:{q}"))
        lines.append(ctx.t("sv_hint_multiple", n=len(ticked)))
    elif question.type == QuestionType.CHOICE.value:
        buttons = [Button(option, f"sv:a:{cid}:{q}:{i}") for i, option in enumerate(question.options or [], start=1)]
        lines.append(ctx.t("sv_hint_choice"))
    else:
        lines.append(ctx.t("sv_hint_text", limit=question.max_length or 0))
        if not question.required:
            lines.append(ctx.t("sv_hint_text_skip"))
        if q > 0 and not response.editing:
            lines.append(ctx.t("sv_hint_text_back"))
    if named and current and not question.multiple:
        lines.append(ctx.t("sv_current_answer", answer=_answer_label(ctx, question, current)))
    if response.editing:
        buttons.append(Button(ctx.t("sv_btn_keep"), f"sv:r:{cid}"))
    elif question.type != QuestionType.TEXT.value:
        if q > 0:
            buttons.append(Button(ctx.t("sv_btn_back"), f"sv:b:{cid}:{q}"))
        if not question.required:
            buttons.append(Button(ctx.t("sv_btn_skip"), f"sv:k:{cid}:{q}"))
    # A text question has one button at most: with two, a typed "1" or "2" would be taken as a tap, not an answer.
    elif not question.required:
        buttons.append(Button(ctx.t("sv_btn_skip"), f"sv:k:{cid}:{q}"))
    elif q > 0:
        buttons.append(Button(ctx.t("sv_btn_back"), f"sv:b:{cid}:{q}"))
    return [OutMessage(text="\n".join(lines), buttons=tuple(buttons))]


async def _forget_payload(ctx: Context, tk: Taking) -> None:
    """Blank the stored webhook payload of an anonymous survey's answer: it holds the person's id and the answer."""
    if not tk.definition.anonymous or not ctx.event.event_id:
        return
    await ctx.session.execute(
        update(InboundEvent)
        .where(InboundEvent.channel == ctx.event.channel.value, InboundEvent.dedupe_key == ctx.event.event_id)
        .values(raw={"redacted": "anonymous survey answer"})
        .execution_options(synchronize_session=False)
    )


async def _begin(ctx: Context, tk: Taking) -> list[OutMessage]:
    """Start, resume, or (after submitting) offer the review."""
    response, now = tk.response, ctx.clock.now()
    if response.state == ResponseState.COMPLETED.value:
        if tk.definition.anonymous or response.sheet_id is None:
            return [ctx.say("sv_already_done", title=tk.definition.title)]
        if surveys.changes_open(tk.campaign, now):
            return await _review(ctx, tk)
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    if response.state == ResponseState.INVITED.value or response.sheet_id is None:
        assert ctx.contact is not None
        await surveys.start(ctx.session, response, anonymous=tk.definition.anonymous, contact=ctx.contact, now=now)
        intro = [ctx.t("sv_starting", title=tk.definition.title, n=tk.total)]
        if tk.definition.intro:
            intro.append(tk.definition.intro)
        intro.append(privacy_note(tk.campaign, tk.definition, ctx.lang))
        return [OutMessage(text="\n".join(intro)), *await _ask(ctx, tk)]
    if response.current >= tk.total:
        return await _confirm(ctx, tk)
    return [ctx.say("sv_resuming", title=tk.definition.title), *await _ask(ctx, tk)]


async def _advance(ctx: Context, tk: Taking) -> list[OutMessage]:
    response, now = tk.response, ctx.clock.now()
    response.updated_at = now
    if response.editing:
        response.editing = False
        response.current = tk.total
        return [ctx.say("sv_changed"), *await _review(ctx, tk)]
    response.current += 1
    if response.current < tk.total:
        return await _ask(ctx, tk)
    if tk.definition.anonymous:
        return await _confirm(ctx, tk)
    await surveys.complete(ctx.session, response, anonymous=False, now=now)
    await ctx.end_state()
    if surveys.changes_open(tk.campaign, now):
        review = ctx.button("sv_btn_review", f"sv:r:{tk.cid}")
        until = tk.campaign.changes_until or tk.campaign.closes_at
        if until is None:
            return [ctx.say("sv_thanks_changes_open", review)]
        return [
            ctx.say("sv_thanks_changes", review, until=thai_datetime(until, ZoneInfo(ctx.config.timezone), ctx.lang))
        ]
    return [ctx.say("sv_thanks")]


async def _confirm(ctx: Context, tk: Taking) -> list[OutMessage]:
    """An anonymous survey asks before submitting: once submitted, nobody can find the answers to change them."""
    await ctx.set_state(FLOW, "question", campaign=tk.cid)
    return [
        ctx.say(
            "sv_confirm_anonymous",
            ctx.button("sv_btn_submit", f"sv:f:{tk.cid}"),
            ctx.button("sv_btn_back", f"sv:b:{tk.cid}:{tk.total}"),
            n=tk.total,
        )
    ]


async def _review(ctx: Context, tk: Taking) -> list[OutMessage]:
    """A named survey after submitting: the answers, and a button per question to change it."""
    response = tk.response
    if tk.definition.anonymous or response.sheet_id is None:
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    if not surveys.changes_open(tk.campaign, ctx.clock.now()):
        await ctx.end_state()
        return [ctx.say("sv_changes_closed")]
    given = await surveys.answers(ctx.session, response.sheet_id)
    lines = [ctx.t("sv_review", title=tk.definition.title)]
    for question in tk.questions:
        label = survey_report.shorten(question.text, _LABEL_CHARS)
        lines.append(f"{question.position + 1}. {label}: {_answer_label(ctx, question, given.get(question.id, []))}")
    lines.append(ctx.t("sv_review_how"))
    buttons = [
        Button(ctx.t("sv_btn_item", n=question.position + 1), f"sv:e:{tk.cid}:{question.position}")
        for question in tk.questions
    ]
    buttons.append(Button(ctx.t("sv_btn_review_done"), f"sv:x:{tk.cid}"))
    await ctx.set_state(FLOW, "review", campaign=tk.cid)
    return [OutMessage(text="\n".join(lines), buttons=tuple(buttons))]


def _is_current(tk: Taking, q: int) -> bool:
    """Is a button of question `q` one of the buttons the person was last shown?"""
    response = tk.response
    if response.state == ResponseState.ANSWERING.value and not response.editing:
        return q == response.current
    return response.state == ResponseState.COMPLETED.value and response.editing and q == response.current


async def _stale(ctx: Context, tk: Taking) -> list[OutMessage]:
    """A button from an earlier question: nothing changes; the person sees where they are."""
    response = tk.response
    if response.state == ResponseState.ANSWERING.value:
        if response.current >= tk.total:
            return [ctx.say("sv_stale"), *await _confirm(ctx, tk)]
        return [ctx.say("sv_stale"), *await _ask(ctx, tk)]
    if response.state == ResponseState.COMPLETED.value and not tk.definition.anonymous and response.sheet_id:
        if response.editing:
            return [ctx.say("sv_stale"), *await _ask(ctx, tk)]
        return [ctx.say("sv_stale"), *await _review(ctx, tk)]
    if response.state == ResponseState.COMPLETED.value:
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    return [ctx.say("sv_stale"), *await _begin(ctx, tk)]


def _valid(question: SurveyQuestion, value: int) -> bool:
    if question.type == QuestionType.LIKERT5.value:
        return value in surveys.LIKERT_LEVELS
    if question.type == QuestionType.CHOICE.value:
        return 1 <= value <= len(question.options or [])
    return False


async def _record(ctx: Context, tk: Taking, question: SurveyQuestion, values: list[tuple[int, str | None]]) -> None:
    assert tk.response.sheet_id is not None
    await surveys.set_answer(ctx.session, tk.response.sheet_id, question.id, values)
    await _forget_payload(ctx, tk)


async def _back(ctx: Context, tk: Taking) -> list[OutMessage]:
    response = tk.response
    response.current = max(0, response.current - 1)
    response.updated_at = ctx.clock.now()
    await _forget_payload(ctx, tk)
    return await _ask(ctx, tk)


async def _skip(ctx: Context, tk: Taking, question: SurveyQuestion) -> list[OutMessage]:
    if question.required:
        return [ctx.say("sv_required"), *await _ask(ctx, tk)]
    await _record(ctx, tk, question, [])
    return await _advance(ctx, tk)


async def _submit(ctx: Context, tk: Taking) -> list[OutMessage]:
    response = tk.response
    if response.state != ResponseState.ANSWERING.value or response.current < tk.total:
        return await _stale(ctx, tk)
    await _forget_payload(ctx, tk)
    await surveys.complete(ctx.session, response, anonymous=tk.definition.anonymous, now=ctx.clock.now())
    await ctx.end_state()
    return [ctx.say("sv_thanks_anonymous" if tk.definition.anonymous else "sv_thanks")]


# --- buttons ------------------------------------------------------------------------------------------


def _parts(data: str) -> tuple[str, int, int | None, int | None] | None:
    """("a", campaign, question, value) from "sv:a:C:Q:V"; None when it is not a survey button we know."""
    fields = data.split(":")
    if len(fields) < 3 or not all(f.isdigit() for f in fields[2:]) or len(fields) > 5:
        return None
    numbers = [int(f) for f in fields[2:]]
    return fields[1], numbers[0], numbers[1] if len(numbers) > 1 else None, numbers[2] if len(numbers) > 2 else None


_NEEDS_QUESTION = {"a": True, "t": True, "d": False, "k": False, "b": False, "e": False}
_NEEDS_VALUE = {"a", "t"}


@router.postback("sv:")
async def survey_button(event: Event, ctx: Context) -> Sequence[OutMessage]:
    data = event.data or ""
    if data.startswith("sv:send:"):
        return await _send_answer(ctx, data == "sv:send:yes")
    parsed = _parts(data)
    if parsed is None:
        return [ctx.say("sv_stale")] if event.chat.is_private else []
    action, cid, q, value = parsed
    if action == "g" and not event.chat.is_private:
        return await _start_from_group(event, ctx, cid)
    if ctx.contact is None:
        return []
    if (action in _NEEDS_QUESTION and q is None) or (action in _NEEDS_VALUE and value is None):
        return [ctx.say("sv_stale")]
    taking = await _taking(ctx, cid, join=action in ("s", "g"))
    if not isinstance(taking, Taking):
        return taking
    tk = taking
    if action in ("s", "g"):
        return await _begin(ctx, tk)
    if action == "f":
        return await _submit(ctx, tk)
    if action == "r":
        if tk.response.editing:
            tk.response.editing, tk.response.current = False, tk.total
        return await _review(ctx, tk)
    if action == "x":
        await ctx.end_state()
        return [ctx.say("sv_review_done")]
    if action == "e" and q is not None:
        if tk.response.state != ResponseState.COMPLETED.value or not 0 <= q < tk.total:
            return await _stale(ctx, tk)
        if not surveys.changes_open(tk.campaign, ctx.clock.now()) or tk.response.sheet_id is None:
            return [ctx.say("sv_changes_closed")]
        tk.response.editing, tk.response.current = True, q
        return await _ask(ctx, tk)
    if action == "b" and q is not None:
        at_confirm = tk.response.state == ResponseState.ANSWERING.value and q == tk.total == tk.response.current
        if not (at_confirm or (_is_current(tk, q) and q > 0)) or tk.response.editing:
            return await _stale(ctx, tk)
        return await _back(ctx, tk)
    if q is None or not _is_current(tk, q) or q >= tk.total:
        return await _stale(ctx, tk)
    question = tk.questions[q]
    if action == "k":
        return await _skip(ctx, tk, question)
    if action == "d":
        assert tk.response.sheet_id is not None
        ticked = (await surveys.answers(ctx.session, tk.response.sheet_id)).get(question.id, [])
        if question.required and not ticked:
            return [ctx.say("sv_pick_one"), *await _ask(ctx, tk)]
        await _forget_payload(ctx, tk)
        return await _advance(ctx, tk)
    if value is None or not _valid(question, value):
        return await _stale(ctx, tk)
    if action == "t" and question.multiple:
        assert tk.response.sheet_id is not None
        await surveys.toggle_option(ctx.session, tk.response.sheet_id, question.id, value)
        await _forget_payload(ctx, tk)
        return await _ask(ctx, tk)
    if action == "a" and not question.multiple:
        await _record(ctx, tk, question, [(value, None)])
        return await _advance(ctx, tk)
    return await _stale(ctx, tk)


async def _start_from_group(event: Event, ctx: Context, campaign_id: int) -> Sequence[OutMessage]:
    """A tap on the start button of a group's post (LINE): the questions go to the person privately."""
    if not event.user_id:
        return []
    now = ctx.clock.now()
    contact, _ = await contacts.get_or_create(
        ctx.session, event.channel.value, event.user_id, now=now, display_name=event.user_name
    )
    if contact.erased_at is not None or not contact.reachable:
        return []
    private = Context(
        session=ctx.session,
        clock=ctx.clock,
        event=event,
        config=ctx.config,
        contact=contact,
        lang=contact.language,
        state=await conversations.get(ctx.session, contact.id, now=now),
    )
    taking = await _taking(private, campaign_id, join=True)
    messages = taking if not isinstance(taking, Taking) else await _begin(private, taking)

    await remember_buttons(private, messages)
    target = Target(event.channel, "user", event.user_id, contact_id=contact.id)
    ctx.extra.extend((target, message) for message in messages)
    return []  # nothing in the group


# --- typed answers --------------------------------------------------------------------------------------


def _words(*keys: str) -> set[str]:
    return {comparable(t(key, lang)) for key in keys for lang in ("th", "en")}


def _squash(text: str) -> str:
    return comparable(text).rstrip(".)")


def _typed_level(text: str) -> int | None:
    squashed = _squash(text)
    if squashed.isdigit() and int(squashed) in surveys.LIKERT_LEVELS:
        return int(squashed)
    for level in surveys.LIKERT_LEVELS:
        names = _words(f"sv_level_{level}")
        if squashed in names or squashed in {f"{name}({level})" for name in names}:
            return level
    return None


def _typed_options(text: str, count: int) -> list[int] | None:
    """ "1,3" or "1 3" or "๑ ๓" -> [1, 3]; None unless every part is an option number."""
    parts = [p for p in re.split(r"[\s,、/]+", western_digits(text).strip()) if p]
    if not parts or not all(p.isdigit() and 1 <= int(p) <= count for p in parts):
        return None
    return sorted({int(p) for p in parts})


@router.flow(FLOW)
async def survey_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """Text typed during a survey (numbers and labels of buttons arrive here only when they match none)."""
    campaign_id = ctx.state.data.get("campaign") if ctx.state else None
    if ctx.contact is None or not isinstance(campaign_id, int):  # the list of surveys, answered with a word
        await ctx.end_state()
        return [ctx.say("sv_pick_hint")]
    taking = await _taking(ctx, campaign_id)
    if not isinstance(taking, Taking):
        return taking
    tk, response = taking, taking.response
    text = (event.text or "").strip() if event.kind is EventKind.TEXT else ""
    squashed = _squash(text)
    if ctx.state is not None and ctx.state.step == "review":
        if squashed in _words("sv_btn_review_done"):
            await ctx.end_state()
            return [ctx.say("sv_review_done")]
        return [ctx.say("sv_hint_review"), *await _review(ctx, tk)]
    if response.state == ResponseState.COMPLETED.value and not response.editing:
        await ctx.end_state()
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    if response.state == ResponseState.INVITED.value:
        return await _begin(ctx, tk)
    if response.current >= tk.total:
        return [ctx.say("sv_hint_confirm"), *await _confirm(ctx, tk)]
    question = tk.questions[response.current]
    if not text:
        return [ctx.say("sv_hint_media"), *await _ask(ctx, tk)]
    if squashed in _words("sv_btn_back", "sv_word_back") and not response.editing and response.current > 0:
        return await _back(ctx, tk)
    if squashed in _words("sv_btn_skip") | {"-"} and not question.required:
        return await _skip(ctx, tk, question)
    if question.type == QuestionType.TEXT.value:
        limit = question.max_length or 0
        if limit and len(text) > limit:
            return [ctx.say("sv_text_too_long", limit=limit, length=len(text)), *await _ask(ctx, tk)]
        await _record(ctx, tk, question, [(surveys.TEXT_ANSWER, text)])
        return await _advance(ctx, tk)
    if question.type == QuestionType.LIKERT5.value:
        level = _typed_level(text)
        if level is None:
            return [ctx.say("sv_hint_likert_again"), *await _ask(ctx, tk)]
        await _record(ctx, tk, question, [(level, None)])
        return await _advance(ctx, tk)
    options = question.options or []
    if question.multiple:
        chosen = _typed_options(text, len(options))
        if chosen is None:
            index = pick(text, options)
            chosen = [index + 1] if index is not None else None
        if chosen is None:
            return [ctx.say("sv_hint_multiple_again", n=len(options)), *await _ask(ctx, tk)]
        await _record(ctx, tk, question, [(v, None) for v in chosen])
        return await _advance(ctx, tk)
    index = pick(text, options)
    if index is None:
        return [ctx.say("sv_hint_choice_again", n=len(options)), *await _ask(ctx, tk)]
    await _record(ctx, tk, question, [(index + 1, None)])
    return await _advance(ctx, tk)


# --- commands everyone has --------------------------------------------------------------------------------


@router.command("start")
async def start_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """/start sv_<campaign> comes from a survey's deep link in a Telegram group; any other /start is the usual one."""
    args = event.command[1] if event.command else ""
    if args.startswith(START_PREFIX) and args[len(START_PREFIX) :].isdigit() and ctx.contact is not None:
        taking = await _taking(ctx, int(args[len(START_PREFIX) :]), join=True)
        return taking if not isinstance(taking, Taking) else await _begin(ctx, taking)
    return await basics.start(event, ctx)


@router.command("surveys", "survey")
async def survey_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """/surveys (or the word แบบสอบถาม): the person's open surveys. /survey send|results|list|close: staff."""
    if not event.chat.is_private or ctx.contact is None:
        return [ctx.say("sv_private_only")]
    args = event.command[1].strip() if event.command else ""
    if not args:
        return await my_surveys(ctx)
    try:
        # Phones type “curly” quotes (iOS smart punctuation): closes=“5 ธ.ค. 2569 16:30” is one word too.
        words = shlex.split(args.translate(_CURLY_QUOTES))
    except ValueError:
        words = args.split()
    sub, rest = words[0].lower(), words[1:]
    if sub not in ("send", "results", "list", "close"):
        return [ctx.say("sv_staff_usage")] if has_role(ctx, Role.STAFF) else await my_surveys(ctx)
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, f"survey.{sub}", Role.STAFF)
    try:
        if sub == "send":
            return await _send_preview(ctx, rest)
        if sub == "results":
            return await _results(ctx, rest)
        if sub == "close":
            return await _close(ctx, rest)
        return await _list(ctx)
    except SurveyError as exc:
        return [ctx.say(exc.code, **exc.values)]
    except audiences.AudienceError as exc:
        return [ctx.say(f"sv_audience_{exc.code}", value=exc.value)]


async def my_surveys(ctx: Context) -> list[OutMessage]:
    """One survey waiting: straight to it. Several: a button each."""
    assert ctx.contact is not None
    now = ctx.clock.now()
    items = [
        item
        for item in await surveys.open_for(ctx.session, ctx.contact, now=now)
        if item.response is None
        or item.response.state != ResponseState.COMPLETED.value
        or (not item.campaign.definition.anonymous and surveys.changes_open(item.campaign, now))
    ]
    if not items:
        return [ctx.say("sv_none_open")]
    waiting = [i for i in items if i.response is None or i.response.state != ResponseState.COMPLETED.value]
    if len(items) == 1 and waiting:
        taking = await _taking(ctx, items[0].campaign.id, join=True)
        return taking if not isinstance(taking, Taking) else await _begin(ctx, taking)
    buttons = []
    for item in items:
        done = item.response is not None and item.response.state == ResponseState.COMPLETED.value
        title = survey_report.shorten(item.campaign.definition.title, 36)
        label = ctx.t("sv_btn_change_title", title=title) if done else title
        buttons.append(Button(label, f"sv:s:{item.campaign.id}"))
    await ctx.set_state(FLOW, "pick", campaign=None)
    return [OutMessage(text=ctx.t("sv_open_list", n=len(items)), buttons=tuple(buttons))]


# --- staff in chat ----------------------------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
END_OF_DAY = time(23, 59)
_CURLY_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def parse_duration(text: str) -> timedelta | None:
    """ "2d", "12h", "1d12h", "90m" -> timedelta; None when it is not one (or is zero)."""
    found = _DURATION.match(text.strip().lower().replace(" ", ""))
    if not found or not any(found.groups()):
        return None
    days, hours, minutes = (int(g) if g else 0 for g in found.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes)
    return span if span > timedelta(0) else None


def parse_moment(text: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """A closing time as staff type it (core.thaidate reads every form); a day alone means the end of that
    day in the office's time zone. None when it is not one."""
    return thaidate.parse_moment(text, tz, now, day_time=END_OF_DAY)


def _parse_send(ctx: Context, words: list[str]) -> SendRequest:
    """/survey send KEY AUDIENCE… [closes=WHEN] [remind=2d] [reminders=N] [changes=no|WHEN]"""
    if not words:
        raise SurveyError("sv_send_usage")
    tz = ZoneInfo(ctx.config.timezone)
    key, specs = words[0], []
    closes: datetime | None = None
    remind: timedelta | None = None
    reminders, changes_allowed, changes_until = 1, True, None
    for word in words[1:]:
        name, sep, value = word.partition("=")
        name = name.lower()
        if not sep:
            specs.append(word)
        elif name in ("closes", "ปิด"):
            closes = parse_moment(value, tz, ctx.clock.now())
            if closes is None:
                raise SurveyError("sv_bad_moment", value=value)
        elif name in ("remind", "เตือน"):
            remind = parse_duration(value)
            if remind is None:
                raise SurveyError("sv_bad_duration", value=value)
        elif name in ("reminders", "ครั้ง") and value.isdigit():
            reminders = int(value)
        elif name == "changes":
            if value.lower() in ("no", "ไม่"):
                changes_allowed = False
            elif (changes_until := parse_moment(value, tz, ctx.clock.now())) is None:
                raise SurveyError("sv_bad_moment", value=value)
        else:
            raise SurveyError("sv_send_usage")
    if not specs:
        raise SurveyError("sv_send_usage")
    return SendRequest(key, tuple(specs), closes, remind, reminders if remind else 0, changes_allowed, changes_until)


async def _send_preview(ctx: Context, words: list[str]) -> list[OutMessage]:
    request = _parse_send(ctx, words)
    preview = await prepare_send(ctx.session, request, now=ctx.clock.now())
    counts = preview.audience.per_channel()
    tz = ZoneInfo(ctx.config.timezone)
    closes = thai_datetime(request.closes_at, tz, ctx.lang) if request.closes_at else ctx.t("sv_never")
    await ctx.end_state()
    await ctx.set_state(
        SEND_FLOW,
        "confirm",
        survey=f"{preview.definition.key}@{preview.definition.version}",
        audience=list(request.audience),
        closes=request.closes_at.isoformat() if request.closes_at else None,
        remind_s=int(request.remind_every.total_seconds()) if request.remind_every else None,
        reminders=request.max_reminders,
        changes=request.changes_allowed,
        changes_until=request.changes_until.isoformat() if request.changes_until else None,
    )
    return [
        ctx.say(
            "sv_send_preview",
            ctx.button("sv_btn_send", "sv:send:yes"),
            ctx.button("btn_cancel", "sv:send:no"),
            title=preview.definition.title,
            version=preview.definition.version,
            n=len(preview.definition.questions),
            people=len(preview.audience.people),
            line=counts.get("line", 0),
            telegram=counts.get("telegram", 0),
            groups=len(preview.audience.groups),
            closes=closes,
            reminders=request.max_reminders,
        )
    ]


def _request_from_state(ctx: Context) -> SendRequest | None:
    data = ctx.state.data if ctx.state and ctx.state.flow == SEND_FLOW else None
    if not data or not data.get("survey"):
        return None
    remind = data.get("remind_s")
    return SendRequest(
        survey=str(data["survey"]),
        audience=tuple(data.get("audience") or ()),
        closes_at=datetime.fromisoformat(data["closes"]) if data.get("closes") else None,
        remind_every=timedelta(seconds=int(remind)) if remind else None,
        max_reminders=int(data.get("reminders") or 0),
        changes_allowed=bool(data.get("changes", True)),
        changes_until=datetime.fromisoformat(data["changes_until"]) if data.get("changes_until") else None,
    )


async def _send_answer(ctx: Context, yes: bool) -> list[OutMessage]:
    if ctx.contact is None:
        return []
    request = _request_from_state(ctx)
    if request is None:
        return [ctx.say("expired_button")]
    await ctx.end_state()
    if not yes:
        return [ctx.say("sv_send_cancelled")]
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "survey.send", Role.STAFF)
    opened = await open_in_chat(ctx, request)
    if isinstance(opened, OutMessage):
        return [opened]
    preview, campaign = opened
    return [
        ctx.say(
            "sv_sent",
            campaign=campaign.id,
            people=len(preview.audience.people),
            groups=len(preview.audience.groups),
        )
    ]


async def open_in_chat(ctx: Context, request: SendRequest) -> tuple[SendPreview, SurveyCampaign] | OutMessage:
    """A send confirmed in chat, checked again now (time has passed since the preview): the campaign, or the
    polite message saying what is wrong."""
    now = ctx.clock.now()
    try:
        preview = await prepare_send(ctx.session, request, now=now)
    except SurveyError as exc:
        return ctx.say(exc.code, **exc.values)
    except audiences.AudienceError as exc:
        return ctx.say(f"sv_audience_{exc.code}", value=exc.value)
    campaign = await open_campaign(
        ctx.session,
        preview,
        now=now,
        tz=ZoneInfo(ctx.config.timezone),
        actor=actor_of(ctx),
        actor_contact_id=ctx.contact.id if ctx.contact else None,
    )
    ctx.queued = True  # the invitations: the delivery worker is woken
    log.info("survey.sent", campaign=campaign.id, people=len(preview.audience.people))
    return preview, campaign


@router.flow(SEND_FLOW)
async def send_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    return [ctx.say("reg_pick_hint", n=2)]


def _campaign_id(words: list[str], usage: str) -> int:
    if not words or not words[0].isdigit():
        raise SurveyError(usage)
    return int(words[0])


async def _results(ctx: Context, words: list[str]) -> list[OutMessage]:
    campaign_id = _campaign_id(words, "sv_results_usage")
    options = dict(w.lower().partition("=")[::2] for w in words[1:])
    by = options.get("by") or None
    if by is not None and by not in ("school", "role"):
        raise SurveyError("sv_results_usage")
    bands = options.get("bands") or None
    try:
        report = await survey_report.build_report(ctx.session, campaign_id, bands=bands, by=by)
    except ValueError as exc:
        if isinstance(exc, SurveyError):
            raise
        raise SurveyError("sv_results_usage") from None
    audit.record(
        ctx.session,
        at=ctx.clock.now(),
        actor=actor_of(ctx),
        action="survey.results",
        target=f"survey_campaign:{campaign_id}",
        actor_contact_id=ctx.contact.id if ctx.contact else None,
    )
    summary = OutMessage(text=survey_report.chat_summary(report, ctx.lang))
    chart = await _chart_message(ctx, report)
    return [summary, chart] if chart is not None else [summary]


async def _chart_message(ctx: Context, report: survey_report.Report) -> OutMessage | None:
    """The chart as an image message: kept as a file PhuanKru serves, since the platforms fetch images by URL."""
    if not LINKS.public_url:
        return None
    try:
        from storage import media  # the announcements feature's file store, served at /media/<token>
    except ImportError:  # pragma: no cover - only when that feature is absent
        return None
    chart = survey_report.render_chart(report)
    token = await media.store(
        ctx.session,
        chart.png,
        content_type="image/png",
        filename=f"survey-{report.campaign_id}.png",
        now=ctx.clock.now(),
    )
    url = f"{LINKS.public_url}/media/{token}"
    return OutMessage(attachment=Attachment("image", url, preview_url=url, filename=f"survey-{report.campaign_id}.png"))


async def _close(ctx: Context, words: list[str]) -> list[OutMessage]:
    campaign = await surveys.require_campaign(ctx.session, _campaign_id(words, "sv_close_usage"))
    if not await surveys.close_campaign(ctx.session, campaign, now=ctx.clock.now()):
        return [ctx.say("sv_already_closed", campaign=campaign.id)]
    audit.record(
        ctx.session,
        at=ctx.clock.now(),
        actor=actor_of(ctx),
        action="survey.close",
        target=f"survey_campaign:{campaign.id}",
        actor_contact_id=ctx.contact.id if ctx.contact else None,
    )
    taking_part = await surveys.participation(ctx.session, campaign.id)
    return [
        ctx.say(
            "sv_closed_now",
            campaign=campaign.id,
            title=campaign.definition.title,
            n=taking_part.completed,
            invited=taking_part.invited,
        )
    ]


async def _list(ctx: Context) -> list[OutMessage]:
    definitions = await surveys.list_definitions(ctx.session)
    campaigns = await surveys.list_campaigns(ctx.session, limit=10)
    lines = [ctx.t("sv_list_surveys", n=len(definitions))]
    lines += [
        f"• {d.key} ({ctx.t('sv_version', version=d.version)}, {d.questions} {ctx.t('sv_questions')}): {d.title}"
        for d in definitions
    ]
    if campaigns:
        tz = ZoneInfo(ctx.config.timezone)
        lines.append(ctx.t("sv_list_campaigns"))
        for campaign, completed in campaigns:
            status = ctx.t(f"sv_status_{campaign.status}")
            lines.append(
                f"#{campaign.id} {campaign.definition.key} · {status} · {completed}/{campaign.invited} · "
                f"{thai_datetime(campaign.opened_at, tz, ctx.lang)}"
            )
    return [OutMessage(text="\n".join(lines))]
