"""The message catalogue: every entry in Thai and English, with the same placeholders in both."""

from __future__ import annotations

import string

from handlers.texts import CATALOGUE, LANGUAGES


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_entry_has_every_language_with_the_same_placeholders() -> None:
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert placeholders(entry["th"]) == placeholders(entry["en"]), key
        assert all(text.strip() for text in entry.values()), key
