"""Granting a role: `/grant` in chat and `phuankru staff add` call this one function."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from handlers.office.acting import record, require
from storage import console, contacts
from storage.models import Contact, Role


class RoleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Grant:
    contact: Contact
    previous_role: str | None  # None: the contact was created by this grant


async def grant_role(session: AsyncSession, actor: Actor, *, contact_ref: str, role: str, now: datetime) -> Grant:
    """Give `role` to the contact `contact_ref` names; a platform user not seen yet becomes a contact.

    Raises Refused (the actor is not an admin), RoleError (unknown role or contact) or ContactRefError."""
    require(session, actor, "role.grant", Role.ADMIN, now=now)
    try:
        wanted = Role(role)
    except ValueError:
        raise RoleError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None
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
    if wanted is Role.TEACHER:
        # The web console is for staff, officers and admins: a role taken away ends every session at once.
        await console.end_all_sessions(session, contact.id)
    record(session, actor, "role.grant", f"contact:{contact.id}", now=now, role=wanted.value, previous=previous)
    await session.flush()
    return Grant(contact, previous)
