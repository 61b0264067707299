"""Dates as Thai readers expect them: day, abbreviated Thai month, Buddhist-era year (5 ก.ค. 2564)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
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


THAI_MONTH_NAMES = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})\s*(?:น\.?)?\s*$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WORD_DATE = re.compile(r"^(\d{1,2})\s*([^\d\s]+)\s*(\d{4})$")


def _month(word: str) -> int | None:
    cleaned = word.strip().rstrip(".")
    for index, (short, full) in enumerate(zip(THAI_MONTHS, THAI_MONTH_NAMES, strict=True)):
        if cleaned in (short.rstrip("."), full, short.replace(".", "")):
            return index + 1
    for index, name in enumerate(EN_MONTHS):
        if cleaned.lower().startswith(name.lower()):
            return index + 1
    return None


def _year(value: int) -> int:
    # Thai offices write the Buddhist year (2569); a year past 2400 is one.
    return value - BUDDHIST_ERA_OFFSET if value > 2400 else value


def parse_when(text: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """A date and time as staff type it: "5 ธ.ค. 2569 09:00", "5/12/2569 9.00", "2026-12-05 09:00",
    "พรุ่งนี้ 08:30"; None when it is not one. The result is aware, in `tz`."""
    text = " ".join(text.replace("T", " ").split())
    match = _TIME.search(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    day_part = text[: match.start()].strip().removesuffix("เวลา").strip()
    today = now.astimezone(tz).date()
    day: date | None = None
    if day_part in ("", "วันนี้", "today"):
        day = today
    elif day_part in ("พรุ่งนี้", "tomorrow"):
        day = today + timedelta(days=1)
    elif found := _ISO_DATE.match(day_part):
        day = _safe_date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    elif found := _NUMERIC_DATE.match(day_part):
        day = _safe_date(_year(int(found.group(3))), int(found.group(2)), int(found.group(1)))
    elif (found := _WORD_DATE.match(day_part)) and (month := _month(found.group(2))):
        day = _safe_date(_year(int(found.group(3))), month, int(found.group(1)))
    if day is None or not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return datetime.combine(day, time(hour, minute), tz)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
