"""Erasing a person on request (PDPA): `/forgetme` in chat calls this, and so will the console's admin erase."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from handlers.office.acting import record, require
from storage.erasure import erase_contact
from storage.models import Contact, Role


def self_actor(contact: Contact) -> Actor:
    """A person erasing themself, named by their contact id: their platform id is what is being erased."""
    return Actor(f"{contact.channel}:contact:{contact.id}", contact.id, contact.role)


async def erase_person(session: AsyncSession, actor: Actor, contact: Contact, *, now: datetime) -> None:
    """Erase `contact`'s personal data; the person themself may, otherwise only an admin. Raises Refused."""
    if actor.contact_id != contact.id:
        require(session, actor, "privacy.erase", Role.ADMIN, now=now)
    record(session, actor, "privacy.erase", f"contact:{contact.id}", now=now)
    await erase_contact(session, contact, now=now)
