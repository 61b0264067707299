"""`/console` (on LINE also the word “เข้าระบบ”): a one-time sign-in link to the staff web console, made by the
office action `handlers.office.console_links.issue_signin_link` that `phuankru console link` calls too."""

from __future__ import annotations

from collections.abc import Sequence

from core.model import Event, OutMessage
from handlers.chat.context import Context
from handlers.chat.roles import chat_actor
from handlers.chat.router import Router
from handlers.office.console_links import ConsoleRefused, issue_signin_link
from storage import console

router = Router("console")


@router.command("console")
async def console_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.contact is None or not event.chat.is_private:
        return []  # a link in a group would sign in whoever taps it first
    minutes = int(console.LINK_LIFETIME.total_seconds() // 60)
    try:
        url = await issue_signin_link(
            ctx.session, chat_actor(ctx), ctx.contact, now=ctx.clock.now(), public_url=ctx.config.public_url
        )
    except ConsoleRefused as exc:
        if exc.code == "no_url":
            return [ctx.say("console_no_url")]
        names = ctx.t("or").join(ctx.t(f"role_{r}") for r in ("staff", "officer", "admin"))
        return [ctx.say("refused", roles=names)]
    return [ctx.say("console_link", url=url, minutes=minutes)]
