"""Dates as Thai readers expect them: day, abbreviated Thai month, Buddhist-era year (5 ก.ค. 2564)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BUDDHIST_ERA_OFFSET = 543


def _local(value: date | datetime, tz: ZoneInfo) -> date:
    return value.astimezone(tz).date() if isinstance(value, datetime) else value


def thai_date(value: date | datetime, tz: ZoneInfo, lang: str = "th") -> str:
    day = _local(value, tz)
    if lang == "en":
        return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {THAI_MONTHS[day.month - 1]} {day.year + BUDDHIST_ERA_OFFSET}"


def thai_datetime(value: datetime, tz: ZoneInfo, lang: str = "th") -> str:
    local = value.astimezone(tz)
    suffix = "" if lang == "en" else " น."
    return f"{thai_date(local, tz, lang)} {local:%H:%M}{suffix}"
