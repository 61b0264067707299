"""Settings from the environment and `.env`, validated once at start.

Every variable is the one DESIGN.md names. A wrong value becomes a `ConfigError` whose message is one
line naming the variable; secrets are `SecretStr`, so they never show in `repr` or in an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

CHANNELS = ("line", "telegram")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class ConfigError(Exception):
    """A configuration value is wrong; the message is one line meant for the person starting PhuanKru."""


@dataclass(frozen=True, slots=True)
class PlatformUser:
    """A person named by platform and platform user id, as in `line:U123` or `telegram:42`."""

    channel: str
    user_id: str

    @classmethod
    def parse(cls, text: str) -> PlatformUser:
        channel, sep, user_id = text.strip().partition(":")
        channel = channel.lower()
        if not sep or channel not in CHANNELS or not user_id.strip():
            raise ValueError(f"expected line:USERID or telegram:USERID, got {text.strip()!r}")
        return cls(channel, user_id.strip())

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_id}"


def normalize_database_url(raw: str) -> str:
    """Accept the usual spellings and return the async driver URL SQLAlchemy needs."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ValueError("is not a database URL (example: sqlite+aiosqlite:///./phuankru.db)") from None
    # Read the scheme as text: asking SQLAlchemy for the driver would import it, and fail on "postgres".
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite", "aiosqlite"):
            raise ValueError("SQLite needs the aiosqlite driver (sqlite+aiosqlite:///path.db)")
        url = url.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg2", "psycopg", "asyncpg"):
            raise ValueError("PostgreSQL needs the asyncpg driver (postgresql+asyncpg://user@host/db)")
        if not url.database:
            raise ValueError("names no database (postgresql+asyncpg://user:password@host:5432/DBNAME)")
        url = url.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"database {backend!r} is not supported: use sqlite+aiosqlite or postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


def _parse_hours(text: str) -> tuple[time, time] | None:
    value = text.strip().lower()
    if value == "always":
        return None
    match = _HOURS.match(value)
    if not match:
        raise ValueError("must be HH:MM-HH:MM (for example 08:30-16:30) or 'always'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError("holds an hour or minute out of range") from None
    if start >= end:
        raise ValueError("must start before it ends (for example 08:30-16:30)")
    return start, end


def _parse_workdays(text: str) -> frozenset[int]:
    value = text.strip().lower()
    if value == "all":
        return frozenset(range(7))
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError("must be day names like mon-fri or mon,wed,fri, or 'all'")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if a > b:
            raise ValueError(f"range {part!r} runs backwards")
        days.update(range(a, b + 1))
    if not days:
        raise ValueError("names no day")
    return frozenset(days)


class Settings(BaseSettings):
    """PhuanKru's settings; field names are the environment variable names in lower case."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False, frozen=True
    )

    # repr=False: a PostgreSQL URL may hold a password (see `database_url_safe`).
    database_url: str = Field(default="sqlite+aiosqlite:///./phuankru.db", repr=False)
    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_base_url: str = "https://api.line.me"
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    phuankru_timezone: str = "Asia/Bangkok"
    phuankru_admins: str = ""
    phuankru_public_url: str | None = None
    phuankru_sandbox: bool = False
    phuankru_office_hours: str = "08:30-16:30"
    phuankru_workdays: str = "mon-fri"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("telegram_mode", mode="before")
    @classmethod
    def _telegram_mode(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in ("webhook", "polling"):
                raise ValueError("must be 'webhook' or 'polling'")
        return value

    @field_validator("phuankru_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value.strip()!r} is not a time zone name (example: Asia/Bangkok)") from None
        return value.strip()

    @field_validator("phuankru_admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        for item in filter(None, (v.strip() for v in value.split(","))):
            PlatformUser.parse(item)
        return value

    @field_validator("line_api_base_url", "telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("phuankru_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https://[^/\s]+", value):
            raise ValueError("must be an https:// address the platforms can reach")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_SECRET.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("phuankru_office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        _parse_hours(value)
        return value.strip().lower()

    @field_validator("phuankru_workdays")
    @classmethod
    def _workdays(cls, value: str) -> str:
        _parse_workdays(value)
        return value.strip().lower()

    # --- derived values -------------------------------------------------------------------------

    @property
    def database_url_safe(self) -> str:
        """The database URL with any password masked, for logs and messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def database_backend(self) -> str:
        return make_url(self.database_url).get_backend_name()

    @property
    def sqlalchemy_url(self) -> URL:
        return make_url(self.database_url)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.phuankru_timezone)

    @property
    def admins(self) -> tuple[PlatformUser, ...]:
        return tuple(PlatformUser.parse(v) for v in self.phuankru_admins.split(",") if v.strip())

    @property
    def office_hours(self) -> tuple[time, time] | None:
        """(start, end) of office hours, or None for 'always'."""
        return _parse_hours(self.phuankru_office_hours)

    @property
    def workdays(self) -> frozenset[int]:
        """Working weekdays, Monday = 0."""
        return _parse_workdays(self.phuankru_workdays)

    @property
    def line_enabled(self) -> bool:
        return self.line_channel_secret is not None and self.line_channel_access_token is not None

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def sandbox_enabled(self) -> bool:
        """The web sandbox (no login: anyone who reaches it acts as any persona and sees staff data) is on only
        when asked for: `phuankru demo`, or PHUANKRU_SANDBOX=1. It used to switch itself on when no channel was
        configured, so a first `serve` before the tokens were set showed the office's data to the network."""
        return self.phuankru_sandbox

    def secret_values(self) -> tuple[str, ...]:
        """Every secret string, so that the log pipeline can mask it wherever it appears."""
        values = [
            s.get_secret_value()
            for s in (
                self.line_channel_secret,
                self.line_channel_access_token,
                self.telegram_bot_token,
                self.telegram_webhook_secret,
            )
            if s is not None and s.get_secret_value()
        ]
        password = make_url(self.database_url).password
        if password:
            values.append(str(password))
        return tuple(values)


def _field_env_name(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]).upper() if loc else "configuration"


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; raise `ConfigError` with one line naming the first bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _field_env_name(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "literal_error" and name == "TELEGRAM_MODE":
            message = "must be 'webhook' or 'polling'"
        elif first["type"] == "bool_parsing":
            message = "must be 1/0, true/false, yes/no or on/off"
        raise ConfigError(f"configuration error: {name} {message}") from None
