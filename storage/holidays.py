"""The office's holidays: the fixed Thai public holidays shipped with PhuanKru, and the office's own imports.

A row with year 0 recurs every year (1 January, Songkran...); the Buddhist holy days and substitution days move
from year to year, so an office imports them per year. Reminders and due dates skip every one of them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import OfficeCalendar
from core.choices import western_digits
from core.thaidate import parse_day as parse_typed_day
from storage.db import dialect_name
from storage.models import Base
from storage.process_models import Holiday, ProcessError

EVERY_YEAR = 0
SHIPPED_SOURCE = "shipped"
IMPORTED_SOURCE = "imported"
NAME_MAX = 255
_DATE_COLUMNS = ("date", "วันที่")
_NAME_COLUMNS = ("name", "ชื่อ", "วันหยุด", "ชื่อวันหยุด")
_YEARLY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True, slots=True)
class HolidayRow:
    year: int  # 0: every year
    month: int
    day: int
    name: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


def parse_day(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a dated row in any form core.thaidate reads (2026-03-03, 3/3/2569,
    3 มี.ค. 2569), or of 03-03 (every year: year 0); None if none."""
    if match := _YEARLY.match(western_digits(text.strip())):
        month, day = (int(g) for g in match.groups())
        try:
            date(2024, month, day)  # 2024 is a leap year: 29 February is a valid yearly day
        except ValueError:
            return None
        return EVERY_YEAR, month, day
    found = parse_typed_day(text)  # no "today": a file's พรุ่งนี้ means nothing
    return (found.year, found.month, found.day) if found else None


def _columns(header: list[str], where: str) -> tuple[int, int]:
    cells = [c.strip().lower() for c in header]
    date_col = next((i for i, c in enumerate(cells) if c in _DATE_COLUMNS), None)
    name_col = next((i for i, c in enumerate(cells) if c in _NAME_COLUMNS), None)
    if date_col is None or name_col is None:
        raise ProcessError("hol_bad_header", where=where)
    return date_col, name_col


def parse_holidays_csv(raw: bytes, where: str) -> list[HolidayRow]:
    """Every row of a holidays CSV (header `date,name`; lines starting with # are comments), checked."""
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProcessError("hol_not_utf8", where=where, line=raw.count(b"\n", 0, exc.start) + 1) from None
    lines = [line if not line.lstrip().startswith("#") else "" for line in text.splitlines()]
    reader = csv.reader(io.StringIO("\n".join(lines), newline=""))
    columns: tuple[int, int] | None = None
    rows: dict[tuple[int, int, int], HolidayRow] = {}
    first_line: dict[tuple[int, int, int], int] = {}
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if columns is None:
                columns = _columns(record, where)
                continue
            line = reader.line_num
            cells = [record[i].strip() if i < len(record) else "" for i in columns]
            day = parse_day(cells[0])
            if day is None:
                raise ProcessError("hol_bad_date", where=where, line=line, value=cells[0])
            if not cells[1] or len(cells[1]) > NAME_MAX:
                raise ProcessError("hol_bad_name", where=where, line=line, max=NAME_MAX)
            if day in first_line:
                raise ProcessError("hol_duplicate", where=where, line=line, first=first_line[day], value=cells[0])
            first_line[day] = line
            rows[day] = HolidayRow(*day, name=cells[1])
    except csv.Error as exc:
        raise ProcessError("hol_bad_csv", where=where, line=reader.line_num, error=str(exc)) from None
    if not rows:
        raise ProcessError("hol_empty", where=where)
    return list(rows.values())


def insert_ignoring_duplicates(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: two replicas loading the shipped data at once do not fail."""
    table: Any = model.__table__
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    statement = dialect.insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=list(keys))
    return session.execute(statement)


async def ensure_shipped(session: AsyncSession, shipped: Iterable[HolidayRow], *, now: datetime) -> None:
    """Add the `shipped` holidays that are missing; an office's own row for the same day is left as it is.

    Which holidays ship is `handlers.processes.templates.shipped_holidays()`: storage is not told where files live."""
    present = {tuple(row) for row in await session.execute(select(Holiday.year, Holiday.month, Holiday.day))}
    values = [
        {"year": h.year, "month": h.month, "day": h.day, "name": h.name, "source": SHIPPED_SOURCE, "created_at": now}
        for h in shipped
        if (h.year, h.month, h.day) not in present
    ]
    if values:  # usually none: no write, no lock
        await insert_ignoring_duplicates(session, Holiday, values, ("year", "month", "day"))


async def upsert(session: AsyncSession, rows: Iterable[HolidayRow], *, now: datetime) -> ImportResult:
    existing = {(h.year, h.month, h.day): h for h in (await session.execute(select(Holiday))).scalars()}
    created = updated = 0
    for row in rows:
        found = existing.get((row.year, row.month, row.day))
        if found is None:
            session.add(
                Holiday(
                    year=row.year,
                    month=row.month,
                    day=row.day,
                    name=row.name,
                    source=IMPORTED_SOURCE,
                    created_at=now,
                )
            )
            created += 1
        elif found.name != row.name:
            found.name, found.source = row.name, IMPORTED_SOURCE
            updated += 1
    await session.flush()
    return ImportResult(created, updated)


async def list_holidays(session: AsyncSession, *, year: int | None = None) -> list[Holiday]:
    """Holidays of one year (its own and the yearly ones), or every row; in calendar order."""
    query = select(Holiday)
    if year is not None:
        query = query.where(Holiday.year.in_((EVERY_YEAR, year)))
    rows = list((await session.execute(query)).scalars())
    return sorted(rows, key=lambda h: (h.month, h.day, h.year))


def days_of(rows: Iterable[Holiday], years: Iterable[int]) -> frozenset[date]:
    wanted = sorted(set(years))
    out: set[date] = set()
    for h in rows:
        for year in wanted if h.year == EVERY_YEAR else [h.year]:
            if year in wanted:
                try:
                    out.add(date(year, h.month, h.day))
                except ValueError:  # 29 February in a common year
                    continue
    return frozenset(out)


async def office_calendar(session: AsyncSession, base: OfficeCalendar, *years: int) -> OfficeCalendar:
    """The office calendar with the holidays of `years` (and the year either side, for spans over New Year)."""
    span = {y + d for y in years for d in (-1, 0, 1)}
    rows = (await session.execute(select(Holiday))).scalars()
    return base.with_holidays(days_of(rows, span))
