"""Splitting long announcements at the platform's limit without cutting a word in two.

Thai writes words without spaces, and a space usually ends a phrase or sentence: so the order of places to
cut is paragraph, line, space, then a word boundary found by PyThaiNLP's dictionary tokenizer, and only a
single "word" longer than the limit (a URL, say) is cut where it must be.
"""

from __future__ import annotations

from collections.abc import Callable

from pythainlp.tokenize import word_tokenize

Measure = Callable[[str], int]
SEPARATORS = ("\n\n", "\n", " ")


def utf16_length(text: str) -> int:
    """How LINE counts text length."""
    return len(text.encode("utf-16-le")) // 2


def _pack(pieces: list[str], limit: int, measure: Measure, joiner: str, finer: Callable[[str], list[str]]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if measure(piece) <= limit:
            current = piece
        else:
            *done, current = finer(piece)
            chunks.extend(done)
    if current:
        chunks.append(current)
    return chunks


def _by_words(text: str, limit: int, measure: Measure) -> list[str]:
    words = word_tokenize(text, engine="newmm", keep_whitespace=True)
    return _pack(words, limit, measure, "", lambda word: _hard(word, limit, measure))


def _hard(text: str, limit: int, measure: Measure) -> list[str]:
    chunks, current = [], ""
    for ch in text:
        if measure(current + ch) > limit:
            chunks.append(current)
            current = ""
        current += ch
    return [*chunks, current] if current else chunks


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Pieces of `text` each within `limit` (as `measure` counts), cut at the gentlest boundary available."""
    if measure(text) <= limit:
        return [text]

    def at(level: int, part: str) -> list[str]:
        if measure(part) <= limit:
            return [part]
        if level == len(SEPARATORS):
            return _by_words(part, limit, measure)
        separator = SEPARATORS[level]
        pieces = [p for p in part.split(separator) if p.strip()] if separator != " " else part.split(" ")
        if len(pieces) == 1:
            return at(level + 1, part)
        return _pack(pieces, limit, measure, separator, lambda piece: at(level + 1, piece))

    return [chunk.strip() for chunk in at(0, text.strip()) if chunk.strip()]
