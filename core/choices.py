"""Typed answers to button questions: buttons do not show on LINE PC, so a number or the label must work too."""

from __future__ import annotations

from collections.abc import Sequence

# Thai digits are what a Thai keyboard gives in Thai mode.
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def western_digits(text: str) -> str:
    """๑๒๓ → 123, the rest untouched."""
    return text.translate(_THAI_DIGITS)


def _squash(text: str) -> str:
    return "".join(western_digits(text).lower().split())


def pick(text: str | None, labels: Sequence[str]) -> int | None:
    """Index of the option the text names: its number (1-based, Thai digits too) or its label; else None."""
    if not text:
        return None
    typed = _squash(text).rstrip(".)")
    if typed.isdigit():
        number = int(typed)
        return number - 1 if 1 <= number <= len(labels) else None
    squashed = [_squash(label) for label in labels]
    if typed in squashed:
        return squashed.index(typed)
    return None
