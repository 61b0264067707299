"""How processes read in chat: a step's card with its buttons, the plan an officer is given, errors in words.

Shared by every front that tells a person about a process: the chat (`handlers.chat.processes`), the office action
that starts one (`handlers.office.processes`), the reminder job and the CLI. Every text is from the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.calendar import OfficeCalendar
from core.model import Button, Channel, OutMessage, Target
from core.thaidate import thai_date, thai_datetime
from handlers.texts import t
from storage.models import Contact
from storage.process_models import ProcessError, ProcessState, ProcessStep, ProcessTemplate, StepState
from storage.process_timing import step_status
from storage.processes import ProcessView

BAR_CELLS = 10  # a progress bar's cells at most: a longer process fills them in proportion


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
        status = step_status(step, self.calendar, self.now)
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


def process_name(view: ProcessView) -> str:
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


def step_lines(view: ProcessView, step: ProcessStep, show: Show, *, status: bool = True) -> list[str]:
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
    view: ProcessView, step: ProcessStep, show: Show, header: str | None = None, *, status: bool = True
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


def assignment_messages(view: ProcessView, template: ProcessTemplate | None, show: Show) -> list[OutMessage]:
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
