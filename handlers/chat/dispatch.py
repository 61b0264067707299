"""The entry point from the adapters: one event in, the answers out, all inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.choices import comparable
from core.clock import Clock
from core.model import Event, EventKind, OutMessage
from handlers.chat import (
    basics,
    broadcast,
    inbox,
    linking,
    membership,
    privacy,
    processes,
    registration,
    staff,
    surveys,
)
from handlers.chat.asked import remember_buttons, typed_button
from handlers.chat.console_signin import router as console_router
from handlers.chat.context import Context, HandlerConfig
from handlers.chat.roles import bootstrap_admin
from handlers.chat.router import Router, find_command, find_flow, find_kind, find_postback
from handlers.texts import TEXT_COMMANDS
from storage import contacts, conversations

# Order matters: the first router that knows a command, prefix or kind handles it.
ROUTERS: list[Router] = [
    membership.router,
    registration.router,
    privacy.router,
    linking.router,
    staff.router,
    broadcast.router,
    console_router,
    processes.router,
    surveys.router,
    inbox.router,  # after every flow and command: what is left is a message to the office
    basics.router,
]

# In groups the bot speaks only when spoken to: commands, and its own membership.
_GROUP_KINDS = {EventKind.JOIN, EventKind.LEAVE, EventKind.POSTBACK}


def resolve_command(event: Event) -> tuple[str, str] | None:
    """('register', '') for '/register' and, in private chats, for the word 'ลงทะเบียน' typed alone."""
    if event.command is not None:
        return event.command
    if event.kind is EventKind.TEXT and event.text and event.chat.is_private:
        command = _TEXT_COMMANDS.get(comparable(event.text))
        if command is not None:
            return command, ""
    return None


# The command words in the form typed text is compared in, so a slip such as misordered marks still matches.
_TEXT_COMMANDS = {comparable(word): command for word, command in TEXT_COMMANDS.items()}


async def handle(session: AsyncSession, clock: Clock, event: Event, config: HandlerConfig | None = None) -> Context:
    """Handle one event; the context holds the replies (`replies`) and any messages to others (`extra`)."""
    ctx = Context(session=session, clock=clock, event=event, config=config or HandlerConfig())
    if event.user_id and event.chat.is_private:
        now = clock.now()
        ctx.contact, ctx.contact_created = await contacts.get_or_create(
            session, event.channel.value, event.user_id, now=now, display_name=event.user_name
        )
        ctx.lang = ctx.contact.language
        await bootstrap_admin(ctx)
        ctx.state = await conversations.get(session, ctx.contact.id, now=now)
    elif event.user_id:
        # In a group, a known person's roles count (staff answering in the staff group); nobody is created.
        ctx.contact = await contacts.find_by_platform_id(session, event.channel.value, event.user_id)
        if ctx.contact is not None:
            ctx.lang = ctx.contact.language
    command = resolve_command(event)
    addressed = event.reply_to is not None or event.mentions_bot
    if not event.chat.is_private and command is None and event.kind not in _GROUP_KINDS and not addressed:
        return ctx  # group chatter is not for us
    replies: list[OutMessage] = []
    if ctx.contact_created and event.kind is not EventKind.FOLLOW and event.kind is not EventKind.UNFOLLOW:
        # First contact through a message: the welcome and the privacy notice come first.
        replies.extend(await registration.first_contact(ctx))
        # A bare /start is answered by the welcome; "/start sv_12" (a deep link) goes on to its handler.
        if command is None or (command[0] == "start" and not command[1]):
            await remember_buttons(ctx, replies)
            ctx.replies = replies
            _seen(ctx, clock)
            return ctx
    replies.extend(await _route(event, ctx, command))
    await remember_buttons(ctx, replies)
    ctx.replies = replies
    _seen(ctx, clock)
    return ctx


def _seen(ctx: Context, clock: Clock) -> None:
    # Written last: on SQLite the first write of a transaction takes the database's only write lock, and
    # the webhooks' inserts wait for it — so the lock is taken as late as possible.
    if ctx.contact is not None and ctx.event.chat.is_private:
        ctx.contact.last_seen_at = clock.now()


async def _route(event: Event, ctx: Context, command: tuple[str, str] | None) -> Sequence[OutMessage]:
    if command is None:
        event = typed_button(event, ctx)
    if command is not None:
        handler = find_command(ROUTERS, command[0])
        if handler is not None:
            return await handler(event, ctx)
        return [ctx.say("unknown_command", command="/" + command[0])] if event.chat.is_private else []
    if event.kind is EventKind.POSTBACK:
        handler = find_postback(ROUTERS, event.data or "")
        return await handler(event, ctx) if handler is not None else [ctx.say("expired_button")]
    if ctx.state is not None and event.chat.is_private and event.kind in (EventKind.TEXT, EventKind.MEDIA):
        handler = find_flow(ROUTERS, ctx.state.flow)
        if handler is not None:
            return await handler(event, ctx)
    handler = find_kind(ROUTERS, event.kind)
    return await handler(event, ctx) if handler is not None else []
