"""Roles in chat: who is talking as an office actor, whether they may, and the polite no (audit-logged).

Granting a role is an office action: handlers/office/roles.py."""

from __future__ import annotations

from core.actor import Actor
from core.model import OutMessage
from handlers.chat.context import Context
from handlers.office.acting import role_allows
from storage import audit
from storage.models import Role


def actor_of(ctx: Context) -> str:
    return f"{ctx.event.channel.value}:{ctx.event.user_id}" if ctx.event.user_id else ctx.event.channel.value


def chat_actor(ctx: Context) -> Actor:
    """The person who wrote, as an office action's actor."""
    return Actor(actor_of(ctx), ctx.contact.id if ctx.contact else None, ctx.contact.role if ctx.contact else None)


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


def has_role(ctx: Context, *roles: Role) -> bool:
    return ctx.contact is not None and role_allows(ctx.contact.role, *roles)


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
    return refusal(ctx, *roles)


def refusal(ctx: Context, *roles: Role) -> list[OutMessage]:
    """The polite no alone: for an office action's Refused, whose audit row is already written."""
    names = ctx.t("or").join(ctx.t(f"role_{r.value}") for r in roles)
    return [ctx.say("refused", roles=names)]
