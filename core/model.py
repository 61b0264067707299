"""The one internal model every channel adapter translates to and from.

Adapters (in `bot/channels/`) turn a LINE webhook event or a Telegram update into an `Event`, and an
`OutMessage` into the platform's own message; nothing here knows a platform SDK.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Telegram allows 64 bytes of callback_data; LINE 300 characters of postback data. Codes stay far
# below the smaller one and are ASCII, so that the meaning lives server-side, never in the button.
MAX_BUTTON_DATA_BYTES = 64


class Channel(enum.StrEnum):
    LINE = "line"
    TELEGRAM = "telegram"
    WEB = "web"
    CONSOLE = "console"


class EventKind(enum.StrEnum):
    TEXT = "text"  # a typed message (commands included)
    POSTBACK = "postback"  # a tapped button: LINE postback, Telegram callback query
    MEDIA = "media"  # image, video, audio, file, sticker, location
    FOLLOW = "follow"  # LINE follow/unblock, Telegram private /start or unblock
    UNFOLLOW = "unfollow"  # LINE unfollow, Telegram private block
    JOIN = "join"  # the bot was added to a group, room or channel
    LEAVE = "leave"  # the bot was removed
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    UNKNOWN = "unknown"  # anything else: stored, then ignored


class ChatKind(enum.StrEnum):
    PRIVATE = "private"  # one-to-one with a person
    GROUP = "group"  # LINE group, Telegram group or supergroup
    ROOM = "room"  # LINE multi-person chat
    CHANNEL = "channel"  # Telegram channel


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a message comes from or goes to, on one platform."""

    channel: Channel
    kind: ChatKind
    id: str  # LINE userId/groupId/roomId, Telegram chat id (as text)
    title: str | None = None

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class FileRef:
    """A photo or document as the platform holds it, before PhuanKru has fetched it."""

    platform_id: str  # Telegram file_id, LINE message id
    kind: str  # "image" or "file"
    name: str | None = None
    size: int | None = None  # as the platform announced it; None when it did not say


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on a platform, already verified and deduplicated."""

    channel: Channel
    kind: EventKind
    chat: ChatRef
    user_id: str | None = None  # the person who acted (None for channel posts and some group events)
    user_name: str | None = None
    text: str | None = None
    data: str | None = None  # postback / callback data
    media_type: str | None = None  # for MEDIA: image, video, audio, file, sticker, location
    reply_token: str | None = None  # LINE only; Telegram replies are plain sends
    callback_id: str | None = None  # Telegram callback query id, answered by the adapter
    members: tuple[str, ...] = ()  # for MEMBER_JOINED / MEMBER_LEFT
    reply_to: str | None = None  # the platform id of the message this one replies to (Telegram reply-to)
    mentions_bot: bool = False  # the bot was @-mentioned (in groups it answers only commands and mentions)
    occurred_at: datetime | None = None
    event_id: str = ""  # the dedupe key it was stored under
    file: FileRef | None = None  # a photo or document sent in a private chat, still at the platform
    # Set by the processor once the file is fetched, checked and kept (served at /media/<token>):
    attachment: Attachment | None = None
    file_problem: str | None = None  # catalogue key when it could not be kept (too large, wrong type, unreachable)

    @property
    def command(self) -> tuple[str, str] | None:
        """('help', 'args') for '/help args' or '/help@phuankru_bot args'; None when not a command."""
        if self.kind is not EventKind.TEXT or not self.text or not self.text.startswith("/"):
            return None
        head, _, rest = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return (name, rest.strip()) if name else None


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str  # a short ASCII code, e.g. "reg:role:teacher"

    def __post_init__(self) -> None:
        encoded = self.data.encode("utf-8")
        if not self.data.isascii() or len(encoded) > MAX_BUTTON_DATA_BYTES:
            raise ValueError(f"button data must be ASCII and at most {MAX_BUTTON_DATA_BYTES} bytes: {self.data!r}")


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "image" or "document"
    url: str  # https URL the platforms can fetch
    preview_url: str | None = None
    filename: str | None = None
    media_token: str | None = None  # a file PhuanKru keeps itself: Telegram gets the bytes, not the URL
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class OutMessage:
    """One message as a person will see it; adapters render buttons as quick replies or inline keyboards."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    link: str | None = None  # a URL shown after the text (documents too large to attach, web pages)

    def __post_init__(self) -> None:
        if not (self.text or self.attachment or self.link):
            raise ValueError("an OutMessage needs text, an attachment or a link")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: v for k, v in out.items() if v not in (None, ())}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutMessage:
        attachment = data.get("attachment")
        return cls(
            text=data.get("text"),
            buttons=tuple(Button(**b) for b in data.get("buttons", ())),
            attachment=Attachment(**attachment) if attachment else None,
            link=data.get("link"),
        )


@dataclass(frozen=True, slots=True)
class Target:
    """Who an outbox row goes to."""

    channel: Channel
    kind: str  # "user", "group", "room", "channel", "multicast", "followers"
    id: str  # platform id ("" for followers and multicast)
    contact_id: int | None = None
    chat_id: int | None = None
    recipients: tuple[str, ...] = field(default=())  # for "multicast": LINE user ids, at most 500

    @classmethod
    def of_chat(cls, chat: ChatRef, *, contact_id: int | None = None, chat_id: int | None = None) -> Target:
        kind = "user" if chat.kind is ChatKind.PRIVATE else chat.kind.value
        return cls(chat.channel, kind, chat.id, contact_id=contact_id, chat_id=chat_id)
