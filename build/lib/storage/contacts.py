"""Contacts: lookup by platform id or contact id, creation, listing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, ContactTag

CHANNELS = ("line", "telegram", "web", "console")


class ContactRefError(ValueError):
    """A CONTACT argument that is neither `channel:USERID` nor a contact id."""


def parse_contact_ref(ref: str) -> tuple[str, str] | int:
    """`line:U1`/`telegram:42` → (channel, user id); `17` → contact id 17."""
    ref = ref.strip()
    if ref.isdigit():
        return int(ref)
    channel, sep, user_id = ref.partition(":")
    if not sep or channel.lower() not in CHANNELS or not user_id.strip():
        raise ContactRefError(f"{ref!r} is not line:USERID, telegram:USERID or a contact id")
    return channel.lower(), user_id.strip()


async def find_contact(session: AsyncSession, ref: str) -> Contact | None:
    parsed = parse_contact_ref(ref)
    if isinstance(parsed, int):
        return await session.get(Contact, parsed)
    channel, user_id = parsed
    return await find_by_platform_id(session, channel, user_id)


async def find_by_platform_id(session: AsyncSession, channel: str, user_id: str) -> Contact | None:
    result = await session.execute(
        select(Contact).where(Contact.channel == channel, Contact.platform_user_id == user_id)
    )
    return result.scalar_one_or_none()


async def get_or_create(
    session: AsyncSession, channel: str, user_id: str, *, now: datetime, display_name: str | None = None
) -> tuple[Contact, bool]:
    """The contact for this platform user, created if new; (contact, created)."""
    contact = await find_by_platform_id(session, channel, user_id)
    if contact is not None:
        return contact, False
    contact = Contact(
        channel=channel,
        platform_user_id=user_id,
        display_name=display_name,
        created_at=now,
        updated_at=now,
        tags=[],
    )
    session.add(contact)
    await session.flush()
    return contact, True


async def list_contacts(session: AsyncSession, *, role: str | None = None, tag: str | None = None) -> Sequence[Contact]:
    query = select(Contact).order_by(Contact.id)
    if role:
        query = query.where(Contact.role == role)
    if tag:
        query = query.where(Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag == tag)))
    return (await session.execute(query)).scalars().all()


def normalise_tag(tag: str) -> str:
    """Tags are short and case-insensitive: 'Science Teachers' and 'science-teachers' are one tag."""
    cleaned = "-".join(tag.strip().lower().split())
    if not cleaned or len(cleaned) > 64 or ":" in cleaned or "," in cleaned:
        raise ValueError(f"a tag is 1-64 characters without ':' or ',': {tag!r}")
    return cleaned


def add_tag(contact: Contact, tag: str) -> bool:
    """Tag the contact (already loaded with its tags); False when it had the tag."""
    tag = normalise_tag(tag)
    if any(t.tag == tag for t in contact.tags):
        return False
    contact.tags.append(ContactTag(tag=tag))
    return True


def remove_tag(contact: Contact, tag: str) -> bool:
    tag = normalise_tag(tag)
    before = len(contact.tags)
    contact.tags[:] = [t for t in contact.tags if t.tag != tag]
    return len(contact.tags) != before


def mask_phone(phone: str | None) -> str | None:
    """08x-xxx-1234: enough to recognise one's own number, not enough to call it."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"{digits[:3]}-xxx-{digits[-4:]}" if len(digits) >= 7 else "xxx"
