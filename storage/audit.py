"""The audit log: one row per staff/officer/admin action, refusals included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog

ACTOR_MAX, ACTION_MAX, TARGET_MAX = 128, 64, 255  # AuditLog's String() lengths (tests/test_security.py checks)


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
    # Clipped to the columns' sizes: an action name can carry part of a button's data (handlers/chat/inbox.py makes
    # "inbox.<what the button said>"), and a crafted 300-character button made PostgreSQL refuse the row, which
    # rolled back the refusal itself and sent the person the internal-error apology instead.
    row = AuditLog(
        at=at,
        actor=actor[:ACTOR_MAX],
        action=action[:ACTION_MAX],
        target=target[:TARGET_MAX] if target is not None else None,
        allowed=allowed,
        actor_contact_id=actor_contact_id,
        detail=detail or {},
    )
    session.add(row)
    return row
