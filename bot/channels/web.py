"""The web channel: the sandbox chat page (`bot/sandbox.py`) talking to PhuanKru over a WebSocket.

A persona (teacher-1, staff-1, …) is a contact on channel `web` whose platform user id is the persona id;
a demo group is a chat on channel `web`. What a person types or taps is stored and handled like a webhook
event (deduplicated on the page's own message id), and answers come back through the outbox and the delivery
worker like on LINE and Telegram: `send` hands them to every page open on that chat. A chat keeps its last
messages in memory (restored from the database at start), so a reloaded page shows the conversation.

A photo or file chosen on the page is uploaded (`POST /sandbox/api/upload`), kept at once with
`storage.media.store`, and stored as an event that names the kept file (token, kind, name, type: never the bytes):
its `Event` arrives with the `Attachment` already set, as LINE's and Telegram's do once the processor has fetched
theirs, so the handlers cannot tell the difference.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select

from core.clock import Clock, SystemClock
from core.model import Attachment, Channel, ChatKind, ChatRef, Event, EventKind
from scheduler.delivery import SendResult, SendStatus
from scheduler.ratelimit import RateKey
from storage import media
from storage.db import Database
from storage.inbound import RawEvent
from storage.models import InboundEvent, OutboxMessage, OutboxState
from storage.outbox import Claimed

log = structlog.get_logger("phuankru.web")

HISTORY_PER_CHAT = 200
QUEUE_PER_PAGE = 500  # a page that stops reading loses its socket rather than holding the worker up
# Persona and group ids become contact and chat ids: short, lower-case ASCII, nothing to escape anywhere.
CHAT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TEXT = 4000
MAX_FILENAME = 255  # the media table's column
FILE_KINDS = ("image", "document")

Item = dict[str, Any]  # one bubble as the page draws it


class FrameError(ValueError):
    """A frame from the page that cannot be an event; the page is told, nothing is stored."""


def chat_key(kind: str, chat_id: str) -> str:
    """The key a conversation is known by here: `user:teacher-1`, `group:group-teachers`."""
    return f"{'user' if kind in ('user', ChatKind.PRIVATE.value) else kind}:{chat_id}"


class WebChannel:
    channel = Channel.WEB

    def __init__(self, db: Database | None = None, *, clock: Clock | None = None, public_url: str = "") -> None:
        self._db = db  # only to restore the conversations at start
        self._clock = clock or SystemClock()
        # Where kept files are served (PHUANKRU_PUBLIC_URL), as the processor builds their URLs; "" = this server.
        self.public_url = public_url.rstrip("/")
        self._history: dict[str, deque[Item]] = {}
        self._pages: dict[str, set[asyncio.Queue[Item]]] = {}
        self._seq = itertools.count(1)

    async def start(self) -> None:
        if self._db is not None:
            try:
                await self._restore(self._db)
            except Exception as exc:  # a page without its old messages is no reason to stop the service
                log.warning("web.restore_failed", error=str(exc)[:300])

    async def close(self) -> None:
        self.disconnect_all()

    def disconnect_all(self) -> None:
        """Tell every open page that the service is stopping (its socket closes; the page reconnects later)."""
        for pages in list(self._pages.values()):
            for queue in pages:
                _replace_all(queue, {"type": "closing"})
        self._pages.clear()

    # --- in: frames from the page ----------------------------------------------------------------

    def raw_event(
        self, persona: str, frame: dict[str, Any], *, chat: str | None = None, title: str | None = None
    ) -> RawEvent:
        """A frame ({"type": "text"|"tap"|"follow", "id", ...}) from `persona`'s page as a storable event."""
        if not CHAT_ID.match(persona) or (chat is not None and not CHAT_ID.match(chat)):
            raise FrameError("bad persona or chat id")
        client_id = str(frame.get("id", ""))
        if not CLIENT_ID.match(client_id):
            raise FrameError("every frame needs an id of 1-64 letters, digits, _ or -")
        kind = frame.get("type")
        raw: dict[str, Any] = {"id": client_id, "user": persona, "chat": chat or persona}
        if chat is not None:
            raw["chat_kind"], raw["title"] = ChatKind.GROUP.value, title
        if kind == "text":
            text = str(frame.get("text", "")).strip()
            if not text or len(text) > MAX_TEXT:
                raise FrameError(f"a message is 1-{MAX_TEXT} characters")
            raw["text"] = text
        elif kind == "tap":
            data = str(frame.get("data", ""))
            if not data or len(data) > 64 or not data.isascii():
                raise FrameError("a tap carries the button's data")
            raw["data"], raw["label"] = data, str(frame.get("label", ""))[:200]
        elif kind == "follow" and chat is None:
            pass
        else:
            raise FrameError(f"unknown frame type {kind!r}")
        event_kind = {"text": "text", "tap": "postback", "follow": "follow"}[kind]
        # The page's id, per persona: a frame sent again after a reconnect is handled once.
        return RawEvent("web", f"{persona}:{client_id}", event_kind, raw)

    def file_event(
        self,
        persona: str,
        client_id: str,
        *,
        token: str,
        kind: str,
        filename: str,
        content_type: str,
        preview: bool = False,
    ) -> RawEvent:
        """A photo or file `persona` sent from the page, already kept under `token` (`storage.media.store`;
        `preview`: its small copy is kept under `media.preview_token(token)`). Private chats only: in a group a
        bot fetches no files on LINE or Telegram either."""
        if not CHAT_ID.match(persona):
            raise FrameError("bad persona id")
        if not CLIENT_ID.match(client_id):
            raise FrameError("every upload needs an id of 1-64 letters, digits, _ or -")
        if kind not in FILE_KINDS or not token or not filename or len(filename) > MAX_FILENAME:
            raise FrameError("a kept file has a token, a kind (image or document) and a name")
        file: dict[str, Any] = {"token": token, "kind": kind, "filename": filename, "content_type": content_type}
        if preview:
            file["preview"] = True
        raw: dict[str, Any] = {"id": client_id, "user": persona, "chat": persona, "file": file}
        return RawEvent("web", f"{persona}:{client_id}", "media", raw)

    def attachment_of(self, file: dict[str, Any]) -> Attachment:
        """The kept file a stored upload names, with its URL as the processor builds one (`PUBLIC_URL/media/…`)."""
        token = str(file["token"])
        preview = f"{self.public_url}/media/{media.preview_token(token)}" if file.get("preview") else None
        return Attachment(
            "image" if file.get("kind") == "image" else "document",
            f"{self.public_url}/media/{token}",
            preview_url=preview,
            filename=file.get("filename"),
            media_token=token,
            content_type=file.get("content_type"),
        )

    def to_event(self, raw: dict[str, Any]) -> Event:
        user = str(raw["user"])
        kind = ChatKind(raw.get("chat_kind", ChatKind.PRIVATE.value))
        chat = ChatRef(Channel.WEB, kind, str(raw.get("chat") or user), title=raw.get("title"))
        common: dict[str, Any] = {"chat": chat, "user_id": user, "event_id": f"{user}:{raw.get('id', '')}"}
        if raw.get("data"):
            return Event(Channel.WEB, EventKind.POSTBACK, data=str(raw["data"]), **common)
        if isinstance(raw.get("file"), dict):
            # Already kept: no FileRef, so the processor has nothing to download.
            attachment = self.attachment_of(raw["file"])
            media_type = "image" if attachment.kind == "image" else "file"
            return Event(Channel.WEB, EventKind.MEDIA, media_type=media_type, attachment=attachment, **common)
        if "text" in raw:
            return Event(Channel.WEB, EventKind.TEXT, text=str(raw["text"]), **common)
        return Event(Channel.WEB, EventKind.FOLLOW, **common)

    def echo(self, raw: dict[str, Any], *, name: str | None = None) -> None:
        """Show what a person typed, tapped or sent in their chat (and to the others in a group)."""
        item = self._said(raw)
        if item is not None:
            key = chat_key(raw.get("chat_kind", "user"), str(raw.get("chat") or raw["user"]))
            self._publish(key, {**item, "name": name})

    def _said(self, raw: dict[str, Any]) -> Item | None:
        """A person's stored event as the bubble the page draws; None for what shows nothing (a follow)."""
        if not raw.get("user"):
            return None
        if isinstance(raw.get("file"), dict):
            attachment = self.attachment_of(raw["file"])
            shown = {"kind": attachment.kind, "url": attachment.url, "filename": attachment.filename}
            return {"from": str(raw["user"]), "attachment": shown, "tap": False}
        text = raw.get("text") or raw.get("label") or raw.get("data")
        if not text:
            return None
        return {"from": str(raw["user"]), "text": str(text), "tap": "data" in raw}

    # --- out: the delivery worker's sender -------------------------------------------------------

    def rate_keys(self, item: Claimed) -> Sequence[RateKey]:
        return ()  # no platform to protect

    async def send(self, item: Claimed) -> SendResult:
        """To every page open on the chat; with none open it is still sent: it waits in the chat's history."""
        key = chat_key(item.target_kind, item.target)
        for message in item.messages:
            self._publish(key, {"from": "bot", **message.to_json()})
        return SendResult(SendStatus.SENT, message_id=f"web-{item.id}")

    # --- pages -----------------------------------------------------------------------------------

    def history(self, key: str) -> list[Item]:
        return list(self._history.get(key, ()))

    def subscribe(self, key: str) -> asyncio.Queue[Item]:
        queue: asyncio.Queue[Item] = asyncio.Queue(QUEUE_PER_PAGE)
        self._pages.setdefault(key, set()).add(queue)
        return queue

    def unsubscribe(self, key: str, queue: asyncio.Queue[Item]) -> None:
        pages = self._pages.get(key)
        if pages is not None:
            pages.discard(queue)
            if not pages:
                del self._pages[key]

    def open_pages(self, key: str) -> int:
        return len(self._pages.get(key, ()))

    def _publish(self, key: str, item: Item, *, at: datetime | None = None) -> Item:
        item = {"seq": next(self._seq), "at": (at or self._clock.now()).isoformat(), **item}
        self._history.setdefault(key, deque(maxlen=HISTORY_PER_CHAT)).append(item)
        for queue in list(self._pages.get(key, ())):
            try:
                queue.put_nowait({"type": "message", "item": item})
            except asyncio.QueueFull:
                # That page stopped reading: it is told to reconnect, and then gets the history afresh.
                _replace_all(queue, {"type": "reload"})
                self.unsubscribe(key, queue)
        return item

    async def _restore(self, db: Database) -> None:
        """The last messages of every web chat, from the outbox (bot) and the stored events (people)."""
        async with db.sessions() as session:
            sent = (
                await session.execute(
                    select(
                        OutboxMessage.target_kind,
                        OutboxMessage.target,
                        OutboxMessage.payload,
                        func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at),
                    )
                    .where(OutboxMessage.channel == "web", OutboxMessage.state == OutboxState.SENT.value)
                    .order_by(OutboxMessage.id.desc())
                    .limit(HISTORY_PER_CHAT * 20)
                )
            ).all()
            said = (
                await session.execute(
                    select(InboundEvent.raw, InboundEvent.received_at)
                    .where(InboundEvent.channel == "web", InboundEvent.kind.in_(("text", "postback", "media")))
                    .order_by(InboundEvent.id.desc())
                    .limit(HISTORY_PER_CHAT * 20)
                )
            ).all()
        # In the order things were shown: by time, then (Python's sort being stable) by id within each table.
        entries: list[tuple[datetime, int, str, Item]] = []
        for kind, target, payload, sent_at in reversed(sent):
            for message in payload.get("messages", []):
                entries.append((sent_at, 1, chat_key(kind, target), {"from": "bot", **message}))
        for raw, received_at in reversed(said):
            item = self._said(raw)
            if item is not None:
                key = chat_key(raw.get("chat_kind", "user"), str(raw.get("chat") or raw["user"]))
                entries.append((received_at, 0, key, item))
        # A person's message comes before the answer it caused when both carry the same time.
        for at, _, key, item in sorted(entries, key=lambda e: (e[0], e[1])):
            self._publish(key, item, at=at)
        if entries:
            log.info("web.restored", messages=len(entries), chats=len(self._history))


def _replace_all(queue: asyncio.Queue[Item], last: Item) -> None:
    """Empty a page's queue and leave one control frame in it (closing, reload)."""
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(last)
