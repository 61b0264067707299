"""The outbox: every outgoing message is a row here before any platform sees it.

Rows are written in the transaction of the change that caused them. The delivery worker claims due rows
(a lease, and `FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas never share a row), sends outside any
transaction, then records the outcome — only if it still holds the lease.

A claim is one (row, owner, attempts) triple: `attempts` grows with every claim, so a worker whose lease ran out
and was taken over can neither renew nor record the row again, even if it (or another lane of the same worker)
claimed the row a second time since. Leases are short and renewed while the worker lives (`renew`).

Messages to one chat go out in the order they were queued: a row is claimable only while every earlier open row
of its chat is claimable in the same statement (see `_eligible`), so two workers, or two batches, never send to
one chat at once, and a row held back or retried keeps the ones behind it waiting.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, exists, func, insert, literal, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.model import Channel, OutMessage, Target
from core.textsplit import split_text, utf16_length
from storage.db import dialect_name
from storage.models import Contact, OutboxMessage, OutboxState

LINE_MESSAGES_PER_CALL = 5  # reply, push and multicast take at most five messages
LINE_MULTICAST_MAX = 500


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# How much text one message may hold on each platform, and how the platform counts it.
TEXT_LIMITS: dict[Channel, tuple[int, Callable[[str], int]]] = {
    Channel.LINE: (5000, utf16_length),
    Channel.TELEGRAM: (4096, len),
    Channel.WEB: (4096, len),
    Channel.CONSOLE: (100_000, len),
}
TELEGRAM_CAPTION_LIMIT = 1024


def fit_to_platform(channel: Channel, message: OutMessage) -> list[OutMessage]:
    """A message as the platform can take it: long text split between words, buttons on the last piece.

    A Telegram caption holds 1,024 characters: with a longer text the file goes first, alone.
    """
    limit, measure = TEXT_LIMITS[channel]
    text = message.text or ""
    caption_fits = channel is not Channel.TELEGRAM or len(text) <= TELEGRAM_CAPTION_LIMIT
    if measure(text) <= limit and (message.attachment is None or caption_fits):
        return [message]
    pieces = split_text(text, limit, measure)
    fitted = [OutMessage(attachment=message.attachment)] if message.attachment is not None else []
    fitted += [OutMessage(text=p) for p in pieces[:-1]]
    fitted.append(OutMessage(text=pieces[-1], buttons=message.buttons, link=message.link))
    return fitted


def _message_groups(channel: Channel, messages: Sequence[OutMessage]) -> list[list[dict[str, Any]]]:
    """How messages split into rows: LINE sends up to five per call, the others one per call."""
    fitted = [piece for m in messages for piece in fit_to_platform(channel, m)]
    per_call = LINE_MESSAGES_PER_CALL if channel is Channel.LINE else 1
    return [[m.to_json() for m in chunk] for chunk in _chunks(fitted, per_call)]


def _row(
    target: Target,
    payload: list[dict[str, Any]],
    *,
    now: datetime,
    not_before: datetime | None,
    reply_token: str | None,
    ref: str | None = None,
) -> dict[str, Any]:
    return {
        "ref": ref,
        "channel": target.channel.value,
        "target_kind": target.kind,
        "target": target.id,
        "recipients": list(target.recipients) or None,
        "contact_id": target.contact_id,
        "chat_id": target.chat_id,
        "payload": {"messages": payload},
        "reply_token": reply_token,
        "state": OutboxState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "idempotency_key": str(uuid.uuid4()),
        "created_at": now,
    }


def enqueue(
    session: AsyncSession,
    target: Target,
    messages: Sequence[OutMessage],
    *,
    now: datetime,
    reply_token: str | None = None,
    not_before: datetime | None = None,
    ref: str | None = None,
) -> list[OutboxMessage]:
    """Queue messages to one target in the caller's transaction. A reply token rides on the first row only."""
    rows = []
    for index, payload in enumerate(_message_groups(target.channel, messages)):
        token = reply_token if index == 0 else None
        row = OutboxMessage(**_row(target, payload, now=now, not_before=not_before, reply_token=token, ref=ref))
        session.add(row)
        rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class Recipient:
    platform_id: str
    contact_id: int | None = None


@dataclass(frozen=True, slots=True)
class QueuedRow:
    """One outbox row written for many recipients, and whom it carries (several on a LINE multicast)."""

    key: str  # the row's idempotency key: known before the insert, so no RETURNING is needed
    recipients: tuple[Recipient, ...]


async def enqueue_many(
    session: AsyncSession,
    channel: Channel,
    recipients: Sequence[Recipient],
    messages: Sequence[OutMessage],
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    """Queue the same messages to many people on one platform; returns the number of rows.

    On LINE, recipients are grouped into multicast calls of up to 500; elsewhere each person gets a row.
    """
    return len(await enqueue_for(session, channel, recipients, messages, now=now, not_before=not_before))


async def enqueue_for(
    session: AsyncSession,
    channel: Channel,
    recipients: Sequence[Recipient],
    messages: Sequence[OutMessage],
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> list[QueuedRow]:
    """As `enqueue_many`, returning each row's id and recipients (for per-recipient reports)."""
    groups = _message_groups(channel, messages)
    values: list[dict[str, Any]] = []
    carried: list[tuple[Recipient, ...]] = []
    if channel is Channel.LINE and len(recipients) > 1:
        for chunk in _chunks(list(recipients), LINE_MULTICAST_MAX):
            target = Target(channel, "multicast", "", recipients=tuple(r.platform_id for r in chunk))
            for payload in groups:
                values.append(_row(target, payload, now=now, not_before=not_before, reply_token=None))
                carried.append(tuple(chunk))
    else:
        for r in recipients:
            target = Target(channel, "user", r.platform_id, contact_id=r.contact_id)
            for payload in groups:
                values.append(_row(target, payload, now=now, not_before=not_before, reply_token=None))
                carried.append((r,))
    # A plain executemany: RETURNING in parameter order makes SQLite insert row by row, 10x slower.
    for chunk in _chunks(values, 1000):
        await session.execute(insert(OutboxMessage), list(chunk))
    return [QueuedRow(row["idempotency_key"], who) for row, who in zip(values, carried, strict=True)]


@dataclass(frozen=True, slots=True)
class Claimed:
    """An outbox row held by one worker until its lease ends."""

    id: int
    channel: Channel
    target_kind: str
    target: str
    recipients: tuple[str, ...]
    contact_id: int | None
    messages: tuple[OutMessage, ...]
    reply_token: str | None
    idempotency_key: str
    attempts: int  # including this one
    created_at: datetime
    interrupted: bool  # a previous worker stopped mid-attempt on it


OPEN_STATES = (OutboxState.PENDING.value, OutboxState.SENDING.value)
# Claims on PostgreSQL take this transaction-level advisory lock: the chat-order rule reads other rows of the chat,
# and two concurrent claims could each see the other's rows as still free. Claims are one short statement.
CLAIM_LOCK_KEY = 0x6F7574626F78  # "outbox"


def _claimable_of(row: Any, now: datetime) -> Any:
    return or_(
        and_(row.state == OutboxState.PENDING.value, row.next_attempt_at <= now),
        and_(row.state == OutboxState.SENDING.value, row.lease_until < now),
    )


def _claimable(now: datetime) -> Any:
    return _claimable_of(OutboxMessage, now)


def _eligible(now: datetime) -> Any:
    """Claimable, and not behind an earlier open row of the same chat that this claim could leave out.

    An earlier row blocks when it is not claimable (held by a worker, or waiting for its retry), and also when it is
    claimable but ordered after this one (a later `next_attempt_at`): the claim takes rows in (next_attempt_at, id)
    order up to its limit, so only then is an earlier row sure to be taken whenever this one is. Rows without a chat
    (LINE multicasts, target "") have no order to keep."""
    earlier = aliased(OutboxMessage)
    blocking = exists().where(
        earlier.channel == OutboxMessage.channel,
        earlier.target == OutboxMessage.target,
        earlier.state.in_(OPEN_STATES),
        earlier.id < OutboxMessage.id,
        or_(not_(_claimable_of(earlier, now)), earlier.next_attempt_at > OutboxMessage.next_attempt_at),
    )
    return and_(_claimable(now), or_(OutboxMessage.target == "", not_(blocking)))


async def has_due(session: AsyncSession, *, now: datetime, channels: Sequence[str]) -> bool:
    """Whether anything is due for `channels`: a read, so that an idle worker that was woken (or polls) does not
    take SQLite's only write lock just to find nothing to claim."""
    found = await session.execute(
        select(OutboxMessage.id).where(_eligible(now), OutboxMessage.channel.in_(channels)).limit(1)
    )
    return found.first() is not None


async def claim(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    channels: Sequence[str],
    chat_caps: Mapping[tuple[str, str], int] | None = None,
) -> list[Claimed]:
    """Take up to `limit` due rows for `owner`, in one statement, so no two workers can take the same row.

    `chat_caps`: at most this many rows per chat, by (channel, target kind): what the chat's rate limit lets a
    worker send before its batch should be over, so that a slow group does not fill a batch (and hold it)."""
    if dialect_name(session) == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
    candidates = (
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.target, OutboxMessage.target_kind)
        .where(_eligible(now), OutboxMessage.channel.in_(channels))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=OutboxMessage)
    caps = {key: cap for key, cap in (chat_caps or {}).items() if cap < limit}
    if caps:
        # The window runs over the locked candidates (PostgreSQL allows no FOR UPDATE beside a window function).
        c = candidates.subquery("candidates")
        rank = func.row_number().over(partition_by=(c.c.channel, c.c.target), order_by=c.c.id)
        ranked = select(c.c.id, c.c.channel, c.c.target, c.c.target_kind, rank.label("rank")).subquery("ranked")
        cap = case(
            *((and_(ranked.c.channel == ch, ranked.c.target_kind == kind), n) for (ch, kind), n in caps.items()),
            else_=limit,
        )
        picked = select(ranked.c.id).where(or_(ranked.c.target == "", ranked.c.rank <= cap))
    else:
        picked = select(candidates.subquery("candidates").c.id)
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(picked), _claimable(now))
        .values(
            state=OutboxState.SENDING.value,
            lease_owner=owner,
            lease_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
            # A row still "sending" here was abandoned mid-attempt by a worker that stopped.
            interrupted_at=case(
                (OutboxMessage.state == OutboxState.SENDING.value, literal(now, OutboxMessage.interrupted_at.type)),
                else_=OutboxMessage.interrupted_at,
            ),
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.target_kind,
            OutboxMessage.target,
            OutboxMessage.recipients,
            OutboxMessage.contact_id,
            OutboxMessage.payload,
            OutboxMessage.reply_token,
            OutboxMessage.idempotency_key,
            OutboxMessage.attempts,
            OutboxMessage.created_at,
            OutboxMessage.interrupted_at,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    claimed = [
        Claimed(
            id=r.id,
            channel=Channel(r.channel),
            target_kind=r.target_kind,
            target=r.target,
            recipients=tuple(r.recipients or ()),
            contact_id=r.contact_id,
            messages=tuple(OutMessage.from_json(m) for m in r.payload["messages"]),
            reply_token=r.reply_token,
            idempotency_key=r.idempotency_key,
            attempts=r.attempts,
            created_at=r.created_at,
            interrupted=r.interrupted_at == now,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda c: c.id)


async def renew(
    session: AsyncSession, owner: str, held: Mapping[int, int], *, now: datetime, lease: timedelta
) -> set[int]:
    """Extend the lease of the rows `owner` still holds (`held`: row id -> attempts of its claim); returns their ids.

    A row missing from the answer was taken over (its lease ran out and another claim took it) or is recorded:
    the worker must not send it."""
    if not held:
        return set()
    kept: set[int] = set()
    for chunk in _chunks(sorted(held), 500):
        statement = (
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(chunk),
                OutboxMessage.lease_owner == owner,
                OutboxMessage.state == OutboxState.SENDING.value,
            )
            .values(lease_until=now + lease)
            .returning(OutboxMessage.id, OutboxMessage.attempts)
            .execution_options(synchronize_session=False)
        )
        kept.update(r.id for r in (await session.execute(statement)).all() if held.get(r.id) == r.attempts)
    return kept


@dataclass(frozen=True, slots=True)
class Outcome:
    row_id: int
    state: OutboxState  # SENT, PENDING (retry), FAILED or BLOCKED
    at: datetime
    next_attempt_at: datetime | None = None
    platform_message_id: str | None = None
    error: str | None = None
    contact_id: int | None = None
    not_attempted: bool = False  # held back behind an earlier message: the claim's attempt is given back
    attempts: int | None = None  # of the claim this outcome belongs to; None: whichever claim `owner` holds


async def record(session: AsyncSession, owner: str, outcomes: Sequence[Outcome]) -> int:
    """Write outcomes for rows `owner` still holds (under the same claim, when the outcome names its attempts);
    returns how many were written.

    A blocked outcome also marks the contact unreachable, in the same transaction.
    """
    if not outcomes:
        return 0
    table: Table = OutboxMessage.__table__  # type: ignore[assignment]  # Core executemany needs the Table
    statement = (
        update(table)
        .where(
            table.c.id == bindparam("row_id"),
            table.c.lease_owner == owner,
            table.c.state == OutboxState.SENDING.value,
            table.c.attempts == func.coalesce(bindparam("claimed", type_=table.c.attempts.type), table.c.attempts),
        )
        .values(
            state=bindparam("new_state"),
            next_attempt_at=func.coalesce(
                bindparam("retry_at", type_=table.c.next_attempt_at.type), table.c.next_attempt_at
            ),
            sent_at=bindparam("sent_at", type_=table.c.sent_at.type),
            platform_message_id=bindparam("message_id"),
            error=bindparam("error_text"),
            attempts=table.c.attempts - bindparam("given_back"),
            lease_owner=None,
            lease_until=None,
        )
    )
    params = [
        {
            "row_id": o.row_id,
            "new_state": o.state.value,
            "retry_at": o.next_attempt_at,
            "sent_at": o.at if o.state is OutboxState.SENT else None,
            "message_id": o.platform_message_id,
            "error_text": o.error,
            "given_back": 1 if o.not_attempted else 0,
            "claimed": o.attempts,
        }
        for o in outcomes
    ]
    result = await session.execute(statement, params, execution_options={"synchronize_session": False})
    blocked = {o.contact_id for o in outcomes if o.state is OutboxState.BLOCKED and o.contact_id is not None}
    if blocked:
        at = max(o.at for o in outcomes)
        await session.execute(
            update(Contact)
            .where(Contact.id.in_(blocked))
            .values(reachable=False, blocked_at=at, updated_at=at)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
    return {state: n for state, n in rows.all()}
