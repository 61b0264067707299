"""PDPA in chat: the notice, what is stored about me, erasure after confirmation, and the language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.choices import pick
from core.model import Button, Event, EventKind, OutMessage
from core.thaidate import thai_date
from handlers.chat.context import Context
from handlers.chat.registration import POSITIONS, privacy_notice
from handlers.chat.router import Router
from handlers.office.privacy import erase_person, self_actor
from handlers.texts import LANGUAGES
from storage.contacts import mask_phone
from storage.inbox_models import InboxMessage, InboxThread
from storage.models import Contact, School

router = Router("privacy")

FORGET_FLOW = "forget"


@router.command("privacy")
async def show_privacy(event: Event, ctx: Context) -> Sequence[OutMessage]:
    return [privacy_notice(ctx)]


@router.command("mydata")
async def my_data(event: Event, ctx: Context) -> Sequence[OutMessage]:
    contact = ctx.contact
    if contact is None:
        return []
    tz = ZoneInfo(ctx.config.timezone)
    none = ctx.t("none_given")
    school = none
    if contact.school_id is not None:
        row = await ctx.session.get(School, contact.school_id)
        school = row.name if row is not None else none
    elif contact.school_name_unlisted:
        school = f"{contact.school_name_unlisted} {ctx.t('reg_unlisted_mark')}"
    linked = none
    if contact.person_id is not None:
        others = await ctx.session.execute(
            select(Contact.channel).where(Contact.person_id == contact.person_id, Contact.id != contact.id)
        )
        linked = ", ".join(sorted({c.upper() for c in others.scalars()})) or none
    return [
        ctx.say(
            "mydata",
            channel=contact.channel.upper(),
            name=contact.display_name or none,
            position=ctx.t(f"pos_{contact.position}") if contact.position in POSITIONS else none,
            school=school,
            phone=mask_phone(contact.phone) or none,
            language=contact.language,
            role=contact.role,
            tags=", ".join(t.tag for t in contact.tags) or none,
            consent=thai_date(contact.consent_at, tz, ctx.lang) if contact.consent_at else none,
            registered=thai_date(contact.registered_at, tz, ctx.lang) if contact.registered_at else none,
            linked=linked,
            threads=await _threads_summary(ctx, contact.id),
        )
    ]


@router.command("forgetme")
async def forget_me(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.contact is None:
        return []
    await ctx.set_state(FORGET_FLOW, "confirm")
    return [
        ctx.say(
            "forget_confirm",
            ctx.button("btn_forget_yes", "priv:forget:yes"),
            ctx.button("btn_cancel", "priv:forget:no"),
        )
    ]


@router.postback("priv:forget:")
async def forget_answer(event: Event, ctx: Context) -> Sequence[OutMessage]:
    contact = ctx.contact
    if contact is None:
        return []
    if not (ctx.state and ctx.state.flow == FORGET_FLOW):
        return [ctx.say("expired_button")]
    await ctx.end_state()
    if event.data != "priv:forget:yes":
        return [ctx.say("reg_cancelled")]
    farewell = ctx.say("forget_done")
    await erase_person(ctx.session, self_actor(contact), contact, now=ctx.clock.now())
    ctx.contact = None  # nobody to link the farewell to; it still goes to the chat it came from
    return [farewell]


@router.flow(FORGET_FLOW)
async def forget_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    choice = pick(event.text, [ctx.t("btn_forget_yes"), ctx.t("btn_cancel")])
    if choice is None:
        return [ctx.say("reg_pick_hint", n=2), *await forget_me(event, ctx)]
    data = "priv:forget:yes" if choice == 0 else "priv:forget:no"
    return await forget_answer(replace(event, kind=EventKind.POSTBACK, data=data), ctx)


@router.command("lang")
async def language(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.contact is None:
        return []
    wanted = (event.command[1] if event.command else "").strip().lower()
    if not wanted:
        return [ctx.say("lang_pick", Button("ไทย", "lang:th"), Button("English", "lang:en"))]
    if wanted not in LANGUAGES:
        return [ctx.say("lang_bad")]
    return _set_language(ctx, wanted)


@router.postback("lang:")
async def language_button(event: Event, ctx: Context) -> Sequence[OutMessage]:
    wanted = (event.data or "").split(":", 1)[1]
    if ctx.contact is None or wanted not in LANGUAGES:
        return [ctx.say("expired_button")]
    return _set_language(ctx, wanted)


def _set_language(ctx: Context, lang: str) -> list[OutMessage]:
    assert ctx.contact is not None
    ctx.contact.language = ctx.lang = lang
    ctx.contact.updated_at = ctx.clock.now()
    return [ctx.say("lang_set")]


async def _threads_summary(ctx: Context, contact_id: int) -> str:
    """What the person wrote to the office (the inbox), as counts: the texts stay with staff."""
    threads = await ctx.session.execute(select(func.count()).where(InboxThread.contact_id == contact_id))
    messages = await ctx.session.execute(
        select(func.count())
        .select_from(InboxMessage)
        .join(InboxThread, InboxThread.id == InboxMessage.thread_id)
        .where(InboxThread.contact_id == contact_id)
    )
    n = int(threads.scalar_one())
    return ctx.t("mydata_threads", n=n, messages=int(messages.scalar_one())) if n else ctx.t("none_given")
