"""Claiming due rows atomically, so that several workers or replicas never take the same row.

One UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING: on PostgreSQL the inner select skips rows
another transaction holds; on SQLite the single statement runs under the database's one writer lock.
A claimed row carries a lease: if its worker dies, the row is due again when the lease ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.db import dialect_name

T = TypeVar("T")


async def claim_due(
    session: AsyncSession,
    model: type[T],
    *,
    due: InstrumentedAttribute[datetime],
    lease_until: InstrumentedAttribute[datetime | None],
    lease_owner: InstrumentedAttribute[str | None],
    now: datetime,
    owner: str,
    lease: timedelta,
    limit: int,
    where: ColumnElement[bool] | None = None,
    order_by: Any = None,
) -> list[int]:
    """Ids of up to `limit` rows due now (`due <= now`, and unleased or with the lease run out), now leased."""
    id_column = model.id  # type: ignore[attr-defined]
    claimable = and_(due <= now, or_(lease_until.is_(None), lease_until < now))
    if where is not None:
        claimable = and_(claimable, where)
    picked = select(id_column).where(claimable).order_by(order_by if order_by is not None else due).limit(limit)
    if dialect_name(session) == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    statement = (
        update(model)
        .where(id_column.in_(picked.scalar_subquery()), claimable)
        .values({lease_until: now + lease, lease_owner: owner})
        .returning(id_column)
        .execution_options(synchronize_session=False)
    )
    return sorted((await session.execute(statement)).scalars().all())
