"""Staff run surveys in chat: /survey send (a preview, then a confirm button), results, close and list.

This module parses what staff type and renders the answers; opening and closing a campaign are the office's
actions (`handlers.office.campaigns`), the same ones the CLI calls. Its handlers are registered on the survey
router by `handlers.chat.surveys`, which owns the /survey command and the `sv:` buttons.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from core.model import Attachment, OutMessage
from core.thaidate import thai_datetime
from handlers.chat.context import Context
from handlers.chat.roles import actor_of, chat_actor
from handlers.office import campaigns
from handlers.office.acting import Refused
from handlers.office.campaigns import SendRequest
from handlers.surveys import report as survey_report
from handlers.surveys.messages import LINKS
from handlers.surveys.typed import parse_duration, parse_moment
from storage import audiences, audit, surveys
from storage.surveys import SurveyError

log = structlog.get_logger("phuankru.surveys")

SEND_FLOW = "survey_send"


def refused(ctx: Context, exc: Refused) -> list[OutMessage]:
    """The polite no to an office action's refusal (its audit row is written already)."""
    names = ctx.t("or").join(ctx.t(f"role_{r.value}") for r in exc.needs)
    return [ctx.say("refused", roles=names)]


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


async def send_preview(ctx: Context, words: list[str]) -> list[OutMessage]:
    request = _parse_send(ctx, words)
    try:
        preview = await campaigns.prepare_send(ctx.session, chat_actor(ctx), request, now=ctx.clock.now())
    except Refused as exc:
        return refused(ctx, exc)
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


async def send_answer(ctx: Context, yes: bool) -> list[OutMessage]:
    """The preview's confirm (or cancel) button."""
    if ctx.contact is None:
        return []
    request = _request_from_state(ctx)
    if request is None:
        return [ctx.say("expired_button")]
    await ctx.end_state()
    if not yes:
        return [ctx.say("sv_send_cancelled")]
    opened = await open_in_chat(ctx, request)
    if isinstance(opened, list):
        return opened
    return [
        ctx.say(
            "sv_sent",
            campaign=opened.campaign.id,
            people=len(opened.preview.audience.people),
            groups=len(opened.preview.audience.groups),
        )
    ]


async def open_in_chat(ctx: Context, request: SendRequest) -> campaigns.Opened | list[OutMessage]:
    """A send confirmed in chat: the opened campaign, or the polite messages saying what is wrong."""
    try:
        opened = await campaigns.open_campaign(
            ctx.session, chat_actor(ctx), request, now=ctx.clock.now(), tz=ZoneInfo(ctx.config.timezone)
        )
    except Refused as exc:
        return refused(ctx, exc)
    except SurveyError as exc:
        return [ctx.say(exc.code, **exc.values)]
    except audiences.AudienceError as exc:
        return [ctx.say(f"sv_audience_{exc.code}", value=exc.value)]
    ctx.queued = True  # the invitations: the delivery worker is woken
    log.info("survey.sent", campaign=opened.campaign.id, people=len(opened.preview.audience.people))
    return opened


def _campaign_id(words: list[str], usage: str) -> int:
    if not words or not words[0].isdigit():
        raise SurveyError(usage)
    return int(words[0])


async def results(ctx: Context, words: list[str]) -> list[OutMessage]:
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


async def close(ctx: Context, words: list[str]) -> list[OutMessage]:
    campaign_id = _campaign_id(words, "sv_close_usage")
    try:
        closing = await campaigns.close_campaign(ctx.session, chat_actor(ctx), campaign_id, now=ctx.clock.now())
    except Refused as exc:
        return refused(ctx, exc)
    return [campaigns.closed_note(closing, ctx.lang)]


async def listing(ctx: Context) -> list[OutMessage]:
    definitions = await surveys.list_definitions(ctx.session)
    recent = await surveys.list_campaigns(ctx.session, limit=10)
    lines = [ctx.t("sv_list_surveys", n=len(definitions))]
    lines += [
        f"• {d.key} ({ctx.t('sv_version', version=d.version)}, {d.questions} {ctx.t('sv_questions')}): {d.title}"
        for d in definitions
    ]
    if recent:
        tz = ZoneInfo(ctx.config.timezone)
        lines.append(ctx.t("sv_list_campaigns"))
        for campaign, completed in recent:
            status = ctx.t(f"sv_status_{campaign.status}")
            lines.append(
                f"#{campaign.id} {campaign.definition.key} · {status} · {completed}/{campaign.invited} · "
                f"{thai_datetime(campaign.opened_at, tz, ctx.lang)}"
            )
    return [OutMessage(text="\n".join(lines))]
