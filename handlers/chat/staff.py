"""Commands for office staff and admins in chat. Roles are checked here, never in the adapters."""

from __future__ import annotations

from collections.abc import Sequence

from core.model import Event, OutMessage
from handlers.chat.context import Context
from handlers.chat.roles import chat_actor, has_role, refusal, refuse
from handlers.chat.router import Router
from handlers.office.acting import Refused
from handlers.office.roles import RoleError, grant_role
from storage import chats
from storage.contacts import ContactRefError
from storage.models import Role

router = Router("staff")


@router.command("grant")
async def grant(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.ADMIN):
        return refuse(ctx, "role.grant", Role.ADMIN)
    args = event.command[1].split() if event.command else []
    if len(args) != 2:
        return [ctx.say("grant_usage")]
    who, role = args
    try:
        result = await grant_role(ctx.session, chat_actor(ctx), contact_ref=who, role=role.lower(), now=ctx.clock.now())
    except Refused as exc:
        return refusal(ctx, *exc.needs)
    except ContactRefError:
        return [ctx.say("grant_usage")]
    except RoleError:
        if who.isdigit():
            return [ctx.say("grant_unknown", who=who)]
        return [ctx.say("grant_usage")]
    return [ctx.say("grant_done", role=result.contact.role, who=who)]


@router.command("groups")
async def list_groups(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "groups.list", Role.STAFF)
    rows = await chats.list_chats(ctx.session, active_only=True)
    if not rows:
        return [ctx.say("groups_none")]
    lines = [ctx.t("groups_list", n=len(rows))]
    for chat in rows:
        tags = f" [{', '.join(t.tag for t in chat.tags)}]" if chat.tags else ""
        lines.append(
            f"{chat.id}. {chat.name or chat.title or chat.platform_chat_id} ({chat.channel}, {chat.kind}){tags}"
        )
    return [OutMessage(text="\n".join(lines))]
