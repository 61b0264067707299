"""A local stand-in for api.line.me that line-bot-sdk v3 talks to through `Configuration(host=fake.base_url)`.

It answers like LINE does (status codes, error bodies, headers) so the adapter's error handling is tested against
realistic failures, and it records what was "delivered" so tests can assert who got which message, exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, get_args

from aiohttp import web
from aiohttp.typedefs import Handler

Endpoint = Literal["reply", "push", "multicast", "broadcast", "profile", "group_summary", "loading"]
SCRIPTABLE: frozenset[str] = frozenset(get_args(Endpoint))

BROADCAST_TARGET = "*followers*"
BOT_USER_ID = "U0b2ae2f8bc35c793dd1a736d3b052ee9"  # the `destination` of tests/fixtures/line_webhook_all_events.json
RATE_LIMITED = {"message": "The API rate limit has been exceeded. Try again later."}
AUTH_FAILED = {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}
NOT_FOUND = {"message": "Not found"}
MESSAGE_TYPES = frozenset(
    {"text", "textV2", "image", "video", "audio", "location", "sticker", "imagemap", "template", "flex"}
)
# Thai vowel and tone marks sit on a base letter: LINE counts label length in grapheme clusters, so they are free.
THAI_COMBINING = frozenset(chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)))
# LINE wants the hyphenated hex form, which is stricter than what uuid.UUID() accepts.
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INVALID_JSON = object()

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Scripted:
    """One canned answer, used instead of normal handling for the next matching request (nothing is delivered)."""

    status: int
    body: dict[str, Any] | None = None
    delay_s: float = 0.0
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # keys lower-cased: HTTP header names are case-insensitive
    json: Any  # None when the body was empty or not JSON (e.g. a rich menu image)
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Delivery:
    to: str  # user, group or room id; BROADCAST_TARGET for broadcasts
    message: dict[str, Any]
    retry_key: str | None
    endpoint: str


@dataclass
class _ReplyToken:
    to: str
    expires_at: float | None
    used: bool = False


class SlidingWindow:
    """At most `capacity` admissions in any `window_s` seconds; refused attempts do not count."""

    def __init__(self, per_s: float) -> None:
        # A rate below 1/s still admits one request, over a window long enough to keep the average.
        self.capacity = max(1, math.floor(per_s))
        self.window_s = self.capacity / per_s
        self._times: deque[float] = deque()

    def admit(self, now: float) -> bool:
        while self._times and self._times[0] <= now - self.window_s:
            self._times.popleft()
        if len(self._times) >= self.capacity:
            return False
        self._times.append(now)
        return True


def _error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _invalid(details: list[dict[str, str]]) -> web.Response:
    return _error(400, {"message": f"The request body has {len(details)} error(s)", "details": details})


def _detail(message: str, prop: str) -> dict[str, str]:
    return {"message": message, "property": prop}


def utf16_length(text: str) -> int:
    """LINE counts text length in UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def label_length(label: str) -> int:
    """Grapheme-ish length: Thai combining marks do not add to the count."""
    return sum(1 for ch in label if ch not in THAI_COMBINING)


def _acceptable_url(value: Any) -> bool:
    # LINE fetches media over HTTPS only; plain http to loopback is let through so tests can serve files locally.
    if not isinstance(value, str) or len(value) > 2000:
        return False
    return value.startswith(("https://", "http://127.0.0.1", "http://localhost"))


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object inside a message with its property path, so actions nested in templates are checked too."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def validate_message(message: Any, path: str) -> list[dict[str, str]]:
    if not isinstance(message, dict):
        return [_detail("Must be an object", path)]
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        return [_detail(f"Must be one of the following values: {sorted(MESSAGE_TYPES)}", f"{path}.type")]
    details: list[dict[str, str]] = []
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text:
            details.append(_detail("May not be empty", f"{path}.text"))
        elif utf16_length(text) > 5000:
            details.append(_detail("Length must be between 0 and 5000", f"{path}.text"))
    url_keys = {"image": ("originalContentUrl", "previewImageUrl"), "video": ("originalContentUrl", "previewImageUrl")}
    for key in url_keys.get(kind, ("originalContentUrl",) if kind == "audio" else ()):
        if not _acceptable_url(message.get(key)):
            details.append(_detail("Must be a valid HTTPS URL", f"{path}.{key}"))
    if "quickReply" in message:
        items = (message["quickReply"] or {}).get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= 13:
            details.append(_detail("Size must be between 1 and 13", f"{path}.quickReply.items"))
        else:
            for j, item in enumerate(items):
                label = (item.get("action") or {}).get("label") if isinstance(item, dict) else None
                if isinstance(label, str) and label_length(label) > 20:
                    prop = f"{path}.quickReply.items[{j}].action.label"
                    details.append(_detail("Length must be between 0 and 20", prop))
    for node_path, node in _walk(message, path):
        data = node.get("data")
        if node.get("type") == "postback" and isinstance(data, str) and len(data) > 300:
            details.append(_detail("Length must be between 0 and 300", f"{node_path}.data"))
    return details


def validate_send(endpoint: str, body: dict[str, Any]) -> list[dict[str, str]]:
    details: list[dict[str, str]] = []
    if endpoint == "reply" and not (isinstance(body.get("replyToken"), str) and body["replyToken"]):
        details.append(_detail("May not be empty", "replyToken"))
    if endpoint == "push" and not (isinstance(body.get("to"), str) and body["to"]):
        details.append(_detail("May not be empty", "to"))
    if endpoint == "multicast":
        to = body.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= 500 or not all(isinstance(t, str) and t for t in to):
            details.append(_detail("Size must be between 1 and 500", "to"))
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        details.append(_detail("Size must be between 1 and 5", "messages"))
    else:
        for i, message in enumerate(messages):
            details.extend(validate_message(message, f"messages[{i}]"))
    return details


class FakeLineApi:
    """`async with FakeLineApi() as fake:` then `Configuration(access_token=fake.access_token, host=fake.base_url)`."""

    def __init__(
        self,
        access_token: str = "test-line-token",
        latency_s: float = 0.0,
        rate_limit_per_s: float | None = None,
    ) -> None:
        self.access_token = access_token
        self.latency_s = latency_s
        self.base_url = ""
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.rich_menus: dict[str, dict[str, Any]] = {}
        self.rich_menu_images: dict[str, bytes] = {}
        self.default_rich_menu: str | None = None
        self.loading_started: list[tuple[str, int]] = []
        self.contents: dict[str, bytes] = {}  # message id -> what the person sent (api-data's content endpoint)
        # Who follows the OA: a broadcast is delivered to each of them too (besides the BROADCAST_TARGET record),
        # so that a test can count what one person received from every endpoint.
        self.followers: set[str] = set()
        self._reply_tokens: dict[str, _ReplyToken] = {}
        self._accepted_retry_keys: dict[str, str] = {}  # retry key -> request id of the accepted request
        self._scripts: defaultdict[str, deque[Scripted]] = defaultdict(deque)
        self._failing: dict[str, tuple[float, int]] = {}  # endpoint -> (monotonic deadline, status)
        self._window = SlidingWindow(rate_limit_per_s) if rate_limit_per_s else None
        self._message_ids = itertools.count(500_000_000_000_000_001)  # LINE message ids are 18-digit strings
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=10 * 1024 * 1024)
        routes: list[tuple[str, str, RouteHandler]] = [
            ("POST", "/v2/bot/message/reply", self._guarded("reply", self._send)),
            ("POST", "/v2/bot/message/push", self._guarded("push", self._send)),
            ("POST", "/v2/bot/message/multicast", self._guarded("multicast", self._send)),
            ("POST", "/v2/bot/message/broadcast", self._guarded("broadcast", self._send)),
            ("GET", "/v2/bot/profile/{userId}", self._guarded("profile", self._profile)),
            ("GET", "/v2/bot/message/{messageId}/content", self._content),
            ("GET", "/v2/bot/group/{groupId}/summary", self._guarded("group_summary", self._group_summary)),
            ("GET", "/v2/bot/group/{groupId}/member/{userId}", self._group_member),
            ("POST", "/v2/bot/chat/loading/start", self._guarded("loading", self._loading)),
            ("GET", "/v2/bot/info", self._bot_info),
            ("POST", "/v2/bot/richmenu", self._create_rich_menu),
            ("GET", "/v2/bot/richmenu/list", self._list_rich_menus),
            ("DELETE", "/v2/bot/richmenu/{richMenuId}", self._delete_rich_menu),
            ("POST", "/v2/bot/richmenu/{richMenuId}/content", self._upload_rich_menu_image),
            ("POST", "/v2/bot/user/all/richmenu/{richMenuId}", self._set_default_rich_menu),
            ("GET", "/v2/bot/user/all/richmenu", self._get_default_rich_menu),
            ("DELETE", "/v2/bot/user/all/richmenu", self._clear_default_rich_menu),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
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

    def issue_reply_token(
        self, token: str | None = None, to: str = "Uunknown", expires_in_s: float | None = None
    ) -> str:
        """Register a reply token as if a webhook event carrying it had been sent for chat `to`."""
        token = token or uuid.uuid4().hex
        expires_at = None if expires_in_s is None else time.monotonic() + expires_in_s
        self._reply_tokens[token] = _ReplyToken(to=to, expires_at=expires_at)
        return token

    def set_profile(
        self, user_id: str, display_name: str, picture_url: str | None = None, language: str = "th"
    ) -> None:
        profile: dict[str, Any] = {"userId": user_id, "displayName": display_name, "language": language}
        if picture_url:
            profile["pictureUrl"] = picture_url
        self.profiles[user_id] = profile

    def add_content(self, message_id: str, data: bytes) -> None:
        """The bytes of a photo or file a person sent in message `message_id`."""
        self.contents[message_id] = data

    async def _content(self, request: web.Request) -> web.Response:
        data = self.contents.get(request.match_info["messageId"])
        if data is None:
            return _error(404, NOT_FOUND)
        return web.Response(body=data, content_type="application/octet-stream")

    def set_group(self, group_id: str, name: str, picture_url: str | None = None) -> None:
        picture = picture_url or f"https://profile.line-scdn.net/fake-{group_id}"
        self.groups[group_id] = {"groupId": group_id, "groupName": name, "pictureUrl": picture}

    def script(self, endpoint: Endpoint, *responses: Scripted) -> None:
        self._check_endpoint(endpoint)
        self._scripts[endpoint].extend(responses)

    def fail_for(self, endpoint: Endpoint, status: int, seconds: float) -> None:
        """Answer `status` to every `endpoint` request for the next `seconds` of wall-clock time (an outage)."""
        self._check_endpoint(endpoint)
        self._failing[endpoint] = (time.monotonic() + seconds, status)

    def delivered_texts(self, to: str) -> list[str]:
        return [d.message["text"] for d in self.deliveries if d.to == to and d.message.get("type") == "text"]

    def delivery_counts(self) -> Counter[tuple[str, str]]:
        """(recipient, text) -> times delivered; non-text messages count under their altText or `<type>`."""
        return Counter((d.to, _summary(d.message)) for d in self.deliveries)

    @staticmethod
    def _check_endpoint(endpoint: str) -> None:
        if endpoint not in SCRIPTABLE:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {sorted(SCRIPTABLE)}")

    # --- plumbing ---------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        payload = await _json_body(request)
        recorded_json = None if payload is _INVALID_JSON else payload
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest(request.method, request.path, headers, recorded_json, time.monotonic()))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        response: web.StreamResponse
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            response = _error(401, AUTH_FAILED)
        elif payload is _INVALID_JSON:
            response = _error(400, {"message": "The request body is not valid JSON"})
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # unknown path or method: LINE answers JSON, not aiohttp's text
                response = _error(exc.status, NOT_FOUND if exc.status == 404 else {"message": exc.reason})
        # LINE puts a request id on every answer; _send sets it earlier when it must remember the id.
        response.headers.setdefault("x-line-request-id", str(uuid.uuid4()))
        return response

    def _guarded(self, endpoint: str, handler: Callable[[web.Request, str], Awaitable[web.Response]]) -> RouteHandler:
        """Scripted answers and outages win over normal handling."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if self._scripts[endpoint]:
                scripted = self._scripts[endpoint].popleft()
                if scripted.delay_s:
                    await asyncio.sleep(scripted.delay_s)
                return _error(scripted.status, scripted.body or _default_body(scripted.status), scripted.headers)
            deadline, status = self._failing.get(endpoint, (0.0, 0))
            if time.monotonic() < deadline:
                return _error(status, _default_body(status))
            return await handler(request, endpoint)

        return guarded

    # --- messaging --------------------------------------------------------------------------------

    async def _send(self, request: web.Request, endpoint: str) -> web.Response:
        body = await _json_body(request)
        # No await from here on: the retry-key check and the delivery happen atomically w.r.t. other requests.
        if not isinstance(body, dict):
            return _invalid([_detail("Must be an object", "body")])
        if self._window is not None and not self._window.admit(time.monotonic()):
            return _error(429, RATE_LIMITED)
        retry_key = request.headers.get("X-Line-Retry-Key")
        if retry_key is not None:
            if endpoint == "reply":
                return _error(400, {"message": "X-Line-Retry-Key is not supported for the reply endpoint"})
            if not UUID_RE.match(retry_key):
                return _error(400, {"message": "The value of the X-Line-Retry-Key header is invalid"})
            if retry_key in self._accepted_retry_keys:
                accepted = {"x-line-accepted-request-id": self._accepted_retry_keys[retry_key]}
                return _error(409, {"message": "The retry key is already accepted"}, accepted)
        details = validate_send(endpoint, body)
        if details:
            return _invalid(details)
        if endpoint == "reply":
            token = self._reply_tokens.get(body["replyToken"])
            expired = token is not None and token.expires_at is not None and time.monotonic() > token.expires_at
            if token is None or token.used or expired:
                return _error(400, {"message": "Invalid reply token"})
            token.used = True  # only a successful reply uses the token up
            recipients = [token.to]
        elif endpoint == "push":
            recipients = [body["to"]]
        elif endpoint == "multicast":
            recipients = body["to"]
        else:
            recipients = [BROADCAST_TARGET, *sorted(self.followers)]
        for to in recipients:
            for message in body["messages"]:
                self.deliveries.append(Delivery(to=to, message=message, retry_key=retry_key, endpoint=endpoint))
        request_id = str(uuid.uuid4())
        if retry_key is not None:
            self._accepted_retry_keys[retry_key] = request_id
        headers = {"x-line-request-id": request_id}
        if endpoint in ("multicast", "broadcast"):
            return web.json_response({}, headers=headers)
        sent = [{"id": str(next(self._message_ids)), "quoteToken": uuid.uuid4().hex} for _ in body["messages"]]
        return web.json_response({"sentMessages": sent}, headers=headers)

    async def _loading(self, request: web.Request, endpoint: str) -> web.Response:
        body = await _json_body(request)
        body = body if isinstance(body, dict) else {}
        chat_id, seconds = body.get("chatId"), body.get("loadingSeconds", 20)
        # The loading animation exists only in one-to-one chats.
        chat_ok = isinstance(chat_id, str) and chat_id.startswith("U")
        seconds_ok = isinstance(seconds, int) and 5 <= seconds <= 60 and seconds % 5 == 0
        if not (chat_ok and seconds_ok):
            details = [] if chat_ok else [_detail("Must be a user ID", "chatId")]
            if not seconds_ok:
                details.append(_detail("Must be a multiple of 5 between 5 and 60", "loadingSeconds"))
            return _invalid(details)
        self.loading_started.append((str(chat_id), int(seconds)))
        return web.json_response({}, status=202)

    # --- profiles and groups ----------------------------------------------------------------------

    async def _profile(self, request: web.Request, endpoint: str) -> web.Response:
        profile = self.profiles.get(request.match_info["userId"])
        return web.json_response(profile) if profile else _error(404, NOT_FOUND)

    async def _group_summary(self, request: web.Request, endpoint: str) -> web.Response:
        group = self.groups.get(request.match_info["groupId"])
        return web.json_response(group) if group else _error(404, NOT_FOUND)

    async def _group_member(self, request: web.Request) -> web.Response:
        profile = self.profiles.get(request.match_info["userId"])
        if request.match_info["groupId"] not in self.groups or profile is None:
            return _error(404, NOT_FOUND)
        return web.json_response({k: v for k, v in profile.items() if k != "language"})

    async def _bot_info(self, request: web.Request) -> web.Response:
        info = {"userId": BOT_USER_ID, "basicId": "@phuankru", "displayName": "PhuanKru"}
        return web.json_response(info | {"chatMode": "bot", "markAsReadMode": "auto"})

    # --- rich menus -------------------------------------------------------------------------------

    async def _create_rich_menu(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not {"size", "name", "chatBarText", "areas"} <= body.keys():
            return _invalid([_detail("May not be empty", "size, name, chatBarText, areas")])
        rich_menu_id = f"richmenu-{uuid.uuid4().hex}"
        self.rich_menus[rich_menu_id] = {"richMenuId": rich_menu_id, "selected": False} | body
        return web.json_response({"richMenuId": rich_menu_id})

    async def _list_rich_menus(self, request: web.Request) -> web.Response:
        return web.json_response({"richmenus": list(self.rich_menus.values())})

    async def _delete_rich_menu(self, request: web.Request) -> web.Response:
        rich_menu_id = request.match_info["richMenuId"]
        if self.rich_menus.pop(rich_menu_id, None) is None:
            return _error(404, NOT_FOUND)
        self.rich_menu_images.pop(rich_menu_id, None)
        if self.default_rich_menu == rich_menu_id:
            self.default_rich_menu = None
        return web.json_response({})

    async def _upload_rich_menu_image(self, request: web.Request) -> web.Response:
        rich_menu_id = request.match_info["richMenuId"]
        if rich_menu_id not in self.rich_menus:
            return _error(404, NOT_FOUND)
        if request.content_type not in ("image/png", "image/jpeg"):
            return _error(415, {"message": "Unsupported Media Type: send image/png or image/jpeg"})
        if rich_menu_id in self.rich_menu_images:  # LINE refuses to replace a rich menu's image
            return _error(400, {"message": "An image has already been uploaded to the richmenu"})
        self.rich_menu_images[rich_menu_id] = await request.read()
        return web.json_response({})

    async def _set_default_rich_menu(self, request: web.Request) -> web.Response:
        rich_menu_id = request.match_info["richMenuId"]
        if rich_menu_id not in self.rich_menus:
            return _error(404, NOT_FOUND)
        self.default_rich_menu = rich_menu_id
        return web.json_response({})

    async def _get_default_rich_menu(self, request: web.Request) -> web.Response:
        if self.default_rich_menu is None:
            return _error(404, {"message": "no default richmenu"})
        return web.json_response({"richMenuId": self.default_rich_menu})

    async def _clear_default_rich_menu(self, request: web.Request) -> web.Response:
        self.default_rich_menu = None
        return web.json_response({})


async def _json_body(request: web.Request) -> Any:
    """The parsed JSON body, None when there is none, _INVALID_JSON when it does not parse (read() is cached)."""
    raw = await request.read()
    if not raw or "json" not in request.content_type:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _INVALID_JSON


def _default_body(status: int) -> dict[str, Any]:
    if status < 300:
        return {}
    if status == 429:
        return RATE_LIMITED
    if status == 401:
        return AUTH_FAILED
    return {"message": "Internal server error" if status >= 500 else f"Error {status}"}


def _summary(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("altText") or f"<{message.get('type')}>")
