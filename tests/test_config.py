from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.config import ConfigError, PlatformUser, Settings, load_settings

ENV_VARS = [
    "DATABASE_URL",
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
    "LINE_API_BASE_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_MODE",
    "PHUANKRU_TIMEZONE",
    "PHUANKRU_ADMINS",
    "PHUANKRU_PUBLIC_URL",
    "PHUANKRU_SANDBOX",
    "PHUANKRU_OFFICE_HOURS",
    "PHUANKRU_WORKDAYS",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_match_design() -> None:
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./phuankru.db"
    assert s.line_api_base_url == "https://api.line.me"
    assert s.telegram_api_base_url == "https://api.telegram.org"
    assert s.telegram_mode == "webhook"
    assert s.phuankru_timezone == "Asia/Bangkok"
    assert s.office_hours == (time(8, 30), time(16, 30))
    assert s.workdays == frozenset(range(5))
    # No channel configured is not a reason for the sandbox (no login): only demo or PHUANKRU_SANDBOX=1 is.
    assert (s.line_enabled, s.telegram_enabled, s.sandbox_enabled) == (False, False, False)


def test_every_design_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "DATABASE_URL": "postgres://u:pw@db.example:5432/phuankru",
        "LINE_CHANNEL_SECRET": "line-secret-value",
        "LINE_CHANNEL_ACCESS_TOKEN": "line-token-value",
        "LINE_API_BASE_URL": "http://127.0.0.1:9001/",
        "TELEGRAM_BOT_TOKEN": "123456:telegram-token-value",
        "TELEGRAM_WEBHOOK_SECRET": "tg_secret-1",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9002",
        "TELEGRAM_MODE": "Polling",
        "PHUANKRU_TIMEZONE": "Asia/Tokyo",
        "PHUANKRU_ADMINS": "line:U1, telegram:42",
        "PHUANKRU_PUBLIC_URL": "https://bot.example.go.th/",
        "PHUANKRU_SANDBOX": "1",
        "PHUANKRU_OFFICE_HOURS": "always",
        "PHUANKRU_WORKDAYS": "mon-wed,fri",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    s = load_settings()
    assert s.database_url == "postgresql+asyncpg://u:pw@db.example:5432/phuankru"
    assert s.database_url_safe == "postgresql+asyncpg://u:***@db.example:5432/phuankru"
    assert s.line_api_base_url == "http://127.0.0.1:9001"
    assert s.telegram_mode == "polling"
    assert s.timezone.key == "Asia/Tokyo"
    assert s.admins == (PlatformUser("line", "U1"), PlatformUser("telegram", "42"))
    assert s.phuankru_public_url == "https://bot.example.go.th"
    assert s.office_hours is None
    assert s.workdays == frozenset({0, 1, 2, 4})
    assert s.line_enabled and s.telegram_enabled and s.sandbox_enabled
    assert set(s.secret_values()) == {
        "line-secret-value",
        "line-token-value",
        "123456:telegram-token-value",
        "tg_secret-1",
        "pw",
    }


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_MODE=polling\nPHUANKRU_WORKDAYS=all\n", encoding="utf-8")
    s = load_settings()
    assert s.telegram_mode == "polling"
    assert s.workdays == frozenset(range(7))


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "not a url", "DATABASE_URL is not a database URL"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL database 'mysql' is not supported"),
        ("DATABASE_URL", "postgresql://u@h", "DATABASE_URL names no database"),
        ("TELEGRAM_MODE", "webhooks", "TELEGRAM_MODE must be 'webhook' or 'polling'"),
        ("PHUANKRU_TIMEZONE", "Asia/Bangkak", "PHUANKRU_TIMEZONE 'Asia/Bangkak' is not a time zone name"),
        ("PHUANKRU_ADMINS", "line:U1,facebook:2", "PHUANKRU_ADMINS expected line:USERID or telegram:USERID"),
        ("PHUANKRU_PUBLIC_URL", "http://insecure.example", "PHUANKRU_PUBLIC_URL must be an https:// address"),
        ("PHUANKRU_SANDBOX", "perhaps", "PHUANKRU_SANDBOX must be 1/0"),
        ("PHUANKRU_OFFICE_HOURS", "16:30-08:30", "PHUANKRU_OFFICE_HOURS must start before it ends"),
        ("PHUANKRU_OFFICE_HOURS", "9-5", "PHUANKRU_OFFICE_HOURS must be HH:MM-HH:MM"),
        ("PHUANKRU_WORKDAYS", "fri-mon", "PHUANKRU_WORKDAYS range 'fri-mon' runs backwards"),
        ("PHUANKRU_WORKDAYS", "weekdays", "PHUANKRU_WORKDAYS must be day names"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces!", "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters"),
        ("LINE_API_BASE_URL", "ftp://x", "LINE_API_BASE_URL must be an http(s) URL"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"configuration error: {expected}")
    assert "\n" not in message


def test_secrets_stay_out_of_repr_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s3cr3t-line")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:s3cr3t-telegram")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:s3cr3t-pw@localhost/x")
    s = load_settings()
    for text in (repr(s), str(s)):
        assert "s3cr3t" not in text
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "bad s3cr3t value")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "s3cr3t" not in str(info.value)


def test_settings_are_frozen() -> None:
    s = load_settings()
    with pytest.raises(Exception, match="frozen"):
        s.telegram_mode = "polling"  # type: ignore[misc]
    assert isinstance(s, Settings)


def test_cli_config_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env["TELEGRAM_MODE"] = "carrier-pigeon"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "phuankru: configuration error: TELEGRAM_MODE must be 'webhook' or 'polling'"
    assert "Traceback" not in result.stderr + result.stdout
