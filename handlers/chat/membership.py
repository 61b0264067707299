"""Who can be reached: follow/unfollow keep a contact's state, join/leave keep the list of groups."""

from __future__ import annotations

from collections.abc import Sequence

from core.model import ChatKind, Event, EventKind, OutMessage
from handlers.chat.context import Context
from handlers.chat.registration import first_contact
from handlers.chat.router import Router
from handlers.texts import t
from storage import chats

router = Router("membership")


@router.on(EventKind.FOLLOW)
async def followed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    contact = ctx.contact
    if contact is None:
        return []
    returning = not ctx.contact_created and (not contact.reachable or contact.blocked_at is not None)
    contact.reachable, contact.blocked_at, contact.updated_at = True, None, ctx.clock.now()
    if returning:
        # A person who comes back is known already: no second welcome, no second registration.
        return [OutMessage(text=t("welcome_back", ctx.lang))]
    return await first_contact(ctx)


@router.on(EventKind.UNFOLLOW)
async def unfollowed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.contact is not None:
        now = ctx.clock.now()
        ctx.contact.reachable, ctx.contact.blocked_at, ctx.contact.updated_at = False, now, now
    return []  # they cannot read anything now


@router.on(EventKind.JOIN)
async def joined(event: Event, ctx: Context) -> Sequence[OutMessage]:
    await chats.joined(
        ctx.session,
        event.channel.value,
        event.chat.id,
        event.chat.kind.value,
        title=event.chat.title,
        now=ctx.clock.now(),
    )
    # A channel is the office's own broadcast place: no greeting posted there.
    return [] if event.chat.kind is ChatKind.CHANNEL else [OutMessage(text=t("group_hello", ctx.lang))]


@router.on(EventKind.LEAVE)
async def left(event: Event, ctx: Context) -> Sequence[OutMessage]:
    await chats.left(ctx.session, event.channel.value, event.chat.id, now=ctx.clock.now())
    return []
