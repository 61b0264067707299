"""LINE: the signed webhook in, the Messaging API out (line-bot-sdk v3, async client).

The SDK's models use pydantic.v1; they stay inside this module.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    BroadcastRequest,
    Configuration,
    ImageMessage,
    Message,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import (
    Event as LineEvent,
)
from linebot.v3.webhooks import (
    FollowEvent,
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from bot.channels.common import WebhookRejected, grapheme_length, text_with_link, with_numbered_options
from core.clock import Clock
from core.model import Channel, ChatKind, ChatRef, Event, EventKind, FileRef, OutMessage
from scheduler.delivery import SendResult, SendStatus
from scheduler.ratelimit import Rate, RateKey
from storage import inbound
from storage.inbound import MAX_DEPTH, RawEvent, nested_too_deep
from storage.outbox import Claimed

DEFAULT_API_BASE_URL = "https://api.line.me"
QUICK_REPLY_MAX_ITEMS = 13
QUICK_REPLY_LABEL_MAX = 20
TEXT_MAX_UTF16 = 5000
# Reply tokens expire after an unpublished time (about 30 s observed): use one only while surely fresh.
REPLY_TOKEN_FRESH = timedelta(seconds=20)

# Per-endpoint limits (LINE's defaults; broadcast's is an unconfirmed 60/hour, so kept configurable here).
RATES = {
    "reply": Rate(2000, burst=100),
    "push": Rate(2000, burst=100),
    "multicast": Rate(200, burst=20),
    "broadcast": Rate.per_minute(1, burst=1),
}

_MEDIA_TYPES = {"image", "video", "audio", "file", "location", "sticker"}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _clip_utf16(text: str, limit: int = TEXT_MAX_UTF16) -> str:
    if _utf16_len(text) <= limit:
        return text
    clipped = text.encode("utf-16-le")[: (limit - 1) * 2].decode("utf-16-le", errors="ignore")
    return clipped + "…"


def render(message: OutMessage, lang: str | None = None) -> list[Message]:
    """An OutMessage as LINE messages: quick replies when the buttons fit, numbered text when not."""
    out: list[Message] = []
    if message.attachment is not None and message.attachment.kind == "image":
        url = message.attachment.url
        out.append(ImageMessage(originalContentUrl=url, previewImageUrl=message.attachment.preview_url or url))
    elif message.attachment is not None:
        # LINE has no document message: the file goes as a link the phone opens.
        message = OutMessage(text=message.text, buttons=message.buttons, link=message.link or message.attachment.url)
    text = text_with_link(message)
    buttons = message.buttons
    fits = len(buttons) <= QUICK_REPLY_MAX_ITEMS and all(
        grapheme_length(b.label) <= QUICK_REPLY_LABEL_MAX for b in buttons
    )
    quick_reply: QuickReply | None = None
    if len(buttons) >= 2 or (buttons and not fits):
        # Quick replies do not show on LINE PC: the options are always listed, and typing a number works.
        # Labels are never cut: one that does not fit a quick reply is only listed, its button shows its number.
        text = with_numbered_options(OutMessage(text=text or None, buttons=buttons), lang)
    if buttons and len(buttons) <= QUICK_REPLY_MAX_ITEMS:
        items = [
            QuickReplyItem(action=PostbackAction(label=b.label if fits else str(i), data=b.data, displayText=b.label))
            for i, b in enumerate(buttons, start=1)
        ]
        quick_reply = QuickReply(items=items)
    if text:
        out.append(TextMessage(text=_clip_utf16(text), quickReply=quick_reply))
    elif quick_reply is not None and out:
        out[-1].quick_reply = quick_reply
    return out


def data_base_url(api_base_url: str) -> str | None:
    """Where the blob client goes (uploads, and the content of photos and files people send).

    LINE serves those from a second host, api-data.line.me, which the SDK's blob client picks only when its
    Configuration has no host (a configured host wins for every request). A test fake or a proxy given in
    LINE_API_BASE_URL serves both.
    """
    return None if api_base_url.rstrip("/") == DEFAULT_API_BASE_URL else api_base_url


class LineChannel:
    """The LINE side of PhuanKru: webhook parsing, event translation, and the sender for the outbox."""

    channel = Channel.LINE

    def __init__(self, *, channel_secret: str, access_token: str, api_base_url: str, clock: Clock) -> None:
        self._parser = WebhookParser(channel_secret)
        self._configuration = Configuration(access_token=access_token, host=api_base_url)
        # The SDK's default pool is 5 connections per CPU (10 here): fewer than the delivery worker's concurrency.
        self._configuration.connection_pool_maxsize = 64
        self._data_configuration = Configuration(access_token=access_token, host=data_base_url(api_base_url))
        self._clock = clock
        self._client: AsyncApiClient | None = None
        self._data_client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def start(self) -> None:
        self._client = AsyncApiClient(self._configuration)
        self._api = AsyncMessagingApi(self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self._api = None
        if self._data_client is not None:
            await self._data_client.close()
            self._data_client = None

    async def download(self, file: FileRef) -> bytes:
        """The bytes of a photo or file a person sent (LINE keeps them for a limited time)."""
        if self._data_client is None:  # opened on first use: most events carry no file
            self._data_client = AsyncApiClient(self._data_configuration)
        return bytes(await AsyncMessagingApiBlob(self._data_client).get_message_content(file.platform_id))

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("LineChannel.start() was not called")
        return self._api

    # --- inbound ---------------------------------------------------------------------------------

    def verify(self, body: bytes, signature: str | None) -> list[RawEvent]:
        """Check the signature over the raw body and split it into events to store; raise WebhookRejected."""
        if not signature:
            raise WebhookRejected(401, "missing X-Line-Signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookRejected(400, "body is not UTF-8") from None
        # The SDK's validator compares in constant time.
        if not self._parser.signature_validator.validate(text, signature):
            raise WebhookRejected(401, "invalid X-Line-Signature")
        try:
            payload, plain = inbound.parse(text)
        except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python parses
            raise WebhookRejected(400, "body is not JSON") from None
        if nested_too_deep(body, payload):
            raise WebhookRejected(400, f"body is nested more than {MAX_DEPTH} deep")
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise WebhookRejected(400, "body has no events list")
        raws = []
        for raw in events:
            if not (isinstance(raw, dict) and isinstance(raw.get("webhookEventId"), str) and raw["webhookEventId"]):
                raise WebhookRejected(400, "an event has no webhookEventId")
            kind = raw.get("type")
            key, kind_name = raw["webhookEventId"][:128], str(kind)[:32] if kind else "unknown"
            raws.append(RawEvent("line", key, kind_name, raw, plain=plain))
        return raws

    def to_event(self, raw: dict[str, Any]) -> Event:
        """Translate one stored webhook event; anything not understood becomes UNKNOWN."""
        event_id = str(raw.get("webhookEventId", ""))
        try:
            parsed = LineEvent.from_dict(raw)
        except Exception:  # unknown or malformed event types: the SDK raises on what it can't model
            parsed = None
        if parsed is None:
            return Event(
                Channel.LINE, EventKind.UNKNOWN, ChatRef(Channel.LINE, ChatKind.PRIVATE, ""), event_id=event_id
            )
        chat, user_id = self._source(parsed)
        try:
            occurred: datetime | None = datetime.fromtimestamp(parsed.timestamp / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):  # a timestamp no calendar holds: the event is still read
            occurred = None
        base: dict[str, Any] = {
            "channel": Channel.LINE,
            "chat": chat,
            "user_id": user_id,
            "occurred_at": occurred,
            "event_id": event_id,
            "reply_token": getattr(parsed, "reply_token", None),
        }
        if isinstance(parsed, MessageEvent):
            if isinstance(parsed.message, TextMessageContent):
                mention = parsed.message.mention
                mentioned = bool(mention and any(getattr(m, "is_self", False) for m in mention.mentionees))
                return Event(kind=EventKind.TEXT, text=parsed.message.text, mentions_bot=mentioned, **base)
            media = getattr(parsed.message, "type", "unknown")
            file = None
            if media in ("image", "file") and chat.is_private:  # group chatter is never fetched
                # LINE keeps the bytes for a while; they are fetched by message id (api-data's content endpoint).
                size = getattr(parsed.message, "file_size", None)
                file = FileRef(parsed.message.id, media, name=getattr(parsed.message, "file_name", None), size=size)
            return Event(
                kind=EventKind.MEDIA, media_type=media if media in _MEDIA_TYPES else "other", file=file, **base
            )
        if isinstance(parsed, PostbackEvent):
            return Event(kind=EventKind.POSTBACK, data=parsed.postback.data, **base)
        if isinstance(parsed, FollowEvent):
            return Event(kind=EventKind.FOLLOW, **base)
        if isinstance(parsed, UnfollowEvent):
            return Event(kind=EventKind.UNFOLLOW, **base)
        if isinstance(parsed, JoinEvent):
            return Event(kind=EventKind.JOIN, **base)
        if isinstance(parsed, LeaveEvent):
            return Event(kind=EventKind.LEAVE, **base)
        if isinstance(parsed, MemberJoinedEvent):
            members = tuple(m.user_id for m in parsed.joined.members if m.user_id)
            return Event(kind=EventKind.MEMBER_JOINED, members=members, **base)
        if isinstance(parsed, MemberLeftEvent):
            members = tuple(m.user_id for m in parsed.left.members if m.user_id)
            return Event(kind=EventKind.MEMBER_LEFT, members=members, **base)
        return Event(kind=EventKind.UNKNOWN, **base)

    @staticmethod
    def _source(parsed: Any) -> tuple[ChatRef, str | None]:
        source = parsed.source
        if isinstance(source, GroupSource):
            return ChatRef(Channel.LINE, ChatKind.GROUP, source.group_id), source.user_id
        if isinstance(source, RoomSource):
            return ChatRef(Channel.LINE, ChatKind.ROOM, source.room_id), source.user_id
        if isinstance(source, UserSource) and source.user_id:
            return ChatRef(Channel.LINE, ChatKind.PRIVATE, source.user_id), source.user_id
        return ChatRef(Channel.LINE, ChatKind.PRIVATE, ""), None

    # --- outbound --------------------------------------------------------------------------------

    def _endpoint(self, item: Claimed) -> str:
        if item.target_kind == "followers":
            return "broadcast"
        if item.target_kind == "multicast":
            return "multicast"
        return "reply" if self._reply_usable(item) else "push"

    def _reply_usable(self, item: Claimed) -> bool:
        return bool(item.reply_token) and self._clock.now() - item.created_at < REPLY_TOKEN_FRESH

    def rate_keys(self, item: Claimed) -> Sequence[RateKey]:
        endpoint = self._endpoint(item)
        return [RateKey(f"line:{endpoint}", RATES[endpoint])]

    async def send(self, item: Claimed) -> SendResult:
        messages: list[Message] = []
        for m in item.messages:
            messages.extend(render(m))
        endpoint = self._endpoint(item)
        try:
            if endpoint == "reply":
                result = await self._reply(item, messages)
                if result is not None:
                    return result
                endpoint = "push"  # the token could not be used: push instead, with the retry key
            key = item.idempotency_key
            if endpoint == "broadcast":
                await self.api.broadcast(BroadcastRequest(messages=messages), x_line_retry_key=key)
                return SendResult(SendStatus.SENT)
            if endpoint == "multicast":
                await self.api.multicast(
                    MulticastRequest(to=list(item.recipients), messages=messages), x_line_retry_key=key
                )
                return SendResult(SendStatus.SENT)
            response = await self.api.push_message(
                PushMessageRequest(to=item.target, messages=messages), x_line_retry_key=key
            )
            return SendResult(SendStatus.SENT, message_id=response.sent_messages[0].id)
        except ApiException as exc:
            return _classify(exc)
        except (aiohttp.ClientError, OSError) as exc:
            return SendResult(SendStatus.RETRY, error=f"network: {type(exc).__name__}: {exc}"[:500])

    async def _reply(self, item: Claimed, messages: list[Message]) -> SendResult | None:
        """Send with the reply token; None when it turned out unusable and a push should follow."""
        try:
            response = await self.api.reply_message(ReplyMessageRequest(replyToken=item.reply_token, messages=messages))
        except ApiException as exc:
            if exc.status == 400 and "reply token" in _error_message(exc).lower():
                if item.interrupted:
                    # Our own interrupted attempt most likely used it: LINE has the message already.
                    return SendResult(SendStatus.SENT, error="reply token already used by the interrupted attempt")
                return None
            return _classify(exc)
        return SendResult(SendStatus.SENT, message_id=response.sent_messages[0].id)


def _classify(exc: ApiException) -> SendResult:
    status = int(exc.status or 0)
    detail = _error_message(exc)
    if status == 409:
        return SendResult(SendStatus.SENT, error="already accepted (409 on retry key)")
    if status == 429 or status >= 500:
        return SendResult(SendStatus.RETRY, error=f"{status}: {detail}")
    return SendResult(SendStatus.FAILED, error=f"{status}: {detail}")


def _error_message(exc: ApiException) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return str(body)[:300]
    if isinstance(data, dict):
        details = data.get("details") or []
        extra = "; ".join(str(d.get("message")) for d in details if isinstance(d, dict))
        return f"{data.get('message', '')}{' (' + extra + ')' if extra else ''}"[:500]
    return str(data)[:300]
