"""The sandbox: a phone-like chat page at /sandbox where one acts as a teacher, staff, officer or admin.

Mounted by `bot.app.create_app` only when the sandbox is on (no LINE/Telegram credentials, or
PHUANKRU_SANDBOX=1); otherwise every /sandbox address is a 404. The page talks over a WebSocket to the web
channel (`bot.channels.web`): what it sends is stored and handled like a webhook event, what the bot says comes
back through the outbox and the delivery worker. The staff view (`bot.sandbox_staff`) reads the database;
the clock endpoint lets the demo run time faster so that tomorrow's reminder can be seen now.

The sandbox has no log-in: anyone who reaches it can act as any persona. It is for a demo machine or a
developer's own, never for an address the internet reaches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from aiohttp import WSMsgType, web
from sqlalchemy import select

from bot import sandbox_staff
from bot.channels.web import CHAT_ID, FrameError, WebChannel, chat_key
from bot.richmenu import thai_font_path
from bot.services import Services
from bot.webhooks import SERVICES
from scheduler.clock import Clock
from storage import chats, contacts
from storage.models import Contact, School

log = structlog.get_logger("phuankru.sandbox")

STATIC_DIR = Path(__file__).parent / "sandbox_static"
MAX_FRAME_BYTES = 16 * 1024
MAX_ADVANCE = timedelta(days=31)
RATES = (1.0, 60.0, 600.0, 3600.0, 86400.0)


def _web(request: web.Request) -> tuple[Services, WebChannel]:
    services = request.app[SERVICES]
    if services.web is None:  # mounted only with a web channel; kept as a guard for hand-built apps
        raise web.HTTPNotFound()
    return services, services.web


def _same_origin(request: web.Request) -> None:
    """Refuse a page of another site that would use the visitor's browser to talk here (WebSockets and POSTs
    are not held back by the browser's same-origin rule). Clients that send no Origin (scripts) may pass."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="the sandbox answers its own page only")


# --- the page and its files ------------------------------------------------------------------------


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def static_file(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in ("app.js", "style.css"):
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})


async def font(request: web.Request) -> web.FileResponse:
    # The page's Thai font comes from the package: headless browsers and fresh machines have none.
    bold = request.match_info["name"] == "Laksaman-Bold.ttf"
    if request.match_info["name"] not in ("Laksaman.ttf", "Laksaman-Bold.ttf"):
        raise web.HTTPNotFound()
    return web.FileResponse(
        thai_font_path(bold=bold), headers={"Content-Type": "font/ttf", "Cache-Control": "public, max-age=86400"}
    )


# --- who one can be ---------------------------------------------------------------------------------


async def personas(request: web.Request) -> web.Response:
    services, _ = _web(request)
    async with services.db.sessions() as session:
        rows = (
            await session.execute(
                select(Contact, School.name)
                .outerjoin(School, School.id == Contact.school_id)
                .where(Contact.channel == "web", Contact.erased_at.is_(None))
                .order_by(Contact.id)
            )
        ).all()
        groups = [c for c in await chats.list_chats(session, active_only=True) if c.channel == "web"]
    return web.json_response(
        {
            "personas": [persona_json(contact, school) for contact, school in rows],
            "groups": [{"id": g.platform_chat_id, "title": g.name or g.title or g.platform_chat_id} for g in groups],
        }
    )


def persona_json(contact: Contact, school: str | None) -> dict[str, Any]:
    return {
        "id": contact.platform_user_id,
        "name": contact.display_name,
        "role": contact.role,
        "position": contact.position,
        "school": school or contact.school_name_unlisted,
        "registered": contact.registered_at is not None,
    }


# --- the conversation --------------------------------------------------------------------------------


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """`/sandbox/ws?as=PERSONA[&group=GROUP]`: one persona's private chat with the bot, or a group chat."""
    services, channel = _web(request)
    _same_origin(request)
    persona = request.query.get("as", "")
    group = request.query.get("group") or None
    if not CHAT_ID.match(persona) or (group is not None and not CHAT_ID.match(group)):
        raise web.HTTPBadRequest(text="as= (and group=) must be 1-40 characters of a-z, 0-9, _ and -")
    async with services.db.sessions() as session:
        contact = await contacts.find_by_platform_id(session, "web", persona)
        group_chat = await chats.find(session, "web", group) if group is not None else None
    if group is not None and group_chat is None:
        raise web.HTTPNotFound(text="no such group in the sandbox")
    title = (group_chat.name or group_chat.title) if group_chat is not None else None
    name = contact.display_name if contact is not None else None
    key = chat_key("group" if group else "user", group or persona)

    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    # Snapshot and subscription with no await between: no message falls in the gap or shows twice.
    history = channel.history(key)
    queue = channel.subscribe(key)
    pump = asyncio.create_task(_pump(ws, queue))
    try:
        await ws.send_json({"type": "hello", "persona": persona, "name": name, "chat": key, "history": history})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            await _receive(ws, services, channel, persona, message.data, group=group, title=title, name=name)
    finally:
        channel.unsubscribe(key, queue)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
    return ws


async def _pump(ws: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
    while not ws.closed:
        frame = await queue.get()
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_json(frame)
        if frame.get("type") in ("reload", "closing"):
            await ws.close()
            return


async def _receive(
    ws: web.WebSocketResponse,
    services: Services,
    channel: WebChannel,
    persona: str,
    data: str,
    *,
    group: str | None,
    title: str | None,
    name: str | None,
) -> None:
    try:
        frame = json.loads(data)
        if not isinstance(frame, dict):
            raise FrameError("a frame is a JSON object")
        raw = channel.raw_event(persona, frame, chat=group, title=title)
    except (ValueError, FrameError) as exc:
        await ws.send_json({"type": "error", "message": str(exc)[:200]})
        return
    try:
        ids = await services.writer.store([raw])
    except Exception:
        log.exception("sandbox.store_failed", persona=persona)
        await ws.send_json({"type": "error", "message": "could not store the message; try again"})
        return
    if ids:  # a frame sent again (same id) was handled the first time: no second bubble, no second answer
        channel.echo(raw.raw, name=name)
        services.processor.submit(ids)
    await ws.send_json({"type": "ack", "id": raw.raw["id"], "duplicate": not ids})


# --- the staff view and the clock ----------------------------------------------------------------------


async def staff_view(request: web.Request) -> web.Response:
    services, _ = _web(request)
    view = await sandbox_staff.collect(services.db, services.clock, services.calendar)
    return web.json_response(view, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))


async def survey_chart(request: web.Request) -> web.Response:
    services, _ = _web(request)
    png = await sandbox_staff.survey_chart(services.db, int(request.match_info["campaign"]))
    if png is None:
        raise web.HTTPNotFound()
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-cache"})


def clock_state(clock: Clock, services: Services) -> dict[str, Any]:
    return {
        **sandbox_staff.clock_json(clock, services.calendar),
        "rate": getattr(clock, "rate", 1.0),
        "adjustable": hasattr(clock, "advance"),
        "rates": list(RATES) if hasattr(clock, "set_rate") else [],
    }


async def clock_get(request: web.Request) -> web.Response:
    services, _ = _web(request)
    return web.json_response(clock_state(services.clock, services))


async def clock_post(request: web.Request) -> web.Response:
    """{"rate": 60} runs time 60 times faster; {"advance_s": 86400} jumps a day; then due work runs at once."""
    services, _ = _web(request)
    _same_origin(request)
    clock = services.clock
    try:
        body = await request.json()
        rate = body.get("rate")
        advance = body.get("advance_s")
        if rate is not None and (not hasattr(clock, "set_rate") or float(rate) not in RATES):
            raise ValueError(f"rate must be one of {', '.join(f'{r:g}' for r in RATES)} (and the clock must run)")
        if advance is not None and not (
            hasattr(clock, "advance") and 0 < float(advance) <= MAX_ADVANCE.total_seconds()
        ):
            raise ValueError("advance_s must be a positive number of seconds, at most 31 days")
    except (ValueError, TypeError, AttributeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    if rate is not None:
        clock.set_rate(float(rate))  # type: ignore[attr-defined]
    if advance is not None:
        clock.advance(timedelta(seconds=float(advance)))  # type: ignore[attr-defined]
    # What just became due (reminders, scheduled announcements) goes out now, not at the next tick.
    handled = await services.ticker.tick()
    services.worker.wake()
    log.info("sandbox.clock", rate=rate, advance_s=advance, handled=handled)
    return web.json_response({**clock_state(clock, services), "handled": handled})


async def _close_pages(app: web.Application) -> None:
    # On shutdown, before aiohttp waits for open connections: a page's socket would otherwise hold the stop up.
    web_channel = app[SERVICES].web
    if web_channel is not None:
        web_channel.disconnect_all()


def add_routes(app: web.Application) -> None:
    app.on_shutdown.append(_close_pages)
    app.router.add_get("/sandbox", page)
    app.router.add_get("/sandbox/", page)
    app.router.add_get("/sandbox/static/{name}", static_file)
    app.router.add_get("/sandbox/fonts/{name}", font)
    app.router.add_get("/sandbox/ws", websocket)
    app.router.add_get("/sandbox/api/personas", personas)
    app.router.add_get("/sandbox/api/staff", staff_view)
    app.router.add_get(r"/sandbox/api/surveys/{campaign:\d+}/chart.png", survey_chart)
    app.router.add_get("/sandbox/api/clock", clock_get)
    app.router.add_post("/sandbox/api/clock", clock_post)
