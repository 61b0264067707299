"""`/console` (on LINE also the word “เข้าระบบ”): a one-time sign-in link to the staff web console.

`issue_signin_link` is the one place a link is made: the chat command and `phuankru console link` both call it,
so the role check, the audit row and the link row are the same whoever asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Event, OutMessage
from handlers.chat.context import Context
from handlers.chat.roles import actor_of
from handlers.chat.router import Router
from storage import audit, console
from storage.models import Contact, Role

router = Router("console")

CONSOLE_ROLES = frozenset({Role.STAFF.value, Role.OFFICER.value, Role.ADMIN.value})
SIGNIN_PATH = "/console/signin/"


class ConsoleRefused(ValueError):
    """`code`: "role" (not staff, officer or admin) or "no_url" (PHUANKRU_PUBLIC_URL unset)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def issue_signin_link(
    session: AsyncSession,
    contact: Contact,
    *,
    now: datetime,
    public_url: str,
    actor: str,
    minutes: int = int(console.LINK_LIFETIME.total_seconds() // 60),
) -> str:
    """The sign-in URL for `contact`, audit-logged; refusals are audit-logged too and raise ConsoleRefused."""
    refusal = None
    if contact.role not in CONSOLE_ROLES or contact.erased_at is not None:
        refusal = "role"
    elif not public_url:
        refusal = "no_url"
    if refusal is not None:
        audit.record(
            session,
            at=now,
            actor=actor,
            action="console.link",
            target=f"contact:{contact.id}",
            allowed=False,
            actor_contact_id=contact.id,
            detail={"reason": refusal, "has": contact.role},
        )
        raise ConsoleRefused(refusal)
    token = await console.issue_link(session, contact.id, now=now, lifetime=timedelta(minutes=minutes))
    audit.record(
        session,
        at=now,
        actor=actor,
        action="console.link",
        target=f"contact:{contact.id}",
        actor_contact_id=contact.id,
        detail={"minutes": minutes},
    )
    return public_url.rstrip("/") + SIGNIN_PATH + token


@router.command("console")
async def console_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.contact is None or not event.chat.is_private:
        return []  # a link in a group would sign in whoever taps it first
    minutes = int(console.LINK_LIFETIME.total_seconds() // 60)
    try:
        url = await issue_signin_link(
            ctx.session, ctx.contact, now=ctx.clock.now(), public_url=ctx.config.public_url, actor=actor_of(ctx)
        )
    except ConsoleRefused as exc:
        if exc.code == "no_url":
            return [ctx.say("console_no_url")]
        names = ctx.t("or").join(ctx.t(f"role_{r}") for r in ("staff", "officer", "admin"))
        return [ctx.say("refused", roles=names)]
    return [ctx.say("console_link", url=url, minutes=minutes)]
