"""The office inbox: what people write privately reaches staff; staff answer through the bot, on any platform.

A message that is no command and no step of a conversation goes into the person's open thread (a new thread
gets one acknowledgement, honest about office hours) and is forwarded to the staff group — or, with none set,
to every staff member — with Reply / Close / Assign buttons. A keyword auto-reply (FAQ) answers at once
instead, with a button to reach a person after all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.calendar import OfficeCalendar
from core.choices import comparable
from core.model import Attachment, Button, Channel, ChatKind, Event, EventKind, OutMessage, Target
from core.thaidate import thai_datetime
from handlers.attachments import problem_values
from handlers.chat.context import Context
from handlers.chat.roles import chat_actor, has_role, refusal, refuse
from handlers.chat.router import Router
from handlers.office.acting import Refused
from handlers.office.inbox import InboxError, answer_thread, assign_thread, close_thread
from handlers.texts import CATALOGUE, t
from storage import inbox, settings
from storage.holidays import office_calendar
from storage.inbox_models import Faq, InboxThread
from storage.models import Chat, Contact, Role, School

router = Router("inbox")

FAQ_FLOW = "faq"
REPLY_FLOW = "inbox_reply"


def normalise(text: str) -> str:
    """For matching, the form every typed text is compared in (core.choices.comparable)."""
    return comparable(text)


def match_faq(faqs: Sequence[Faq], text: str) -> Faq | None:
    typed = normalise(text)
    # The stored phrases are put through it again: one imported before it also turned Thai digits into Western
    # ones still matches (it is idempotent).
    return next((f for f in faqs if any(p and normalise(p) in typed for p in f.normalised)), None)


def _media_label(ctx: Context, media_type: str | None) -> str:
    key = f"media_{media_type}" if media_type in ("image", "file", "sticker", "location") else "media_other"
    return ctx.t(key)


@router.on(EventKind.TEXT)
async def text_message(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not event.chat.is_private:
        if event.reply_to and has_role(ctx, Role.STAFF):
            return await _reply_to_forward(event, ctx)
        return [ctx.say("mention_hint")] if event.mentions_bot else []
    if event.reply_to and has_role(ctx, Role.STAFF):
        answered = await _reply_to_forward(event, ctx)
        if answered:
            return answered
    text = (event.text or "").strip()
    faq = match_faq(await inbox.faqs(ctx.session), text) if text else None
    if faq is not None:
        await ctx.set_state(FAQ_FLOW, "answered", text=text)
        return [OutMessage(text=faq.answer, buttons=(ctx.button("inbox_not_answered", "inbox:f"),))]
    return await _to_inbox(event, ctx, kind="text", text=text)


@router.on(EventKind.MEDIA)
async def media_message(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if event.reply_to and has_role(ctx, Role.STAFF):
        answered = await _reply_to_forward(event, ctx)  # a photo or file as the office's answer
        if answered or not event.chat.is_private:
            return answered
    if not event.chat.is_private:
        return []
    return await _to_inbox(event, ctx, kind=event.media_type or "other", text=(event.text or "").strip() or None)


@router.flow(FAQ_FLOW)
async def after_faq(event: Event, ctx: Context) -> Sequence[OutMessage]:
    await ctx.end_state()  # a new message after an auto-reply is a new question
    return await text_message(event, ctx) if event.kind is EventKind.TEXT else await media_message(event, ctx)


async def _to_inbox(event: Event, ctx: Context, *, kind: str, text: str | None) -> list[OutMessage]:
    contact = ctx.contact
    if contact is None:
        return []
    now = ctx.clock.now()
    attachment = event.attachment
    thread, created = await inbox.add_incoming(
        ctx.session,
        contact.id,
        kind=kind,
        text=text,
        now=now,
        reply_token=event.reply_token,
        media_token=attachment.media_token if attachment else None,
    )
    content = text if kind == "text" else _media_content(ctx, event, text)
    await _forward(ctx, thread, contact, content, attachment)
    return [await _acknowledgement(ctx)] if created else []


def _media_content(ctx: Context, event: Event, caption: str | None) -> str:
    """How a photo or file reads in the forward: its kind, its name, its caption, and a word when it was not kept."""
    parts = [_media_label(ctx, event.media_type)]
    if event.file is not None and event.file.name:
        parts.append(event.file.name)
    if event.file_problem:
        parts.append(ctx.t("inbox_file_not_kept"))
    if caption:
        parts.append(caption)
    return " ".join(parts)


async def _acknowledgement(ctx: Context) -> OutMessage:
    tz = ZoneInfo(ctx.config.timezone)
    base = OfficeCalendar(timezone=tz, hours=ctx.config.office_hours, workdays=ctx.config.workdays)
    now = ctx.clock.now()
    calendar = await office_calendar(ctx.session, base, now.astimezone(tz).year)
    hours = ctx.config.office_hours
    hours_text = f"{hours[0]:%H:%M}–{hours[1]:%H:%M}" if hours else ctx.t("inbox_always_open")
    if calendar.is_open(now):
        return ctx.say("inbox_ack_open", hours=hours_text)
    return ctx.say("inbox_ack_closed", when=thai_datetime(calendar.next_open(now), tz, ctx.lang))


async def _who(ctx: Context, contact: Contact) -> tuple[str, str]:
    name = contact.display_name or f"{contact.channel}:{contact.platform_user_id}"
    about = [contact.channel.upper()]
    if contact.position:
        about.append(t(f"pos_{contact.position}", "th"))
    if contact.school_id:
        school = await ctx.session.get(School, contact.school_id)
        if school is not None:
            about.append(school.name)
    elif contact.school_name_unlisted:
        about.append(contact.school_name_unlisted)
    return name, " · ".join(about)


async def staff_targets(ctx: Context) -> list[Target]:
    """The staff group when one is set, else every reachable staff member and admin."""
    chosen = await settings.get(ctx.session, settings.INBOX_GROUP)
    if chosen:
        chat = await ctx.session.get(Chat, int(chosen["chat_id"]))
        if chat is not None and chat.active:
            kind = "user" if chat.kind == ChatKind.PRIVATE.value else chat.kind
            return [Target(Channel(chat.channel), kind, chat.platform_chat_id, chat_id=chat.id)]
    rows = await ctx.session.execute(
        select(Contact).where(
            Contact.role.in_([Role.STAFF.value, Role.ADMIN.value]),
            Contact.reachable.is_(True),
            Contact.erased_at.is_(None),
        )
    )
    return [
        Target(Channel(c.channel), "user", c.platform_user_id, contact_id=c.id)
        for c in rows.scalars()
        if c.channel in (Channel.LINE.value, Channel.TELEGRAM.value, Channel.WEB.value)
    ]


def _thread_buttons(thread_id: int, lang: str = "th") -> tuple[Button, ...]:
    return (
        Button(t("btn_inbox_reply", lang), f"inbox:r:{thread_id}"),
        Button(t("btn_inbox_close", lang), f"inbox:c:{thread_id}"),
        Button(t("btn_inbox_assign", lang), f"inbox:a:{thread_id}"),
    )


async def _forward(
    ctx: Context, thread: InboxThread, contact: Contact, content: str | None, attachment: Attachment | None = None
) -> None:
    name, about = await _who(ctx, contact)
    text = t("inbox_forward", thread=thread.id, who=name, about=about, content=content or "")
    text += "\n\n" + t("inbox_forward_hint", thread=thread.id)
    message = OutMessage(text=text, buttons=_thread_buttons(thread.id))
    for target in await staff_targets(ctx):
        if target.contact_id == contact.id:
            continue  # staff writing to the office do not get their own message back
        if attachment is not None:
            # The file itself, then the forward with its buttons: a reply to the forward answers the thread.
            ctx.queue(target, OutMessage(attachment=attachment), ref=inbox.thread_ref(thread.id))
        ctx.queue(target, message, ref=inbox.thread_ref(thread.id))


async def _reply_to_forward(event: Event, ctx: Context) -> list[OutMessage]:
    """A staff reply (Telegram reply-to) to a forwarded message answers its thread; [] when it is not one."""
    thread_id = await inbox.thread_of_forward(ctx.session, event.channel.value, event.chat.id, event.reply_to or "")
    if thread_id is None:
        return []
    if event.kind is EventKind.MEDIA:
        if event.file_problem:
            return [ctx.say(event.file_problem, **problem_values(event))]
        return await send_answer(ctx, thread_id, event.text or "", attachment=event.attachment)
    return await send_answer(ctx, thread_id, event.text or "")


async def send_answer(
    ctx: Context, thread_id: int, text: str, *, attachment: Attachment | None = None
) -> list[OutMessage]:
    """Staff answer a thread: the office action queues it to the person's own platform, once."""
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "inbox.reply", Role.STAFF)
    try:
        done = await answer_thread(
            ctx.session, chat_actor(ctx), thread_id, text, now=ctx.clock.now(), attachment=attachment
        )
    except Refused as exc:
        return refusal(ctx, *exc.needs)
    except InboxError as exc:
        if exc.code == "empty":
            return [ctx.say("inbox_empty_reply")]
        return [ctx.say("inbox_no_thread", thread=thread_id)]
    ctx.queued = True  # the answer: the delivery worker is woken
    name, _ = await _who(ctx, done.person)
    return [ctx.say("inbox_reply_sent", thread=done.thread.id, who=name)]


@router.postback("inbox:")
async def inbox_button(event: Event, ctx: Context) -> Sequence[OutMessage]:
    parts = (event.data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "f":  # "not answered" after an auto-reply: forward after all
        text = ctx.state.data.get("text") if ctx.state and ctx.state.flow == FAQ_FLOW else None
        await ctx.end_state()
        if not text:
            return [ctx.say("expired_button")]
        await _to_inbox(event, ctx, kind="text", text=str(text))
        return [ctx.say("inbox_faq_forwarded")]
    if not has_role(ctx, Role.STAFF):
        # A fixed action name: the button's data is whatever a crafted tap put there.
        known = action if action in ("r", "c", "a", "as", "p") else "button"
        return refuse(ctx, f"inbox.{known}", Role.STAFF)
    if len(parts) < 3 or not parts[2].isdigit():
        return [ctx.say("expired_button")]
    if action == "p":
        return await _threads_page(ctx, int(parts[2]))
    thread = await ctx.session.get(InboxThread, int(parts[2]))
    if thread is None or thread.state != inbox.OPEN:
        return [ctx.say("inbox_no_thread", thread=parts[2])]
    person = await ctx.session.get(Contact, thread.contact_id)
    name = (await _who(ctx, person))[0] if person else "?"
    if action == "r":
        if ctx.contact is None:
            return [ctx.say("inbox_reply_usage")]  # a group: answer by reply-to or /reply
        await ctx.set_state(REPLY_FLOW, "text", thread=thread.id)
        return [ctx.say("inbox_type_reply", ctx.button("btn_cancel", "inbox:x"), who=name, thread=thread.id)]
    if action == "c":
        await close_thread(ctx.session, chat_actor(ctx), thread.id, now=ctx.clock.now())
        return [ctx.say("inbox_closed", thread=thread.id)]
    if action == "a":
        staff = await ctx.session.execute(
            select(Contact).where(Contact.role.in_([Role.STAFF.value, Role.ADMIN.value]), Contact.reachable.is_(True))
        )
        buttons = [
            Button((c.display_name or f"{c.channel}:{c.platform_user_id}")[:40], f"inbox:as:{thread.id}:{c.id}")
            for c in list(staff.scalars())[:10]
        ]
        return [ctx.say("inbox_pick_staff", *buttons, thread=thread.id)]
    if action == "as" and len(parts) == 4 and parts[3].isdigit():
        try:
            assignee = await assign_thread(
                ctx.session, chat_actor(ctx), thread.id, int(parts[3]), now=ctx.clock.now(), who=name
            )
        except InboxError:
            return [ctx.say("expired_button")]
        ctx.queued = True
        return [ctx.say("inbox_assigned", thread=thread.id, who=assignee.display_name or assignee.platform_user_id)]
    return [ctx.say("expired_button")]


@router.flow(REPLY_FLOW)
async def reply_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    thread_id = int(ctx.state.data.get("thread", 0)) if ctx.state else 0
    await ctx.end_state()
    if event.kind is EventKind.MEDIA and event.attachment is not None:
        return await send_answer(ctx, thread_id, event.text or "", attachment=event.attachment)
    if event.kind is EventKind.MEDIA and event.file_problem:
        return [ctx.say(event.file_problem, **problem_values(event))]
    if event.kind is not EventKind.TEXT:
        return [ctx.say("inbox_empty_reply")]
    return await send_answer(ctx, thread_id, event.text or "")


@router.command("reply")
async def reply_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "inbox.reply", Role.STAFF)
    head, _, text = (event.command[1] if event.command else "").partition(" ")
    if not head.isdigit():
        return [ctx.say("inbox_reply_usage")]
    return await send_answer(ctx, int(head), text)


@router.command("inbox")
async def open_threads(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "inbox.list", Role.STAFF)
    return await _threads_page(ctx, 0)


INBOX_PAGE = 3  # cards per answer: with the heading and its button, within LINE's five messages per reply
EXCERPT = 160


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _waited(ctx: Context, since: datetime) -> str:
    minutes = max(0, int((ctx.clock.now() - since).total_seconds() // 60))
    if minutes < 60:
        return ctx.t("inbox_waited_minutes", n=minutes)
    if minutes < 48 * 60:
        return ctx.t("inbox_waited_hours", n=minutes // 60)
    return ctx.t("inbox_waited_days", n=minutes // (24 * 60))


async def _threads_page(ctx: Context, offset: int) -> list[OutMessage]:
    """Each open thread as a card with its person, their last message, how long it waits, and its buttons."""
    total = await inbox.count_open(ctx.session)
    if not total:
        return [ctx.say("inbox_none")]
    offset = offset if 0 <= offset < total else 0
    threads = await inbox.list_threads(ctx.session, open_only=True, limit=INBOX_PAGE, offset=offset)
    last = await inbox.last_incoming(ctx.session, [th.id for th in threads])
    tz = ZoneInfo(ctx.config.timezone)
    more = offset + len(threads) < total
    heading = ctx.say("inbox_open_page", n=total, first=offset + 1, last=offset + len(threads))
    cards = []
    for thread in threads:
        person = await ctx.session.get(Contact, thread.contact_id)
        name, about = await _who(ctx, person) if person else ("?", "")
        message = last.get(thread.id)
        said = (message.text if message and message.text else None) or (
            ctx.t(f"media_{message.kind}") if message and f"media_{message.kind}" in CATALOGUE else ""
        )
        text = ctx.t(
            "inbox_card",
            thread=thread.id,
            who=name,
            about=about,
            when=thai_datetime(thread.last_message_at, tz, ctx.lang),
            waited=_waited(ctx, thread.last_message_at),
            text=_excerpt(said),
        )
        cards.append(OutMessage(text=text, buttons=_thread_buttons(thread.id, ctx.lang)))
    if more:
        cards.append(ctx.say("inbox_more_hint", ctx.button("btn_inbox_more", f"inbox:p:{offset + INBOX_PAGE}")))
    return [heading, *cards]


@router.command("faq_add")
async def faq_add(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "faq.add", Role.STAFF)
    phrases_text, sep, answer = (event.command[1] if event.command else "").partition("|")
    phrases = [p.strip() for p in phrases_text.split(";") if p.strip()]
    if not sep or not phrases or not answer.strip():
        return [ctx.say("faq_usage")]
    normalised = [normalise(p) for p in phrases]
    faq = Faq(phrases=phrases, normalised=normalised, answer=answer.strip(), created_at=ctx.clock.now())
    ctx.session.add(faq)
    await ctx.session.flush()
    return [ctx.say("faq_added", id=faq.id)]


@router.command("faqs")
async def faq_list(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "faq.list", Role.STAFF)
    rows = await inbox.faqs(ctx.session)
    lines = [ctx.t("faq_list", n=len(rows))] + [f"{f.id}. {'; '.join(f.phrases)} → {f.answer[:60]}" for f in rows]
    return [OutMessage(text="\n".join(lines))]
