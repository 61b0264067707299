"""Broadcasts: create (now or at a time), queue to every recipient, report per recipient, cancel, finish.

Queueing writes one outbox row per recipient (one per 500 on LINE multicast) and one recipient row per
outbox row it rides on, in one transaction: a broadcast is either wholly queued or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Channel, OutMessage, Target
from storage import audiences, outbox
from storage.audiences import Audience, AudienceSpec
from storage.broadcast_models import Broadcast, BroadcastRecipient, BroadcastState
from storage.models import OutboxMessage, OutboxState
from storage.outbox import Recipient

FOLLOWERS = "*followers*"  # the platform id of "every follower of the LINE Official Account"
FOLLOWERS_SPEC = "followers:line"

# A recipient with several rows (a long text in pieces) has the worst state of them.
_RANK = {"failed": 5, "blocked": 4, "pending": 3, "sending": 3, "cancelled": 2, "sent": 1}
_STATE_OF_RANK = {5: "failed", 4: "blocked", 3: "pending", 2: "cancelled", 1: "sent"}


class BroadcastError(ValueError):
    """`code` picks the catalogue message."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


def split_specs(texts: Sequence[str]) -> tuple[list[AudienceSpec], bool]:
    """The audience specs, and whether the LINE OA's followers (the broadcast API) are one of them."""
    followers = any(t.strip().lower() == FOLLOWERS_SPEC for t in texts)
    rest = [t for t in texts if t.strip().lower() != FOLLOWERS_SPEC]
    return (audiences.parse_all(rest) if rest else []), followers


async def resolve(session: AsyncSession, texts: Sequence[str]) -> tuple[Audience, bool]:
    if not texts:
        raise BroadcastError("empty_audience")
    specs, followers = split_specs(texts)
    audience = await audiences.resolve(session, specs) if specs else Audience()
    if not len(audience) and not followers:
        raise BroadcastError("empty_audience")
    if followers:
        # The OA broadcast already reaches every LINE person who follows the account, so a multicast to the LINE
        # people the other specs name would give them the announcement twice. LINE groups are not followers: kept.
        audience = Audience(
            people=[p for p in audience.people if p.channel != Channel.LINE.value], groups=audience.groups
        )
    return audience, followers


async def create(
    session: AsyncSession,
    *,
    author: str,
    author_contact_id: int | None,
    audience_texts: Sequence[str],
    content: OutMessage,
    now: datetime,
    at: datetime | None = None,
) -> Broadcast:
    """A new broadcast, queued at once or scheduled; raises BroadcastError/AudienceError and changes nothing."""
    if at is not None and at <= now:
        raise BroadcastError("time_in_past")
    audience, followers = await resolve(session, audience_texts)
    broadcast = Broadcast(
        author=author,
        author_contact_id=author_contact_id,
        audience=list(audience_texts),
        content=content.to_json(),
        state=BroadcastState.SCHEDULED.value,
        scheduled_at=at or now,
        created_at=now,
        recipients_total=len(audience) + (1 if followers else 0),
    )
    session.add(broadcast)
    await session.flush()
    if at is None:
        await queue(session, broadcast, now=now, audience=audience, followers=followers)
    return broadcast


async def queue(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    now: datetime,
    audience: Audience | None = None,
    followers: bool | None = None,
    note: str | None = None,
) -> int:
    """Write the outbox rows of every recipient (resolving the audience now, for a scheduled broadcast)."""
    if audience is None or followers is None:
        audience, followers = await resolve(session, broadcast.audience)
    content = OutMessage.from_json(broadcast.content)
    recipient_rows: list[dict[str, Any]] = []
    by_channel: dict[Channel, list[Recipient]] = {}
    for person in audience.people:
        by_channel.setdefault(Channel(person.channel), []).append(Recipient(person.platform_user_id, person.contact_id))
    for channel, recipients in by_channel.items():
        for row in await outbox.enqueue_for(session, channel, recipients, [content], now=now):
            recipient_rows.extend(
                {
                    "broadcast_id": broadcast.id,
                    "channel": channel.value,
                    "platform_id": r.platform_id,
                    "contact_id": r.contact_id,
                    "outbox_key": row.key,
                }
                for r in row.recipients
            )
    chat_targets: list[tuple[Target, str, int | None]] = [
        (Target(Channel(g.channel), g.kind, g.platform_chat_id, chat_id=g.chat_id), g.platform_chat_id, g.chat_id)
        for g in audience.groups
    ]
    if followers:
        chat_targets.append((Target(Channel.LINE, "followers", ""), FOLLOWERS, None))
    for target, platform_id, chat_id in chat_targets:
        rows = outbox.enqueue(session, target, [content], now=now)
        recipient_rows.extend(
            {
                "broadcast_id": broadcast.id,
                "channel": target.channel.value,
                "platform_id": platform_id,
                "chat_id": chat_id,
                "outbox_key": row.idempotency_key,
            }
            for row in rows
        )
    for start in range(0, len(recipient_rows), 2000):
        await session.execute(insert(BroadcastRecipient), recipient_rows[start : start + 2000])
    broadcast.state = BroadcastState.SENDING.value
    broadcast.started_at = now
    broadcast.recipients_total = len(audience) + (1 if followers else 0)
    broadcast.note = note or broadcast.note
    broadcast.lease_until = broadcast.lease_owner = None
    return len(recipient_rows)


@dataclass
class Status:
    broadcast: Broadcast
    # (channel, state) -> recipients; state is sent, failed, blocked, pending or cancelled
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    problems: list[dict[str, Any]] = field(default_factory=list)  # failed and blocked recipients, with the error

    def total(self, state: str) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == state)

    @property
    def finished(self) -> bool:
        return self.total("pending") == 0


def _rank_of_state() -> Any:
    return case(*((OutboxMessage.state == s, r) for s, r in _RANK.items()), else_=3)


async def status(session: AsyncSession, broadcast_id: int, *, problems_limit: int = 200) -> Status | None:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    per_recipient = (
        select(
            BroadcastRecipient.channel,
            BroadcastRecipient.platform_id,
            func.max(_rank_of_state()).label("rank"),
        )
        .join(OutboxMessage, OutboxMessage.idempotency_key == BroadcastRecipient.outbox_key, isouter=True)
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(BroadcastRecipient.channel, BroadcastRecipient.platform_id)
        .subquery()
    )
    rows = await session.execute(
        select(per_recipient.c.channel, per_recipient.c.rank, func.count()).group_by(
            per_recipient.c.channel, per_recipient.c.rank
        )
    )
    result = Status(broadcast)
    for channel, rank, n in rows:
        result.counts[(channel, _STATE_OF_RANK.get(int(rank), "pending"))] += int(n)
    problem_rows = await session.execute(
        select(
            BroadcastRecipient.channel,
            BroadcastRecipient.platform_id,
            BroadcastRecipient.contact_id,
            BroadcastRecipient.chat_id,
            OutboxMessage.state,
            OutboxMessage.error,
        )
        .join(OutboxMessage, OutboxMessage.idempotency_key == BroadcastRecipient.outbox_key)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            OutboxMessage.state.in_([OutboxState.FAILED.value, OutboxState.BLOCKED.value]),
        )
        .order_by(BroadcastRecipient.id)
        .limit(problems_limit)
    )
    result.problems = [dict(r._mapping) for r in problem_rows]
    return result


async def recipients(session: AsyncSession, broadcast_id: int) -> list[dict[str, Any]]:
    """Every recipient with the state, time and platform message id of its delivery."""
    rows = await session.execute(
        select(
            BroadcastRecipient.channel,
            BroadcastRecipient.platform_id,
            BroadcastRecipient.contact_id,
            BroadcastRecipient.chat_id,
            OutboxMessage.state,
            OutboxMessage.sent_at,
            OutboxMessage.platform_message_id,
            OutboxMessage.error,
        )
        .join(OutboxMessage, OutboxMessage.idempotency_key == BroadcastRecipient.outbox_key, isouter=True)
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .order_by(BroadcastRecipient.id)
    )
    return [dict(r._mapping) for r in rows]


async def cancel(session: AsyncSession, broadcast_id: int, *, now: datetime) -> tuple[Broadcast, int]:
    """Stop a scheduled or sending broadcast; what was sent stays sent. Returns it and the rows stopped."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastError("not_found", id=broadcast_id)
    if broadcast.state not in (BroadcastState.SCHEDULED.value, BroadcastState.SENDING.value):
        raise BroadcastError("not_cancellable", id=broadcast_id, state=broadcast.state)
    rows = select(BroadcastRecipient.outbox_key).where(BroadcastRecipient.broadcast_id == broadcast_id)
    stopped = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(rows), OutboxMessage.state == OutboxState.PENDING.value)
        .values(state=OutboxState.CANCELLED.value, error="broadcast cancelled")
        .execution_options(synchronize_session=False)
    )
    broadcast.state = BroadcastState.CANCELLED.value
    broadcast.finished_at = now
    return broadcast, int(getattr(stopped, "rowcount", 0) or 0)


async def recent(session: AsyncSession, *, limit: int = 20) -> list[Broadcast]:
    return list((await session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))).scalars())


async def sending_ids(session: AsyncSession) -> list[int]:
    rows = await session.execute(select(Broadcast.id).where(Broadcast.state == BroadcastState.SENDING.value))
    return list(rows.scalars())
