"""Announcements in chat, for staff: audience → content → preview → send now, schedule, or cancel.

The same broadcast as `phuankru broadcast send`: one row, its recipients queued through the outbox.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, select

from core.model import Attachment, Button, Event, EventKind, OutMessage
from core.thaidate import names_a_day_only, parse_moment, thai_datetime
from handlers.attachments import AttachmentError, broadcast_problem, check_image_url, problem_values
from handlers.chat.context import Context
from handlers.chat.roles import chat_actor, has_role, refusal, refuse
from handlers.chat.router import Router
from handlers.office.acting import Refused
from handlers.office.announcements import announce, cancel_announcement
from handlers.office.delivery_report import delivery_xlsx, platform_name, recipient_lines, state_label
from handlers.texts import t
from storage import broadcasts, chats, media, schools
from storage.audiences import Audience, AudienceError
from storage.broadcasts import FOLLOWERS_SPEC, BroadcastError, Status
from storage.models import ContactTag, Role

router = Router("broadcast")

FLOW = "broadcast"
MAX_CHOICES = 10


def _labels(ctx: Context) -> dict[str, str]:
    return {
        "all": ctx.t("bc_all"),
        "role:teacher": ctx.t("bc_teachers"),
        "role:director": ctx.t("bc_directors"),
        FOLLOWERS_SPEC: ctx.t("bc_line_followers"),
    }


def _audience_buttons(ctx: Context) -> list[Button]:
    labels = _labels(ctx)
    return [
        Button(labels["all"], "bc:a:all"),
        Button(labels["role:teacher"], "bc:a:role:teacher"),
        Button(labels["role:director"], "bc:a:role:director"),
        ctx.button("bc_by_tag", "bc:tags"),
        ctx.button("bc_by_school", "bc:schools"),
        ctx.button("bc_groups", "bc:groups"),
        Button(labels[FOLLOWERS_SPEC], f"bc:a:{FOLLOWERS_SPEC}"),
        ctx.button("btn_cancel", "bc:cancel"),
    ]


@router.command("broadcast")
async def start(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "broadcast.start", Role.STAFF)
    await ctx.end_state()
    await ctx.set_state(FLOW, "audience", specs=[], names=[])
    return [ctx.say("bc_who", *_audience_buttons(ctx))]


async def _counts(ctx: Context, specs: list[str]) -> str:
    audience, followers = await broadcasts.resolve(ctx.session, specs)
    parts = [f"{channel.upper()} {ctx.t('bc_people', n=n)}" for channel, n in sorted(_people(audience).items())]
    if audience.groups:
        parts.append(ctx.t("bc_groups_n", n=len(audience.groups)))
    if followers:
        parts.append(ctx.t("bc_line_followers"))
    return ", ".join(parts)


def _people(audience: Audience) -> dict[str, int]:
    counted: dict[str, int] = {}
    for person in audience.people:
        counted[person.channel] = counted.get(person.channel, 0) + 1
    return counted


async def _add_audience(ctx: Context, spec: str, name: str) -> list[OutMessage]:
    data = ctx.state.data if ctx.state else {}
    specs = [*data.get("specs", []), spec] if spec not in data.get("specs", []) else list(data["specs"])
    names = [*data.get("names", []), name] if spec not in data.get("specs", []) else list(data["names"])
    try:
        counts = await _counts(ctx, specs)
    except (BroadcastError, AudienceError):
        return [ctx.say("bc_empty_audience"), ctx.say("bc_who", *_audience_buttons(ctx))]
    await ctx.set_state(FLOW, "chosen", specs=specs, names=names)
    return [
        ctx.say(
            "bc_chosen",
            ctx.button("bc_next", "bc:next"),
            ctx.button("bc_add_more", "bc:more"),
            ctx.button("btn_cancel", "bc:cancel"),
            audience=", ".join(names),
            counts=counts,
        )
    ]


@router.postback("bc:")
async def button(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "broadcast.button", Role.STAFF)
    data = event.data or ""
    if data.startswith("bc:detail:"):
        return await details(ctx, data.removeprefix("bc:detail:"))
    if data.startswith("bc:stop:"):
        return await cancel_broadcast(ctx, data.removeprefix("bc:stop:"))
    step = ctx.state.step if ctx.state and ctx.state.flow == FLOW else None
    if data == "bc:cancel":
        await ctx.end_state()
        return [ctx.say("reg_cancelled")]
    if step is None:
        return [ctx.say("expired_button")]
    if data.startswith("bc:a:") and step in ("audience", "pick"):
        spec = data.removeprefix("bc:a:")
        names = {**_labels(ctx), **(ctx.state.data.get("pick_names", {}) if ctx.state else {})}
        return await _add_audience(ctx, spec, names.get(spec, spec))
    if data == "bc:tags" and step == "audience":
        return await _offer_tags(ctx)
    if data == "bc:groups" and step == "audience":
        return await _offer_groups(ctx)
    if data == "bc:schools" and step == "audience":
        await ctx.set_state(FLOW, "school")
        return [ctx.say("bc_type_school", ctx.button("btn_cancel", "bc:cancel"))]
    if data == "bc:more" and step == "chosen":
        await ctx.set_state(FLOW, "audience")
        return [ctx.say("bc_who", *_audience_buttons(ctx))]
    if data == "bc:next" and step == "chosen":
        await ctx.set_state(FLOW, "content")
        return [ctx.say("bc_content", ctx.button("btn_cancel", "bc:cancel"))]
    if data == "bc:nocap" and step == "caption" and ctx.state is not None:
        content = OutMessage.from_json(ctx.state.data["content"])
        await ctx.set_state(FLOW, "preview")
        return await _preview(ctx, content)
    if data == "bc:now" and step == "preview":
        return await _create(ctx, at=None)
    if data == "bc:later" and step == "preview":
        await ctx.set_state(FLOW, "time")
        return [ctx.say("bc_ask_time", ctx.button("btn_cancel", "bc:cancel"))]
    return [ctx.say("expired_button")]


async def _offer_tags(ctx: Context) -> list[OutMessage]:
    rows = await ctx.session.execute(select(distinct(ContactTag.tag)).order_by(ContactTag.tag).limit(MAX_CHOICES))
    tags = list(rows.scalars())
    if not tags:
        return [ctx.say("bc_no_tags"), ctx.say("bc_who", *_audience_buttons(ctx))]
    await ctx.set_state(FLOW, "pick", pick_names={f"tag:{t}": f"#{t}" for t in tags})
    return [
        ctx.say("bc_pick_tag", *[Button(f"#{t}", f"bc:a:tag:{t}") for t in tags], ctx.button("btn_cancel", "bc:cancel"))
    ]


async def _offer_groups(ctx: Context) -> list[OutMessage]:
    groups = list(await chats.list_chats(ctx.session, active_only=True))[:MAX_CHOICES]
    if not groups:
        return [ctx.say("bc_no_groups"), ctx.say("bc_who", *_audience_buttons(ctx))]
    names = {f"group:{g.id}": f"{g.name or g.title or g.platform_chat_id} ({g.channel})" for g in groups}
    await ctx.set_state(FLOW, "pick", pick_names=names)
    buttons = [Button(names[f"group:{g.id}"][:60], f"bc:a:group:{g.id}") for g in groups]
    return [ctx.say("bc_pick_group", *buttons, ctx.button("btn_cancel", "bc:cancel"))]


def parse_content(text: str) -> OutMessage:
    """The announcement: an https picture link on the first line becomes the picture, the rest the text."""
    first, _, rest = text.strip().partition("\n")
    candidate = first.strip()
    if (
        candidate.startswith("http")
        and " " not in candidate
        and candidate.lower().split("?")[0].endswith((".jpg", ".jpeg", ".png"))
    ):
        url = check_image_url(candidate)
        return OutMessage(text=rest.strip() or None, attachment=Attachment("image", url))
    return OutMessage(text=text.strip())


@router.flow(FLOW)
async def typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        await ctx.end_state()
        return refuse(ctx, "broadcast.typed", Role.STAFF)
    step = ctx.state.step if ctx.state else ""
    text = (event.text or "").strip() if event.kind is EventKind.TEXT else ""
    if step == "school":
        found = await schools.search(ctx.session, text, limit=MAX_CHOICES) if text else []
        if not found:
            return [ctx.say("bc_no_school", ctx.button("btn_cancel", "bc:cancel"), query=text)]
        names = {f"school:{s.id}": s.name for s in found}
        await ctx.set_state(FLOW, "pick", pick_names=names)
        return [ctx.say("bc_by_school", *[Button(s.name, f"bc:a:school:{s.id}") for s in found])]
    if step in ("content", "caption") and event.kind is EventKind.MEDIA:
        return await _file_content(event, ctx)
    if step == "caption":
        data = ctx.state.data if ctx.state else {}
        content = OutMessage.from_json(data["content"])
        if text:
            content = OutMessage(text=text, attachment=content.attachment)
        await ctx.set_state(FLOW, "preview", content=content.to_json())
        return await _preview(ctx, content)
    if step == "content":
        if not text:
            return [ctx.say("bc_content_empty"), ctx.say("bc_content", ctx.button("btn_cancel", "bc:cancel"))]
        try:
            content = parse_content(text)
        except AttachmentError as exc:
            return [ctx.say(exc.code, **exc.values), ctx.say("bc_content", ctx.button("btn_cancel", "bc:cancel"))]
        await ctx.set_state(FLOW, "preview", content=content.to_json())
        return await _preview(ctx, content)
    if step == "time":
        tz = ZoneInfo(ctx.config.timezone)
        when = parse_moment(text, tz, ctx.clock.now())
        if when is None:
            # A day alone is not guessed a time: teachers get the push at that very minute.
            problem = "bc_time_needs_time" if names_a_day_only(text, tz, ctx.clock.now()) else "bc_time_bad"
            return [ctx.say(problem), ctx.say("bc_ask_time", ctx.button("btn_cancel", "bc:cancel"))]
        if when <= ctx.clock.now():
            return [ctx.say("bc_time_past"), ctx.say("bc_ask_time", ctx.button("btn_cancel", "bc:cancel"))]
        return await _create(ctx, at=when)
    return [ctx.say("step_again_hint")]


async def _file_content(event: Event, ctx: Context) -> list[OutMessage]:
    """A photo or document sent in chat as the announcement; its caption (Telegram) is the text."""
    again = ctx.say("bc_content", ctx.button("btn_cancel", "bc:cancel"))
    if event.file_problem:
        return [ctx.say(event.file_problem, **problem_values(event)), again]
    attachment = event.attachment
    if attachment is None:  # a sticker, a location, a video: nothing an announcement can carry
        return [ctx.say("bc_content_kinds"), again]
    problem = broadcast_problem(attachment.kind, attachment.content_type, attachment.filename)
    if problem is not None:
        return [ctx.say(problem.code, **problem.values), again]
    caption = (event.text or "").strip()
    content = OutMessage(text=caption or None, attachment=attachment)
    if caption:
        await ctx.set_state(FLOW, "preview", content=content.to_json())
        return await _preview(ctx, content)
    # LINE has no captions: the text, if any, comes as the next message.
    await ctx.set_state(FLOW, "caption", content=content.to_json())
    return [ctx.say("bc_ask_caption", ctx.button("bc_no_caption", "bc:nocap"), ctx.button("btn_cancel", "bc:cancel"))]


async def _preview(ctx: Context, content: OutMessage) -> list[OutMessage]:
    data = ctx.state.data if ctx.state else {}
    counts = await _counts(ctx, list(data.get("specs", [])))
    return [
        content,
        ctx.say(
            "bc_preview",
            ctx.button("bc_send_now", "bc:now"),
            ctx.button("bc_schedule", "bc:later"),
            ctx.button("btn_cancel", "bc:cancel"),
            audience=", ".join(data.get("names", [])),
            counts=counts,
        ),
    ]


async def _create(ctx: Context, *, at: datetime | None) -> list[OutMessage]:
    data = ctx.state.data if ctx.state else {}
    content = OutMessage.from_json(data["content"])
    await ctx.end_state()
    try:
        broadcast = await announce(
            ctx.session,
            chat_actor(ctx),
            audience=list(data.get("specs", [])),
            content=content,
            now=ctx.clock.now(),
            at=at,
        )
    except Refused as exc:
        return refusal(ctx, *exc.needs)
    except (BroadcastError, AudienceError):
        return [ctx.say("bc_empty_audience")]
    if at is None:
        return [ctx.say("bc_queued", id=broadcast.id, total=broadcast.recipients_total)]
    return [
        ctx.say(
            "bc_scheduled",
            ctx.button("bc_cancel_scheduled", f"bc:stop:{broadcast.id}"),
            id=broadcast.id,
            when=thai_datetime(at, ZoneInfo(ctx.config.timezone), ctx.lang),
        )
    ]


async def cancel_broadcast(ctx: Context, ref: str) -> list[OutMessage]:
    if not ref.isdigit():
        return [ctx.say("expired_button")]
    try:
        broadcast, _ = await cancel_announcement(ctx.session, chat_actor(ctx), int(ref), now=ctx.clock.now())
    except Refused as exc:
        return refusal(ctx, *exc.needs)
    except BroadcastError as exc:
        return [ctx.say(f"bc_{exc.code}", id=ref)]
    return [ctx.say("bc_cancelled", id=broadcast.id)]


@router.command("broadcasts")
async def list_recent(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, "broadcast.list", Role.STAFF)
    rows = await broadcasts.recent(ctx.session, limit=5)
    if not rows:
        return [ctx.say("bc_none")]
    tz = ZoneInfo(ctx.config.timezone)
    lines = [ctx.t("bc_list")]
    for b in rows:
        text = (OutMessage.from_json(b.content).text or "🖼").replace("\n", " ")[:40]
        lines.append(f"#{b.id} {thai_datetime(b.scheduled_at, tz, ctx.lang)} [{b.state}] {text}")
    buttons = [Button(f"#{b.id}", f"bc:detail:{b.id}") for b in rows]
    return [OutMessage(text="\n".join(lines), buttons=tuple(buttons))]


DETAIL_PAGE = 25  # lines per message: a phone screen or two


async def details(ctx: Context, ref: str) -> list[OutMessage]:
    """The report, then who has not been reached yet (failed, blocked, waiting) by school, paged; with the first
    page, every recipient as an xlsx sheet (when the office has a public address to serve it from)."""
    head, _, rest = ref.partition(":")
    offset = int(rest) if rest.isdigit() else 0
    status = await broadcasts.status(ctx.session, int(head)) if head.isdigit() else None
    if status is None:
        return [ctx.say("bc_not_found", id=ref)]
    broadcast_id = status.broadcast.id
    lines = await recipient_lines(ctx.session, broadcast_id, ctx.lang)
    out = [report_message(status, ctx.lang, with_button=False)] if offset == 0 else []
    missing = [line for line in lines if line.state in ("failed", "blocked", "pending")]
    if not missing:
        out.append(ctx.say("bc_no_problems"))
    else:
        offset = offset if offset < len(missing) else 0
        page = missing[offset : offset + DETAIL_PAGE]
        text = [ctx.t("bc_not_reached", n=len(missing), first=offset + 1, last=offset + len(page))]
        text += [
            ctx.t(
                "bc_not_reached_line",
                i=offset + i,
                name=line.name,
                school=f" ({line.school})" if line.school else "",
                platform=line.platform,
                state=state_label(line.state, ctx.lang),
            )
            for i, line in enumerate(page, start=1)
        ]
        more = offset + DETAIL_PAGE < len(missing)
        buttons = (ctx.button("bc_more_lines", f"bc:detail:{broadcast_id}:{offset + DETAIL_PAGE}"),) if more else ()
        out.append(OutMessage(text="\n".join(text), buttons=buttons))
    if offset == 0 and ctx.config.public_url:
        sheet = delivery_xlsx(broadcast_id, lines, ZoneInfo(ctx.config.timezone), ctx.lang)
        name = f"phuankru-broadcast-{broadcast_id}.xlsx"
        token = await media.store(ctx.session, sheet, content_type=XLSX, filename=name, now=ctx.clock.now())
        document = Attachment("document", f"{ctx.config.public_url.rstrip('/')}/media/{token}", filename=name)
        out.append(OutMessage(text=ctx.t("bc_sheet_caption", id=broadcast_id), attachment=document))
    return out


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LATE = re.compile(r"sent (\d+) min late")  # the note scheduler/broadcast_jobs.py keeps on a late broadcast


def _note(note: str, lang: str) -> str:
    """A broadcast's note (kept in English, for logs and the CLI) in the reader's words."""
    late = _LATE.match(note)
    return t("bc_late_note", lang, minutes=late.group(1)) if late else note


def report_message(status: Status, lang: str = "th", *, with_button: bool = True) -> OutMessage:
    """The delivery report staff get when a broadcast is done: totals, per platform, and a details button."""
    broadcast = status.broadcast
    if broadcast.state == "missed":
        return OutMessage(text=t("bc_missed", lang, id=broadcast.id, when=broadcast.scheduled_at.isoformat()[:16]))
    channels = sorted({channel for channel, _ in status.counts})
    per_channel = "\n".join(
        f"{platform_name(c, lang)}: "
        + ", ".join(f"{state_label(state, lang)} {n}" for (ch, state), n in sorted(status.counts.items()) if ch == c)
        for c in channels
    )
    note = f"\n({_note(broadcast.note, lang)})" if broadcast.note else ""
    text = t(
        "bc_report",
        lang,
        id=broadcast.id,
        sent=status.total("sent"),
        failed=status.total("failed"),
        blocked=status.total("blocked"),
        cancelled=status.total("cancelled"),
        per_channel=per_channel,
        note=note,
    )
    buttons = (Button(t("bc_details", lang), f"bc:detail:{broadcast.id}"),) if with_button else ()
    return OutMessage(text=text, buttons=buttons)
