"""The audit log: one row per staff/officer/admin action, refusals included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog


def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str | None = None,
    allowed: bool = True,
    actor_contact_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row to the session's transaction: it commits, or rolls back, with the action itself."""
    row = AuditLog(
        at=at,
        actor=actor,
        action=action,
        target=target,
        allowed=allowed,
        actor_contact_id=actor_contact_id,
        detail=detail or {},
    )
    session.add(row)
    return row
