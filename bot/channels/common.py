"""What every adapter shares: rejection of a webhook request, and fallbacks for buttons a platform can't show."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from core.model import Button, OutMessage
from handlers.texts import t


class WebhookRejected(Exception):
    """A webhook request that is refused (nothing stored); `status` is the 4xx to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def grapheme_length(text: str) -> int:
    """Length as LINE counts labels: Thai vowel and tone marks (combining, category Mn) add no width."""
    return sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me"))


def numbered_options(buttons: Sequence[Button]) -> str:
    return "\n".join(f"{i}. {b.label}" for i, b in enumerate(buttons, start=1))


def with_numbered_options(message: OutMessage, lang: str | None = None) -> str:
    """The message text followed by its options as a numbered list, for where buttons don't fit or don't show."""
    parts = [message.text or "", numbered_options(message.buttons), t("options_hint", lang)]
    return "\n\n".join(p for p in parts if p)


def text_with_link(message: OutMessage) -> str:
    return "\n".join(p for p in (message.text, message.link) if p)
