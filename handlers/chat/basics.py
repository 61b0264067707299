"""The commands everyone has: /start, /help, /cancel. Free text goes to the office inbox (handlers/chat/inbox.py)."""

from __future__ import annotations

from collections.abc import Sequence

from core.model import Event, OutMessage
from handlers.chat.context import Context
from handlers.chat.registration import first_contact
from handlers.chat.roles import has_role
from handlers.chat.router import Router
from handlers.texts import t
from storage.models import Role

router = Router("basics")


@router.command("start")
async def start(event: Event, ctx: Context) -> Sequence[OutMessage]:
    return await first_contact(ctx)


@router.command("cancel")
async def cancel(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.state is None:
        return [ctx.say("help")]
    await ctx.end_state()
    return [ctx.say("reg_cancelled")]


@router.command("help")
async def help_(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """Everyone's commands, then those of each role the person holds: staff never have to guess theirs."""
    parts = [t("help", ctx.lang)]
    for role in (Role.STAFF, Role.OFFICER, Role.ADMIN):
        if has_role(ctx, role):
            parts.append(t(f"help_{role.value}", ctx.lang))
    if len(parts) > 1:
        parts.append(t("help_console", ctx.lang))
    return [OutMessage(text="\n\n".join(parts))]
