"""The console channel runs the same pipeline: stored event, handlers, outbox, delivery worker."""

from __future__ import annotations

import io

from bot.channels.console import ConsoleChannel
from bot.config import load_settings
from bot.services import build_services
from core.clock import FakeClock
from core.model import Button, OutMessage
from handlers.texts import t
from storage.db import Database
from tests.harness import known_person


async def test_console_conversation_goes_through_the_outbox(db: Database) -> None:
    out = io.StringIO()
    console = ConsoleChannel(out)
    clock = FakeClock()
    services = build_services(load_settings(), db, clock, console=console)
    await known_person(db, clock, "console", "tester")
    ids = await services.writer.store([console.raw_event("tester", "/help"), console.raw_event("tester", "/nope")])
    services.processor.submit(ids)
    await services.processor.drain()
    assert await services.worker.run_once() == 2
    assert out.getvalue() == (f"[tester] 🤖 {t('help')}\n[tester] 🤖 {t('unknown_command', command='/nope')}\n")


def test_typed_number_answers_the_last_buttons() -> None:
    console = ConsoleChannel(io.StringIO())
    rendered = console.render("u", OutMessage(text="เลือก", buttons=(Button("มาก", "q:4"), Button("น้อย", "q:2"))))
    assert rendered.splitlines()[1:] == ["    1. มาก", "    2. น้อย"]
    tapped = console.raw_event("u", "2")
    typed = console.raw_event("u", "3")
    assert (tapped.kind, tapped.raw["data"]) == ("postback", "q:2")
    assert (typed.kind, typed.raw["text"]) == ("text", "3")
