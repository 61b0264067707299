"""Coverage-guided fuzzing of the webhook parsers with atheris: `make fuzz`, or `python tests/fuzz/fuzz_webhooks.py`.

The target (`TestOneInput`) feeds one input to the adapters exactly as a webhook request would:

- LINE: `LineChannel.verify` with a correct `X-Line-Signature` over the body (the fuzzer must reach the parser, not
  stop at the signature), then `to_event` on every event it returns; a wrong signature must be a 401;
- Telegram: `TelegramChannel.verify` with the right secret, then `to_event` (python-telegram-bot's `Update.de_json`).

The first byte chooses the mode: a raw body as the fuzzer made it, or one of the real payloads in tests/fixtures with
its values replaced, keys dropped and types changed by the following bytes (JSON-shaped inputs reach far deeper into
the SDKs' parsers than random bytes do). What must hold: `verify` accepts or raises `WebhookRejected` with a 4xx,
`to_event` always returns an `Event` (it documents "anything not understood becomes UNKNOWN"), and nothing else
raises.

Four bugs it found are fixed (deep JSON's RecursionError in `verify`, LINE timestamps out of range, incomplete
Telegram updates, non-text callback data): the target now tolerates nothing.

atheris 3.0 installs from PyPI as a wheel on CPython 3.11 (x86-64 Linux) and runs this target; it is not a test
dependency. Without atheris the module still imports, and tests/test_fuzz_target.py calls `TestOneInput` on a few
thousand generated inputs so that CI exercises the target on every run.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import json
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # under atheris: coverage of the adapters and the SDKs' parsers guides the fuzzer
    import atheris

    instrumented: Any = atheris.instrument_imports(include=["bot", "handlers", "linebot", "telegram"])
else:
    instrumented = contextlib.nullcontext()

with instrumented:
    from telegram import User

    from bot.channels.common import WebhookRejected
    from bot.channels.line import LineChannel
    from bot.channels.telegram import TelegramChannel
    from core.clock import FakeClock
    from core.model import Channel, Event, EventKind
    from storage.inbound import RawEvent

LINE_SECRET = "fuzz-line-channel-secret"
TELEGRAM_SECRET = "fuzz_webhook_secret"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LINE_EVENTS: list[dict[str, Any]] = json.loads((FIXTURES / "line_webhook_all_events.json").read_text("utf-8"))["events"]
TELEGRAM_UPDATES: list[dict[str, Any]] = json.loads((FIXTURES / "telegram_updates.json").read_text("utf-8"))

# No network: neither adapter talks to its platform until started, and neither is started here.
LINE = LineChannel(
    channel_secret=LINE_SECRET, access_token="fuzz", api_base_url="http://127.0.0.1:9", clock=FakeClock()
)
TELEGRAM = TelegramChannel(token="123456:fuzz", api_base_url="http://127.0.0.1:9", webhook_secret=TELEGRAM_SECRET)
# What `start()` would learn from getMe: the bot's own user, which `to_event` compares new members against.
TELEGRAM.bot._bot_user = User(id=123456, is_bot=True, first_name="PhuanKru", username="phuankru_bot")
TELEGRAM.username = "phuankru_bot"


def line_signature(body: bytes, secret: str = LINE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Source:
    """The fuzzer's bytes, consumed as choices, numbers and strings (atheris' FuzzedDataProvider, in plain Python)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def text(self) -> str:
        size = self.byte() % 48
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk.decode("utf-8", errors="replace")

    def number(self) -> int:
        value = int.from_bytes(bytes(self.byte() for _ in range(self.byte() % 9)), "big", signed=True)
        return value

    def value(self) -> Any:
        kind = self.byte() % 9
        if kind == 0:
            return self.text()
        if kind == 1:
            return self.number()
        if kind == 2:
            return None
        if kind == 3:
            return bool(self.byte() & 1)
        if kind == 4:
            return self.number() / 7
        if kind == 5:
            return [self.text() for _ in range(self.byte() % 3)]
        if kind == 6:
            return {self.text(): self.text() for _ in range(self.byte() % 3)}
        if kind == 7:
            return "/" + self.text()  # a command
        return self.text() * 40  # a long string

    def mutate(self, node: Any, depth: int = 0) -> Any:
        """The node with some leaves replaced, some keys dropped or added (a few changes per input)."""
        choice = self.byte()
        if depth > 12 or self.at >= len(self.data):
            return node
        if isinstance(node, dict):
            out = {}
            for key, child in node.items():
                action = self.byte() % 8
                if action == 0:
                    continue  # dropped
                out[key] = self.value() if action == 1 else self.mutate(child, depth + 1)
            if choice % 5 == 0:
                out[self.text()] = self.value()
            return out
        if isinstance(node, list):
            return [self.mutate(child, depth + 1) for child in node if self.byte() % 7]
        return self.value() if choice % 4 == 0 else node


def check_event(event: Event, channel: Channel) -> None:
    assert isinstance(event, Event), event
    assert event.channel is channel and isinstance(event.kind, EventKind), event
    assert isinstance(event.chat.id, str), event
    for value in (event.data, event.text, event.user_name):
        assert value is None or isinstance(value, str), event
    event.command  # noqa: B018 - the handlers read it first: it must not raise
    if event.user_id is not None:
        assert isinstance(event.user_id, str), event


def verified(adapter: LineChannel | TelegramChannel, body: bytes, credential: str) -> list[RawEvent] | int:
    """The events `verify` accepted, or the status it refused with."""
    try:
        return adapter.verify(body, credential)
    except WebhookRejected as rejected:
        return rejected.status


def check_line(body: bytes, source: Source) -> None:
    if source.byte() % 16 == 0:  # now and then a wrong signature: always refused, whatever the body
        refused = verified(LINE, body, line_signature(body, "another secret"))
        assert refused in (400, 401), refused  # 400 only for a body that is not UTF-8
        return
    raws = verified(LINE, body, line_signature(body))
    if not isinstance(raws, list):
        assert 400 <= raws < 500, raws
        return
    for raw in raws:
        assert raw.channel == "line" and isinstance(raw.dedupe_key, str) and len(raw.dedupe_key) <= 128
        check_event(LINE.to_event(raw.raw), Channel.LINE)


def check_telegram(body: bytes) -> None:
    raws = verified(TELEGRAM, body, TELEGRAM_SECRET)
    if not isinstance(raws, list):
        assert 400 <= raws < 500, raws
        return
    for raw in raws:
        assert raw.channel == "telegram" and len(raw.kind) <= 32
        check_event(TELEGRAM.to_event(raw.raw), Channel.TELEGRAM)


def TestOneInput(data: bytes) -> None:  # the name atheris and libFuzzer expect
    if not data:
        return
    source = Source(data[1:])
    mode = data[0] % 4
    if mode == 0:
        check_line(data[1:], source)
    elif mode == 1:
        check_telegram(data[1:])
    elif mode == 2:
        events = [source.mutate(copy.deepcopy(LINE_EVENTS[source.byte() % len(LINE_EVENTS)]))]
        check_line(json.dumps({"destination": "Ubot", "events": events}).encode(), source)
    else:
        update = source.mutate(copy.deepcopy(TELEGRAM_UPDATES[source.byte() % len(TELEGRAM_UPDATES)]))
        if isinstance(update, dict) and source.byte() % 4:
            update["update_id"] = abs(source.number())  # mostly keep a valid id, so parsing goes past verify
        check_telegram(json.dumps(update).encode())


def main() -> None:
    import atheris

    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
