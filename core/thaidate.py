"""Dates as Thai readers expect them: day, abbreviated Thai month, Buddhist-era year (5 ก.ค. 2564)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from pythainlp.util import convert_years, normalize, thai_digit_to_arabic_digit, thai_strptime
from pythainlp.util.date import thai_abbr_months, thai_full_month_lists

THAI_MONTHS = tuple(thai_abbr_months)  # ม.ค. … ธ.ค.
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EN_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
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


# --- reading a date or time a person typed ------------------------------------------------------------
# The one parser for every date typed in chat or given to the CLI (broadcast times, survey closing, process
# due dates, holiday files). Pure: the caller passes "now"/"today" and the office's time zone.

_SPACES = re.compile(r"\s+")
_TIME_TAIL = re.compile(r"(?<![\d/:.-])(?:เวลา\s*)?(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*(?:น\.?|นาฬิกา)?$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})$")
# "5 ธ.ค. 2569", "5ธ.ค.2569", "5 ธันวาคม พ.ศ. 2569", "5 Dec 2026"; the month word is checked against PyThaiNLP's
# list below, never guessed from a substring.
_WORD_DAY = re.compile(r"^(\d{1,2})\s*([^\d\s]+?)\s*(?:(พ\.?\s?ศ\.?|ค\.?\s?ศ\.?|b\.?e\.?|a\.?d\.?)\s*)?(\d{4})$")
_DAY_PREFIX = re.compile(r"^วันที่\s*")
_RELATIVE = {"วันนี้": 0, "today": 0, "พรุ่งนี้": 1, "วันพรุ่งนี้": 1, "tomorrow": 1, "มะรืน": 2, "มะรืนนี้": 2}
BUDDHIST_YEAR_FROM = 2400  # 2569 is a Buddhist-era year, 2026 a Western one: no year between is plausible


def _month_words() -> dict[str, int]:
    """Every Thai way PyThaiNLP knows to name a month (ธ.ค., ธันวา, ธันวาคม), also without the dots (ธค), and
    the English abbreviations and names; digits are not month words here."""
    words: dict[str, int] = {}
    for number, names in enumerate(thai_full_month_lists, start=1):
        for name in names:
            if not name.isdigit():
                words[name] = number
                words[name.replace(".", "")] = number
    for number, (short, full) in enumerate(zip(EN_MONTHS, EN_MONTH_NAMES, strict=True), start=1):
        words[short.lower()] = words[full.lower()] = number
    return words


_MONTH_WORDS = _month_words()


def cleaned(text: str) -> str:
    """Typed text made comparable: PyThaiNLP's normalize (misordered or doubled marks), Thai digits as Western
    ones, one space between words, lower case."""
    return _SPACES.sub(" ", thai_digit_to_arabic_digit(normalize(text))).strip().lower()


def western_year(year: int) -> int:
    """2569 -> 2026 (a Buddhist-era year, as Thai offices write it); 2026 stays."""
    return int(convert_years(str(year), src="be", target="ad")) if year >= BUDDHIST_YEAR_FROM else year


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(western_year(year), month, day)
    except ValueError:  # 31 ก.พ., month 13
        return None


def _word_day(day: str, word: str, era: str | None, year: str) -> date | None:
    month = _MONTH_WORDS.get(word.rstrip(",")) or _MONTH_WORDS.get(word.replace(".", ""))
    if month is None:
        return None
    buddhist = int(year) >= BUDDHIST_YEAR_FROM
    if era is not None and era.startswith(("พ", "b")) != buddhist:
        return None  # "ค.ศ. 2569" or "พ.ศ. 2026": the era and the year disagree
    try:
        # PyThaiNLP reads the Thai form and converts the era; it is given the month's canonical abbreviation,
        # because its own month lookup matches substrings (and reads the numbers 10-12 as January).
        parsed = thai_strptime(
            f"{int(day)} {thai_abbr_months[month - 1]} {year}", "%d %B %Y", year="be" if buddhist else "ad", tzinfo=None
        )
    except (ValueError, IndexError):
        return None
    return parsed.date()


def _day(text: str, today: date | None) -> date | None:
    text = _DAY_PREFIX.sub("", text)
    if text in _RELATIVE:
        return today + timedelta(days=_RELATIVE[text]) if today is not None else None
    if found := _ISO_DAY.match(text):
        return _safe(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    if found := _NUMERIC_DAY.match(text):
        return _safe(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    if found := _WORD_DAY.match(text):
        return _word_day(found.group(1), found.group(2), found.group(3), found.group(4))
    if today is not None and (found := _DAY_MONTH.match(text)):
        day, month = int(found.group(1)), int(found.group(2))
        for year in (today.year, today.year + 1):  # 15/2: the next 15 February, this year's if still to come
            candidate = _safe(year, month, day)
            if candidate is not None and candidate >= today:
                return candidate
    return None


@dataclass(frozen=True, slots=True)
class Typed:
    """What a person typed: a day, and the time of day when one was given."""

    day: date
    at: time | None
    offset: tzinfo | None = None  # an ISO offset typed with the time (2026-12-20T16:30+07:00)


def read_typed(text: str, today: date | None) -> Typed | None:
    """A day with an optional time, in every form offices write; None when it is none of them.

    ISO (2026-12-20T16:30, 2026-12-20 16:30, 2026-12-20, an offset too), Thai with พ.ศ. and a month's
    abbreviation or name (5 ธ.ค. 2569 16:30, 5 ธันวาคม 2569), 5/12/2569 16:30, a Western year too (5/12/2026),
    Thai digits (๕ ธ.ค. ๒๕๖๙), a time as 16.30 น., วันนี้/พรุ่งนี้ (with `today`), and a time alone (today)."""
    value = cleaned(text)
    if not value:
        return None
    iso = _iso(value)
    if iso is not None:
        return iso
    at: time | None = None
    if found := _TIME_TAIL.search(value):
        hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)
        if not (hour < 24 and minute < 60 and second < 60):
            return None
        at = time(hour, minute, second)
        value = value[: found.start()].strip().removesuffix("เวลา").strip()
        if not value:
            return Typed(today, at) if today is not None else None
    day = _day(value, today)
    return Typed(day, at) if day is not None else None


def _iso(value: str) -> Typed | None:
    """2026-12-20T16:30(:00)(+07:00); a Buddhist year (2569-12-20T16:30) too."""
    head, sep, tail = value.partition("t") if "t" in value else value.partition(" ")
    if not sep or not _ISO_DAY.match(head) or not re.match(r"^\d{1,2}:\d{2}", tail):
        return None
    day = _day(head, None)
    try:
        moment = datetime.fromisoformat(f"2000-01-01T{tail.upper()}")
    except ValueError:
        return None
    return Typed(day, moment.timetz().replace(tzinfo=None), moment.tzinfo) if day else None


def parse_day(text: str, today: date | None = None) -> date | None:
    """A day typed alone (no time): 2026-02-15, 15/2/2569, 15 ก.พ. 2569, ๑๕/๒/๒๕๖๙, พรุ่งนี้, or 15/2 (the next
    such day); None otherwise. Relative and year-less days need `today`."""
    typed = read_typed(text, today)
    return typed.day if typed is not None and typed.at is None else None


def parse_moment(text: str, tz: ZoneInfo, now: datetime, *, day_time: time | None = None) -> datetime | None:
    """A moment, aware: the typed time in `tz` (or at the typed offset). A day typed without a time means
    `day_time` that day; without `day_time` (an announcement's time matters to the minute) it is refused."""
    typed = read_typed(text, now.astimezone(tz).date())
    if typed is None:
        return None
    at = typed.at or day_time
    if at is None:
        return None
    return datetime.combine(typed.day, at, typed.offset or tz)


def names_a_day_only(text: str, tz: ZoneInfo, now: datetime) -> bool:
    """A day without a time (for saying "add the time" rather than "cannot read")."""
    typed = read_typed(text, now.astimezone(tz).date())
    return typed is not None and typed.at is None
