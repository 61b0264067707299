"""The console channel: a person at a terminal (or a script) talking to PhuanKru through stdin/stdout.

It runs through the same storage, handlers, outbox and delivery worker as LINE and Telegram; buttons are
shown as numbered options, and typing the number taps them.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from bot.channels.common import numbered_options, text_with_link
from core.model import Channel, ChatKind, ChatRef, Event, EventKind, OutMessage
from scheduler.delivery import SendResult, SendStatus
from scheduler.ratelimit import RateKey
from storage.inbound import RawEvent
from storage.outbox import Claimed


class ConsoleChannel:
    channel = Channel.CONSOLE

    def __init__(self, out: TextIO | None = None, *, session_id: str = "") -> None:
        self.out = out or sys.stdout
        self._seq = itertools.count(1)
        self._session = session_id  # keeps dedupe keys of separate runs apart
        self.last_buttons: dict[str, tuple[str, ...]] = {}  # user -> button data of the last message

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def raw_event(self, user_id: str, text: str, *, name: str | None = None) -> RawEvent:
        """What a typed line becomes: a number answering the last buttons is a tap, anything else text."""
        raw: dict[str, Any] = {"seq": f"{self._session}{next(self._seq)}", "user": user_id, "name": name}
        options = self.last_buttons.get(user_id, ())
        if text.strip().isdigit() and 1 <= int(text.strip()) <= len(options):
            raw["data"] = options[int(text.strip()) - 1]
        else:
            raw["text"] = text
        return RawEvent("console", raw["seq"], "postback" if "data" in raw else "text", raw)

    def to_event(self, raw: dict[str, Any]) -> Event:
        user = str(raw.get("user", "console"))
        chat = ChatRef(Channel.CONSOLE, ChatKind.PRIVATE, user)
        common: dict[str, Any] = {"chat": chat, "user_id": user, "user_name": raw.get("name"), "event_id": raw["seq"]}
        if raw.get("data"):
            return Event(Channel.CONSOLE, EventKind.POSTBACK, data=str(raw["data"]), **common)
        return Event(Channel.CONSOLE, EventKind.TEXT, text=str(raw.get("text", "")), **common)

    def rate_keys(self, item: Claimed) -> Sequence[RateKey]:
        return ()

    async def send(self, item: Claimed) -> SendResult:
        for message in item.messages:
            self.out.write(self.render(item.target, message))
        self.out.flush()
        return SendResult(SendStatus.SENT)

    def render(self, user_id: str, message: OutMessage) -> str:
        lines = [f"[{user_id}] 🤖 {text_with_link(message)}"]
        if message.attachment is not None:
            lines.append(f"    ({message.attachment.kind}: {message.attachment.url})")
        if message.buttons:
            self.last_buttons[user_id] = tuple(b.data for b in message.buttons)
            lines.extend("    " + line for line in numbered_options(message.buttons).splitlines())
        return "\n".join(lines) + "\n"
