"""/link: one person on LINE and on Telegram, so that each announcement reaches them once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, update

from core.model import Event, OutMessage
from handlers.chat.context import Context
from handlers.chat.router import Router
from storage.models import Contact, LinkCode

router = Router("linking")

CODE_TTL = timedelta(minutes=10)


@router.command("link")
async def link(event: Event, ctx: Context) -> Sequence[OutMessage]:
    contact = ctx.contact
    if contact is None:
        return []
    now = ctx.clock.now()
    typed = "".join((event.command[1] if event.command else "").split())
    if not typed:
        await ctx.session.execute(delete(LinkCode).where(LinkCode.contact_id == contact.id))
        code = f"{secrets.randbelow(1_000_000):06d}"
        ctx.session.add(LinkCode(code=code, contact_id=contact.id, created_at=now, expires_at=now + CODE_TTL))
        return [ctx.say("link_code", code=code)]
    row = await ctx.session.get(LinkCode, typed)
    if row is None or row.expires_at <= now:
        return [ctx.say("link_bad")]
    other = await ctx.session.get(Contact, row.contact_id)
    if other is None or other.id == contact.id:
        return [ctx.say("link_bad")]
    if other.channel == contact.channel:
        return [ctx.say("link_same_channel")]
    await ctx.session.delete(row)
    person = min(
        other.person_id or other.id,
        contact.person_id or contact.id,
    )
    # Everyone already linked to either side joins the one person.
    old = {p for p in (other.person_id, contact.person_id) if p is not None}
    if old:
        await ctx.session.execute(
            update(Contact)
            .where(Contact.person_id.in_(old))
            .values(person_id=person)
            .execution_options(synchronize_session="fetch")
        )
    other.person_id = contact.person_id = person
    return [ctx.say("link_done")]
