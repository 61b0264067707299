"""Telegram: the secret-checked webhook or long polling in, the Bot API out (python-telegram-bot v22).

PTB is used as a client and parser only (`telegram.Bot`, `Update.de_json`): updates are stored and
deduplicated in our database and handled by our own processor, so no PTB Application/Updater runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from telegram import Bot as TelegramBot
from telegram import (
    BotCommand,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels.common import WebhookRejected, text_with_link
from core.model import Attachment, Channel, ChatKind, ChatRef, Event, EventKind, FileRef, OutMessage
from handlers.texts import MENU_COMMANDS, t
from scheduler.delivery import SendResult, SendStatus
from scheduler.ratelimit import Rate, RateKey
from storage import inbound
from storage.inbound import MAX_DEPTH, RawEvent, nested_too_deep
from storage.media import MediaLoader
from storage.outbox import Claimed

TEXT_MAX = 4096
FILE_ID_CACHE = 1000
CAPTION_MAX = 1024
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "channel_post", "edited_message"]

# About 30 messages/s in all, 1/s to one private chat, 20/min to one group (PLATFORM_FACTS.md).
GLOBAL_RATE = Rate(30, burst=1)
PRIVATE_CHAT_RATE = Rate(1, burst=1)
GROUP_RATE = Rate.per_minute(20, burst=3)

_CHAT_KINDS = {
    "private": ChatKind.PRIVATE,
    "group": ChatKind.GROUP,
    "supergroup": ChatKind.GROUP,
    "channel": ChatKind.CHANNEL,
}
_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


def keyboard(message: OutMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    # Short labels two to a row, long ones alone, so Thai labels are not cut off on a phone.
    rows: list[list[InlineKeyboardButton]] = []
    for b in message.buttons:
        button = InlineKeyboardButton(text=b.label, callback_data=b.data)
        if rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= 14 and len(b.label) <= 14:
            rows[-1].append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(rows)


def _text(value: object) -> str | None:
    """A text field as Telegram sends it; PTB passes on whatever type a payload had, so anything else is none."""
    return value if isinstance(value, str) else None


def _file_ref(message: Message) -> FileRef | None:
    """The photo (its largest size) or document of a message, as Telegram holds it."""
    if message.photo:
        largest = message.photo[-1]
        return FileRef(largest.file_id, "image", size=largest.file_size)
    if message.document is not None:
        doc = message.document
        return FileRef(doc.file_id, "file", name=doc.file_name, size=doc.file_size)
    return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TelegramChannel:
    channel = Channel.TELEGRAM

    def __init__(self, *, token: str, api_base_url: str, webhook_secret: str | None, pool_size: int = 64) -> None:
        self._secret = webhook_secret
        self.bot = TelegramBot(
            token,
            base_url=f"{api_base_url}/bot",
            base_file_url=f"{api_base_url}/file/bot",
            request=HTTPXRequest(connection_pool_size=pool_size, read_timeout=15, write_timeout=15),
            get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=60),
        )
        self.username: str | None = None
        # Files PhuanKru keeps (sent to it in chat, or a chart) go up as bytes: no public URL is needed, which
        # polling-mode offices lack. After the first upload Telegram's file_id is reused for the rest.
        self.media_loader: MediaLoader | None = None
        self._file_ids: OrderedDict[str, str] = OrderedDict()
        self._uploads: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        await self.bot.initialize()  # getMe: also proves the token works
        self.username = self.bot.username

    async def close(self) -> None:
        await self.bot.shutdown()

    async def download(self, file: FileRef) -> bytes:
        """The bytes of a photo or document someone sent (the Bot API serves files up to 20 MB)."""
        found = await self.bot.get_file(file.platform_id)
        return bytes(await found.download_as_bytearray())

    # --- inbound ---------------------------------------------------------------------------------

    def verify(self, body: bytes, secret_header: str | None) -> list[RawEvent]:
        if self._secret is not None and not (
            secret_header and hmac.compare_digest(secret_header.encode(), self._secret.encode())
        ):
            raise WebhookRejected(401, "invalid X-Telegram-Bot-Api-Secret-Token")
        try:
            # Decoded here, strictly: json.loads(bytes) would guess UTF-16 or UTF-32 and let encoded surrogates
            # through ("surrogatepass") without an escape that inbound.parse would see. Telegram sends UTF-8.
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookRejected(400, "body is not UTF-8") from None
        try:
            raw, plain = inbound.parse(text)
        except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python parses
            raise WebhookRejected(400, "body is not JSON") from None
        if nested_too_deep(body, raw):
            raise WebhookRejected(400, f"body is nested more than {MAX_DEPTH} deep")
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int) or isinstance(raw["update_id"], bool):
            raise WebhookRejected(400, "body is not a Telegram update")
        return [self.raw_event(raw, plain=plain)]

    @staticmethod
    def raw_event(raw: dict[str, Any], *, plain: bool = False) -> RawEvent:
        kind = next((k for k in raw if k != "update_id"), "unknown")
        return RawEvent("telegram", str(raw["update_id"]), kind[:32], raw, plain=plain)

    def to_event(self, raw: dict[str, Any]) -> Event:
        event_id = str(raw.get("update_id", ""))
        try:
            update = Update.de_json(raw, self.bot)
        except Exception:  # a malformed update: kept in the database, otherwise ignored
            update = None
        if update is None:
            return Event(
                Channel.TELEGRAM, EventKind.UNKNOWN, ChatRef(Channel.TELEGRAM, ChatKind.PRIVATE, ""), event_id=event_id
            )
        base: dict[str, Any] = {"channel": Channel.TELEGRAM, "event_id": event_id}
        try:
            return self._update_event(update, base)
        except (AttributeError, TypeError):
            # PTB parses leniently: an update missing a part it requires (a message without its chat, a member
            # change without the new status) comes through incomplete. Only Telegram sends updates, so this is a
            # malformed one: kept in the database, otherwise ignored.
            return Event(
                Channel.TELEGRAM, EventKind.UNKNOWN, ChatRef(Channel.TELEGRAM, ChatKind.PRIVATE, ""), event_id=event_id
            )

    def _update_event(self, update: Update, base: dict[str, Any]) -> Event:
        if update.callback_query is not None:
            query = update.callback_query
            chat = query.message.chat if query.message is not None else None
            ref = (
                self._chat_ref(chat)
                if chat is not None
                else ChatRef(Channel.TELEGRAM, ChatKind.PRIVATE, str(query.from_user.id))
            )
            return Event(
                kind=EventKind.POSTBACK,
                chat=ref,
                user_id=str(query.from_user.id),
                user_name=_text(query.from_user.full_name),
                data=_text(query.data),
                callback_id=query.id,
                **base,
            )
        if update.my_chat_member is not None:
            change = update.my_chat_member
            ref = self._chat_ref(change.chat)
            present = change.new_chat_member.status in _PRESENT
            was_present = change.old_chat_member.status in _PRESENT
            if present == was_present:
                return Event(kind=EventKind.UNKNOWN, chat=ref, **base)  # e.g. promoted to admin
            if ref.is_private:
                kind = EventKind.FOLLOW if present else EventKind.UNFOLLOW
            else:
                kind = EventKind.JOIN if present else EventKind.LEAVE
            return Event(
                kind=kind,
                chat=ref,
                user_id=str(change.from_user.id),
                user_name=_text(change.from_user.full_name),
                occurred_at=change.date,
                **base,
            )
        message = update.message
        if message is None:
            # channel posts, edits and the rest: stored, not answered
            chat = update.effective_chat
            ref = self._chat_ref(chat) if chat is not None else ChatRef(Channel.TELEGRAM, ChatKind.PRIVATE, "")
            return Event(kind=EventKind.UNKNOWN, chat=ref, **base)
        return self._message_event(message, base)

    def _message_event(self, message: Message, base: dict[str, Any]) -> Event:
        ref = self._chat_ref(message.chat)
        user = message.from_user
        who: dict[str, Any] = {
            "chat": ref,
            "user_id": str(user.id) if user else None,
            "user_name": _text(user.full_name) if user else None,
            "occurred_at": message.date,
        }
        if message.new_chat_members:
            others = tuple(str(u.id) for u in message.new_chat_members if u.id != self.bot.id)
            kind = EventKind.MEMBER_JOINED if others else EventKind.UNKNOWN
            return Event(kind=kind, members=others, **who, **base)
        if message.left_chat_member is not None:
            gone = message.left_chat_member
            if gone.id == self.bot.id:
                return Event(kind=EventKind.UNKNOWN, **who, **base)
            return Event(kind=EventKind.MEMBER_LEFT, members=(str(gone.id),), **who, **base)
        if message.reply_to_message is not None:
            who["reply_to"] = str(message.reply_to_message.message_id)
        if isinstance(message.text, str):
            text = message.text
            who["mentions_bot"] = self._mentions_me(message)
            if ref.is_private and text.strip().lower() == "/start":
                # A private /start is Telegram's "follow": the person asked the bot to talk to them.
                return Event(kind=EventKind.FOLLOW, text=text, **who, **base)
            if not ref.is_private and text.startswith("/"):
                # In groups, a command addressed to another bot is not ours.
                head = text.split(maxsplit=1)[0]
                if "@" in head and self.username and head.split("@", 1)[1].lower() != self.username.lower():
                    return Event(kind=EventKind.UNKNOWN, **who, **base)
            return Event(kind=EventKind.TEXT, text=text, **who, **base)
        media = next(
            (
                name
                for name in ("photo", "document", "sticker", "location", "video", "voice", "audio")
                if getattr(message, name, None)
            ),
            None,
        )
        if media is not None:
            kind_name = {"photo": "image", "document": "file", "voice": "audio"}.get(media, media)
            # Files are fetched from private chats and from replies to the bot (staff answering a forward),
            # never from group chatter.
            replied = message.reply_to_message
            to_me = replied is not None and replied.from_user is not None and replied.from_user.id == self.bot.id
            file = _file_ref(message) if ref.is_private or to_me else None
            return Event(
                kind=EventKind.MEDIA, media_type=kind_name, text=_text(message.caption), file=file, **who, **base
            )
        return Event(kind=EventKind.UNKNOWN, **who, **base)

    def _mentions_me(self, message: Message) -> bool:
        for entity, value in message.parse_entities(["mention", "text_mention"]).items():
            if entity.type == "mention" and self.username and value.lstrip("@").lower() == self.username.lower():
                return True
            if entity.type == "text_mention" and entity.user is not None and entity.user.id == self.bot.id:
                return True
        return False

    @staticmethod
    def _chat_ref(chat: Any) -> ChatRef:
        kind = _CHAT_KINDS.get(chat.type, ChatKind.GROUP)
        title = _text(chat.title or chat.full_name) if kind is not ChatKind.PRIVATE else None
        return ChatRef(Channel.TELEGRAM, kind, str(chat.id), title)

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the button's spinner; Telegram asks for an answer to every callback query."""
        # Too late (over 15 s) or already answered: nothing a person would notice, so nothing to do.
        with contextlib.suppress(TelegramError):
            await self.bot.answer_callback_query(callback_id)

    # --- outbound --------------------------------------------------------------------------------

    def rate_keys(self, item: Claimed) -> Sequence[RateKey]:
        chat_rate = PRIVATE_CHAT_RATE if item.target_kind == "user" else GROUP_RATE
        return [RateKey("telegram", GLOBAL_RATE), RateKey(f"telegram:chat:{item.target}", chat_rate)]

    async def send(self, item: Claimed) -> SendResult:
        message_id: str | None = None
        try:
            for message in item.messages:
                message_id = await self._send_one(item.target, message)
        except Forbidden as exc:
            return SendResult(SendStatus.BLOCKED, error=f"403: {exc.message}")
        except RetryAfter as exc:
            seconds = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            return SendResult(SendStatus.RETRY, retry_after_s=float(seconds), error=f"429: {exc.message}")
        except ChatMigrated as exc:
            return SendResult(SendStatus.FAILED, error=f"group moved to supergroup {exc.new_chat_id}")
        except BadRequest as exc:  # before NetworkError: PTB makes BadRequest one of them
            return SendResult(SendStatus.FAILED, error=f"400: {exc.message}")
        except (TimedOut, NetworkError) as exc:
            return SendResult(SendStatus.RETRY, error=f"network: {exc.message}")
        except InvalidToken as exc:
            return SendResult(SendStatus.FAILED, error=f"token refused: {exc.message}")
        except TelegramError as exc:
            return SendResult(SendStatus.FAILED, error=str(exc.message)[:500])
        return SendResult(SendStatus.SENT, message_id=message_id)

    async def _send_one(self, chat_id: str, message: OutMessage) -> str:
        markup = keyboard(message)
        text = text_with_link(message)
        if message.attachment is not None:
            caption = _clip(text, CAPTION_MAX) if text else None
            attachment = message.attachment
            token = attachment.media_token
            if token and token not in self._file_ids:
                # The first send of a kept file uploads it; the others of a broadcast wait for its file_id.
                async with self._uploads.setdefault(token, asyncio.Lock()):
                    sent = await self._send_file(chat_id, attachment, caption, markup)
                self._uploads.pop(token, None)
            else:
                sent = await self._send_file(chat_id, attachment, caption, markup)
        else:
            sent = await self.bot.send_message(chat_id, _clip(text, TEXT_MAX), reply_markup=markup)
        return str(sent.message_id)

    async def _send_file(
        self, chat_id: str, attachment: Attachment, caption: str | None, markup: InlineKeyboardMarkup | None
    ) -> Message:
        upload = await self._file_for(attachment)
        if attachment.kind == "image":
            sent = await self.bot.send_photo(chat_id, photo=upload, caption=caption, reply_markup=markup)
        else:
            sent = await self.bot.send_document(chat_id, document=upload, caption=caption, reply_markup=markup)
        if attachment.media_token and not isinstance(upload, str):
            self._remember_file_id(attachment.media_token, sent)
        return sent

    async def _file_for(self, attachment: Attachment) -> str | InputFile:
        """A file_id Telegram already has, the bytes PhuanKru keeps, or else the URL Telegram fetches."""
        token = attachment.media_token
        if token and token in self._file_ids:
            self._file_ids.move_to_end(token)
            return self._file_ids[token]
        if token and self.media_loader is not None:
            kept = await self.media_loader(token)
            if kept is not None:
                return InputFile(kept.data, filename=kept.filename or attachment.filename)
        if not attachment.url.startswith("http"):
            # Erased since (/forgetme) or never kept: nothing to send, and retrying would not change that.
            raise BadRequest("the file is no longer kept")
        return attachment.url

    def _remember_file_id(self, token: str, sent: Message) -> None:
        file_id = sent.photo[-1].file_id if sent.photo else sent.document.file_id if sent.document else None
        if file_id:
            self._file_ids[token] = file_id
            while len(self._file_ids) > FILE_ID_CACHE:
                self._file_ids.popitem(last=False)

    # --- set-up ----------------------------------------------------------------------------------

    async def register_webhook(self, public_url: str) -> str:
        url = f"{public_url}/webhooks/telegram"
        await self.bot.set_webhook(url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES)
        return url

    async def set_command_menu(self) -> None:
        for lang in ("th", "en"):
            commands = [BotCommand(name, t(key, lang)) for name, key in MENU_COMMANDS]
            await self.bot.set_my_commands(commands, language_code=None if lang == "th" else lang)

    async def fetch_updates(self, offset: int | None, timeout_s: int = 25) -> list[dict[str, Any]]:
        """One long poll; the raw update dictionaries, as a webhook would have delivered them."""
        updates = await self.bot.get_updates(offset=offset, timeout=timeout_s, allowed_updates=ALLOWED_UPDATES)
        return [u.to_dict() for u in updates]
