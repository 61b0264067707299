"""Roles: who may do what, granting them, and refusing politely. Every grant and refusal is audit-logged."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from core.clock import Clock
from core.model import OutMessage
from handlers.chat.context import Context
from storage import audit, console, contacts
from storage.models import Contact, Role


class RoleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Grant:
    contact: Contact
    previous_role: str | None  # None: the contact was created by this grant


def actor_of(ctx: Context) -> str:
    return f"{ctx.event.channel.value}:{ctx.event.user_id}" if ctx.event.user_id else ctx.event.channel.value


def chat_actor(ctx: Context) -> Actor:
    """The person who wrote, as an office action's actor."""
    return Actor(actor_of(ctx), ctx.contact.id if ctx.contact else None, ctx.contact.role if ctx.contact else None)


async def grant_role(session: AsyncSession, clock: Clock, *, contact_ref: str, role: str, actor: str) -> Grant:
    """Give `role` to the contact named by `contact_ref`; a platform user not seen yet becomes a contact."""
    try:
        wanted = Role(role)
    except ValueError:
        raise RoleError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None
    now = clock.now()
    parsed = contacts.parse_contact_ref(contact_ref)
    contact: Contact | None
    if isinstance(parsed, int):
        contact = await session.get(Contact, parsed)
        if contact is None:
            raise RoleError(f"no contact with id {parsed}")
        previous: str | None = contact.role
    else:
        contact, created = await contacts.get_or_create(session, *parsed, now=now)
        previous = None if created else contact.role
    contact.role = wanted.value
    contact.updated_at = now
    if wanted is Role.TEACHER:
        # The web console is for staff, officers and admins: a role taken away ends every session at once.
        await console.end_all_sessions(session, contact.id)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="role.grant",
        target=f"contact:{contact.id}",
        detail={"role": wanted.value, "previous": previous},
    )
    await session.flush()
    return Grant(contact, previous)


async def bootstrap_admin(ctx: Context) -> None:
    """PHUANKRU_ADMINS are admins from their first message on."""
    contact = ctx.contact
    if contact is None or contact.role == Role.ADMIN.value:
        return
    if (contact.channel, contact.platform_user_id) in ctx.config.admins:
        previous, contact.role = contact.role, Role.ADMIN.value
        audit.record(
            ctx.session,
            at=ctx.clock.now(),
            actor="system",
            action="role.bootstrap",
            target=f"contact:{contact.id}",
            actor_contact_id=contact.id,
            detail={"role": Role.ADMIN.value, "previous": previous, "source": "PHUANKRU_ADMINS"},
        )


# Admins may do what staff and officers may.
_IMPLIED = {Role.ADMIN.value: {Role.ADMIN.value, Role.STAFF.value, Role.OFFICER.value}}


def has_role(ctx: Context, *roles: Role) -> bool:
    if ctx.contact is None:
        return False
    held = _IMPLIED.get(ctx.contact.role, {ctx.contact.role})
    return any(r.value in held for r in roles)


def refuse(ctx: Context, action: str, *roles: Role) -> list[OutMessage]:
    """The polite no, written to the audit log with who asked for what."""
    audit.record(
        ctx.session,
        at=ctx.clock.now(),
        actor=actor_of(ctx),
        action=action,
        target=None,
        allowed=False,
        actor_contact_id=ctx.contact.id if ctx.contact else None,
        detail={"needs": [r.value for r in roles], "has": ctx.contact.role if ctx.contact else None},
    )
    names = ctx.t("or").join(ctx.t(f"role_{r.value}") for r in roles)
    return [ctx.say("refused", roles=names)]
