"""The process templates: reading and checking a template's YAML, and the templates and holidays PhuanKru ships.

The shipped files live beside this module (`templates/*.yaml`, `templates/holidays_th.csv`); storage is handed
them parsed (`storage.process_templates`, `storage.holidays`) and never learns where they came from. Every front
that needs the templates in the database (chat, CLI, the reminder job, the demo) calls `ensure_shipped` here.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from core.choices import western_digits
from storage import holidays
from storage import process_templates as stored
from storage.holidays import HolidayRow, parse_holidays_csv
from storage.process_models import ProcessError, ProcessTemplate
from storage.process_templates import StepSpec, TemplateSpec

RECURRENCES = ("yearly", "monthly", "none")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")  # ASCII and short: it rides in button data
SURVEY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_STEP_DAYS = 400
MAX_STEPS = 50
_TOP_FIELDS = {
    "key",
    "code",
    "title",
    "group",
    "recurrence",
    "objectives",
    "scope",
    "steps",
    "forms",
    "references",
    "reminders",
}
_STEP_FIELDS = {"number", "title", "days", "survey", "survey_report"}
_REMINDER_FIELDS = {"before", "overdue_limit", "time"}


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Lines:
    """Line numbers of a YAML document's fields and steps, so that every refusal can say where."""

    def __init__(self, text: str) -> None:
        self.fields: dict[str, int] = {}
        self.steps: list[int] = []
        self.step_fields: list[dict[str, int]] = []
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if not isinstance(root, yaml.MappingNode):
            return
        for key_node, value_node in root.value:
            self.fields[str(key_node.value)] = key_node.start_mark.line + 1
            if key_node.value == "steps" and isinstance(value_node, yaml.SequenceNode):
                for item in value_node.value:
                    self.steps.append(item.start_mark.line + 1)
                    inner = item.value if isinstance(item, yaml.MappingNode) else []
                    self.step_fields.append({str(k.value): k.start_mark.line + 1 for k, _ in inner})

    def step(self, index: int, name: str | None = None) -> int:
        if name is not None and index < len(self.step_fields) and name in self.step_fields[index]:
            return self.step_fields[index][name]
        return self.steps[index] if index < len(self.steps) else 1


def _strings(value: Any, name: str, where: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ProcessError("tpl_bad_list", where=where, line=line, field=name)
    return tuple(_clean(str(v)) for v in value if str(v).strip())


def _optional_text(value: Any, name: str, where: str, line: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise ProcessError("tpl_bad_text", where=where, line=line, field=name)
    return _clean(str(value)) or None


def _int_in(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _reminders(value: Any, where: str, line: int) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - _REMINDER_FIELDS:
        raise ProcessError("tpl_bad_reminders", where=where, line=line)
    out: dict[str, Any] = {}
    if "before" in value:
        before = value["before"] if isinstance(value["before"], list) else [value["before"]]
        days = [_int_in(d, 1, 30) for d in before]
        if any(d is None for d in days):
            raise ProcessError("tpl_bad_reminders", where=where, line=line)
        out["before"] = sorted({d for d in days if d is not None}, reverse=True)
    if "overdue_limit" in value:
        limit = _int_in(value["overdue_limit"], 0, 30)
        if limit is None:
            raise ProcessError("tpl_bad_reminders", where=where, line=line)
        out["overdue_limit"] = limit
    if "time" in value:
        try:
            out["time"] = time.fromisoformat(str(value["time"])).strftime("%H:%M")
        except ValueError:
            raise ProcessError("tpl_bad_reminders", where=where, line=line) from None
    return out


def _step(raw: Any, index: int, lines: _Lines, where: str) -> StepSpec:
    line = lines.step(index)
    if not isinstance(raw, dict):
        raise ProcessError("tpl_step_not_mapping", where=where, line=line, index=index + 1)
    unknown = sorted(set(map(str, raw)) - _STEP_FIELDS)
    if unknown:
        raise ProcessError("tpl_unknown_field", where=where, line=lines.step(index, unknown[0]), field=unknown[0])
    title = raw.get("title")
    if not isinstance(title, str | int | float) or not str(title).strip():
        raise ProcessError("tpl_step_no_title", where=where, line=lines.step(index, "title"), index=index + 1)
    number = raw.get("number", index + 1)
    if _int_in(number, 1, 999) is None:
        raise ProcessError("tpl_bad_number", where=where, line=lines.step(index, "number"), index=index + 1)
    days = raw.get("days", 1)
    if _int_in(days, 1, MAX_STEP_DAYS) is None:
        raise ProcessError("tpl_bad_days", where=where, line=lines.step(index, "days"), max=MAX_STEP_DAYS)
    surveys: dict[str, str | None] = {}
    for name in ("survey", "survey_report"):
        value = raw.get(name)
        if value is not None and not (isinstance(value, str) and SURVEY_KEY_PATTERN.match(value)):
            raise ProcessError("tpl_bad_survey", where=where, line=lines.step(index, name))
        surveys[name] = value
    return StepSpec(int(number), _clean(str(title)), int(days), surveys["survey"], surveys["survey_report"])


def parse_template(text: str, where: str) -> TemplateSpec:
    """A template from YAML, checked; the first problem raises ProcessError naming its line."""
    try:
        data = yaml.safe_load(text)
        lines = _Lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProcessError("tpl_bad_yaml", where=where, line=mark.line + 1 if mark else 1, error=problem) from None
    if not isinstance(data, dict):
        raise ProcessError("tpl_not_mapping", where=where)
    unknown = sorted(set(map(str, data)) - _TOP_FIELDS)
    if unknown:
        raise ProcessError("tpl_unknown_field", where=where, line=lines.fields.get(unknown[0], 1), field=unknown[0])
    key = data.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ProcessError("tpl_bad_key", where=where, line=lines.fields.get("key", 1))
    title = _optional_text(data.get("title"), "title", where, lines.fields.get("title", 1))
    if title is None:
        raise ProcessError("tpl_no_title", where=where, line=lines.fields.get("title", 1))
    recurrence = data.get("recurrence", "none")
    if recurrence not in RECURRENCES:
        raise ProcessError("tpl_bad_recurrence", where=where, line=lines.fields.get("recurrence", 1))
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps or len(raw_steps) > MAX_STEPS:
        raise ProcessError("tpl_no_steps", where=where, line=lines.fields.get("steps", 1), max=MAX_STEPS)
    steps: list[StepSpec] = []
    first_line: dict[int, int] = {}
    for index, raw in enumerate(raw_steps):
        step = _step(raw, index, lines, where)
        if step.number in first_line:
            line = lines.step(index, "number")
            raise ProcessError(
                "tpl_step_duplicate", where=where, line=line, n=step.number, first=first_line[step.number]
            )
        first_line[step.number] = lines.step(index, "number")
        steps.append(step)
    return TemplateSpec(
        key=key,
        title=title,
        steps=tuple(sorted(steps, key=lambda s: s.number)),
        code=_optional_text(data.get("code"), "code", where, lines.fields.get("code", 1)),
        group=_optional_text(data.get("group"), "group", where, lines.fields.get("group", 1)),
        recurrence=recurrence,
        objectives=_strings(data.get("objectives"), "objectives", where, lines.fields.get("objectives", 1)),
        scope=_optional_text(data.get("scope"), "scope", where, lines.fields.get("scope", 1)),
        forms=_strings(data.get("forms"), "forms", where, lines.fields.get("forms", 1)),
        references=_strings(data.get("references"), "references", where, lines.fields.get("references", 1)),
        reminders=_reminders(data.get("reminders"), where, lines.fields.get("reminders", 1)),
    )


@cache
def shipped_templates() -> tuple[TemplateSpec, ...]:
    """The eight processes of the seed manual, in the manual's order."""
    folder = files("handlers.processes").joinpath("templates")
    specs = [
        parse_template(entry.read_text(encoding="utf-8"), entry.name)
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    ]
    return tuple(sorted(specs, key=_manual_order))


def _manual_order(spec: TemplateSpec) -> tuple[int, str]:
    # กระบวนงาน ๑ first, then กระบวนการ ๑–๗; the office's own after them.
    code = western_digits(spec.code or "")
    digits = "".join(ch for ch in code if ch.isdigit())
    rank = (0 if code.startswith("กระบวนงาน") else 1) * 100 + int(digits or 99)
    return rank, spec.key


def shipped_order() -> tuple[str, ...]:
    """The shipped templates' keys in the manual's order: how every list of templates is sorted."""
    return tuple(spec.key for spec in shipped_templates())


@cache
def shipped_holidays() -> tuple[HolidayRow, ...]:
    """The fixed Thai public holidays PhuanKru ships (the office imports the moving ones per year)."""
    resource = files("handlers.processes").joinpath("templates", "holidays_th.csv")
    return tuple(parse_holidays_csv(resource.read_bytes(), "holidays_th.csv"))


async def ensure_shipped(session: AsyncSession, *, now: datetime) -> None:
    """The shipped templates and holidays, loaded once into a fresh database (idempotent, replica-safe)."""
    await stored.ensure_shipped_templates(session, shipped_templates(), now=now)
    await holidays.ensure_shipped(session, shipped_holidays(), now=now)


async def latest_templates(session: AsyncSession) -> list[ProcessTemplate]:
    """The newest version of every template, in the manual's order (the office's own after the shipped ones)."""
    return await stored.latest_templates(session, shipped_order())


async def find_or_load(session: AsyncSession, key: str, *, now: datetime) -> ProcessTemplate:
    """The newest version of template `key`; a fresh database gets the shipped templates on this first use."""
    template = await stored.find_template(session, key)
    if template is None:
        await ensure_shipped(session, now=now)
        template = await stored.find_template(session, key)
    if template is None:
        raise ProcessError("proc_unknown_template", template=key)
    return template
