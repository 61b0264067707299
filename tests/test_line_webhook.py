"""LINE: signed webhooks in, replies and pushes out, through line-bot-sdk against the fake Messaging API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.texts import t
from storage.db import Database
from storage.models import Chat, Contact, InboundEvent, OutboxMessage
from tests.events import line_follow, line_join, line_leave, line_postback, line_text, line_unfollow
from tests.harness import running

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.usefixtures("no_webhook_crashes")  # a crash is answered 400 too: counted, it fails here


async def test_text_is_stored_once_and_answered_with_the_reply_token(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("line", "Uteacher1")
        token = h.line.issue_reply_token(to="Uteacher1")
        event = line_text("Uteacher1", "สวัสดีค่ะ", reply_token=token)
        response = await h.post_line([event])
        assert response.status == 200
        assert await response.json() == {"ok": True}
        # A redelivery of the same event (same webhookEventId) is acknowledged and ignored.
        again = await h.post_line([{**event, "deliveryContext": {"isRedelivery": True}}])
        assert again.status == 200
        assert await h.stored_events() == 1
        await h.settle()
        # Free text is a message to the office: stored in a thread, acknowledged once.
        assert h.line.delivered_texts("Uteacher1") == [t("inbox_ack_open", hours="08:30–16:30")]
        assert [d.endpoint for d in h.line.deliveries] == ["reply"]
        contact = (await h.outbox_rows())[0]
        assert contact.state == "sent"


async def test_missing_or_wrong_signature_is_401_and_stores_nothing(db: Database) -> None:
    async with running(db) as h:
        event = line_text("U1", "hi", reply_token="r1")
        missing = await h.post_line([event], signature=None)
        wrong = await h.post_line([event], signature="bm90IHRoZSBzaWduYXR1cmU=")
        assert [(missing.status, await missing.json()), (wrong.status, await wrong.json())] == [
            (401, {"ok": False, "error": "missing X-Line-Signature"}),
            (401, {"ok": False, "error": "invalid X-Line-Signature"}),
        ]
        assert await h.stored_events() == 0
        await h.settle()
        assert h.line.deliveries == []


async def test_malformed_bodies_are_4xx_never_5xx(db: Database) -> None:
    async with running(db) as h:
        cases = {
            b"not json at all": "body is not JSON",
            b"[1, 2, 3]": "body has no events list",
            b'{"events": "nope"}': "body has no events list",
            b'{"events": [{"type": "message"}]}': "an event has no webhookEventId",
            b"\xff\xfe\x00garbage": "body is not UTF-8",
            b'{"events": [' + b"[" * 100 + b"]" * 100 + b"]}": "body is nested more than 100 deep",
        }
        for body, reason in cases.items():
            response = await h.post_line_body(body)
            assert (response.status, await response.json()) == (400, {"ok": False, "error": reason}), body
        huge = await h.post_line_body(b'{"events": []' + b" " * (5 * 1024 * 1024) + b"}")
        assert (huge.status, await huge.text()) == (413, "Maximum request body size 1048576 exceeded.")
        assert await h.stored_events() == 0


async def test_console_verify_button_is_200(db: Database) -> None:
    async with running(db) as h:
        response = await h.post_line([])
        assert response.status == 200
        assert await h.stored_events() == 0


async def test_every_event_type_of_a_real_payload_is_accepted(db: Database) -> None:
    body = (FIXTURES / "line_webhook_all_events.json").read_bytes()
    events = json.loads(body)["events"]
    async with running(db) as h:
        for e in events:
            if "replyToken" in e:
                h.line.issue_reply_token(e["replyToken"], to=e["source"].get("groupId") or e["source"].get("userId"))
        response = await h.post_line_body(body)
        assert response.status == 200
        assert await h.stored_events() == len(events)
        await h.settle()
        async with db.sessions() as session:
            rows = (await session.execute(select(InboundEvent))).scalars().all()
        assert [(r.processed_at is not None, r.error) for r in rows] == [(True, None)] * len(events)
        kinds = {r.kind for r in rows}
        assert {"message", "follow", "unfollow", "join", "leave", "postback", "somethingNew"} <= kinds
        # Nothing the fake refused: every reply that went out was valid for LINE (and some did go out).
        outbox = await h.outbox_rows()
        assert outbox, "no reply at all"
        assert [(r.state, r.error) for r in outbox] == [("sent", None)] * len(outbox)


async def test_follow_unfollow_and_return_keep_the_contact(db: Database) -> None:
    async with running(db) as h:
        await h.post_line([line_follow("Ufollower", reply_token=h.line.issue_reply_token(to="Ufollower"))])
        await h.settle()
        await h.post_line([line_unfollow("Ufollower")])
        await h.settle()
        async with db.sessions() as session:
            contact = (await session.execute(select(Contact))).scalar_one()
            assert (contact.reachable, contact.blocked_at is not None) == (False, True)
        token = h.line.issue_reply_token(to="Ufollower")
        await h.post_line([line_follow("Ufollower", reply_token=token, unblocked=True)])
        await h.settle()
        async with db.sessions() as session:
            contacts = (await session.execute(select(Contact))).scalars().all()
        assert [(c.platform_user_id, c.reachable, c.blocked_at) for c in contacts] == [("Ufollower", True, None)]
        texts = h.line.delivered_texts("Ufollower")
        # First follow: welcome, privacy notice, consent question; coming back: welcome back only.
        assert texts[0] == t("welcome")
        assert texts[2].startswith(t("consent_question"))
        assert texts[3:] == [t("welcome_back")]


async def test_join_and_leave_keep_the_list_of_groups(db: Database) -> None:
    async with running(db) as h:
        await h.post_line([line_join("Cgroup1", reply_token=h.line.issue_reply_token(to="Cgroup1"))])
        await h.settle()
        assert h.line.delivered_texts("Cgroup1") == [t("group_hello")]
        await h.post_line([line_leave("Cgroup1")])
        await h.settle()
        async with db.sessions() as session:
            chat = (await session.execute(select(Chat))).scalar_one()
        assert (chat.channel, chat.platform_chat_id, chat.kind, chat.active) == ("line", "Cgroup1", "group", False)


async def test_group_chatter_gets_no_answer(db: Database) -> None:
    async with running(db) as h:
        source = {"type": "group", "groupId": "Cgroup2", "userId": "Uchatty"}
        token = h.line.issue_reply_token(to="Cgroup2")
        await h.post_line([line_text("Uchatty", "ประชุมกี่โมงคะ", reply_token=token, source=source)])
        await h.settle()
        assert h.line.deliveries == []


async def test_a_stale_reply_token_falls_back_to_push_with_a_retry_key(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("line", "Ulate")
        token = h.line.issue_reply_token(to="Ulate")
        await h.post_line([line_postback("Ulate", "old:button", reply_token=token)])
        await h.services.processor.drain()
        await h.advance(60)  # the delivery worker got to it a minute later
        await h.settle()
        assert [d.endpoint for d in h.line.deliveries] == ["push"]
        assert h.line.delivered_texts("Ulate") == [t("expired_button")]
        row = (await h.outbox_rows())[0]
        assert h.line.deliveries[0].retry_key == row.idempotency_key


async def test_an_invalid_reply_token_falls_back_to_push(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("line", "Ubad")
        # The token was never issued by the fake: LINE answers 400 "Invalid reply token".
        await h.post_line([line_text("Ubad", "hello", reply_token="0" * 32)])
        await h.settle()
        assert [d.endpoint for d in h.line.deliveries] == ["push"]
        rows = await h.outbox_rows(OutboxMessage.state == "sent")
        assert len(rows) == 1
