"""Console sign-in links and sessions: issue, redeem once, look up with idle and absolute timeouts, revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.console_models import ConsoleLink, ConsoleSession
from storage.models import Contact

LINK_LIFETIME = timedelta(minutes=10)
IDLE_TIMEOUT = timedelta(hours=12)
MAX_SESSION = timedelta(days=7)
# Writing last_seen_at on every request would make each page view a write (SQLite has one writer):
# once a minute is precise enough for a 12-hour idle timeout.
TOUCH_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


async def issue_link(
    session: AsyncSession, contact_id: int, *, now: datetime, lifetime: timedelta = LINK_LIFETIME
) -> str:
    """A new link token (returned once, stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleLink(token_hash=digest(token), contact_id=contact_id, created_at=now, expires_at=now + lifetime))
    await session.flush()
    return token


@dataclass(frozen=True, slots=True)
class NewSession:
    session_id: str  # the cookie value; only its hash is stored
    row: ConsoleSession


async def redeem_link(session: AsyncSession, token: str, *, now: datetime) -> NewSession | None:
    """Spend a link and open a session; None when the link is unknown, used or expired."""
    # One conditional UPDATE marks it used: two replicas opening the same link at once cannot both win.
    spent = await session.execute(
        update(ConsoleLink)
        .where(ConsoleLink.token_hash == digest(token), ConsoleLink.used_at.is_(None), ConsoleLink.expires_at > now)
        .values(used_at=now)
        .returning(ConsoleLink.contact_id)
    )
    contact_id = spent.scalar_one_or_none()
    if contact_id is None:
        return None
    session_id = secrets.token_urlsafe(32)
    row = ConsoleSession(
        id_hash=digest(session_id),
        contact_id=contact_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + MAX_SESSION,
    )
    session.add(row)
    await session.flush()
    return NewSession(session_id, row)


async def find_session(
    session: AsyncSession, session_id: str, *, now: datetime
) -> tuple[ConsoleSession, Contact] | None:
    """The live session and its person, touched; an idle or ended session is deleted and gives None."""
    row = await session.get(ConsoleSession, digest(session_id))
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= IDLE_TIMEOUT:
        await session.delete(row)
        return None
    contact = await session.get(Contact, row.contact_id)
    if contact is None or contact.erased_at is not None:
        await session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, contact


async def end_session(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == digest(session_id)))


async def end_all_sessions(session: AsyncSession, contact_id: int) -> int:
    """Sign a person out everywhere (sign out everywhere; a role removed)."""
    result = await session.execute(delete(ConsoleSession).where(ConsoleSession.contact_id == contact_id))
    return int(getattr(result, "rowcount", 0) or 0)
