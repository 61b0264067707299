"""A process step's survey: the officer opens the campaign from the step, and the closing step attaches its report.

Process ๔ of the manual (ติดตาม ประเมินผล) asks for a satisfaction survey and, at its end, the survey's report
in the closing summary. The step's `survey_key` offers to open that survey for an audience chosen with buttons
(or typed, as in the CLI: `role:teacher school:…`); the campaign is written in the step log, so the step whose
`survey_report` names the same survey finds it and attaches the report (summary, chart and xlsx) as evidence.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.model import Attachment, Button, OutMessage
from core.thaidate import thai_datetime
from handlers.chat.context import Context
from handlers.chat.roles import actor_of, chat_actor
from handlers.chat.survey_staff import open_in_chat, refused
from handlers.office.acting import Refused
from handlers.office.campaigns import SendRequest, prepare_send
from handlers.surveys import report as survey_report
from handlers.surveys.messages import LINKS
from storage import audiences, media
from storage import processes as repo
from storage.process_models import ProcessStep, StepLog
from storage.survey_models import SurveyCampaign
from storage.surveys import SurveyError

FLOW = "proc"  # the processes conversation: its step "survey_audience" waits for a typed audience
OPENED = "survey_opened"
REPORTED = "survey_report"

# The audiences offered as buttons; anything else can be typed in the CLI's words.
AUDIENCES = (
    ("all", "bc_all"),
    ("role:teacher", "bc_teachers"),
    ("role:director", "bc_directors"),
)


def _actor(ctx: Context) -> repo.Actor:
    return repo.Actor(actor_of(ctx), ctx.contact.id if ctx.contact else None)


def _cancel(ctx: Context) -> Button:
    return ctx.button("btn_cancel", "proc:cancel")


async def campaign_of(ctx: Context, process_id: int, survey_key: str) -> SurveyCampaign | None:
    """The latest campaign of this survey opened from this process."""
    rows = await ctx.session.execute(
        select(StepLog.detail)
        .where(StepLog.process_id == process_id, StepLog.action == OPENED)
        .order_by(StepLog.id.desc())
    )
    for detail in rows.scalars():
        if detail.get("survey") == survey_key and isinstance(detail.get("campaign"), int):
            return await ctx.session.get(SurveyCampaign, detail["campaign"])
    return None


async def offer(ctx: Context, view: repo.ProcessView, step: ProcessStep) -> list[OutMessage]:
    """The step's survey button: who should answer it (or, once opened, how it is going)."""
    if not step.survey_key:
        return [ctx.say("expired_button")]
    repo.check_active(view)
    opened = await campaign_of(ctx, view.process.id, step.survey_key)
    if opened is not None:
        return [ctx.say("proc_sv_already", campaign=opened.id, invited=opened.invited)]
    repo.log(ctx.session, view.process, step, "survey_offered", _actor(ctx), ctx.clock.now(), survey=step.survey_key)
    await ctx.set_state(FLOW, "survey_audience", step=step.id)
    buttons = [Button(ctx.t(label), f"proc:sva:{step.id}:{i}") for i, (_, label) in enumerate(AUDIENCES)]
    return [ctx.say("proc_sv_who", *buttons, _cancel(ctx), survey=step.survey_key)]


async def audience_tapped(ctx: Context, view: repo.ProcessView, step: ProcessStep, choice: str) -> list[OutMessage]:
    if not choice.isdigit() or int(choice) >= len(AUDIENCES):
        return [ctx.say("expired_button")]
    return await preview(ctx, view, step, [AUDIENCES[int(choice)][0]])


async def audience_typed(ctx: Context, view: repo.ProcessView, step: ProcessStep, text: str) -> list[OutMessage]:
    specs = text.split()
    if not specs:
        return [ctx.say("proc_sv_type_audience", _cancel(ctx))]
    return await preview(ctx, view, step, specs)


def _closes_at(ctx: Context, step: ProcessStep) -> datetime | None:
    """The campaign closes when the step is due: at the end of office hours of its day (or its given time)."""
    tz = ZoneInfo(ctx.config.timezone)
    hours = ctx.config.office_hours
    closes = step.due_at or datetime.combine(step.due_on, hours[1] if hours else time(23, 59), tzinfo=tz)
    return closes if closes > ctx.clock.now() else None


async def preview(ctx: Context, view: repo.ProcessView, step: ProcessStep, specs: list[str]) -> list[OutMessage]:
    assert step.survey_key is not None
    request = SendRequest(step.survey_key, tuple(specs), closes_at=_closes_at(ctx, step), from_step=step.id)
    again = ctx.say("proc_sv_type_audience", _cancel(ctx))
    try:
        found = await prepare_send(ctx.session, chat_actor(ctx), request, now=ctx.clock.now())
    except Refused as exc:
        return refused(ctx, exc)
    except SurveyError as exc:
        return [ctx.say(exc.code, **exc.values), again]
    except audiences.AudienceError as exc:
        return [ctx.say(f"sv_audience_{exc.code}", value=exc.value), again]
    counts = found.audience.per_channel()
    await ctx.set_state(FLOW, "survey_confirm", step=step.id, audience=specs)
    tz = ZoneInfo(ctx.config.timezone)
    closes = thai_datetime(request.closes_at, tz, ctx.lang) if request.closes_at else ctx.t("sv_never")
    return [
        ctx.say(
            "proc_sv_preview",
            ctx.button("sv_btn_send", f"proc:svgo:{step.id}"),
            _cancel(ctx),
            title=found.definition.title,
            n=len(found.definition.questions),
            people=len(found.audience.people),
            line=counts.get("line", 0),
            telegram=counts.get("telegram", 0),
            groups=len(found.audience.groups),
            closes=closes,
        )
    ]


async def confirm(ctx: Context, view: repo.ProcessView, step: ProcessStep) -> list[OutMessage]:
    """Open the campaign, invitations queued in this transaction, and note it in the step log."""
    data = ctx.state.data if ctx.state and ctx.state.flow == FLOW and ctx.state.step == "survey_confirm" else {}
    if data.get("step") != step.id or not step.survey_key:
        return [ctx.say("expired_button")]
    await ctx.end_state()
    repo.check_active(view)
    audience = tuple(data.get("audience") or ())
    request = SendRequest(step.survey_key, audience, closes_at=_closes_at(ctx, step), from_step=step.id)
    opened = await open_in_chat(ctx, request)
    if isinstance(opened, list):
        return opened
    found, campaign = opened.preview, opened.campaign
    now = ctx.clock.now()
    repo.log(ctx.session, view.process, step, OPENED, _actor(ctx), now, survey=step.survey_key, campaign=campaign.id)
    return [
        ctx.say(
            "proc_sv_opened",
            campaign=campaign.id,
            people=len(found.audience.people),
            groups=len(found.audience.groups),
            n=step.number,
        )
    ]


async def attach_report(ctx: Context, view: repo.ProcessView, step: ProcessStep) -> list[OutMessage]:
    """The campaign's report (n, %, mean, S.D., interpretation) as the step's evidence: summary, chart, xlsx."""
    if not step.survey_report:
        return [ctx.say("expired_button")]
    repo.check_active(view)
    campaign = await campaign_of(ctx, view.process.id, step.survey_report)
    if campaign is None:
        return [ctx.say("proc_sv_none", survey=step.survey_report)]
    report = await survey_report.build_report(ctx.session, campaign.id)
    now = ctx.clock.now()
    name = f"survey-{campaign.id}.xlsx"
    xlsx = survey_report.to_xlsx(report)
    token = await media.store(ctx.session, xlsx, content_type=XLSX, filename=name, now=now)
    url = f"{LINKS.public_url or ''}/media/{token}"
    summary = survey_report.chat_summary(report, ctx.lang)
    await repo.add_evidence(
        ctx.session,
        view,
        step,
        kind=REPORTED,
        note=f"#{campaign.id}: {summary}"[: repo.NOTE_MAX],
        reference=url,
        now=now,
        actor=_actor(ctx),
    )
    repo.log(ctx.session, view.process, step, REPORTED, _actor(ctx), now, campaign=campaign.id, reference=url)
    chart = survey_report.render_chart(report)
    chart_token = await media.store(
        ctx.session, chart.png, content_type="image/png", filename=f"survey-{campaign.id}.png", now=now
    )
    chart_url = f"{LINKS.public_url or ''}/media/{chart_token}"
    return [
        ctx.say("proc_sv_attached", campaign=campaign.id, n=step.number),
        OutMessage(text=summary),
        OutMessage(
            attachment=Attachment(
                "image",
                chart_url,
                filename=f"survey-{campaign.id}.png",
                media_token=chart_token,
                content_type="image/png",
            )
        ),
        OutMessage(attachment=Attachment("document", url, filename=name, media_token=token, content_type=XLSX)),
    ]


async def attach_on_done(ctx: Context, view: repo.ProcessView, step: ProcessStep) -> list[OutMessage]:
    """The closing step carries the survey's report: attached when it is marked done, unless already attached
    (or no campaign was opened: then the step log shows none)."""
    if not step.survey_report:
        return []
    rows = await ctx.session.execute(
        select(StepLog.id).where(
            StepLog.process_id == view.process.id, StepLog.step_id == step.id, StepLog.action == REPORTED
        )
    )
    if rows.first() is not None or await campaign_of(ctx, view.process.id, step.survey_report) is None:
        return []
    return await attach_report(ctx, view, step)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
