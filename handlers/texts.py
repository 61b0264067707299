"""The message catalogue: every text a person reads, in Thai and English, in one place.

Feature modules in `handlers/catalogue/` hold their entries; they are merged here into one dictionary
(a key defined twice is an error at import). `t(key, lang, **values)` picks the contact's language and
falls back to Thai.
"""

from __future__ import annotations

from typing import Final

from handlers.catalogue import broadcast, console, core, inbox, processes, surveys

DEFAULT_LANGUAGE: Final = "th"
LANGUAGES: Final = ("th", "en")

_PARTS: tuple[dict[str, dict[str, str]], ...] = (
    core.CATALOGUE,
    broadcast.CATALOGUE,
    console.CATALOGUE,
    inbox.CATALOGUE,
    processes.CATALOGUE,
    surveys.CATALOGUE,
)


def _merge(parts: tuple[dict[str, dict[str, str]], ...]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for part in parts:
        clash = merged.keys() & part.keys()
        if clash:
            raise RuntimeError(f"catalogue keys defined twice: {sorted(clash)}")
        merged.update(part)
    return merged


CATALOGUE: Final = _merge(_PARTS)
MENU_COMMANDS = core.MENU_COMMANDS
TEXT_COMMANDS = core.TEXT_COMMANDS


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    entry = CATALOGUE[key]
    text = entry.get(lang or DEFAULT_LANGUAGE) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text
