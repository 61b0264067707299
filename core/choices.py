"""Typed answers to button questions: buttons do not show on LINE PC, so a number or the label must work too."""

from __future__ import annotations

from collections.abc import Sequence

from pythainlp.util import normalize, thai_digit_to_arabic_digit


def western_digits(text: str) -> str:
    """๑๒๓ → 123 (what a Thai keyboard gives in Thai mode), the rest untouched."""
    return thai_digit_to_arabic_digit(text)


def comparable(text: str) -> str:
    """The one form typed text is compared in (commands, button labels, typed answers, FAQ phrases): PyThaiNLP's
    normalize puts misordered or doubled vowel and tone marks right (ขา้ม is ข้าม, a common typing slip), Thai
    digits become Western ones, case and spaces are dropped. Both sides of a comparison go through it."""
    return "".join(western_digits(normalize(text)).lower().split())


def pick(text: str | None, labels: Sequence[str]) -> int | None:
    """Index of the option the text names: its number (1-based, Thai digits too) or its label; else None."""
    if not text:
        return None
    typed = comparable(text).rstrip(".)")
    if typed.isdigit():
        number = int(typed)
        return number - 1 if 1 <= number <= len(labels) else None
    squashed = [comparable(label) for label in labels]
    if typed in squashed:
        return squashed.index(typed)
    return None
