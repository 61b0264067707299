"""Reading what people type about surveys: a level or option numbers typed instead of tapped, the words of the
buttons in either language, and the durations and closing times staff give in chat and in the CLI alike."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core import thaidate
from core.choices import comparable, western_digits
from handlers.texts import t
from storage import surveys

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
END_OF_DAY = time(23, 59)


def parse_duration(text: str) -> timedelta | None:
    """ "2d", "12h", "1d12h", "90m" -> timedelta; None when it is not one (or is zero)."""
    found = _DURATION.match(text.strip().lower().replace(" ", ""))
    if not found or not any(found.groups()):
        return None
    days, hours, minutes = (int(g) if g else 0 for g in found.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes)
    return span if span > timedelta(0) else None


def parse_moment(text: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """A closing time as staff type it (core.thaidate reads every form); a day alone means the end of that
    day in the office's time zone. None when it is not one."""
    return thaidate.parse_moment(text, tz, now, day_time=END_OF_DAY)


def words(*keys: str) -> set[str]:
    """The catalogue texts of `keys` in every language, as `comparable` compares typed text."""
    return {comparable(t(key, lang)) for key in keys for lang in ("th", "en")}


def squash(text: str) -> str:
    return comparable(text).rstrip(".)")


def typed_level(text: str) -> int | None:
    """A Likert level typed as its number or its name ("มาก", "มาก (4)")."""
    squashed = squash(text)
    if squashed.isdigit() and int(squashed) in surveys.LIKERT_LEVELS:
        return int(squashed)
    for level in surveys.LIKERT_LEVELS:
        names = words(f"sv_level_{level}")
        if squashed in names or squashed in {f"{name}({level})" for name in names}:
            return level
    return None


def typed_options(text: str, count: int) -> list[int] | None:
    """ "1,3" or "1 3" or "๑ ๓" -> [1, 3]; None unless every part is an option number."""
    parts = [p for p in re.split(r"[\s,、/]+", western_digits(text).strip()) if p]
    if not parts or not all(p.isdigit() and 1 <= int(p) <= count for p in parts):
        return None
    return sorted({int(p) for p in parts})
