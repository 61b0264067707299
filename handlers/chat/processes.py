"""Process steps in chat: /processes, /process ID, /process_start, and the step buttons done / snooze / skip /
evidence / survey.

Officers act on their own processes, admins on all. Every button has a typed equivalent: the buttons of the last
message are remembered in the conversation state, so "1" or "เสร็จแล้ว" typed on LINE PC works as the tap.
The message builders (`Show`, `step_card`, ...) are `handlers.processes.messages`, shared with the reminder job
and the CLI; starting a process and changing a step are office actions (`handlers.office.processes`): this module
reads the person's taps and words, calls them, and says what they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from core.calendar import OfficeCalendar
from core.model import Button, Event, EventKind, OutMessage
from core.thaidate import parse_day
from handlers.attachments import problem_values
from handlers.chat import inbox, process_surveys
from handlers.chat.context import Context
from handlers.chat.roles import chat_actor, has_role, refusal, refuse
from handlers.chat.router import Router
from handlers.office import processes as office
from handlers.office.acting import Refused
from handlers.processes import templates
from handlers.processes.messages import (
    Show,
    contact_name,
    error_text,
    process_name,
    progress_bar,
    step_card,
    target_of,
)
from storage import process_timing as timing
from storage import processes as repo
from storage.contacts import ContactRefError
from storage.models import Role
from storage.process_models import ProcessError, ProcessState, ProcessStep, ProcessTemplate, StepState

router = Router("processes")

FLOW = "proc"  # steps: menu (a reminder's buttons), skip_reason, snooze_pick, snooze_date, evidence
START_FLOW = "proc_start"  # steps: confirm, end
MAX_LISTED = 10  # buttons in one message: LINE shows at most 13 quick replies
SNOOZE_CHOICES = (1, 3)  # working days
_STATUS_MARKS = {"done": "✅", "skipped": "⏭", "overdue": "⚠️", "due": "📌"}


# --- showing things (the shared builders: handlers/processes/messages.py) ---------------------------


def process_block(view: repo.ProcessView, show: Show, *, with_officer: bool) -> str:
    """A process in /processes: name, progress bar, the next step and its due day."""
    officer = f" · {contact_name(view.officer, show)}" if with_officer else ""
    lines = [process_name(view), progress_bar(view.finished, len(view.steps)) + officer]
    current = view.current
    if current is not None:
        lines.append(show.t("proc_next_line", n=current.number, title=current.title, due=show.due(current)))
        lines.append("   " + show.status(current))
    late = [s for s in view.steps if timing.step_status(s, show.calendar, show.now).kind == "overdue"]
    if len(late) > 1:
        lines.append(show.t("proc_late_count", n=len(late)))
    return "\n".join(lines)


def urgency(view: repo.ProcessView, show: Show) -> tuple[int, date, int]:
    """Late processes first (the latest first), then by the next due day."""
    statuses = [timing.step_status(s, show.calendar, show.now) for s in view.steps]
    late = max((st.days for st in statuses if st.kind == "overdue"), default=0)
    current = view.current
    return -late, current.due_on if current else date.max, view.process.id


def detail_message(view: repo.ProcessView, show: Show) -> OutMessage:
    lines = [process_name(view), progress_bar(view.finished, len(view.steps))]
    for step in view.steps:
        status = timing.step_status(step, show.calendar, show.now)
        if step.state == StepState.DONE.value:
            tail = show.t("proc_done_on", when=show.day(step.finished_at or show.now))
        elif step.state == StepState.SKIPPED.value:
            tail = show.t("proc_skipped_because", reason=step.skip_reason or "-")
        else:
            tail = show.t("proc_due_line", due=show.due(step), status=show.status(step))
        lines.append(f"{_STATUS_MARKS.get(status.kind, '▫️')} {step.number}. {step.title}\n    {tail}")
    return OutMessage(text="\n".join(lines))


# --- the handler's surroundings ---------------------------------------------------------------------


def calendar_of(ctx: Context) -> OfficeCalendar:
    """The office calendar of the settings (time zone, office hours, working days); holidays are added per use."""
    config = ctx.config
    return OfficeCalendar(timezone=ZoneInfo(config.timezone), hours=config.office_hours, workdays=config.workdays)


async def show_for(ctx: Context, lang: str | None = None) -> Show:
    base = calendar_of(ctx)
    now = ctx.clock.now()
    calendar = await repo.calendar_for(ctx.session, base, timing.local_day(now, base))
    return Show(lang or ctx.lang, calendar, now)


def not_yours(ctx: Context, view: repo.ProcessView) -> list[OutMessage] | None:
    """The polite no (audit-logged by the office's check) unless the person may act on this process: a step's
    question is not even asked of someone else; the office action checks again when the answer comes."""
    try:
        office.require_own(ctx.session, chat_actor(ctx), view, now=ctx.clock.now())
    except office.NotYours:
        return [ctx.say("proc_not_yours", id=view.process.id)]
    return None


def say_error(ctx: Context, error: ProcessError) -> OutMessage:
    return OutMessage(text=error_text(error, ctx.lang, calendar_of(ctx).timezone))


async def offering(ctx: Context, replies: list[OutMessage]) -> list[OutMessage]:
    """Replies whose buttons typed numbers should answer (LINE PC shows none): dispatch remembers the buttons of
    a person in a conversation state, so a light "menu" state is set, never over another conversation."""
    free = ctx.state is None or ctx.state.flow == FLOW
    if ctx.contact is not None and free and any(m.buttons for m in replies):
        await ctx.end_state()  # a fresh menu: nothing left of an earlier step question
        await ctx.set_state(FLOW, "menu")
    return replies


def cancel_button(ctx: Context) -> Button:
    return ctx.button("btn_cancel", "proc:cancel")


# --- /processes and a process's page ----------------------------------------------------------------


@router.command("processes")
async def list_processes(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.OFFICER):
        return refuse(ctx, "process.list", Role.OFFICER)
    assert ctx.contact is not None
    admin = has_role(ctx, Role.ADMIN)
    views = await repo.active_views(ctx.session, officer_id=None if admin else ctx.contact.id)
    if not views:
        return [ctx.say("proc_none_admin" if admin else "proc_none")]
    show = await show_for(ctx)
    views.sort(key=lambda v: urgency(v, show))
    blocks = [process_block(v, show, with_officer=admin) for v in views[:MAX_LISTED]]
    header = ctx.t("proc_list_all" if admin else "proc_list_mine", n=len(views))
    more = [ctx.t("proc_list_more", n=len(views) - MAX_LISTED)] if len(views) > MAX_LISTED else []
    more.append(ctx.t("proc_list_hint"))
    buttons = tuple(Button(f"#{v.process.id}", f"proc:view:{v.process.id}") for v in views[:MAX_LISTED])
    return await offering(ctx, [OutMessage(text="\n\n".join([header, *blocks, *more]), buttons=buttons)])


@router.command("process")
async def process_page(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.OFFICER):
        return refuse(ctx, "process.view", Role.OFFICER)
    arg = event.command[1].strip().lstrip("#") if event.command else ""
    if not arg.isdigit():
        return [ctx.say("proc_page_usage")]
    return await _page(ctx, int(arg))


async def _page(ctx: Context, process_id: int) -> list[OutMessage]:
    view = await repo.load_view(ctx.session, process_id)
    if view is None:
        return [ctx.say("proc_unknown", id=process_id)]
    refused = not_yours(ctx, view)
    if refused is not None:
        return refused
    show = await show_for(ctx)
    out = [detail_message(view, show)]
    if view.current is not None and view.process.state == ProcessState.ACTIVE.value:
        out.append(step_card(view, view.current, show, header=ctx.t("proc_current")))
    return await offering(ctx, out)


# --- starting a process -----------------------------------------------------------------------------


async def _templates(ctx: Context) -> list[ProcessTemplate]:
    await templates.ensure_shipped(ctx.session, now=ctx.clock.now())
    return await templates.latest_templates(ctx.session)


@router.command("process_start")
async def start_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """`/process_start` lists the templates as buttons; `/process_start KEY [CONTACT]` (CONTACT: admins only)."""
    if not has_role(ctx, Role.OFFICER):
        return refuse(ctx, office.START, Role.OFFICER)  # even the list of templates is for those who may start
    args = (event.command[1] if event.command else "").split()
    if not args:
        listed = await _templates(ctx)
        await ctx.end_state()
        lines = [ctx.t("proc_pick_template")]
        lines += [f"{i}. {tp.code or tp.key} {tp.title}" for i, tp in enumerate(listed, start=1)]
        buttons = [Button((tp.code or tp.key)[:20], f"proc:tpl:{tp.key}") for tp in listed[:MAX_LISTED]]
        return [OutMessage(text="\n".join(lines), buttons=(*buttons, cancel_button(ctx)))]
    if len(args) > 2:
        return [ctx.say("proc_start_usage")]
    # Naming a contact assigns the process to them: the office action refuses it to anyone but an admin.
    return await _preview(ctx, args[0].lower(), args[1] if len(args) == 2 else None, end=None)


def officer_ref(ctx: Context, officer_id: int) -> str | None:
    """The officer a start remembered, as the office action names them: None for the person themselves."""
    return None if ctx.contact is not None and officer_id == ctx.contact.id else str(officer_id)


async def _preview(ctx: Context, key: str, officer: str | None, *, end: date | None) -> list[OutMessage]:
    """The plan a start would make, to confirm: period, every step's due day."""
    try:
        checked = await office.prepare_start(
            ctx.session, chat_actor(ctx), key, officer=officer, calendar=calendar_of(ctx), now=ctx.clock.now(), end=end
        )
    except Refused as refused:
        return refusal(ctx, *refused.needs)
    except ContactRefError:
        return [ctx.say("proc_start_usage")]
    except ProcessError as error:
        return [say_error(ctx, error)]
    template, plan = checked.template, checked.plan
    show = await show_for(ctx)
    name = f"{template.code or ''} {template.title}".strip()
    lines = [
        ctx.t("proc_preview", name=name, officer=contact_name(checked.officer, show)),
        ctx.t(
            "proc_period",
            start=show.day(plan.start),
            end=show.day(plan.end) if plan.end else ctx.t("proc_no_end"),
        ),
    ]
    for spec, (day, _) in zip(template.definition["steps"], plan.due, strict=True):
        lines.append(ctx.t("proc_plan_line", n=spec["number"], title=spec["title"], due=show.day(day)))
    await ctx.end_state()
    await ctx.set_state(
        START_FLOW,
        "confirm",
        key=template.key,
        officer=checked.officer.id,
        end=plan.end.isoformat() if plan.end else None,
    )
    buttons = (
        ctx.button("btn_confirm", "proc:go"),
        ctx.button("btn_proc_set_end", "proc:setend"),
        cancel_button(ctx),
    )
    return [OutMessage(text="\n".join(lines), buttons=buttons)]


async def _confirm_start(ctx: Context) -> list[OutMessage]:
    data = ctx.state.data if ctx.state and ctx.state.flow == START_FLOW else {}
    if not data.get("key"):
        return [ctx.say("expired_button")]
    await ctx.end_state()
    try:
        started = await office.start_process(
            ctx.session,
            chat_actor(ctx),
            str(data["key"]),
            officer=officer_ref(ctx, int(data["officer"])),
            calendar=calendar_of(ctx),
            now=ctx.clock.now(),
            end=date.fromisoformat(data["end"]) if data.get("end") else None,
        )
    except Refused as refused:
        return refusal(ctx, *refused.needs)
    except ProcessError as error:
        return [say_error(ctx, error)]
    view, officer = started.view, started.officer
    if ctx.contact is not None and officer.id == ctx.contact.id:
        return await offering(ctx, [ctx.say("proc_started", id=view.process.id), *started.officer_messages])
    ctx.extra.extend((target_of(officer), m) for m in started.officer_messages)
    show = await show_for(ctx)
    return [ctx.say("proc_started_for", id=view.process.id, officer=contact_name(officer, show))]


@router.flow(START_FLOW)
async def start_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """The end day typed after "set the end day"; anything else leaves the start unconfirmed."""
    data = ctx.state.data if ctx.state else {}
    if ctx.state is None or ctx.state.step != "end" or not data.get("key"):
        await ctx.end_state()
        return [ctx.say("proc_start_left")]
    text = " ".join((event.text or "").split()) if event.kind is EventKind.TEXT else ""
    today = timing.local_day(ctx.clock.now(), calendar_of(ctx))
    end = parse_day(text, today)
    if end is None:
        return [ctx.say("proc_date_bad"), ctx.say("proc_ask_end", cancel_button(ctx))]
    return await _preview(ctx, str(data["key"]), officer_ref(ctx, int(data["officer"])), end=end)


# --- step buttons -----------------------------------------------------------------------------------


@router.postback("proc:")
async def process_button(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """proc:<action>[:<id>[:<choice>]]: ids are step ids, except for view (a process id)."""
    if ctx.contact is None:
        return []
    parts = (event.data or "").split(":")
    action, arg, choice = [*parts, "", "", ""][1:4]
    if action == "cancel":
        await ctx.end_state()
        return [ctx.say("proc_cancelled")]
    if not has_role(ctx, Role.OFFICER):
        return refuse(ctx, "process.step", Role.OFFICER)
    if action == "tpl":
        return await _preview(ctx, arg, None, end=None)
    if action == "go":
        return await _confirm_start(ctx)
    if action == "setend":
        if ctx.state is None or ctx.state.flow != START_FLOW:
            return [ctx.say("expired_button")]
        await ctx.set_state(START_FLOW, "end")
        return [ctx.say("proc_ask_end", cancel_button(ctx))]
    if not arg.isdigit():
        return [ctx.say("expired_button")]
    if action == "view":
        return await _page(ctx, int(arg))
    return await _step_action(ctx, action, int(arg), choice)


async def _step_action(ctx: Context, action: str, step_id: int, choice: str) -> list[OutMessage]:
    try:
        view, step = await repo.view_of_step(ctx.session, step_id, for_update=True)
    except ProcessError as error:
        return [say_error(ctx, error)]
    refused = not_yours(ctx, view)
    if refused is not None:
        return refused
    try:
        if action == "card":
            return await offering(ctx, [step_card(view, step, await show_for(ctx))])
        if action == "done":
            await ctx.end_state()
            attached = await process_surveys.attach_on_done(ctx, view, step)
            transition = await office.mark_done(
                ctx.session, chat_actor(ctx), view, step, calendar=calendar_of(ctx), now=ctx.clock.now()
            )
            done = ctx.say("proc_done_ok", n=step.number, title=step.title)
            return [*attached, done, *await _after(ctx, view, transition)]
        if action == "snz":
            return await _snooze(ctx, view, step, choice)
        if action == "skip":
            repo.check_open(view, step)
            await ctx.set_state(FLOW, "skip_reason", step=step.id)
            return [ctx.say("proc_ask_reason", cancel_button(ctx), n=step.number)]
        if action == "ev":
            repo.check_active(view)
            await ctx.set_state(FLOW, "evidence", step=step.id)
            return [ctx.say("proc_ask_evidence", cancel_button(ctx), n=step.number)]
        if action == "evend":
            await ctx.end_state()
            return [ctx.say("proc_evidence_end")]
        if action == "survey":
            return await process_surveys.offer(ctx, view, step)
        if action == "sva":
            return await process_surveys.audience_tapped(ctx, view, step, choice)
        if action == "svgo":
            return await process_surveys.confirm(ctx, view, step)
        if action == "svrep":
            return await process_surveys.attach_report(ctx, view, step)
    except ProcessError as error:
        await ctx.end_state()
        return [say_error(ctx, error)]
    return [ctx.say("expired_button")]


async def _after(ctx: Context, view: repo.ProcessView, transition: repo.Transition) -> list[OutMessage]:
    """After a step finished: the next open step's card, or the process's closing words."""
    show = await show_for(ctx)
    if transition.finished:
        out = [ctx.say("proc_finished_ok", name=process_name(view), id=view.process.id)]
        if transition.next_run is not None:
            nxt = transition.next_run
            out.append(ctx.say("proc_next_period", id=nxt.id, start=show.day(nxt.start_on)))
        return out
    current = view.current
    if current is None:
        return []
    return await offering(ctx, [step_card(view, current, show, header=ctx.t("proc_current"))])


async def _snooze(ctx: Context, view: repo.ProcessView, step: ProcessStep, choice: str) -> list[OutMessage]:
    repo.check_open(view, step)
    show = await show_for(ctx)
    if choice == "":
        buttons = [ctx.button("btn_proc_snooze_days", f"proc:snz:{step.id}:{n}", n=n) for n in SNOOZE_CHOICES]
        buttons += [ctx.button("btn_proc_snooze_date", f"proc:snz:{step.id}:d"), cancel_button(ctx)]
        await ctx.set_state(FLOW, "snooze_pick", step=step.id)
        return [ctx.say("proc_ask_snooze", *buttons, n=step.number, due=show.due(step))]
    if choice == "d":
        await ctx.set_state(FLOW, "snooze_date", step=step.id)
        return [ctx.say("proc_ask_date", cancel_button(ctx))]
    if not choice.isdigit() or int(choice) not in SNOOZE_CHOICES:
        return [ctx.say("expired_button")]
    return await _move(ctx, view, step, timing.snooze_target(step, int(choice), show.calendar, show.now))


async def _move(ctx: Context, view: repo.ProcessView, step: ProcessStep, target: date) -> list[OutMessage]:
    now = ctx.clock.now()
    await office.snooze_step(ctx.session, chat_actor(ctx), view, step, target, calendar=calendar_of(ctx), now=now)
    await ctx.end_state()
    return [ctx.say("proc_snoozed", n=step.number, due=(await show_for(ctx)).due(step))]


# --- typed answers to the step questions ------------------------------------------------------------


@router.flow(FLOW)
async def process_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    name = ctx.state.step if ctx.state else ""
    data = ctx.state.data if ctx.state else {}
    if name == "menu" or "step" not in data:
        # Free text after a reminder that is none of its buttons is no answer to it: it is a message to
        # the office, handled as if no reminder had been asked.
        await ctx.end_state()
        if event.kind is EventKind.MEDIA:
            return await inbox.media_message(event, ctx)
        return await inbox.text_message(event, ctx)
    try:
        view, step = await repo.view_of_step(ctx.session, int(data["step"]), for_update=True)
    except ProcessError as error:
        await ctx.end_state()
        return [say_error(ctx, error)]
    refused = not_yours(ctx, view)
    if refused is not None:
        await ctx.end_state()
        return refused
    text = " ".join((event.text or "").split()) if event.kind is EventKind.TEXT else ""
    try:
        if name == "skip_reason":
            return await _typed_reason(ctx, view, step, text)
        if name in ("snooze_pick", "snooze_date"):
            return await _typed_date(ctx, view, step, text)
        if name == "evidence":
            return await _evidence(event, ctx, view, step, text)
        if name in ("survey_audience", "survey_confirm"):
            return await process_surveys.audience_typed(ctx, view, step, text)
    except ProcessError as error:
        await ctx.end_state()
        return [say_error(ctx, error)]
    await ctx.end_state()
    return [ctx.say("expired_button")]


async def _typed_reason(ctx: Context, view: repo.ProcessView, step: ProcessStep, text: str) -> list[OutMessage]:
    if not 2 <= len(text) <= repo.REASON_MAX:
        asked = ctx.say("proc_ask_reason", cancel_button(ctx), n=step.number)
        return [ctx.say("proc_reason_bad", max=repo.REASON_MAX), asked]
    transition = await office.skip_step(
        ctx.session, chat_actor(ctx), view, step, text, calendar=calendar_of(ctx), now=ctx.clock.now()
    )
    await ctx.end_state()
    return [ctx.say("proc_skipped_ok", n=step.number), *await _after(ctx, view, transition)]


async def _typed_date(ctx: Context, view: repo.ProcessView, step: ProcessStep, text: str) -> list[OutMessage]:
    """A snooze date typed (the 1-day/3-day choices typed as numbers arrive as taps, see asked.typed_button)."""
    show = await show_for(ctx)
    today = timing.local_day(show.now, show.calendar)
    wanted = parse_day(text, today)
    if wanted is None:
        return [ctx.say("proc_date_bad"), ctx.say("proc_ask_date", cancel_button(ctx))]
    if wanted <= today:
        past = ProcessError("proc_snooze_past", due=wanted, today=today)
        return [say_error(ctx, past), ctx.say("proc_ask_date", cancel_button(ctx))]
    moved = show.calendar.add_working_days(wanted, 0)
    out = await _move(ctx, view, step, moved)
    if moved != wanted:
        out.insert(0, ctx.say("proc_moved_to_working_day", wanted=show.day(wanted), due=show.day(moved)))
    return out


async def _evidence(
    event: Event, ctx: Context, view: repo.ProcessView, step: ProcessStep, text: str
) -> list[OutMessage]:
    """A note, photo or document as evidence of the step; a photo or document is kept (its /media address
    goes into the step log and the closing report), anything else by the platform's message reference."""
    if event.kind is EventKind.MEDIA and event.file_problem:
        return [
            ctx.say(event.file_problem, **problem_values(event)),
            ctx.say("proc_ask_evidence", cancel_button(ctx), n=step.number),
        ]
    if event.kind is EventKind.MEDIA:
        kept = event.attachment
        note = (event.text or "").strip() or None  # a Telegram caption
        reference = kept.url if kept is not None else event.event_id or None
        kind = event.media_type or "file"
    elif text:
        kind, note, reference = "note", text, None
    else:
        return [ctx.say("proc_ask_evidence", cancel_button(ctx), n=step.number)]
    count = await repo.add_evidence(
        ctx.session, view, step, kind=kind, note=note, reference=reference, now=ctx.clock.now(), actor=chat_actor(ctx)
    )
    buttons: list[Button] = []
    if step.state == StepState.PENDING.value:
        buttons.append(ctx.button("btn_proc_done", f"proc:done:{step.id}"))
    buttons.append(ctx.button("btn_proc_evidence_end", f"proc:evend:{step.id}"))
    return [ctx.say("proc_evidence_saved", *buttons, n=step.number, count=count)]
