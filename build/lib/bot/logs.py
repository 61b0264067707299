"""Structured logging: JSON lines when not on a terminal, readable lines on one; secrets masked everywhere.

The standard library's loggers (aiohttp, alembic, httpx inside python-telegram-bot) go through the same
processors, so a token in a URL that a library logs is masked too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog

MASK = "***"


class SecretMasker:
    """A structlog processor replacing every known secret value inside any string of an event."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __call__(self, _logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if not self._secrets:
            return event
        for key, value in event.items():
            if isinstance(value, str):
                event[key] = self.mask(value)
            elif not isinstance(value, int | float | bool | type(None)):
                masked = self.mask(str(value))
                if masked != str(value):
                    event[key] = masked
        return event


def configure_logging(
    secrets: Iterable[str] = (),
    *,
    stream: TextIO | None = None,
    json: bool | None = None,
    level: int = logging.INFO,
) -> None:
    """Route structlog and the standard library's logging to `stream` (stderr by default)."""
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    masker = SecretMasker(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        masker,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            # Masked again once the traceback is text: an exception message may carry a secret too.
            masker,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram's URLs carry the bot token.
    for noisy in ("httpx", "httpcore", "aiohttp.access", "sqlalchemy.engine", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
