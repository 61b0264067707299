"""`phuankru process …` and `phuankru holidays …`: the manual's work processes, their reminders and reports.

Two click groups, `process` and `holidays`, added to the main `cli` in bot/cli.py. A mistake the person can put
right (an unknown template, a date before the start, a bad line in a file) ends with one line in Thai and English
and changes nothing. The clock comes from `ctx.obj["clock"]` when given (tests), else the system clock.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_support import (
    EXIT_USAGE,
    CommandError,
    checked,
    cli_audit,
    clock_of,
    emit_json,
    fail,
    read_text_file,
    settings_from_env,
    with_database,
)
from bot.config import ConfigError, Settings
from core.actor import Actor
from core.calendar import OfficeCalendar
from core.clock import Clock
from core.spreadsheet_safe import xlsx_safe_row
from core.thaidate import parse_day, read_typed, thai_date, western_year
from handlers.office import processes as office
from handlers.processes import templates
from handlers.processes.messages import Show, error_text, target_of
from storage import holidays as holidays_repo
from storage import outbox, process_templates, process_timing
from storage import processes as repo
from storage.contacts import ContactRefError
from storage.db import Database
from storage.migrate import SchemaBehind
from storage.models import Contact
from storage.process_models import Holiday, ProcessError, ProcessTemplate, StepLog, StepState

XLSX_THAI_DATE: Final = "[$-107041E]d mmm yyyy"  # day, Thai month, Buddhist year; the cell stays a real date
XLSX_THAI_DATETIME: Final = "[$-107041E]d mmm yyyy hh:mm"
_STEP_DUE = re.compile(r"^\s*(\d{1,3})\s*=\s*(\S.*?)\s*$")
STATE_TH: Final = {"pending": "ยังไม่เสร็จ", "done": "เสร็จแล้ว", "skipped": "ข้าม", "active": "กำลังดำเนินการ"}
ACTION_TH: Final = {
    "started": "เริ่มกระบวนงาน",
    "reached": "ถึงขั้นตอน",
    "done": "เสร็จแล้ว",
    "skipped": "ข้าม",
    "snoozed": "เลื่อน",
    "due_changed": "เปลี่ยนกำหนด",
    "evidence": "แนบหลักฐาน",
    "reminded": "แจ้งเตือน",
    "escalated": "แจ้งผู้ดูแลระบบ",
    "survey_offered": "เสนอแบบสอบถาม",
    "finished": "ครบทุกขั้นตอน",
}


def both_languages(error: ProcessError, tz: ZoneInfo) -> str:
    return f"{error_text(error, 'th', tz)} / {error_text(error, 'en', tz)}"


class ProcessGroup(click.Group):
    """Turns the errors a person can cause into one line on stderr, also when invoked on its own (tests)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProcessError as exc:
            fail(both_languages(exc, ZoneInfo("Asia/Bangkok")), EXIT_USAGE)
        except (ContactRefError, ConfigError) as exc:
            fail(str(exc), EXIT_USAGE)
        except SchemaBehind as exc:
            fail(str(exc))
        except CommandError as exc:
            fail(str(exc), exc.code)


def office_calendar(settings: Settings) -> OfficeCalendar:
    return OfficeCalendar(timezone=settings.timezone, hours=settings.office_hours, workdays=settings.workdays)


DATE_EXAMPLES = "2026-02-15, 15/2/2569 or 15 ก.พ. 2569"


def parse_cli_date(value: str, what: str, today: date) -> date:
    """A day, read by the one parser the chat uses (core.thaidate): 2026-02-15, 15/2/2569, 15 ก.พ. 2569…"""
    parsed = parse_day(value, today)
    if parsed is None:
        raise CommandError(f"{what}: {value!r} is not a date ({DATE_EXAMPLES})")
    return parsed


def parse_step_due(values: Sequence[str], tz: ZoneInfo, now: datetime) -> dict[int, date | datetime]:
    """N=DATE or N=DATE TIME (the office's time zone unless an offset is given), each in any form of
    core.thaidate: 3=2026-02-15, 3=15/2/2569 14:00, "3=15 ก.พ. 2569 14.00 น."."""
    out: dict[int, date | datetime] = {}
    for value in values:
        match = _STEP_DUE.match(value)
        if match is None:
            raise CommandError(f"--step-due {value!r}: write N=DATE, e.g. 3=2026-02-15 or 3=2026-02-15T14:00")
        n, when = int(match.group(1)), match.group(2)
        if n in out:
            raise CommandError(f"--step-due: step {n} is given twice")
        typed = read_typed(when, now.astimezone(tz).date())
        if typed is None:
            raise CommandError(f"--step-due {value!r}: {when!r} is not a date ({DATE_EXAMPLES}, a time may follow)")
        out[n] = typed.day if typed.at is None else datetime.combine(typed.day, typed.at, typed.offset or tz)
    return out


def iso(moment: datetime | None) -> str | None:
    """Times in JSON are UTC, whatever zone the value came in."""
    return moment.astimezone(UTC).isoformat() if moment else None


def both_days(value: date | None, tz: ZoneInfo) -> str:
    return f"{value.isoformat()} ({thai_date(value, tz)})" if value else "-"


# --- process ------------------------------------------------------------------------------------


@click.group(cls=ProcessGroup)
def process() -> None:
    """The manual's work processes and their step reminders."""


def template_json(template: ProcessTemplate) -> dict[str, Any]:
    definition = template.definition
    return {
        "key": template.key,
        "version": template.version,
        "code": template.code,
        "title": template.title,
        "recurrence": template.recurrence,
        "source": template.source,
        "steps": [{"number": s["number"], "title": s["title"], "days": s["days"]} for s in definition["steps"]],
        "forms": definition.get("forms", []),
    }


@process.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def process_list(ctx: click.Context, as_json: bool) -> None:
    """List the process templates: the manual's eight and the office's own."""
    settings = settings_from_env()
    clock = clock_of(ctx)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session, session.begin():
            await templates.ensure_shipped(session, now=clock.now())
            return [template_json(t) for t in await templates.latest_templates(session)]

    rows = with_database(settings, checked(work))
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        label = f"{r['code']} {r['title']}" if r["code"] else r["title"]
        click.echo(f"{r['key']:<16} v{r['version']:<3} {label}  ({len(r['steps'])} steps, {r['recurrence']})")


@process.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def process_import(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Import a process template (YAML: key, title, steps with number, title, days; optional forms,
    references, recurrence yearly|monthly|none). Importing a changed file adds a version; running processes
    keep the version they started with. A bad line stops the import with nothing imported."""
    settings = settings_from_env()
    spec = templates.parse_template(read_text_file(file), file.name)
    clock = clock_of(ctx)

    async def work(db: Database) -> tuple[ProcessTemplate, bool]:
        async with db.sessions() as session, session.begin():
            await templates.ensure_shipped(session, now=clock.now())
            template, created = await process_templates.import_template(session, spec, now=clock.now())
            if created:
                cli_audit(session, "process.template.import", f"template:{template.key}", version=template.version)
            return template, created

    template, created = with_database(settings, checked(work))
    if as_json:
        emit_json(template_json(template) | {"created": created})
    elif created:
        click.echo(f"Imported {template.key} version {template.version} ({len(spec.steps)} steps).")
    else:
        click.echo(f"{template.key} is unchanged (version {template.version}).")


def step_json(step: Any, show: Show) -> dict[str, Any]:
    status = process_timing.step_status(step, show.calendar, show.now)
    return {
        "id": step.id,
        "number": step.number,
        "title": step.title,
        "planned": step.planned_on.isoformat(),
        "due": step.due_on.isoformat(),
        "due_at": iso(step.due_at),
        "state": step.state,
        "status": status.kind,
        "late_days": status.days if status.kind == "overdue" else 0,
        "finished_at": iso(step.finished_at),
        "skip_reason": step.skip_reason,
        "snoozes": step.snoozes,
        "survey": step.survey_key,
    }


def process_json(view: repo.ProcessView, show: Show) -> dict[str, Any]:
    p = view.process
    officer = view.officer
    return {
        "id": p.id,
        "key": p.key,
        "code": p.code,
        "title": p.title,
        "state": p.state,
        "officer": None
        if officer is None
        else {
            "id": officer.id,
            "name": officer.display_name,
            "contact": f"{officer.channel}:{officer.platform_user_id}",
        },
        "start": p.start_on.isoformat(),
        "end": p.end_on.isoformat() if p.end_on else None,
        "fiscal_year": process_timing.fiscal_year(p.start_on),
        "progress": {"finished": view.finished, "steps": len(view.steps)},
        "steps": [step_json(s, show) for s in view.steps],
        "created_at": iso(p.created_at),
        "finished_at": iso(p.finished_at),
    }


async def show_now(session: AsyncSession, settings: Settings, clock: Clock) -> Show:
    now = clock.now()
    calendar = office_calendar(settings)
    return Show("th", await repo.calendar_for(session, calendar, process_timing.local_day(now, calendar)), now)


@process.command("start")
@click.argument("key")
@click.option("--officer", required=True, help="line:USERID, telegram:USERID or a contact id (role officer or admin).")
@click.option("--start", "start_date", help="First day (2026-01-05, 5/1/2569 or 5 ม.ค. 2569); default today.")
@click.option("--end", "end_date", help="Last day; default the period's end (30 September for yearly processes).")
@click.option("--step-due", multiple=True, help="N=DATE or N=DATE-TIME: step N's due date; repeat for more steps.")
@click.option("--json", "as_json", is_flag=True, help="Print the process as JSON.")
@click.pass_context
def process_start(
    ctx: click.Context,
    key: str,
    officer: str,
    start_date: str | None,
    end_date: str | None,
    step_due: tuple[str, ...],
    as_json: bool,
) -> None:
    """Start process KEY for its officer: due dates spread over the period's working days (skipping weekends
    and holidays) unless given per step; the officer is told in chat and reminded before, on and after each."""
    settings = settings_from_env()
    tz = settings.timezone
    clock = clock_of(ctx)
    today = clock.now().astimezone(tz).date()
    start = parse_cli_date(start_date, "--start", today) if start_date else None
    end = parse_cli_date(end_date, "--end", today) if end_date else None
    due = parse_step_due(step_due, tz, clock.now())

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session, session.begin():
            now = clock.now()
            await templates.ensure_shipped(session, now=now)
            started = await office.start_process(
                session,
                Actor.operator(),
                key,
                officer=officer,
                calendar=office_calendar(settings),
                now=now,
                start=start,
                end=end,
                step_due=due,
            )
            person = started.officer
            if person.reachable and person.erased_at is None:
                outbox.enqueue(session, target_of(person), started.officer_messages, now=now)
            return process_json(started.view, await show_now(session, settings, clock))

    result = with_database(settings, checked(work))
    if as_json:
        emit_json(result)
        return
    who = result["officer"]["name"] or result["officer"]["contact"]
    click.echo(f"Started process #{result['id']} {result['key']} for {who}; the officer is told in chat.")
    click.echo(f"Period: {result['start']} – {result['end'] or 'by the steps durations'}")
    for s in result["steps"]:
        when = s["due_at"] or s["due"]
        click.echo(f"  {s['number']}. {s['title']} — due {when} ({thai_date(date.fromisoformat(s['due']), tz)})")


@process.command("set-due")
@click.argument("process_id", type=int)
@click.argument("step_due", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the changed steps as a JSON array.")
@click.pass_context
def process_set_due(ctx: click.Context, process_id: int, step_due: tuple[str, ...], as_json: bool) -> None:
    """Change due dates: N=DATE or N=DATE-TIME for each step to move; their pending reminders are replaced."""
    settings = settings_from_env()
    clock = clock_of(ctx)
    due = parse_step_due(step_due, settings.timezone, clock.now())

    async def work(db: Database) -> list[tuple[int, date, datetime | None]]:
        async with db.sessions() as session, session.begin():
            view = await repo.load_view(session, process_id, for_update=True)
            if view is None:
                raise CommandError(f"no process {process_id} (see /processes or `phuankru process status`)")
            return await office.set_due(
                session, Actor.operator(), view, due, calendar=office_calendar(settings), now=clock.now()
            )

    changed = with_database(settings, checked(work))
    if as_json:
        emit_json([{"step": n, "due": day.isoformat(), "due_at": iso(at)} for n, day, at in changed])
        return
    for n, day, at in changed:
        click.echo(f"step {n} now due {at.isoformat() if at else day.isoformat()}")


# --- status and the closing report ---------------------------------------------------------------


async def report_data(session: AsyncSession, process_id: int, show: Show) -> dict[str, Any]:
    """Everything the closing report (สรุปประเมินผลการดำเนินงาน) needs: the plan, each step's outcome, the log."""
    view = await repo.load_view(session, process_id)
    if view is None:
        raise CommandError(f"no process {process_id} (see /processes or `phuankru process status`)")
    template = await session.get(ProcessTemplate, view.process.template_id)
    log_rows = await repo.step_log(session, process_id)
    people_ids = {r.actor_contact_id for r in log_rows if r.actor_contact_id is not None}
    people = {
        c.id: c.display_name or f"{c.channel}:{c.platform_user_id}"
        for c in (await session.execute(select(Contact).where(Contact.id.in_(people_ids)))).scalars()
    }
    numbers = {s.id: s.number for s in view.steps}

    def who(row: StepLog) -> str:
        name = people.get(row.actor_contact_id) if row.actor_contact_id else None
        return f"{name} ({row.actor})" if name else row.actor

    data = process_json(view, show)
    by_step: dict[int, list[StepLog]] = {}
    for row in log_rows:
        if row.step_id is not None:
            by_step.setdefault(row.step_id, []).append(row)
    for step, out in zip(view.steps, data["steps"], strict=True):
        rows = by_step.get(step.id, [])
        done = next((r for r in rows if r.action in ("done", "skipped")), None)
        out["finished_by"] = who(done) if done else None
        if done is not None and done.action == "done":
            out["late_days"] = int(done.detail.get("late_days", 0))
        out["evidence"] = [
            {
                "at": iso(r.at),
                "by": who(r),
                "kind": r.detail.get("kind"),
                "note": r.detail.get("note"),
                "reference": r.detail.get("reference"),
            }
            for r in rows
            if r.action == "evidence"
        ]
        out["reminders"] = sum(1 for r in rows if r.action == "reminded")
        out["survey_offered"] = any(r.action == "survey_offered" for r in rows)
    definition = template.definition if template else {}
    steps = data["steps"]
    data["template_version"] = template.version if template else None
    data["objectives"] = definition.get("objectives", [])
    data["scope"] = definition.get("scope")
    data["forms"] = definition.get("forms", [])
    data["references"] = definition.get("references", [])
    data["summary"] = {
        "steps": len(steps),
        "done": sum(1 for s in steps if s["state"] == StepState.DONE.value),
        "skipped": sum(1 for s in steps if s["state"] == StepState.SKIPPED.value),
        "pending": sum(1 for s in steps if s["state"] == StepState.PENDING.value),
        "done_on_time": sum(1 for s in steps if s["state"] == StepState.DONE.value and not s["late_days"]),
        "late_now": sum(1 for s in steps if s["status"] == "overdue"),
        "snoozes": sum(s["snoozes"] for s in steps),
        "evidence": sum(len(s["evidence"]) for s in steps),
    }
    data["log"] = [
        {
            "at": iso(r.at),
            "step": numbers.get(r.step_id) if r.step_id else None,
            "who": who(r),
            "action": r.action,
            "detail": r.detail,
        }
        for r in log_rows
    ]
    return data


def with_report(ctx: click.Context, process_id: int) -> tuple[Settings, dict[str, Any]]:
    settings = settings_from_env()
    clock = clock_of(ctx)

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session:
            return await report_data(session, process_id, await show_now(session, settings, clock))

    return settings, with_database(settings, checked(work))


@process.command("status")
@click.argument("process_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the process, its steps and its log as JSON.")
@click.pass_context
def process_status(ctx: click.Context, process_id: int, as_json: bool) -> None:
    """A process's steps (done, due, late) and its step log: who, when, what, evidence."""
    settings, data = with_report(ctx, process_id)
    if as_json:
        emit_json(data)
        return
    tz = settings.timezone
    officer = data["officer"]
    click.echo(f"#{data['id']} {data['code'] or ''} {data['title']}".replace("  ", " "))
    click.echo(f"state: {data['state']}  officer: {(officer or {}).get('name') or (officer or {}).get('contact')}")
    click.echo(f"period: {both_days(date.fromisoformat(data['start']), tz)} – {data['end'] or '-'}")
    click.echo(f"progress: {data['progress']['finished']}/{data['progress']['steps']}")
    for s in data["steps"]:
        late = f", {s['late_days']} working days late" if s["late_days"] else ""
        extra = f", skipped: {s['skip_reason']}" if s["skip_reason"] else ""
        evidence = f", evidence: {len(s['evidence'])}" if s["evidence"] else ""
        click.echo(
            f"  {s['number']}. [{s['status']}] {s['title']} — due {s['due_at'] or s['due']}{late}{extra}{evidence}"
        )
    click.echo("log:")
    for row in data["log"]:
        step = f" step {row['step']}" if row["step"] else ""
        detail = json.dumps(row["detail"], ensure_ascii=False) if row["detail"] else ""
        click.echo(f"  {row['at']}{step} {row['action']} by {row['who']} {detail}".rstrip())


def write_report_xlsx(path: Path, data: dict[str, Any], tz: ZoneInfo) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value[:10]) if value else None

    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value).astimezone(tz).replace(tzinfo=None) if value else None

    book = Workbook()
    summary = book.active
    summary.title = "สรุป"
    officer = data["officer"] or {}
    rows: list[tuple[str, Any]] = [
        ("รายงานสรุปประเมินผลการดำเนินงาน", f"{data['code'] or ''} {data['title']}".strip()),
        ("เลขที่กระบวนงาน", data["id"]),
        ("ปีงบประมาณ", data["fiscal_year"]),
        ("ผู้รับผิดชอบ", officer.get("name") or officer.get("contact") or "-"),
        ("วันเริ่ม", day(data["start"])),
        ("วันสิ้นสุด", day(data["end"])),
        ("สถานะ", STATE_TH.get(data["state"], data["state"])),
        ("จำนวนขั้นตอน", data["summary"]["steps"]),
        ("เสร็จแล้ว", data["summary"]["done"]),
        ("เสร็จตามกำหนด", data["summary"]["done_on_time"]),
        ("ข้าม", data["summary"]["skipped"]),
        ("ยังไม่เสร็จ", data["summary"]["pending"]),
        ("จำนวนครั้งที่เลื่อน", data["summary"]["snoozes"]),
        ("หลักฐานที่แนบ", data["summary"]["evidence"]),
    ]
    rows += [("วัตถุประสงค์", o) for o in data["objectives"]]
    rows += [("แบบฟอร์มที่ใช้", f) for f in data["forms"]]
    rows += [("เอกสารอ้างอิง", r) for r in data["references"]]
    for label, value in rows:
        summary.append([label, value])
        xlsx_safe_row(summary[summary.max_row])  # titles, names and reasons are typed text, never formulas
        if isinstance(value, date):
            summary.cell(summary.max_row, 2).number_format = XLSX_THAI_DATE
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 90

    steps = book.create_sheet("ขั้นตอน")
    headers = ["ขั้นที่", "ขั้นตอน", "กำหนดเดิม", "กำหนด", "สถานะ", "วันที่เสร็จ", "ผู้บันทึก", "ช้า (วันทำการ)",
               "เหตุผลที่ข้าม", "เลื่อน (ครั้ง)", "หลักฐาน"]  # fmt: skip
    steps.append(headers)
    for s in data["steps"]:
        evidence = "\n".join(f"{e['kind']}: {e['note'] or e['reference'] or ''}".strip() for e in s["evidence"])
        steps.append(
            [
                s["number"],
                s["title"],
                day(s["planned"]),
                day(s["due"]),
                STATE_TH.get(s["state"], s["state"]),
                moment(s["finished_at"]),
                s["finished_by"] or "",
                s["late_days"],
                s["skip_reason"] or "",
                s["snoozes"],
                evidence,
            ]
        )
        xlsx_safe_row(steps[steps.max_row])  # skip reasons and evidence notes are typed in chat
        for column, fmt in ((3, XLSX_THAI_DATE), (4, XLSX_THAI_DATE), (6, XLSX_THAI_DATETIME)):
            steps.cell(steps.max_row, column).number_format = fmt

    log = book.create_sheet("บันทึก")
    log.append(["เวลา", "ขั้นที่", "ผู้ดำเนินการ", "การดำเนินการ", "รายละเอียด"])
    for row in data["log"]:
        detail = json.dumps(row["detail"], ensure_ascii=False) if row["detail"] else ""
        log.append([moment(row["at"]), row["step"], row["who"], ACTION_TH.get(row["action"], row["action"]), detail])
        xlsx_safe_row(log[log.max_row])
        log.cell(log.max_row, 1).number_format = XLSX_THAI_DATETIME
    for sheet in (steps, log):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHIJK", (18, 60, 14, 14, 14, 18, 24, 12, 30, 10, 40), strict=False):
            sheet.column_dimensions[letter].width = width
    for cell in summary["A"]:
        cell.font = Font(bold=True)
    book.save(path)


@process.command("report")
@click.argument("process_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "json"]), default="xlsx", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="The file (default process-ID.xlsx).")
@click.option("--json", "as_json", is_flag=True, help="Print {process, format, file, bytes} of the written file.")
@click.pass_context
def process_report(ctx: click.Context, process_id: int, fmt: str, out: Path | None, as_json: bool) -> None:
    """The step log for the closing report (สรุปประเมินผลการดำเนินงาน): who did what when, evidence, lateness.
    --format json goes to standard output unless --out is given."""
    settings, data = with_report(ctx, process_id)
    if fmt == "json" and out is None:
        emit_json(data)
        return
    out = out or Path(f"process-{process_id}.{fmt}")
    if not out.parent.is_dir():
        raise CommandError(f"cannot write {out}: no such folder")
    try:
        if fmt == "xlsx":
            asyncio.run(asyncio.to_thread(write_report_xlsx, out, data, settings.timezone))
        else:
            out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
    if as_json:
        emit_json({"process": process_id, "format": fmt, "file": str(out), "bytes": out.stat().st_size})
        return
    click.echo(f"Wrote the report of process #{process_id} to {out}.")


# --- holidays -----------------------------------------------------------------------------------


@click.group(cls=ProcessGroup)
def holidays() -> None:
    """The office's holidays: reminders and due dates skip them (the fixed Thai public holidays are built in)."""


def holiday_json(h: Holiday) -> dict[str, Any]:
    day = (
        f"{h.month:02d}-{h.day:02d}"
        if h.year == holidays_repo.EVERY_YEAR
        else f"{h.year:04d}-{h.month:02d}-{h.day:02d}"
    )
    return {"date": day, "every_year": h.year == holidays_repo.EVERY_YEAR, "name": h.name, "source": h.source}


@holidays.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print {created, updated} as JSON.")
@click.pass_context
def holidays_import(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Add holidays from a UTF-8 CSV with a header `date,name` (or วันที่,ชื่อ): 2569-03-03, 2026-03-03 or 3/3/2569
    for one day, 03-03 for every year. A day already listed gets the file's name. A bad line stops the import."""
    settings = settings_from_env()
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{file}: no such file") from None
    except OSError as exc:
        raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
    rows = holidays_repo.parse_holidays_csv(raw, file.name)
    clock = clock_of(ctx)

    async def work(db: Database) -> holidays_repo.ImportResult:
        async with db.sessions() as session, session.begin():
            await holidays_repo.ensure_shipped(session, templates.shipped_holidays(), now=clock.now())
            result = await holidays_repo.upsert(session, rows, now=clock.now())
            cli_audit(
                session, "holidays.import", f"file:{file.name}"[:255], created=result.created, updated=result.updated
            )
            return result

    result = with_database(settings, checked(work))
    if as_json:
        emit_json({"created": result.created, "updated": result.updated})
    else:
        click.echo(
            f"Imported {result.created + result.updated} holidays ({result.created} new, {result.updated} updated)."
        )


@holidays.command("list")
@click.option("--year", type=int, help="Only this year's (2026 or 2569) and the yearly ones.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def holidays_list(ctx: click.Context, year: int | None, as_json: bool) -> None:
    """List the holidays."""
    settings = settings_from_env()
    clock = clock_of(ctx)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session, session.begin():
            await holidays_repo.ensure_shipped(session, templates.shipped_holidays(), now=clock.now())
            wanted = western_year(year) if year else None
            return [holiday_json(h) for h in await holidays_repo.list_holidays(session, year=wanted)]

    rows = with_database(settings, checked(work))
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        when = f"{r['date']} every year" if r["every_year"] else r["date"]
        click.echo(f"{when:<18} {r['name']}")
