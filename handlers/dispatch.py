"""The entry point from the adapters: one event in, the answers out, all inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import basics, membership
from handlers.context import Context
from handlers.model import Event, EventKind, OutMessage
from handlers.router import Router, find_handler
from handlers.texts import t
from scheduler.clock import Clock
from storage import contacts

# Order matters: the first router that knows a command, prefix or kind handles it.
ROUTERS: list[Router] = [membership.router, basics.router]

# In groups the bot speaks only when spoken to: commands, and its own membership.
_GROUP_KINDS = {EventKind.JOIN, EventKind.LEAVE, EventKind.POSTBACK}


async def handle(session: AsyncSession, clock: Clock, event: Event) -> Context:
    """Handle one event; returns the context holding the replies (in `replies`) and any other messages."""
    ctx = Context(session=session, clock=clock, event=event)
    if event.user_id and event.chat.is_private:
        ctx.contact, _ = await contacts.get_or_create(
            session, event.channel.value, event.user_id, now=clock.now(), display_name=event.user_name
        )
        ctx.lang = ctx.contact.language
    replies: Sequence[OutMessage] = []
    if event.chat.is_private or event.command is not None or event.kind in _GROUP_KINDS:
        handler = find_handler(ROUTERS, event)
        if handler is not None:
            replies = await handler(event, ctx)
        elif event.command is not None and event.chat.is_private:
            replies = [OutMessage(text=t("unknown_command", ctx.lang, command="/" + event.command[0]))]
        elif event.kind is EventKind.POSTBACK:
            replies = [OutMessage(text=t("expired_button", ctx.lang))]
    ctx.replies = list(replies)
    return ctx
