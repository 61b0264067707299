"""What every office action does around its work: check the actor's role, and write the audit row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from storage import audit
from storage.models import Role

# Admins may do what staff and officers may.
_IMPLIED = {Role.ADMIN.value: frozenset({Role.ADMIN.value, Role.STAFF.value, Role.OFFICER.value})}


class Refused(PermissionError):
    """The actor lacks every one of `needs`; the refusal is already in the audit log."""

    def __init__(self, action: str, needs: tuple[Role, ...]) -> None:
        super().__init__(action)
        self.action, self.needs = action, needs


def role_allows(role: str | None, *roles: Role) -> bool:
    if role is None:
        return False
    held = _IMPLIED.get(role, frozenset({role}))
    return any(r.value in held for r in roles)


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target: str | None,
    *,
    now: datetime,
    allowed: bool = True,
    **detail: Any,
) -> None:
    """The audit row of `action`, in the caller's transaction.

    The actor's name already tells the CLI ("cli") and the jobs apart; a person's name ("line:U…") does not tell
    chat from the console, so a console action says `via: console` in its detail (as it did before this layer)."""
    if actor.via == "console":
        detail = {**detail, "via": "console"}
    audit.record(
        session,
        at=now,
        actor=actor.name,
        action=action,
        target=target,
        allowed=allowed,
        actor_contact_id=actor.contact_id,
        detail=detail,
    )


def require(session: AsyncSession, actor: Actor, action: str, *roles: Role, now: datetime) -> None:
    """Raise Refused (audit-logged) unless the actor holds one of `roles`."""
    if not role_allows(actor.role, *roles):
        record(session, actor, action, None, now=now, allowed=False, needs=[r.value for r in roles], has=actor.role)
        raise Refused(action, roles)
