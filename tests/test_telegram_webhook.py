"""Telegram: secret-checked webhook and long polling in, Bot API out, through python-telegram-bot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import select

from bot.polling import poll_telegram
from handlers.texts import t
from storage.db import Database
from storage.models import Chat, Contact
from tests.events import tg_callback, tg_member_change, tg_message
from tests.harness import running

FIXTURES = Path(__file__).parent / "fixtures"


async def test_secret_header_is_required(db: Database) -> None:
    async with running(db) as h:
        update = tg_message(501, "/help")
        assert (await h.post_telegram(update, secret=None)).status == 401
        assert (await h.post_telegram(update, secret="wrong-secret")).status == 401
        assert await h.stored_events() == 0
        assert (await h.post_telegram(update)).status == 200
        assert await h.stored_events() == 1


async def test_update_is_handled_once_even_when_delivered_twice(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "502")
        update = tg_message(502, "/help")
        assert (await h.post_telegram(update)).status == 200
        assert (await h.post_telegram(update)).status == 200
        await h.settle()
        assert h.telegram.sent_texts(502) == [t("help")]


async def test_private_start_is_a_follow_and_gets_the_welcome(db: Database) -> None:
    async with running(db) as h:
        await h.post_telegram(tg_message(503, "/start"))
        await h.settle()
        texts = h.telegram.sent_texts(503)
        assert texts[0] == t("welcome")
        assert texts[2] == t("consent_question")
        async with db.sessions() as session:
            contact = (await session.execute(select(Contact))).scalar_one()
        assert (contact.channel, contact.platform_user_id, contact.display_name) == ("telegram", "503", "ครูสมศรี")


async def test_callback_query_is_answered(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "504")
        update = tg_callback(504, "old:button")
        await h.post_telegram(update)
        await h.settle()
        assert [a["callback_query_id"] for a in h.telegram.callback_answers] == [update["callback_query"]["id"]]
        assert h.telegram.sent_texts(504) == [t("expired_button")]


async def test_my_chat_member_keeps_groups_and_blocked_people(db: Database) -> None:
    async with running(db) as h:
        await h.post_telegram(tg_member_change(-1001, "supergroup", "left", "member", title="ครูอำเภอเมือง"))
        await h.post_telegram(tg_member_change(505, "private", "member", "kicked", by=505))
        await h.settle()
        async with db.sessions() as session:
            chat = (await session.execute(select(Chat))).scalar_one()
            contact = (await session.execute(select(Contact))).scalar_one()
        assert (chat.platform_chat_id, chat.kind, chat.title, chat.active) == ("-1001", "group", "ครูอำเภอเมือง", True)
        assert (contact.platform_user_id, contact.reachable) == ("505", False)
        assert h.telegram.sent_texts(-1001) == [t("group_hello")]
        await h.post_telegram(tg_member_change(-1001, "supergroup", "member", "kicked"))
        await h.settle()
        async with db.sessions() as session:
            chat = (await session.execute(select(Chat))).scalar_one()
        assert chat.active is False


async def test_group_chatter_is_ignored_but_commands_answered(db: Database) -> None:
    async with running(db) as h:
        await h.post_telegram(tg_message(-2002, "ประชุมวันไหนคะ", user_id=77, kind="group"))
        await h.post_telegram(tg_message(-2002, "/help@other_bot", user_id=77, kind="group"))
        await h.post_telegram(tg_message(-2002, "/help@phuankru_bot", user_id=77, kind="group"))
        await h.settle()
        assert h.telegram.sent_texts(-2002) == [t("help")]


async def test_every_update_type_is_accepted(db: Database) -> None:
    updates = json.loads((FIXTURES / "telegram_updates.json").read_text(encoding="utf-8"))
    async with running(db) as h:
        for update in updates:
            assert (await h.post_telegram(update)).status == 200, update
        await h.settle()
        assert await h.stored_events() == len(updates)
        rows = await h.outbox_rows()
        assert rows, "private messages in the fixture get answers"
        assert all(r.state == "sent" for r in rows), [r.error for r in rows]


async def test_polling_stores_handles_and_confirms(db: Database) -> None:
    async with running(db) as h:
        telegram = h.services.telegram
        assert telegram is not None
        await h.known_person("telegram", "506")
        await h.known_person("telegram", "507")
        first = h.telegram.add_update(tg_message(506, "/help"))
        h.telegram.add_update(tg_message(507, "/help"))
        stop = asyncio.Event()
        poller = asyncio.create_task(
            poll_telegram(telegram, h.services.writer, h.services.processor, h.clock, stop, timeout_s=1)
        )
        for _ in range(200):
            if await h.stored_events() == 2:
                break
            await asyncio.sleep(0.01)
        # The same update by webhook too (as after switching modes): still handled once.
        await h.post_telegram(tg_message(506, "/help", update_id=first))
        stop.set()
        await asyncio.wait_for(poller, timeout=5)
        await h.settle()
        assert h.telegram.sent_texts(506) == [t("help")]
        assert h.telegram.sent_texts(507) == [t("help")]
        assert any(r.method == "deleteWebhook" for r in h.telegram.requests)
        offsets = [
            int(r.params["offset"]) for r in h.telegram.requests if r.method == "getUpdates" and "offset" in r.params
        ]
        assert offsets[-1] == first + 2
