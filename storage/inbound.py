"""Inbound events: stored once per (channel, dedupe key) before anything is done with them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import InboundEvent

# A JSON "\u0000" not preceded by an escaping backslash (an odd number of backslashes before "u0000" is the escape).
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
# The escapes of what a database refuses in a string: NUL (PostgreSQL stores none) and UTF-16 surrogates (a lone
# one cannot be encoded: UnicodeEncodeError on SQLite, refused by asyncpg and by PostgreSQL's JSON). A pair that
# is an emoji matches too: a false alarm only costs the cleaning.
_UNSAFE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_SURROGATE = re.compile("[\ud800-\udfff]")


# No platform nests its JSON anywhere near this deep (a Telegram update: about 10 levels); deeper than some 960
# levels json.loads still parsed it but storing it failed (RecursionError while encoding), 503 at every delivery.
MAX_DEPTH = 100


def nested_too_deep(body: bytes, parsed: Any) -> bool:
    """Whether the JSON `parsed` from `body` nests more than MAX_DEPTH arrays and objects deep."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False  # the fast path: not enough brackets (even counting those inside strings) to be that deep
    stack: list[tuple[Any, int]] = [(parsed, 1)]
    while stack:  # a loop, not recursion: the point is depth Python's stack may not have
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def parse(text: str) -> tuple[Any, bool]:
    """A webhook body's JSON, and whether it is plain: certainly storable as parsed, so RawEvent may skip the
    cleaning (the fast path: `RawEvent(..., plain=...)`). Raises ValueError or RecursionError as json.loads does.

    Not plain: a NUL or surrogate escape, or a number that is not finite (NaN, Infinity and -Infinity, which
    Python's json accepts, or one that overflows a float: 1e400), which PostgreSQL's JSON refuses. The numbers are
    seen by the parser's own hooks (called for float tokens only, rare in platform payloads), not guessed from text.
    """
    non_finite = False

    def constant(name: str) -> float:
        nonlocal non_finite
        non_finite = True
        return float(name)

    def number(token: str) -> float:
        nonlocal non_finite
        value = float(token)
        non_finite = non_finite or math.isinf(value)
        return value

    value = json.loads(text, parse_constant=constant, parse_float=number)
    return value, not non_finite and _UNSAFE_ESCAPE.search(text) is None


def _without_lone_surrogates(text: str) -> str:
    if _SURROGATE.search(text) is None:
        return text
    # UTF-16 with "surrogatepass" writes a lone surrogate as its code unit; decoding with "replace" turns exactly
    # the unpaired ones into U+FFFD (a pair is one code point in a Python string and comes back unchanged).
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def storable_text(text: str) -> str:
    """`text` (a dedupe key, a kind) with NUL and lone UTF-16 surrogates replaced by U+FFFD."""
    return _without_lone_surrogates(text).replace("\x00", "\ufffd")


def storable(raw: dict[str, Any]) -> dict[str, Any]:
    """The payload as both databases store it: in every string (keys too) NUL and lone UTF-16 surrogates become
    U+FFFD, and non-finite numbers (NaN, ±Infinity, 1e400) become null; `raw` itself when nothing was replaced.

    A platform may send any of these, and no person means them. PostgreSQL refused NUL and NaN, a lone surrogate
    failed on both databases, and as concurrent webhooks share one commit (bot/ingest.py) every webhook of that
    batch was answered 503, then redelivered to fail again. Null is what JSON.stringify writes for a non-finite
    number. The event is then handled as usual, or marked unreadable if the platform's parser refuses it.
    """
    # One round trip through the C encoder and decoder, no recursion in Python (the webhooks refuse JSON deeper
    # than MAX_DEPTH, well within what the encoder takes).
    # Without ensure_ascii a lone surrogate stays a code point of the text (inside a string literal), a NUL is
    # written as the escape "\u0000", and a non-finite number as a NaN/Infinity token that parse_constant gets.
    dumped = json.dumps(raw, ensure_ascii=False)
    text = _NUL_ESCAPE.sub(r"\1\\ufffd", _without_lone_surrogates(dumped))
    non_finite = False

    def null(_: str) -> None:
        nonlocal non_finite
        non_finite = True

    cleaned: dict[str, Any] = json.loads(text, parse_constant=null)
    return cleaned if non_finite or text != dumped else raw


@dataclass(frozen=True, slots=True)
class RawEvent:
    channel: str
    dedupe_key: str
    kind: str
    raw: dict[str, Any]
    # True when the adapter saw that the body needs no cleaning (parse): the work is skipped.
    plain: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        # Here rather than only when storing: the copy handled from memory is then the same as the stored one.
        # The key and the kind come from the payload too (a LINE webhookEventId, a Telegram update's first key).
        if not self.plain:
            object.__setattr__(self, "dedupe_key", storable_text(self.dedupe_key))
            object.__setattr__(self, "kind", storable_text(self.kind))
            object.__setattr__(self, "raw", storable(self.raw))


async def store_new(session: AsyncSession, events: Sequence[RawEvent], *, now: datetime) -> dict[tuple[str, str], int]:
    """Insert the events not seen before; return {(channel, dedupe key): id} for those inserted.

    A redelivered event is not in the answer: it was stored, and handled, the first time.
    """
    unique = {(e.channel, e.dedupe_key): e for e in events}
    events = list(unique.values())
    if not events:
        return {}
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    rows = [
        {
            "channel": e.channel,
            "dedupe_key": e.dedupe_key,
            "kind": e.kind,
            "raw": e.raw,  # storable on both databases (RawEvent cleaned it)
            "received_at": now,
        }
        for e in events
    ]
    # One statement, its rows as parameters: SQLAlchemy compiles it once and caches it ("insertmanyvalues"
    # batches the rows into multi-row INSERTs itself), where .values(rows) compiled anew for every batch size.
    statement = (
        insert(InboundEvent)
        .on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
        .returning(InboundEvent.id, InboundEvent.channel, InboundEvent.dedupe_key)
    )
    result = await session.execute(statement, rows)
    return {(row.channel, row.dedupe_key): row.id for row in result}


async def unprocessed_ids(session: AsyncSession, *, after: int = 0, limit: int = 1000) -> list[int]:
    """Ids of events not handled yet, in order, from the first above `after` (a page: pass the last id seen)."""
    result = await session.execute(
        select(InboundEvent.id)
        .where(InboundEvent.processed_at.is_(None), InboundEvent.id > after)
        .order_by(InboundEvent.id)
        .limit(limit)
    )
    return list(result.scalars())


async def lock_unprocessed(session: AsyncSession, event_id: int) -> bool:
    """Whether nobody has processed the event yet; it is then locked for this transaction (on PostgreSQL, an
    event another replica holds is skipped). Only the id is read: the handler has the payload already."""
    query = select(InboundEvent.id).where(InboundEvent.id == event_id, InboundEvent.processed_at.is_(None))
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).scalar_one_or_none() is not None


async def mark_processed(session: AsyncSession, event_id: int, *, now: datetime, error: str | None = None) -> None:
    await session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(processed_at=now, error=error))
