"""Erasing a person's data (PDPA): personal fields, tags, state, queued messages, raw incoming messages.

Later features that keep answers linked to a contact register an anonymiser here, so that `/forgetme`
keeps their answers only without the person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import Text, cast, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Conversation, InboundEvent, LinkCode, OutboxMessage, OutboxState

Anonymiser = Callable[[AsyncSession, int], Awaitable[None]]
ANONYMISERS: list[Anonymiser] = []


def register_anonymiser(anonymiser: Anonymiser) -> Anonymiser:
    ANONYMISERS.append(anonymiser)
    return anonymiser


async def erase_contact(session: AsyncSession, contact: Contact, *, now: datetime) -> None:
    """Remove everything that identifies the person; the row stays as an anonymous placeholder."""
    platform_id = contact.platform_user_id
    for anonymise in ANONYMISERS:
        await anonymise(session, contact.id)
    # Queued messages to them are not sent any more; past ones lose the address they went to.
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.contact_id == contact.id, OutboxMessage.state == OutboxState.PENDING.value)
        .values(state=OutboxState.CANCELLED.value, error="recipient erased their data")
        .execution_options(synchronize_session=False)
    )
    # The raw webhook payloads hold their id, name and words.
    await session.execute(
        delete(InboundEvent)
        .where(
            InboundEvent.channel == contact.channel, cast(InboundEvent.raw, Text).contains(platform_id, autoescape=True)
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Conversation).where(Conversation.contact_id == contact.id))
    await session.execute(delete(LinkCode).where(LinkCode.contact_id == contact.id))
    digest = hashlib.sha256(f"{contact.channel}:{platform_id}".encode()).hexdigest()[:24]
    contact.platform_user_id = f"erased:{digest}"
    contact.display_name = contact.phone = contact.school_name_unlisted = contact.position = None
    contact.school_id = contact.person_id = None
    contact.consent_at = contact.consent_notice_version = contact.registered_at = None
    contact.tags.clear()
    contact.reachable = False
    contact.erased_at = contact.updated_at = now
