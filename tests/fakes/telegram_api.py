"""A local stand-in for api.telegram.org that python-telegram-bot talks to through `Bot(base_url=...)`.

It answers like the Bot API does ({"ok": false, "error_code", "description", "parameters"}), so PTB raises the same
exception classes it would in production, and it records every message it "sent".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
import uuid
import zlib
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

BOT_ID = 123456
BOT_USER: dict[str, Any] = {"id": BOT_ID, "is_bot": True, "first_name": "PhuanKru", "username": "phuankru_bot"}
# PTB sends every non-string parameter JSON-encoded in form bodies; these are the ones that are objects or lists.
# Other values stay strings: decoding all of them would turn a text of "123" into a number.
JSON_FIELDS = frozenset(
    (
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "permissions",
        "reaction",
    )
)
# Without an explicit allowed_updates, Telegram leaves these update types out.
OPT_IN_UPDATES = frozenset(("chat_member", "message_reaction", "message_reaction_count"))
BUTTON_ACTIONS = frozenset(
    (
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    )
)
METHODS = (
    "getMe",
    "getFile",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "copyMessage",
    "forwardMessage",
    "sendChatAction",
    "answerCallbackQuery",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "getChat",
    "getChatMember",
    "leaveChat",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
)
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)

Params = dict[str, Any]


@dataclass(frozen=True)
class Scripted:
    """One canned answer for the next call of a method; a scripted answer sends nothing."""

    status: int
    description: str = ""
    retry_after: int | None = None
    delay_s: float = 0.0
    result: Any = None  # for a scripted success (status < 300); defaults to True


@dataclass(frozen=True)
class RecordedRequest:
    method: str  # as sent, e.g. "sendMessage"
    params: Params  # JSON-valued fields decoded; other form values stay strings
    at: float  # time.monotonic()


@dataclass(frozen=True)
class SentMessage:
    chat_id: str  # the chat_id parameter as sent, as a string
    method: str
    text: str | None  # text, or the caption of a photo/document
    reply_markup: dict[str, Any] | None
    message_id: int


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str | None
    allowed_updates: list[str] | None = None
    max_connections: int = 40


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


def _error(status: int, description: str = "", retry_after: int | None = None) -> ApiError:
    if status == 429:
        retry_after = retry_after or 1
        description = description or f"Too Many Requests: retry after {retry_after}"
    return ApiError(status, description or DEFAULT_DESCRIPTIONS.get(status, "Error"), retry_after)


class SlidingWindow:
    """At most `capacity` admissions in any `window_s` seconds; refused attempts do not count."""

    def __init__(self, capacity: int, window_s: float) -> None:
        self.capacity, self.window_s = capacity, window_s
        self._times: deque[float] = deque()

    @classmethod
    def per_second(cls, rate: float) -> SlidingWindow:
        capacity = max(1, math.floor(rate))  # below 1/s: one request per long enough window
        return cls(capacity, capacity / rate)

    def admit(self, now: float) -> int:
        """0 when admitted, else the whole seconds to wait (what Telegram puts in retry_after)."""
        while self._times and self._times[0] <= now - self.window_s:
            self._times.popleft()
        if len(self._times) >= self.capacity:
            return max(1, math.ceil(self._times[0] + self.window_s - now))
        self._times.append(now)
        return 0


def _utf16_length(text: str) -> int:
    # Telegram measures entities in UTF-16 units; counting the limit the same way is the safe side.
    return len(text.encode("utf-16-le")) // 2


def _int(params: Params, key: str, default: int) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _error(400, f"Bad Request: invalid {key} specified") from None


def _bool(params: Params, key: str) -> bool:
    return params.get(key) in (True, "true", "True", "1", 1)


def _check_text(text: Any, limit: int, *, caption: bool = False) -> None:
    if caption:
        if text is not None and _utf16_length(str(text)) > limit:
            raise _error(400, "Bad Request: message caption is too long")
        return
    if not isinstance(text, str) or not text.strip():
        raise _error(400, "Bad Request: message text is empty")
    if _utf16_length(text) > limit:
        raise _error(400, "Bad Request: message is too long")


def _check_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _error(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _error(400, "Bad Request: can't parse inline keyboard markup JSON object")
    buttons = [button for row in rows for button in row]
    if len(buttons) > 100:
        raise _error(400, "Bad Request: reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict) or not button.get("text"):
            raise _error(400, "Bad Request: can't parse inline keyboard button: Text must be non-empty")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise _error(400, "Bad Request: BUTTON_DATA_INVALID")
        elif not BUTTON_ACTIONS & button.keys():
            raise _error(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed")
    return markup


def _echoed_markup(markup: dict[str, Any] | None) -> dict[str, Any]:
    # Only inline keyboards come back in Message.reply_markup; reply keyboards are not echoed.
    return {"reply_markup": markup} if markup and "inline_keyboard" in markup else {}


def _update_kind(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


class FakeTelegramApi:
    """`async with FakeTelegramApi() as fake:` then `Bot(fake.token, base_url=f"{fake.base_url}/bot")`."""

    def __init__(
        self,
        token: str = "123456:TEST-telegram-token",
        latency_s: float = 0.0,
        rate_limit_per_s: float | None = None,
        per_chat_limit: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        # The time the rate limits count in: a test on an injected clock passes its `monotonic`.
        self._monotonic = monotonic
        self.latency_s = latency_s
        self.per_chat_limit = per_chat_limit
        self.max_poll_wait_s = 1.0
        self.base_url = ""
        self.requests: list[RecordedRequest] = []
        self.sent: list[SentMessage] = []
        self.edits: list[SentMessage] = []
        self.deleted: list[tuple[str, int]] = []
        self.callback_answers: list[Params] = []
        self.left_chats: list[str] = []
        self.blocked: set[int | str] = set()
        self.missing: set[int | str] = set()
        self.chats: dict[str, dict[str, Any]] = {}
        self.members: dict[tuple[str, int], str] = {}  # (chat id, user id) -> status; default "member"
        self.webhook: Webhook | None = None
        self.commands_by_scope: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._wakeup = asyncio.Event()
        self._messages: dict[tuple[str, int], dict[str, Any]] = {}
        self._next_message_id: defaultdict[str, int] = defaultdict(lambda: 1)
        self._scripts: defaultdict[str, deque[Scripted]] = defaultdict(deque)
        self._failing: dict[str, tuple[float, int]] = {}
        self._window = SlidingWindow.per_second(rate_limit_per_s) if rate_limit_per_s else None
        self._chat_windows: dict[str, SlidingWindow] = {}
        self.files: dict[str, bytes] = {}  # file_id -> content, for getFile and the file download
        self.uploads: list[dict[str, Any]] = []  # files sent to the API as bytes: method, chat, name, size
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[Params], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_m_{name}") for name in METHODS
        }

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)  # uploads of documents up to Telegram's 50 MB
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            self._poll_generation += 1  # let pending long polls answer now instead of at their timeout
            self._wake()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- test controls ----------------------------------------------------------------------------

    def add_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; assigns the next update_id when it has none."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if isinstance(update.get(key), dict):
                self._remember(update[key])
        if isinstance(update.get("callback_query"), dict) and isinstance(update["callback_query"].get("message"), dict):
            self._remember(update["callback_query"]["message"])
        self._updates.append(update)
        self._wake()
        return int(update["update_id"])

    def set_chat(
        self, chat_id: int | str, chat_type: str, title: str | None = None, username: str | None = None
    ) -> None:
        chat: dict[str, Any] = {"id": int(chat_id), "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = title or f"User {chat_id}"
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if username:
            chat["username"] = username
        self.chats[str(chat_id)] = chat
        if username:
            self.chats[f"@{username}"] = chat

    def script(self, method: str, *responses: Scripted) -> None:
        self._scripts[method.lower()].extend(responses)

    def fail_for(self, method: str, status: int, seconds: float) -> None:
        """Answer `status` to every call of `method` for the next `seconds` of wall-clock time (an outage)."""
        self._failing[method.lower()] = (time.monotonic() + seconds, status)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The commands set for the default scope and no language."""
        return self.commands_by_scope.get((json.dumps({"type": "default"}), ""), [])

    def sent_texts(self, chat_id: int | str) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == str(chat_id) and s.text is not None]

    def sent_counts(self) -> Counter[tuple[str, str | None]]:
        return Counter((s.chat_id, s.text) for s in self.sent)

    # --- plumbing ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        self.requests.append(RecordedRequest(method, params, time.monotonic()))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        handler = self._methods.get(method.lower())
        if request.match_info["token"] != self.token or handler is None:
            return _error(404).response()
        forced = await self._forced_answer(method.lower())
        if forced is not None:
            return forced
        try:
            _decode_json_fields(params)
            result = await handler(params)
        except ApiError as exc:
            return exc.response()
        return _ok(result)

    async def _forced_answer(self, key: str) -> web.Response | None:
        """A scripted answer or an ongoing outage wins over normal handling."""
        if self._scripts[key]:
            scripted = self._scripts[key].popleft()
            if scripted.delay_s:
                await asyncio.sleep(scripted.delay_s)
            if scripted.status < 300:
                return _ok(True if scripted.result is None else scripted.result)
            return _error(scripted.status, scripted.description, scripted.retry_after).response()
        deadline, status = self._failing.get(key, (0.0, 0))
        remaining = deadline - time.monotonic()
        if remaining > 0:
            return _error(status, retry_after=math.ceil(remaining) if status == 429 else None).response()
        return None

    def _wake(self) -> None:
        # Waiters hold the old event; replacing it means a set() is never lost nor needs clearing.
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _chat(self, chat_id: str) -> dict[str, Any]:
        """A registered chat, or one inferred from the id the way Telegram numbers chats."""
        if chat_id in self.chats:
            return self.chats[chat_id]
        if chat_id.startswith("@"):
            return {"id": -1_000_000_000_000 - zlib.crc32(chat_id.encode()), "type": "channel", "title": chat_id[1:]}
        numeric = int(chat_id)
        if numeric > 0:
            return {"id": numeric, "type": "private", "first_name": f"User {numeric}"}
        kind = "supergroup" if chat_id.startswith("-100") else "group"
        return {"id": numeric, "type": kind, "title": f"Chat {numeric}"}

    def _target(self, params: Params, key: str = "chat_id", *, sending: bool = False) -> str:
        chat_id = params.get(key)
        if chat_id is None or str(chat_id) == "":
            raise _error(400, f"Bad Request: {key} is empty")
        chat_id = str(chat_id)
        if chat_id in {str(c) for c in self.missing}:
            raise _error(400, "Bad Request: chat not found")
        try:
            chat = self._chat(chat_id)
        except ValueError:
            raise _error(400, "Bad Request: chat not found") from None
        if sending and chat_id in {str(c) for c in self.blocked}:
            raise _error(403, _blocked_description(chat["type"]))
        return chat_id

    def _admit(self, chat_id: str) -> None:
        now = self._monotonic()
        if self._window is not None and (wait := self._window.admit(now)):
            raise _error(429, retry_after=wait)
        if self.per_chat_limit:
            window = self._chat_windows.get(chat_id)
            if window is None:
                is_private = self._chat(chat_id)["type"] == "private"
                window = SlidingWindow(1, 1.0) if is_private else SlidingWindow(20, 60.0)
                self._chat_windows[chat_id] = window
            if wait := window.admit(now):
                raise _error(429, retry_after=wait)

    def _remember(self, message: dict[str, Any]) -> None:
        chat_key = str(message["chat"]["id"])
        self._messages[(chat_key, int(message["message_id"]))] = message
        self._next_message_id[chat_key] = max(self._next_message_id[chat_key], int(message["message_id"]) + 1)

    def _new_message(self, chat_id: str, content: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(chat_id)
        chat_key = str(chat["id"])
        message_id = self._next_message_id[chat_key]
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "chat": chat}
        if chat["type"] == "channel":  # channel posts are signed by the channel, not the bot
            message["sender_chat"] = chat
        else:
            message["from"] = BOT_USER
        message |= content
        self._remember(message)
        return message

    def _stored(self, chat_id: str, message_id: int) -> dict[str, Any] | None:
        return self._messages.get((str(self._chat(chat_id)["id"]), message_id))

    def _record_send(self, chat_id: str, method: str, message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        text = message.get("text", message.get("caption"))
        self.sent.append(SentMessage(chat_id, method, text, markup, int(message["message_id"])))

    # --- sending ----------------------------------------------------------------------------------

    async def _m_sendMessage(self, params: Params) -> dict[str, Any]:
        chat_id = self._target(params, sending=True)
        _check_text(params.get("text"), 4096)
        markup = _check_markup(params.get("reply_markup"))
        self._admit(chat_id)
        message = self._new_message(chat_id, {"text": params["text"]} | _echoed_markup(markup))
        self._record_send(chat_id, "sendMessage", message, markup)
        return message

    async def _m_sendPhoto(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "sendPhoto", "photo")

    async def _m_sendDocument(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "sendDocument", "document")

    def _send_file(self, params: Params, method: str, field: str) -> dict[str, Any]:
        chat_id = self._target(params, sending=True)
        if not params.get(field):
            raise _error(400, f"Bad Request: there is no {field} in the request")
        _check_text(params.get("caption"), 1024, caption=True)
        markup = _check_markup(params.get("reply_markup"))
        self._admit(chat_id)
        file_id, unique = f"fake-{field}-{uuid.uuid4().hex}", uuid.uuid4().hex[:16]
        attachment: Any = {"file_id": file_id, "file_unique_id": unique}
        if field == "photo":
            attachment = [attachment | {"width": 1280, "height": 720}]
        elif isinstance(params[field], dict):
            attachment["file_name"] = params[field]["upload"]
        if isinstance(params[field], dict):
            self.uploads.append({"method": method, "chat_id": chat_id} | params[field])
        content: dict[str, Any] = {field: attachment} | _echoed_markup(markup)
        if params.get("caption"):
            content["caption"] = params["caption"]
        message = self._new_message(chat_id, content)
        self._record_send(chat_id, method, message, markup)
        return message

    def _copied_content(self, params: Params) -> dict[str, Any]:
        # The source may have reached the bot by webhook, unseen by this fake: then only its id is known.
        source = self._stored(self._target(params, "from_chat_id"), _int(params, "message_id", 0)) or {}
        skip = {"message_id", "date", "chat", "from", "sender_chat", "reply_markup", "edit_date"}
        return {k: v for k, v in source.items() if k not in skip}

    async def _m_copyMessage(self, params: Params) -> dict[str, Any]:
        chat_id = self._target(params, sending=True)
        content = self._copied_content(params)
        if "caption" in params:
            _check_text(params["caption"], 1024, caption=True)
            content["caption"] = params["caption"]
        markup = _check_markup(params.get("reply_markup"))
        self._admit(chat_id)
        message = self._new_message(chat_id, content | _echoed_markup(markup))
        self._record_send(chat_id, "copyMessage", message, markup)
        return {"message_id": message["message_id"]}

    async def _m_forwardMessage(self, params: Params) -> dict[str, Any]:
        chat_id = self._target(params, sending=True)
        source = self._stored(self._target(params, "from_chat_id"), _int(params, "message_id", 0)) or {}
        origin: dict[str, Any] = {"type": "hidden_user", "sender_user_name": "Unknown", "date": int(time.time())}
        if "from" in source:
            origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        self._admit(chat_id)
        message = self._new_message(chat_id, self._copied_content(params) | {"forward_origin": origin})
        self._record_send(chat_id, "forwardMessage", message, None)
        return message

    async def _m_sendChatAction(self, params: Params) -> bool:
        self._target(params, sending=True)
        return True

    # --- interaction ------------------------------------------------------------------------------

    async def _m_answerCallbackQuery(self, params: Params) -> bool:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise _error(400, "Bad Request: QUERY_ID_INVALID")
        if any(answer["callback_query_id"] == query_id for answer in self.callback_answers):
            raise _error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise _error(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(dict(params))
        return True

    async def _m_editMessageText(self, params: Params) -> dict[str, Any] | bool:
        _check_text(params.get("text"), 4096)
        return self._edit(params, "editMessageText", {"text": params.get("text")})

    async def _m_editMessageReplyMarkup(self, params: Params) -> dict[str, Any] | bool:
        return self._edit(params, "editMessageReplyMarkup", {})

    def _edit(self, params: Params, method: str, content: dict[str, Any]) -> dict[str, Any] | bool:
        markup = _check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):  # messages sent via inline mode are not stored here
            return True
        chat_id = self._target(params)
        message = self._stored(chat_id, _int(params, "message_id", 0))
        if message is None:
            raise _error(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != BOT_ID and "sender_chat" not in message:
            raise _error(400, "Bad Request: message can't be edited")
        new = {k: v for k, v in message.items() if k not in ("reply_markup", "edit_date")} | content
        new |= _echoed_markup(markup)
        old = {k: v for k, v in message.items() if k != "edit_date"}
        if new == old:
            raise _error(400, NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self._remember(new)
        text = new.get("text", new.get("caption"))
        self.edits.append(SentMessage(chat_id, method, text, markup, int(new["message_id"])))
        return new

    async def _m_deleteMessage(self, params: Params) -> bool:
        chat_id = self._target(params)
        message_id = _int(params, "message_id", 0)
        self._messages.pop((str(self._chat(chat_id)["id"]), message_id), None)
        self.deleted.append((chat_id, message_id))
        return True

    # --- chats ------------------------------------------------------------------------------------

    async def _m_getChat(self, params: Params) -> dict[str, Any]:
        chat = self._chat(self._target(params))
        gifts = dict.fromkeys(
            ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"), True
        )
        return chat | {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    async def _m_getChatMember(self, params: Params) -> dict[str, Any]:
        chat = self._chat(self._target(params))
        user_id = _int(params, "user_id", 0)
        user = BOT_USER if user_id == BOT_ID else {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return _member(self.members.get((str(chat["id"]), user_id), "member"), user)

    async def _m_leaveChat(self, params: Params) -> bool:
        self.left_chats.append(self._target(params))
        return True

    def add_file(self, data: bytes) -> str:
        """A file as if a person had sent it: returns its file_id."""
        file_id = f"fake-file-{uuid.uuid4().hex}"
        self.files[file_id] = data
        return file_id

    async def _m_getFile(self, params: Params) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise _error(400, "Bad Request: invalid file_id")
        data = self.files[file_id]
        if len(data) > 20 * 1024 * 1024:
            raise _error(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-16:],
            "file_size": len(data),
            "file_path": f"files/{file_id}",
        }

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.removeprefix("files/")
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    async def _m_getMe(self, params: Params) -> dict[str, Any]:
        flags = ("can_join_groups", "can_read_all_group_messages", "supports_inline_queries", "has_main_web_app")
        return BOT_USER | {flag: flag == "can_join_groups" for flag in flags}

    # --- updates and webhook ----------------------------------------------------------------------

    async def _m_getUpdates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise _error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook first")
        offset, limit = _int(params, "offset", 0), min(max(_int(params, "limit", 100), 1), 100)
        if "allowed_updates" in params:
            self._allowed_updates = frozenset(params["allowed_updates"] or ()) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older long poll still waiting must now answer 409, as Telegram does
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.max_poll_wait_s)
        while True:
            wakeup = self._wakeup
            if generation != self._poll_generation:
                raise _error(409, "Conflict: terminated by other getUpdates request; only one bot instance may poll")
            batch = self._take(offset, limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), remaining)

    def _take(self, offset: int, limit: int) -> list[dict[str, Any]]:
        if offset > 0:  # asking for `offset` confirms every earlier update
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:  # a negative offset keeps only the last -offset updates
            self._updates = self._updates[offset:]
        # Telegram never creates updates of unwanted types; dropping them here has the same effect.
        self._updates = [u for u in self._updates if self._wanted(_update_kind(u))]
        return self._updates[:limit]

    def _wanted(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in OPT_IN_UPDATES
        return kind in self._allowed_updates

    async def _m_setWebhook(self, params: Params) -> bool:
        url, secret = str(params.get("url") or ""), params.get("secret_token")
        if not url:
            return await self._m_deleteWebhook(params)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):  # loopback http: e2e tests
            raise _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not SECRET_RE.match(str(secret)):
            raise _error(400, "Bad Request: secret token contains unallowed characters")
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        self.webhook = Webhook(url, secret, allowed, _int(params, "max_connections", 40))
        self._poll_generation += 1  # a running long poll is terminated by setWebhook
        self._wake()
        return True

    async def _m_deleteWebhook(self, params: Params) -> bool:
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    async def _m_getWebhookInfo(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        if self.webhook is not None:
            info |= {"url": self.webhook.url, "max_connections": self.webhook.max_connections}
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _m_setMyCommands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _error(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not COMMAND_RE.match(str(command.get("command", ""))):
                raise _error(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _error(400, "Bad Request: command description must be 1-256 characters")
        self.commands_by_scope[_scope_key(params)] = commands
        return True

    async def _m_getMyCommands(self, params: Params) -> list[dict[str, Any]]:
        return self.commands_by_scope.get(_scope_key(params), [])


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def _read_params(request: web.Request) -> Params:
    """Query string, JSON, url-encoded or multipart: the Bot API accepts all four."""
    params: Params = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params |= body
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):  # an upload: keep what tests may assert on, not the bytes
                data = value.file.read()
                params[key] = {"upload": value.filename, "content_type": value.content_type, "size": len(data)}
            else:
                params[key] = value
    return params


def _decode_json_fields(params: Params) -> None:
    for key in JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                raise _error(400, f"Bad Request: can't parse {key} JSON object") from None


def _scope_key(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _blocked_description(chat_type: str) -> str:
    return {
        "private": "Forbidden: bot was blocked by the user",
        "group": "Forbidden: bot was kicked from the group chat",
        "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    }.get(chat_type, "Forbidden: bot is not a member of the channel chat")


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember of the given status with the fields PTB requires for it."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        member |= dict.fromkeys(ADMIN_RIGHTS, True) | {"can_be_edited": False, "is_anonymous": False}
    elif status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member
