"""/link: one person on LINE and on Telegram, so that each announcement reaches them once.

A code joins the account that types it to the person who asked for it: whoever guesses a live code receives
that person's announcements and answers their surveys. So the code is long enough not to be guessed and the
tries are limited, per account and overall, and every failed try is audit-logged.

Guessing arithmetic. A code is CODE_LENGTH = 10 symbols of Crockford's base32 (32 symbols): 32**10 ≈ 1.13e15
codes. It lives CODE_TTL = 10 minutes, the same as the failure window, so in any code's lifetime at most
GLOBAL_FAILURES = 100 wrong tries are checked across all accounts and replicas (plus the few a race between
concurrent handlers lets through: at most the processor's concurrency, 4, per replica). Even with 10,000
live codes at once, one lifetime gives an attacker ≤ 100 × 10,000 / 1.13e15 ≈ 9e-10 chance, about 5e-5 over a
whole year of trying. Without the limits, at the 4,730 webhooks/s serve sustains (docs/PERFORMANCE.md),
2.8e6 tries in 10 minutes would still hit one given code with only ≈ 2.5e-9 chance.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta

from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Event, OutMessage
from handlers.chat.context import Context
from handlers.chat.roles import actor_of
from handlers.chat.router import Router
from storage import audit
from storage.models import AuditLog, Contact, LinkCode

router = Router("linking")

CODE_TTL = timedelta(minutes=10)
# Crockford's base32: digits and capitals without I, L, O and U, so nothing reads as something else.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
GROUP = 5  # shown as "7KQ2M-X9PRD": two short groups are easier to copy from one phone app to another
# What a person may type for a symbol that is not in the alphabet (Crockford's decoding); hyphens and
# spaces are only grouping.
_READS_AS = str.maketrans("OIL", "011", "-\u2010\u2011\u2012\u2013\u2014\u2212")  # the dashes phones type

FAILURE_WINDOW = timedelta(minutes=10)
ACCOUNT_FAILURES = 5  # wrong tries one account may make per window before it is refused
# Wrong tries all accounts together may make per window: counted in the audit log, so replicas share it.
# Beyond it /link refuses everyone until the window moves on — linking is rare, a guessed code is not.
GLOBAL_FAILURES = 100
FAILED, LOCKED, LINKED = "link.failed", "link.locked", "link.done"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """The code as stored, from what a person typed: any case, grouped or not, full-width or Thai digits."""
    text = thai_digit_to_arabic_digit(unicodedata.normalize("NFKC", typed))
    return "".join(text.split()).upper().translate(_READS_AS)


async def failures_since(session: AsyncSession, since: datetime, contact_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditLog).where(AuditLog.action == FAILED, AuditLog.at > since)
    if contact_id is not None:
        query = query.where(AuditLog.actor_contact_id == contact_id)
    return int((await session.execute(query)).scalar_one())


@router.command("link")
async def link(event: Event, ctx: Context) -> Sequence[OutMessage]:
    contact = ctx.contact
    if contact is None:
        return []
    now = ctx.clock.now()
    typed = normalise(event.command[1] if event.command else "")
    if not typed:
        await ctx.session.execute(
            delete(LinkCode).where((LinkCode.contact_id == contact.id) | (LinkCode.expires_at <= now))
        )
        code = new_code()
        ctx.session.add(LinkCode(code=code, contact_id=contact.id, created_at=now, expires_at=now + CODE_TTL))
        return [ctx.say("link_code", code=shown(code))]

    def log(action: str, **detail: object) -> None:
        audit.record(
            ctx.session,
            at=now,
            actor=actor_of(ctx),
            action=action,
            target=f"contact:{contact.id}",
            allowed=action == LINKED,
            actor_contact_id=contact.id,
            detail=dict(detail),
        )

    # Checked before the code is looked at: a locked-out try, right or wrong, tells the guesser nothing.
    since = now - FAILURE_WINDOW
    if await failures_since(ctx.session, since, contact.id) >= ACCOUNT_FAILURES:
        log(LOCKED, scope="account")
        return [ctx.say("link_locked", minutes=int(FAILURE_WINDOW.total_seconds() // 60))]
    if await failures_since(ctx.session, since) >= GLOBAL_FAILURES:
        log(LOCKED, scope="global")
        return [ctx.say("link_busy", minutes=int(FAILURE_WINDOW.total_seconds() // 60))]

    row = await ctx.session.get(LinkCode, typed) if len(typed) == CODE_LENGTH else None
    if row is None or row.expires_at <= now:
        log(FAILED, reason="unknown" if row is None else "expired")
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
    log(LINKED, other=f"contact:{other.id}")
    return [ctx.say("link_done")]
