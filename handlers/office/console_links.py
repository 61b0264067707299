"""A one-time sign-in link to the staff web console: `/console` in chat, `phuankru console link` and the demo all
call `issue_signin_link`, so the role check, the audit row and the link row are the same whoever asks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from handlers.office.acting import record
from storage import console
from storage.models import Contact, Role

CONSOLE_ROLES = frozenset({Role.STAFF.value, Role.OFFICER.value, Role.ADMIN.value})
SIGNIN_PATH = "/console/signin/"
DEFAULT_MINUTES = int(console.LINK_LIFETIME.total_seconds() // 60)


class ConsoleRefused(ValueError):
    """`code`: "role" (not staff, officer or admin) or "no_url" (PHUANKRU_PUBLIC_URL unset)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def issue_signin_link(
    session: AsyncSession,
    actor: Actor,
    contact: Contact,
    *,
    now: datetime,
    public_url: str,
    minutes: int = DEFAULT_MINUTES,
) -> str:
    """The sign-in URL for `contact`, audit-logged; a refusal is audit-logged too and raises ConsoleRefused.

    The check is on the person the link is for (a console is only for staff roles), whoever asks for it: the
    person themself in chat, or the operator at the terminal."""
    target = f"contact:{contact.id}"
    refusal = None
    if contact.role not in CONSOLE_ROLES or contact.erased_at is not None:
        refusal = "role"
    elif not public_url:
        refusal = "no_url"
    if refusal is not None:
        record(session, actor, "console.link", target, now=now, allowed=False, reason=refusal, has=contact.role)
        raise ConsoleRefused(refusal)
    token = await console.issue_link(session, contact.id, now=now, lifetime=timedelta(minutes=minutes))
    record(session, actor, "console.link", target, now=now, minutes=minutes)
    return public_url.rstrip("/") + SIGNIN_PATH + token
