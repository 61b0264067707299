"""Inbox threads: what a person writes to the office, and the staff's answers, with response times."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import media
from storage.erasure import register_anonymiser
from storage.inbox_models import Faq, InboxMessage, InboxThread
from storage.models import OutboxMessage

OPEN, CLOSED = "open", "closed"


def thread_ref(thread_id: int) -> str:
    return f"thread:{thread_id}"


async def current_thread(session: AsyncSession, contact_id: int) -> InboxThread | None:
    result = await session.execute(
        select(InboxThread)
        .where(InboxThread.contact_id == contact_id, InboxThread.state == OPEN)
        .order_by(InboxThread.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def add_incoming(
    session: AsyncSession,
    contact_id: int,
    *,
    kind: str,
    text: str | None,
    now: datetime,
    reply_token: str | None = None,
    media_token: str | None = None,
) -> tuple[InboxThread, bool]:
    """The message goes into the person's open thread, or a new one; (thread, whether it is new)."""
    thread = await current_thread(session, contact_id)
    created = thread is None
    if thread is None:
        thread = InboxThread(contact_id=contact_id, state=OPEN, opened_at=now, last_message_at=now)
        session.add(thread)
        await session.flush()
    thread.last_message_at = now
    if reply_token:
        thread.reply_token, thread.reply_token_at = reply_token, now
    session.add(
        InboxMessage(thread_id=thread.id, direction="in", kind=kind, text=text, media_token=media_token, created_at=now)
    )
    return thread, created


async def add_reply(
    session: AsyncSession,
    thread: InboxThread,
    *,
    author_id: int | None,
    text: str,
    now: datetime,
    kind: str = "text",
    media_token: str | None = None,
) -> None:
    session.add(
        InboxMessage(
            thread_id=thread.id,
            direction="out",
            author_contact_id=author_id,
            kind=kind,
            text=text or None,
            media_token=media_token,
            created_at=now,
        )
    )
    if thread.first_response_at is None:
        thread.first_response_at, thread.first_response_by = now, author_id


async def thread_of_forward(session: AsyncSession, channel: str, chat_id: str, message_id: str) -> int | None:
    """The thread a forwarded message (as delivered to staff) belongs to, from its outbox row."""
    result = await session.execute(
        select(OutboxMessage.ref).where(
            OutboxMessage.channel == channel,
            OutboxMessage.target == chat_id,
            OutboxMessage.platform_message_id == message_id,
            OutboxMessage.ref.is_not(None),
        )
    )
    ref = result.scalars().first()
    if ref and ref.startswith("thread:") and ref[7:].isdigit():
        return int(ref[7:])
    return None


async def list_threads(
    session: AsyncSession, *, open_only: bool = False, limit: int = 200, offset: int = 0
) -> Sequence[InboxThread]:
    query = select(InboxThread).order_by(InboxThread.state.desc(), InboxThread.last_message_at.desc(), InboxThread.id)
    if open_only:
        query = query.where(InboxThread.state == OPEN)
    return (await session.execute(query.limit(limit).offset(offset))).scalars().all()


async def count_open(session: AsyncSession) -> int:
    found = await session.execute(select(func.count(InboxThread.id)).where(InboxThread.state == OPEN))
    return int(found.scalar_one())


async def last_incoming(session: AsyncSession, thread_ids: Sequence[int]) -> dict[int, InboxMessage]:
    """Each thread's latest message from its person (what staff see in the list), in one query."""
    if not thread_ids:
        return {}
    latest = (
        select(func.max(InboxMessage.id))
        .where(InboxMessage.thread_id.in_(thread_ids), InboxMessage.direction == "in")
        .group_by(InboxMessage.thread_id)
    )
    rows = await session.execute(select(InboxMessage).where(InboxMessage.id.in_(latest)))
    return {m.thread_id: m for m in rows.scalars()}


@dataclass(frozen=True, slots=True)
class ResponseStats:
    threads: int
    answered: int
    median_first_response: timedelta | None


async def response_stats(session: AsyncSession, *, now: datetime, days: int = 30) -> ResponseStats:
    rows = await session.execute(
        select(InboxThread.opened_at, InboxThread.first_response_at).where(
            InboxThread.opened_at >= now - timedelta(days=days)
        )
    )
    pairs = rows.all()
    waits = [(answered - opened).total_seconds() for opened, answered in pairs if answered is not None]
    median = timedelta(seconds=statistics.median(waits)) if waits else None
    return ResponseStats(len(pairs), len(waits), median)


async def faqs(session: AsyncSession) -> Sequence[Faq]:
    return (await session.execute(select(Faq).order_by(Faq.id))).scalars().all()


@register_anonymiser
async def _erase_threads(session: AsyncSession, contact_id: int) -> None:
    """/forgetme: what a person wrote to the office goes with them (staff answers and files included)."""
    tokens = await session.execute(
        select(InboxMessage.media_token)
        .join(InboxThread)
        .where(InboxThread.contact_id == contact_id, InboxMessage.media_token.is_not(None))
    )
    await media.delete(session, [t for t in tokens.scalars() if t])
    await session.execute(delete(InboxThread).where(InboxThread.contact_id == contact_id))
