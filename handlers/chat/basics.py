"""The commands everyone has: /start, /help, /cancel. Free text goes to the office inbox (handlers/chat/inbox.py)."""

from __future__ import annotations

from collections.abc import Sequence

from core.model import Event, OutMessage
from handlers.chat.context import Context
from handlers.chat.registration import first_contact
from handlers.chat.router import Router
from handlers.texts import t

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
    return [OutMessage(text=t("help", ctx.lang))]
