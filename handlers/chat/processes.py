"""Process steps in chat: /processes, /process ID, /process_start, and the step buttons done / snooze / skip /
evidence / survey.

Officers act on their own processes, admins on all. Every button has a typed equivalent: the buttons of the last
message are remembered in the conversation state, so "1" or "เสร็จแล้ว" typed on LINE PC works as the tap.
The message builders (`Show`, `step_card`, ...) are shared with the reminder job and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.calendar import OfficeCalendar
from core.model import Button, Channel, Event, EventKind, OutMessage, Target
from core.thaidate import parse_day, thai_date, thai_datetime
from handlers.attachments import problem_values
from handlers.chat import inbox, process_surveys
from handlers.chat.context import Context
from handlers.chat.roles import actor_of, has_role, refuse
from handlers.chat.router import Router
from handlers.texts import t
from storage import audit
from storage import processes as repo
from storage.contacts import ContactRefError
from storage.models import Contact, Role
from storage.process_models import ProcessError, ProcessState, ProcessStep, ProcessTemplate, StepState

router = Router("processes")

FLOW = "proc"  # steps: menu (a reminder's buttons), skip_reason, snooze_pick, snooze_date, evidence
START_FLOW = "proc_start"  # steps: confirm, end
MAX_LISTED = 10  # buttons in one message: LINE shows at most 13 quick replies
BAR_CELLS = 10
SNOOZE_CHOICES = (1, 3)  # working days
_STATUS_MARKS = {"done": "✅", "skipped": "⏭", "overdue": "⚠️", "due": "📌"}


# --- showing things ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Show:
    """How to write for one reader: their language, the office's calendar (time zone, holidays) and now."""

    lang: str
    calendar: OfficeCalendar
    now: datetime

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.timezone

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def day(self, value: date | datetime) -> str:
        return thai_date(value, self.tz, self.lang)

    def due(self, step: ProcessStep) -> str:
        return thai_datetime(step.due_at, self.tz, self.lang) if step.due_at else self.day(step.due_on)

    def status(self, step: ProcessStep) -> str:
        status = repo.step_status(step, self.calendar, self.now)
        return self.t(f"proc_status_{status.kind}", n=status.days)

    def error(self, error: ProcessError) -> str:
        return error_text(error, self.lang, self.tz)

    def with_lang(self, lang: str) -> Show:
        return Show(lang, self.calendar, self.now)


def error_text(error: ProcessError, lang: str, tz: ZoneInfo) -> str:
    """A ProcessError in words, its dates in the reader's calendar."""
    values = {k: thai_date(v, tz, lang) if isinstance(v, date) else v for k, v in error.values.items()}
    return t(error.key, lang, **values)


def progress_bar(done: int, total: int) -> str:
    cells = min(total, BAR_CELLS)
    filled = round(done * cells / total) if total else 0
    return "▰" * filled + "▱" * (cells - filled) + f" {done}/{total}"


def process_name(view: repo.ProcessView) -> str:
    code = f"{view.process.code} " if view.process.code else ""
    return f"{code}{view.process.title} (#{view.process.id})"


def contact_name(contact: Contact | None, show: Show) -> str:
    if contact is None:
        return show.t("proc_nobody")
    return contact.display_name or f"{contact.channel}:{contact.platform_user_id}"


def target_of(contact: Contact) -> Target:
    return Target(Channel(contact.channel), "user", contact.platform_user_id, contact_id=contact.id)


def step_buttons(step: ProcessStep, show: Show) -> tuple[Button, ...]:
    buttons = [
        Button(show.t("btn_proc_done"), f"proc:done:{step.id}"),
        Button(show.t("btn_proc_snooze"), f"proc:snz:{step.id}"),
        Button(show.t("btn_proc_skip"), f"proc:skip:{step.id}"),
        Button(show.t("btn_proc_evidence"), f"proc:ev:{step.id}"),
    ]
    if step.survey_key:
        buttons.append(Button(show.t("btn_proc_survey"), f"proc:survey:{step.id}"))
    if step.survey_report:
        buttons.append(Button(show.t("btn_proc_survey_report"), f"proc:svrep:{step.id}"))
    return tuple(buttons)


def step_lines(view: repo.ProcessView, step: ProcessStep, show: Show, *, status: bool = True) -> list[str]:
    due = (
        show.t("proc_due_line", due=show.due(step), status=show.status(step))
        if status
        else show.t("proc_due_only", due=show.due(step))
    )
    lines = [process_name(view), show.t("proc_step_line", n=step.number, total=len(view.steps), title=step.title), due]
    if step.survey_key:
        lines.append(show.t("proc_survey_hint", survey=step.survey_key))
    if step.survey_report:
        lines.append(show.t("proc_survey_report_hint", survey=step.survey_report, id=view.process.id))
    return lines


def step_card(
    view: repo.ProcessView, step: ProcessStep, show: Show, header: str | None = None, *, status: bool = True
) -> OutMessage:
    """One step with its buttons: what a reminder, a tap on the process, or reaching the step shows."""
    lines = ([header] if header else []) + step_lines(view, step, show, status=status)
    open_step = step.state == StepState.PENDING.value and view.process.state == ProcessState.ACTIVE.value
    return OutMessage(text="\n".join(lines), buttons=step_buttons(step, show) if open_step else ())


def forms_text(template: ProcessTemplate | None, show: Show) -> str | None:
    forms = (template.definition.get("forms") if template else None) or []
    if not forms:
        return None
    return show.t("proc_forms", forms="\n".join(f"{i}. {f}" for i, f in enumerate(forms, start=1)))


def assignment_messages(view: repo.ProcessView, template: ProcessTemplate | None, show: Show) -> list[OutMessage]:
    """What the officer gets when a process starts: the plan and forms, then the first step's card."""
    process = view.process
    lines = [
        show.t("proc_assigned", name=process_name(view)),
        show.t(
            "proc_period",
            start=show.day(process.start_on),
            end=show.day(process.end_on) if process.end_on else show.t("proc_no_end"),
        ),
    ]
    lines += [show.t("proc_plan_line", n=s.number, title=s.title, due=show.due(s)) for s in view.steps]
    forms = forms_text(template, show)
    if forms:
        lines += ["", forms]
    out = [OutMessage(text="\n".join(lines))]
    if view.current is not None:
        out.append(step_card(view, view.current, show, header=show.t("proc_current")))
    return out


def process_block(view: repo.ProcessView, show: Show, *, with_officer: bool) -> str:
    """A process in /processes: name, progress bar, the next step and its due day."""
    officer = f" · {contact_name(view.officer, show)}" if with_officer else ""
    lines = [process_name(view), progress_bar(view.finished, len(view.steps)) + officer]
    current = view.current
    if current is not None:
        lines.append(show.t("proc_next_line", n=current.number, title=current.title, due=show.due(current)))
        lines.append("   " + show.status(current))
    late = [s for s in view.steps if repo.step_status(s, show.calendar, show.now).kind == "overdue"]
    if len(late) > 1:
        lines.append(show.t("proc_late_count", n=len(late)))
    return "\n".join(lines)


def urgency(view: repo.ProcessView, show: Show) -> tuple[int, date, int]:
    """Late processes first (the latest first), then by the next due day."""
    statuses = [repo.step_status(s, show.calendar, show.now) for s in view.steps]
    late = max((st.days for st in statuses if st.kind == "overdue"), default=0)
    current = view.current
    return -late, current.due_on if current else date.max, view.process.id


def detail_message(view: repo.ProcessView, show: Show) -> OutMessage:
    lines = [process_name(view), progress_bar(view.finished, len(view.steps))]
    for step in view.steps:
        status = repo.step_status(step, show.calendar, show.now)
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
    calendar = await repo.calendar_for(ctx.session, base, repo.local_day(now, base))
    return Show(lang or ctx.lang, calendar, now)


def actor(ctx: Context) -> repo.Actor:
    return repo.Actor(actor_of(ctx), ctx.contact.id if ctx.contact else None)


def may_act(ctx: Context, view: repo.ProcessView) -> bool:
    """The process's own officer, or an admin."""
    if ctx.contact is None:
        return False
    return view.process.officer_contact_id == ctx.contact.id or has_role(ctx, Role.ADMIN)


def not_yours(ctx: Context, view: repo.ProcessView) -> list[OutMessage]:
    audit.record(
        ctx.session,
        at=ctx.clock.now(),
        actor=actor_of(ctx),
        action="process.step",
        target=f"process:{view.process.id}",
        allowed=False,
        actor_contact_id=ctx.contact.id if ctx.contact else None,
    )
    return [ctx.say("proc_not_yours", id=view.process.id)]


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
    if not may_act(ctx, view):
        return not_yours(ctx, view)
    show = await show_for(ctx)
    out = [detail_message(view, show)]
    if view.current is not None and view.process.state == ProcessState.ACTIVE.value:
        out.append(step_card(view, view.current, show, header=ctx.t("proc_current")))
    return await offering(ctx, out)


# --- starting a process -----------------------------------------------------------------------------


async def _templates(ctx: Context) -> list[ProcessTemplate]:
    await repo.ensure_shipped(ctx.session, now=ctx.clock.now())
    return await repo.latest_templates(ctx.session)


@router.command("process_start")
async def start_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """`/process_start` lists the templates as buttons; `/process_start KEY [CONTACT]` (CONTACT: admins only)."""
    if not has_role(ctx, Role.OFFICER):
        return refuse(ctx, "process.start", Role.OFFICER)
    assert ctx.contact is not None
    args = (event.command[1] if event.command else "").split()
    if not args:
        templates = await _templates(ctx)
        await ctx.end_state()
        lines = [ctx.t("proc_pick_template")]
        lines += [f"{i}. {tp.code or tp.key} {tp.title}" for i, tp in enumerate(templates, start=1)]
        buttons = [Button((tp.code or tp.key)[:20], f"proc:tpl:{tp.key}") for tp in templates[:MAX_LISTED]]
        return [OutMessage(text="\n".join(lines), buttons=(*buttons, cancel_button(ctx)))]
    if len(args) > 2:
        return [ctx.say("proc_start_usage")]
    officer = ctx.contact
    if len(args) == 2:
        if not has_role(ctx, Role.ADMIN):
            return refuse(ctx, "process.assign", Role.ADMIN)
        try:
            officer = await repo.officer_contact(ctx.session, args[1])
        except ContactRefError:
            return [ctx.say("proc_start_usage")]
        except ProcessError as error:
            return [say_error(ctx, error)]
    return await _preview(ctx, args[0].lower(), officer.id, end=None)


async def _preview(ctx: Context, key: str, officer_id: int, *, end: date | None) -> list[OutMessage]:
    """The plan a start would make, to confirm: period, every step's due day."""
    template = await repo.find_template(ctx.session, key)
    if template is None:
        await _templates(ctx)  # a fresh database: the shipped templates load on first use
        template = await repo.find_template(ctx.session, key)
    if template is None:
        return [ctx.say("proc_unknown_template", template=key)]
    officer = await ctx.session.get(Contact, officer_id)
    if officer is None:
        return [ctx.say("expired_button")]
    try:
        plan = await repo.plan_process(ctx.session, template, calendar=calendar_of(ctx), now=ctx.clock.now(), end=end)
    except ProcessError as error:
        return [say_error(ctx, error)]
    show = await show_for(ctx)
    name = f"{template.code or ''} {template.title}".strip()
    lines = [
        ctx.t("proc_preview", name=name, officer=contact_name(officer, show)),
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
        START_FLOW, "confirm", key=key, officer=officer_id, end=plan.end.isoformat() if plan.end else None
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
    template = await repo.find_template(ctx.session, str(data["key"]))
    officer = await ctx.session.get(Contact, int(data["officer"]))
    if template is None or officer is None:
        return [ctx.say("expired_button")]
    try:
        view = await repo.start_process(
            ctx.session,
            template=template,
            officer=officer,
            calendar=calendar_of(ctx),
            now=ctx.clock.now(),
            actor=actor(ctx),
            end=date.fromisoformat(data["end"]) if data.get("end") else None,
        )
    except ProcessError as error:
        return [say_error(ctx, error)]
    audit.record(
        ctx.session,
        at=ctx.clock.now(),
        actor=actor_of(ctx),
        action="process.start",
        target=f"process:{view.process.id}",
        actor_contact_id=ctx.contact.id if ctx.contact else None,
        detail={"key": template.key, "version": template.version, "officer": officer.id},
    )
    show = await show_for(ctx)
    messages = assignment_messages(view, template, show.with_lang(officer.language or "th"))
    if ctx.contact is not None and officer.id == ctx.contact.id:
        return await offering(ctx, [ctx.say("proc_started", id=view.process.id), *messages])
    ctx.extra.extend((target_of(officer), m) for m in messages)
    return [ctx.say("proc_started_for", id=view.process.id, officer=contact_name(officer, show))]


@router.flow(START_FLOW)
async def start_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """The end day typed after "set the end day"; anything else leaves the start unconfirmed."""
    data = ctx.state.data if ctx.state else {}
    if ctx.state is None or ctx.state.step != "end" or not data.get("key"):
        await ctx.end_state()
        return [ctx.say("proc_start_left")]
    text = " ".join((event.text or "").split()) if event.kind is EventKind.TEXT else ""
    today = repo.local_day(ctx.clock.now(), calendar_of(ctx))
    end = parse_day(text, today)
    if end is None:
        return [ctx.say("proc_date_bad"), ctx.say("proc_ask_end", cancel_button(ctx))]
    return await _preview(ctx, str(data["key"]), int(data["officer"]), end=end)


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
        return await _preview(ctx, arg, ctx.contact.id, end=None)
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
    if not may_act(ctx, view):
        return not_yours(ctx, view)
    try:
        if action == "card":
            return await offering(ctx, [step_card(view, step, await show_for(ctx))])
        if action == "done":
            await ctx.end_state()
            attached = await process_surveys.attach_on_done(ctx, view, step)
            transition = await repo.mark_done(
                ctx.session, view, step, calendar=calendar_of(ctx), now=ctx.clock.now(), actor=actor(ctx)
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
    return await _move(ctx, view, step, repo.snooze_target(step, int(choice), show.calendar, show.now))


async def _move(ctx: Context, view: repo.ProcessView, step: ProcessStep, target: date) -> list[OutMessage]:
    now = ctx.clock.now()
    await repo.change_due(
        ctx.session, view, step, target, calendar=calendar_of(ctx), now=now, actor=actor(ctx), snooze=True
    )
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
    if not may_act(ctx, view):
        await ctx.end_state()
        return not_yours(ctx, view)
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
    transition = await repo.skip_step(
        ctx.session, view, step, text, calendar=calendar_of(ctx), now=ctx.clock.now(), actor=actor(ctx)
    )
    await ctx.end_state()
    return [ctx.say("proc_skipped_ok", n=step.number), *await _after(ctx, view, transition)]


async def _typed_date(ctx: Context, view: repo.ProcessView, step: ProcessStep, text: str) -> list[OutMessage]:
    """A snooze date typed (the 1-day/3-day choices typed as numbers arrive as taps, see asked.typed_button)."""
    show = await show_for(ctx)
    today = repo.local_day(show.now, show.calendar)
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
        ctx.session, view, step, kind=kind, note=note, reference=reference, now=ctx.clock.now(), actor=actor(ctx)
    )
    buttons: list[Button] = []
    if step.state == StepState.PENDING.value:
        buttons.append(ctx.button("btn_proc_done", f"proc:done:{step.id}"))
    buttons.append(ctx.button("btn_proc_evidence_end", f"proc:evend:{step.id}"))
    return [ctx.say("proc_evidence_saved", *buttons, n=step.number, count=count)]
