"""The office's school list: imported from CSV, searched by part of a name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import School


@dataclass(frozen=True, slots=True)
class SchoolRow:
    name: str
    code: str | None = None
    district: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


async def upsert_many(session: AsyncSession, rows: Sequence[SchoolRow], *, now: datetime) -> ImportResult:
    """Add or update schools: matched by code when given, else by exact name."""
    created = updated = 0
    for row in rows:
        query = (
            select(School).where(School.code == row.code) if row.code else select(School).where(School.name == row.name)
        )
        school = (await session.execute(query)).scalars().first()
        if school is None:
            session.add(School(code=row.code, name=row.name, district=row.district, created_at=now))
            created += 1
        else:
            school.name, school.district = row.name, row.district or school.district
            updated += 1
    await session.flush()
    return ImportResult(created, updated)


def _normalise(text: str) -> str:
    # People type "รร." or "โรงเรียน" or neither; spaces vary. Compare without them.
    text = text.strip().lower()
    for prefix in ("โรงเรียน", "รร.", "รร"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return "".join(text.split())


async def search(session: AsyncSession, query: str, *, limit: int = 9) -> list[School]:
    """Schools whose name (without spaces and the word โรงเรียน) or code contains the query."""
    needle = _normalise(query)
    if not needle:
        return []
    squashed = func.lower(func.replace(School.name, " ", ""))
    statement = (
        select(School)
        .where(or_(squashed.contains(needle, autoescape=True), School.code == query.strip()))
        .order_by(func.length(School.name), School.name)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


async def find(session: AsyncSession, ref: str) -> School | None:
    """A school by id, code or exact name."""
    ref = ref.strip()
    conditions = [School.code == ref, School.name == ref]
    if ref.isdigit():
        conditions.append(School.id == int(ref))
    return (await session.execute(select(School).where(or_(*conditions)).limit(1))).scalars().first()
