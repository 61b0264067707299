"""Process templates as stored: versioned rows, loading the shipped ones, importing an office's own.

Storage receives templates already parsed and checked (`TemplateSpec`); reading the YAML files, and knowing which
templates ship and in what order the manual lists them, is `handlers.processes.templates`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.holidays import insert_ignoring_duplicates
from storage.process_models import ProcessTemplate

SHIPPED_SOURCE = "shipped"
IMPORTED_SOURCE = "imported"


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A step of a template: its number and title, its duration in working days, the surveys it opens or reports."""

    number: int
    title: str
    days: int = 1
    survey: str | None = None
    survey_report: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A template as `handlers.processes.templates.parse_template` checked it; its definition is what is stored."""

    key: str
    title: str
    steps: tuple[StepSpec, ...]
    code: str | None = None
    group: str | None = None
    recurrence: str = "none"
    objectives: tuple[str, ...] = ()
    scope: str | None = None
    forms: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    reminders: Mapping[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "code": self.code,
            "title": self.title,
            "group": self.group,
            "recurrence": self.recurrence,
            "objectives": list(self.objectives),
            "scope": self.scope,
            "steps": [
                {
                    "number": s.number,
                    "title": s.title,
                    "days": s.days,
                    "survey": s.survey,
                    "survey_report": s.survey_report,
                }
                for s in self.steps
            ],
            "forms": list(self.forms),
            "references": list(self.references),
            "reminders": dict(self.reminders),
        }

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.definition(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


async def latest_templates(session: AsyncSession, order: Sequence[str] = ()) -> list[ProcessTemplate]:
    """The newest version of every template: the keys of `order` first, in that order, then the rest by key."""
    rows = (await session.execute(select(ProcessTemplate).order_by(ProcessTemplate.version))).scalars()
    latest = {t.key: t for t in rows}
    rank = {key: i for i, key in enumerate(order)}
    return sorted(latest.values(), key=lambda t: (rank.get(t.key, len(rank)), t.key))


async def find_template(session: AsyncSession, key: str) -> ProcessTemplate | None:
    result = await session.execute(
        select(ProcessTemplate).where(ProcessTemplate.key == key).order_by(ProcessTemplate.version.desc()).limit(1)
    )
    return result.scalar_one_or_none()


def _template_row(spec: TemplateSpec, version: int, source: str, now: datetime) -> dict[str, Any]:
    return {
        "key": spec.key,
        "version": version,
        "code": spec.code,
        "title": spec.title,
        "recurrence": spec.recurrence,
        "definition": spec.definition(),
        "digest": spec.digest,
        "source": source,
        "created_at": now,
    }


async def ensure_shipped_templates(session: AsyncSession, specs: Iterable[TemplateSpec], *, now: datetime) -> None:
    """Load the shipped `specs` that are missing or changed (after an upgrade); an office's import is kept."""
    latest = {t.key: t for t in await latest_templates(session)}
    rows = []
    for spec in specs:
        current = latest.get(spec.key)
        if current is None:
            rows.append(_template_row(spec, 1, SHIPPED_SOURCE, now))
        elif current.source == SHIPPED_SOURCE and current.digest != spec.digest:
            rows.append(_template_row(spec, current.version + 1, SHIPPED_SOURCE, now))
    if rows:
        await insert_ignoring_duplicates(session, ProcessTemplate, rows, ("key", "version"))


async def import_template(session: AsyncSession, spec: TemplateSpec, *, now: datetime) -> tuple[ProcessTemplate, bool]:
    """A new version of the template, or the current one when nothing changed: (template, created)."""
    current = await find_template(session, spec.key)
    if current is not None and current.digest == spec.digest:
        return current, False
    row = ProcessTemplate(**_template_row(spec, (current.version + 1) if current else 1, IMPORTED_SOURCE, now))
    session.add(row)
    await session.flush()
    return row, True
