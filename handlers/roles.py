"""Roles: who may do what, and granting them. Every grant is audit-logged."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.clock import Clock
from storage import audit, contacts
from storage.models import Contact, Role


class RoleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Grant:
    contact: Contact
    previous_role: str | None  # None: the contact was created by this grant


async def grant_role(session: AsyncSession, clock: Clock, *, contact_ref: str, role: str, actor: str) -> Grant:
    """Give `role` to the contact named by `contact_ref`; a platform user not seen yet becomes a contact."""
    try:
        wanted = Role(role)
    except ValueError:
        raise RoleError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None
    now = clock.now()
    parsed = contacts.parse_contact_ref(contact_ref)
    contact: Contact | None
    if isinstance(parsed, int):
        contact = await session.get(Contact, parsed)
        if contact is None:
            raise RoleError(f"no contact with id {parsed}")
        previous: str | None = contact.role
    else:
        contact, created = await contacts.get_or_create(session, *parsed, now=now)
        previous = None if created else contact.role
    contact.role = wanted.value
    contact.updated_at = now
    audit.record(
        session,
        at=now,
        actor=actor,
        action="role.grant",
        target=f"contact:{contact.id}",
        detail={"role": wanted.value, "previous": previous},
    )
    await session.flush()
    return Grant(contact, previous)
