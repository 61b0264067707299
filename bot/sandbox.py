"""The sandbox: a phone-like chat page at /sandbox where one acts as a teacher, staff, officer or admin.

Mounted by `bot.app.create_app` only when the sandbox is on (`phuankru demo`, or
PHUANKRU_SANDBOX=1); otherwise every /sandbox address is a 404. The page talks over a WebSocket to the web
channel (`bot.channels.web`): what it sends is stored and handled like a webhook event, what the bot says comes
back through the outbox and the delivery worker. A photo or file chosen on the page is uploaded to
`POST /sandbox/api/upload?as=PERSONA` (multipart, field `file`, optional `id`), kept like a file fetched from LINE
or Telegram, and handled as that persona's message. The staff view (`bot.sandbox_staff`) reads the database;
the clock endpoint lets the demo run time faster so that tomorrow's reminder can be seen now.

The sandbox has no log-in: anyone who reaches it can act as any persona. It is for a demo machine or a
developer's own, never for an address the internet reaches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
from aiohttp import BodyPartReader, WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError
from sqlalchemy import select

from bot import sandbox_staff
from bot.channels.web import CHAT_ID, CLIENT_ID, FrameError, WebChannel, chat_key
from bot.services import Services
from bot.webhooks import SERVICES
from core.clock import Clock
from core.fonts import thai_font_path
from handlers.attachments import MAX_DOCUMENT_BYTES
from handlers.sent_files import keep_sent_file
from handlers.texts import t
from storage import chats, contacts, media
from storage.inbound import RawEvent
from storage.models import Contact, School

log = structlog.get_logger("phuankru.sandbox")

STATIC_DIR = Path(__file__).parent / "sandbox_static"
MAX_FRAME_BYTES = 16 * 1024
MAX_ADVANCE = timedelta(days=31)
RATES = (1.0, 60.0, 600.0, 3600.0, 86400.0)
# An upload is read as a stream, not through the app's 1 MB client_max_size (kept for the webhooks): the file up to
# the platforms' document limit, plus room for the multipart headers and the id field.
MAX_UPLOAD_BYTES = MAX_DOCUMENT_BYTES
MAX_UPLOAD_OVERHEAD = 64 * 1024
UPLOAD_CHUNK = 64 * 1024
# A name for a photo or file that came without one (as the processor names a photo from LINE or Telegram).
_BROWSER_ESCAPES = re.compile("%(?:22|0D|0A)")


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
        new = await _store_and_handle(services, channel, raw, name=name)
    except Exception:
        log.exception("sandbox.store_failed", persona=persona)
        await ws.send_json({"type": "error", "message": "could not store the message; try again"})
        return
    await ws.send_json({"type": "ack", "id": raw.raw["id"], "duplicate": not new})


async def _store_and_handle(services: Services, channel: WebChannel, raw: RawEvent, *, name: str | None) -> bool:
    """Store a person's event as a webhook's is stored, show it in the chat and hand it to the processor.
    False when it was stored before (same id): handled the first time, no second bubble, no second answer."""
    stored = await services.writer.store_events([raw])
    if stored:
        channel.echo(raw.raw, name=name)
        services.processor.submit_stored(stored)
    return bool(stored)


# --- photos and files --------------------------------------------------------------------------------------


class UploadRefused(Exception):
    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


async def upload(request: web.Request) -> web.Response:
    """`POST /sandbox/api/upload?as=PERSONA`, multipart with `file` (and `id`, the page's id for the message):
    a photo or file sent in the persona's private chat with the bot. The file is kept (`storage.media`), the
    stored event names it, and the handlers get it as they get one sent on LINE or Telegram. Refusals are JSON
    {"error": a polite sentence in the persona's language}: 413 above 20 MB, 400 for an empty file or a group."""
    services, channel = _web(request)
    _same_origin(request)
    persona = request.query.get("as", "")
    if not CHAT_ID.match(persona):
        raise web.HTTPBadRequest(text="as= must be 1-40 characters of a-z, 0-9, _ and -")
    async with services.db.sessions() as session:
        contact = await contacts.find_by_platform_id(session, "web", persona)
    lang = contact.language if contact is not None else None
    name = contact.display_name if contact is not None else None
    try:
        if request.query.get("group"):
            raise UploadRefused(400, "file_private_only")
        if (request.content_length or 0) > MAX_UPLOAD_BYTES + MAX_UPLOAD_OVERHEAD:
            raise UploadRefused(413, "file_too_large", limit_mb=MAX_UPLOAD_BYTES // (1024 * 1024))
        client_id, filename, data = await _read_upload(request)
        if not data:
            raise UploadRefused(400, "file_empty")
    except UploadRefused as refused:
        log.info("sandbox.upload_refused", persona=persona, reason=refused.key, status=refused.status)
        return _refusal(refused, lang)
    token = None
    try:
        async with services.db.sessions() as session, session.begin():
            kept = await keep_sent_file(session, data, given_name=_clean_name(filename), now=services.clock.now())
        token, kind, filename = kept.token, kept.kind, kept.filename
        raw = channel.file_event(
            persona,
            client_id,
            token=token,
            kind=kind,
            filename=filename,
            content_type=kept.content_type,
            preview=kept.has_preview,
        )
        new = await _store_and_handle(services, channel, raw, name=name)
    except Exception:
        log.exception("sandbox.store_failed", persona=persona)
        if token is not None:
            await _forget_file(services, token)
        return _refusal(UploadRefused(503, "file_not_stored"), lang)
    if not new:  # the same upload again: the first one's file is the one its message names
        await _forget_file(services, token)
    log.info("sandbox.upload", persona=persona, kind=kind, size=len(data), duplicate=not new)
    return web.json_response(
        {"ok": True, "id": client_id, "duplicate": not new, "kind": kind, "filename": filename},
        dumps=lambda v: json.dumps(v, ensure_ascii=False),
    )


async def _read_upload(request: web.Request) -> tuple[str, str | None, bytes]:
    """The page's id, the file's name and bytes, read in chunks: past the limit it stops reading (413)."""
    too_large = UploadRefused(413, "file_too_large", limit_mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    client_id, filename, data, total = "", None, None, 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise UploadRefused(400, "file_missing")  # a multipart in a multipart: not what the page sends
            is_file = part.name == "file" and data is None
            body = bytearray()
            while chunk := await part.read_chunk(UPLOAD_CHUNK):
                total += len(chunk)
                if total > MAX_UPLOAD_BYTES + MAX_UPLOAD_OVERHEAD:
                    raise too_large
                if is_file or (part.name == "id" and len(body) <= 64):
                    body.extend(chunk)  # other fields are read past, not kept
                if is_file and len(body) > MAX_UPLOAD_BYTES:
                    raise too_large
            if is_file:
                data, filename = bytes(body), part.filename
            elif part.name == "id":
                client_id = body.decode("utf-8", "replace").strip()
    except (AssertionError, ValueError, KeyError, HttpProcessingError) as exc:  # not multipart, a body cut short
        raise UploadRefused(400, "file_missing") from exc
    if data is None or (client_id and not CLIENT_ID.match(client_id)):
        raise UploadRefused(400, "file_missing")
    return client_id or secrets.token_urlsafe(12), filename, data


def _clean_name(given: str | None) -> str | None:
    """The name as the person's device gave it, without folders or control characters (None when nothing is left:
    keep_sent_file then makes one up). Browsers send a name as UTF-8 with only ", CR and LF %-escaped; other clients
    (aiohttp's) %-escape all of a non-ASCII name: both are undone."""
    name = given or ""
    # A browser's escaped ", CR and LF go, as those characters themselves go below.
    name = unquote(name) if name.isascii() else _BROWSER_ESCAPES.sub("", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c != '"').strip()
    return name or None


async def _forget_file(services: Services, token: str) -> None:
    with contextlib.suppress(Exception):  # best effort: an unused file costs only its space
        async with services.db.sessions() as session, session.begin():
            await media.delete(session, [token])


def _refusal(refused: UploadRefused, lang: str | None) -> web.Response:
    return web.json_response(
        {"error": t(refused.key, lang, **refused.values)},
        status=refused.status,
        dumps=lambda v: json.dumps(v, ensure_ascii=False),
    )


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


async def open_console(request: web.Request) -> web.StreamResponse:
    """The sandbox's "open the console" button: a sign-in link for the demo's admin, followed at once.
    A GET that signs in is fine here only: the sandbox runs in demo mode, never next to real accounts."""
    from bot.demo import admin_signin_link

    services = request.app[SERVICES]
    async with services.db.sessions() as session, session.begin():
        link = await admin_signin_link(session, services.clock, f"{request.scheme}://{request.host}")
    if link is None:
        raise web.HTTPNotFound(text="no demo admin: run `phuankru demo` once to seed the demo data")
    return web.Response(status=303, headers={"Location": urlsplit(link).path})


def add_routes(app: web.Application) -> None:
    app.on_shutdown.append(_close_pages)
    app.router.add_get("/sandbox", page)
    app.router.add_get("/sandbox/", page)
    app.router.add_get("/sandbox/static/{name}", static_file)
    app.router.add_get("/sandbox/fonts/{name}", font)
    app.router.add_get("/sandbox/ws", websocket)
    app.router.add_get("/sandbox/api/personas", personas)
    app.router.add_post("/sandbox/api/upload", upload)
    app.router.add_get("/sandbox/api/staff", staff_view)
    app.router.add_get(r"/sandbox/api/surveys/{campaign:\d+}/chart.png", survey_chart)
    app.router.add_get("/sandbox/api/clock", clock_get)
    app.router.add_get("/sandbox/console", open_console)
    app.router.add_post("/sandbox/api/clock", clock_post)
