"""The fakes of the LINE and Telegram APIs, driven by the real SDK clients: if these pass, adapters tested against the
fakes speak the same HTTP as they will in production."""

from __future__ import annotations

import asyncio
import base64
import datetime as dtm
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    BroadcastRequest,
    Configuration,
    MessageAction,
    MulticastRequest,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    AccountLinkEvent,
    BeaconEvent,
    FollowEvent,
    ImageMessageContent,
    JoinEvent,
    LeaveEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UnsendEvent,
    VideoPlayCompleteEvent,
)
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter

from tests.fakes import FakeLineApi, FakeTelegramApi, LineScripted, TelegramScripted, line_signature
from tests.fakes.line_api import BROADCAST_TARGET, label_length

FIXTURES = Path(__file__).parent / "fixtures"
TEACHER = "U1f2e3d4c5b6a79881726354433221100"
GROUP = "C3b4c5d6e7f8091a2b3c4d5e6f708192a"


# --- LINE ----------------------------------------------------------------------------------------


@pytest.fixture
async def line() -> AsyncIterator[FakeLineApi]:
    async with FakeLineApi() as fake:
        yield fake


@asynccontextmanager
async def line_api(fake: FakeLineApi, token: str | None = None) -> AsyncIterator[AsyncMessagingApi]:
    config = Configuration(access_token=token or fake.access_token, host=fake.base_url)
    async with AsyncApiClient(config) as client:
        yield AsyncMessagingApi(client)


def push(text: str, to: str = TEACHER) -> PushMessageRequest:
    return PushMessageRequest(to=to, messages=[TextMessage(text=text)])


def error_body(exc: ApiException) -> dict[str, Any]:
    body = json.loads(exc.body)
    assert isinstance(body, dict)
    return body


async def test_line_base_url_is_loopback_without_trailing_slash(line: FakeLineApi) -> None:
    assert line.base_url.startswith("http://127.0.0.1:")
    assert not line.base_url.endswith("/")


async def test_line_push_with_same_retry_key_twice_is_delivered_once(line: FakeLineApi) -> None:
    key = str(uuid.uuid4())
    async with line_api(line) as api:
        first = await api.push_message_with_http_info(push("ประชุมครู 15.00 น."), x_line_retry_key=key)
        with pytest.raises(ApiException) as retried:
            await api.push_message(push("ประชุมครู 15.00 น."), x_line_retry_key=key)
    assert first.status_code == 200
    assert first.data.sent_messages[0].id.isdigit()
    assert retried.value.status == 409
    assert error_body(retried.value) == {"message": "The retry key is already accepted"}
    # 409 names the request that was accepted, so a sender can log that the retry was a duplicate.
    assert retried.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert line.delivered_texts(TEACHER) == ["ประชุมครู 15.00 น."]
    assert line.deliveries[0].retry_key == key
    assert [r.headers["x-line-retry-key"] for r in line.requests] == [key, key]


async def test_line_retry_key_must_be_a_uuid_and_is_refused_on_reply(line: FakeLineApi) -> None:
    token = line.issue_reply_token(to=TEACHER)
    async with line_api(line) as api:
        with pytest.raises(ApiException) as not_uuid:
            await api.push_message(push("hi"), x_line_retry_key="not-a-uuid")
        request = ReplyMessageRequest(replyToken=token, messages=[TextMessage(text="hi")])
        with pytest.raises(ApiException) as on_reply:
            await api.reply_message(request, _headers={"X-Line-Retry-Key": str(uuid.uuid4())})
    assert not_uuid.value.status == 400
    assert on_reply.value.status == 400
    assert line.deliveries == []


async def test_line_multicast_delivers_to_each_recipient(line: FakeLineApi) -> None:
    recipients = [f"U{i:032x}" for i in range(3)]
    async with line_api(line) as api:
        response = await api.multicast_with_http_info(
            MulticastRequest(to=recipients, messages=[TextMessage(text="แบบประเมิน"), TextMessage(text="ขอบคุณ")])
        )
    assert response.status_code == 200
    assert [(d.to, d.endpoint) for d in line.deliveries][::2] == [(to, "multicast") for to in recipients]
    assert line.delivery_counts()[(recipients[1], "ขอบคุณ")] == 1
    assert len(line.deliveries) == 6


async def test_line_broadcast_goes_to_all_followers(line: FakeLineApi) -> None:
    async with line_api(line) as api:
        # A plain dict would be coerced to the base Message model, silently losing "text": always use the models.
        request = BroadcastRequest(messages=[TextMessage(text="ปิดเรียน")])
        await api.broadcast(request, x_line_retry_key=str(uuid.uuid4()))
    assert line.delivered_texts(BROADCAST_TARGET) == ["ปิดเรียน"]


async def test_line_reply_token_is_single_use(line: FakeLineApi) -> None:
    token = line.issue_reply_token(to=GROUP)
    request = ReplyMessageRequest(replyToken=token, messages=[TextMessage(text="รับทราบ")])
    async with line_api(line) as api:
        reply = await api.reply_message(request)
        with pytest.raises(ApiException) as reused:
            await api.reply_message(request)
        with pytest.raises(ApiException) as unknown:
            await api.reply_message(ReplyMessageRequest(replyToken="never-issued", messages=[TextMessage(text="x")]))
    assert len(reply.sent_messages) == 1
    assert reused.value.status == 400
    assert error_body(reused.value) == {"message": "Invalid reply token"}
    assert unknown.value.status == 400
    assert line.delivered_texts(GROUP) == ["รับทราบ"]
    assert line.deliveries[0].endpoint == "reply"


async def test_line_reply_token_expires(line: FakeLineApi) -> None:
    token = line.issue_reply_token(to=TEACHER, expires_in_s=0.0)
    await asyncio.sleep(0.01)
    async with line_api(line) as api:
        with pytest.raises(ApiException) as expired:
            await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[TextMessage(text="late")]))
    assert expired.value.status == 400


async def test_line_text_length_is_counted_in_utf16_units(line: FakeLineApi) -> None:
    async with line_api(line) as api:
        await api.push_message(push("😀" * 2500))  # 5,000 UTF-16 units: the limit exactly
        with pytest.raises(ApiException) as too_long:
            await api.push_message(push("ก" * 5001))
        with pytest.raises(ApiException) as emoji_too_long:
            await api.push_message(push("😀" * 2500 + "ก"))
    assert too_long.value.status == 400
    assert error_body(too_long.value) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Length must be between 0 and 5000", "property": "messages[0].text"}],
    }
    assert emoji_too_long.value.status == 400
    assert len(line.deliveries) == 1


async def test_line_quick_reply_labels_count_thai_marks_as_part_of_a_letter(line: FakeLineApi) -> None:
    # 25 code points, but vowel and tone marks stack on their letter: 18 characters on screen, within 20.
    label = "พึงพอใจมากที่สุดทุกข้อค่ะ"
    assert (len(label), label_length(label)) == (25, 18)
    ok = QuickReply(items=[QuickReplyItem(action=MessageAction(label=label, text="5"))])
    too_long = QuickReply(items=[QuickReplyItem(action=MessageAction(label="ก" * 21, text="5"))])
    async with line_api(line) as api:
        await api.push_message(PushMessageRequest(to=TEACHER, messages=[TextMessage(text="ข้อ 1", quickReply=ok)]))
        request = PushMessageRequest(to=TEACHER, messages=[TextMessage(text="ข้อ 2", quickReply=too_long)])
        with pytest.raises(ApiException) as refused:
            await api.push_message(request)
    assert refused.value.status == 400
    assert error_body(refused.value)["details"][0]["property"] == "messages[0].quickReply.items[0].action.label"


async def test_line_validates_what_the_sdk_lets_through_when_called_raw(line: FakeLineApi) -> None:
    # The SDK's models refuse >5 messages and >13 quick replies client-side; other clients may not.
    headers = {"Authorization": f"Bearer {line.access_token}"}
    items = [{"type": "action", "action": {"type": "message", "label": str(i), "text": str(i)}} for i in range(14)]
    body = {
        "to": TEACHER,
        "messages": [
            {"type": "text", "text": "", "quickReply": {"items": items}},
            {"type": "image", "originalContentUrl": "http://example.org/a.jpg", "previewImageUrl": "https://x/b"},
            {
                "type": "template",
                "altText": "t",
                "template": {
                    "type": "buttons",
                    "text": "t",
                    "actions": [
                        {"type": "postback", "label": "ok", "data": "x" * 301},
                    ],
                },
            },
        ],
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{line.base_url}/v2/bot/message/push", json=body, headers=headers) as response:
            status, answer = response.status, await response.json()
        six = {"to": TEACHER, "messages": [{"type": "text", "text": "x"}] * 6}
        async with session.post(f"{line.base_url}/v2/bot/message/push", json=six, headers=headers) as response:
            six_status, six_answer = response.status, await response.json()
    assert status == 400
    assert {d["property"] for d in answer["details"]} == {
        "messages[0].text",
        "messages[0].quickReply.items",
        "messages[1].originalContentUrl",
        "messages[2].template.actions[0].data",
    }
    assert answer["message"] == "The request body has 4 error(s)"
    assert six_status == 400
    assert six_answer["details"] == [{"message": "Size must be between 1 and 5", "property": "messages"}]
    assert line.deliveries == []


async def test_line_scripted_429_then_success(line: FakeLineApi) -> None:
    line.script("push", LineScripted(429), LineScripted(500, {"message": "boom"}, delay_s=0.01))
    async with line_api(line) as api:
        with pytest.raises(ApiException) as limited:
            await api.push_message(push("one"))
        with pytest.raises(ApiException) as failed:
            await api.push_message(push("one"))
        await api.push_message(push("one"))
    assert limited.value.status == 429
    assert error_body(limited.value) == {"message": "The API rate limit has been exceeded. Try again later."}
    assert failed.value.status == 500
    assert line.delivered_texts(TEACHER) == ["one"]  # scripted failures deliver nothing


async def test_line_fail_for_is_an_outage_of_given_length(line: FakeLineApi) -> None:
    line.fail_for("push", 503, 0.2)
    async with line_api(line) as api:
        with pytest.raises(ApiException) as down:
            await api.push_message(push("x"))
        await api.reply_message(
            ReplyMessageRequest(replyToken=line.issue_reply_token(), messages=[TextMessage(text="y")])
        )
        await asyncio.sleep(0.25)
        await api.push_message(push("x"))
    assert down.value.status == 503
    assert line.delivered_texts(TEACHER) == ["x"]
    with pytest.raises(ValueError, match="unknown endpoint"):
        line.fail_for("pushh", 500, 1)  # type: ignore[arg-type]


async def test_line_bad_token_is_401(line: FakeLineApi) -> None:
    async with line_api(line, token="wrong-token") as api:
        with pytest.raises(ApiException) as refused:
            await api.push_message(push("x"))
    assert refused.value.status == 401
    assert error_body(refused.value)["message"].startswith("Authentication failed")
    assert line.deliveries == []


async def test_line_rate_limit_answers_429_when_exceeded() -> None:
    async with FakeLineApi(rate_limit_per_s=3) as fake, line_api(fake) as api:
        statuses = []
        for i in range(5):
            try:
                await api.push_message(push(f"m{i}"))
                statuses.append(200)
            except ApiException as exc:
                statuses.append(exc.status)
        await asyncio.sleep(1.05)
        await api.push_message(push("after a second"))
    assert statuses == [200, 200, 200, 429, 429]
    assert fake.delivered_texts(TEACHER) == ["m0", "m1", "m2", "after a second"]


async def test_line_latency_delays_answers() -> None:
    async with FakeLineApi(latency_s=0.2) as fake, line_api(fake) as api:
        started = time.monotonic()
        await api.get_bot_info()
    assert time.monotonic() - started >= 0.2


async def test_line_profiles_groups_bot_info_and_loading(line: FakeLineApi) -> None:
    line.set_profile(TEACHER, "ครูสมศรี")
    line.set_group(GROUP, "ครูโรงเรียนบ้านหนองบัว")
    async with line_api(line) as api:
        profile = await api.get_profile(TEACHER)
        with pytest.raises(ApiException) as no_profile:
            await api.get_profile("Unobody")
        summary = await api.get_group_summary(GROUP)
        with pytest.raises(ApiException) as no_group:
            await api.get_group_summary("Cnothing")
        info = await api.get_bot_info()
        loading = await api.show_loading_animation_with_http_info(
            ShowLoadingAnimationRequest(chatId=TEACHER, loadingSeconds=20)
        )
        with pytest.raises(ApiException) as group_loading:
            await api.show_loading_animation(ShowLoadingAnimationRequest(chatId=GROUP, loadingSeconds=20))
    assert (profile.user_id, profile.display_name, profile.language) == (TEACHER, "ครูสมศรี", "th")
    assert no_profile.value.status == 404
    assert (summary.group_id, summary.group_name) == (GROUP, "ครูโรงเรียนบ้านหนองบัว")
    assert no_group.value.status == 404
    assert (info.basic_id, info.display_name, info.chat_mode, info.mark_as_read_mode) == (
        "@phuankru",
        "PhuanKru",
        "bot",
        "auto",
    )
    assert loading.status_code == 202
    assert group_loading.value.status == 400
    assert line.loading_started == [(TEACHER, 20)]


async def test_line_rich_menu_lifecycle(line: FakeLineApi) -> None:
    menu = RichMenuRequest(
        size=RichMenuSize(width=2500, height=843),
        selected=False,
        name="main",
        chatBarText="เมนู",
        areas=[RichMenuArea(bounds=RichMenuBounds(x=0, y=0, width=2500, height=843), action=MessageAction(text="m"))],
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    async with line_api(line) as api:
        created = await api.create_rich_menu(menu)
        blob = AsyncMessagingApiBlob(api.api_client)
        # The SDK sends Content-Type application/json for bytes unless told otherwise.
        await blob.set_rich_menu_image(created.rich_menu_id, png, _headers={"Content-Type": "image/png"})
        await api.set_default_rich_menu(created.rich_menu_id)
        listed = await api.get_rich_menu_list()
        await api.delete_rich_menu(created.rich_menu_id)
        with pytest.raises(ApiException) as gone:
            await api.delete_rich_menu(created.rich_menu_id)
    assert created.rich_menu_id.startswith("richmenu-")
    assert [m.rich_menu_id for m in listed.richmenus] == [created.rich_menu_id]
    assert gone.value.status == 404
    assert line.rich_menu_images == {}
    upload = next(r for r in line.requests if r.path.endswith("/content"))
    assert upload.headers["content-type"] == "image/png"


async def test_line_unknown_path_answers_json_404(line: FakeLineApi) -> None:
    headers = {"Authorization": f"Bearer {line.access_token}"}
    async with aiohttp.ClientSession() as session, session.get(f"{line.base_url}/v2/bot/nope", headers=headers) as r:
        assert r.status == 404
        assert await r.json() == {"message": "Not found"}
        assert "x-line-request-id" in r.headers


def test_line_signature_matches_the_sdk() -> None:
    body = b'{"destination":"U1","events":[]}'
    signature = line_signature("secret", body)
    assert len(base64.b64decode(signature)) == 32
    assert WebhookParser("secret").parse(body.decode(), signature) == []


def test_line_fixture_has_every_event_and_parses_with_the_sdk() -> None:
    body = (FIXTURES / "line_webhook_all_events.json").read_bytes()
    raw = json.loads(body)
    secret = "fixture-channel-secret"
    events = WebhookParser(secret).parse(body.decode("utf-8"), line_signature(secret, body))
    assert len(events) == len(raw["events"])
    kinds = {(e["type"], e.get("message", {}).get("type")) for e in raw["events"]}
    for message_type in ("text", "image", "video", "audio", "file", "location", "sticker"):
        assert ("message", message_type) in kinds
    expected = {
        "follow": FollowEvent,
        "unfollow": UnfollowEvent,
        "join": JoinEvent,
        "leave": LeaveEvent,
        "memberJoined": MemberJoinedEvent,
        "memberLeft": MemberLeftEvent,
        "postback": PostbackEvent,
        "beacon": BeaconEvent,
        "accountLink": AccountLinkEvent,
        "unsend": UnsendEvent,
        "videoPlayComplete": VideoPlayCompleteEvent,
        "message": MessageEvent,
        # line-bot-sdk v3 has no model for LINE Things events: they arrive as UnknownEvent like future types.
        "things": UnknownEvent,
        "somethingNew": UnknownEvent,
    }
    for event, data in zip(events, raw["events"], strict=True):
        assert isinstance(event, expected[data["type"]]), data["type"]
        assert data["mode"] == "active" and data["deliveryContext"] == {"isRedelivery": False}
    assert {e["source"]["type"] for e in raw["events"]} == {"user", "group", "room"}
    ids = [e["webhookEventId"] for e in raw["events"]]
    assert len(set(ids)) == len(ids) and all(len(i) == 26 for i in ids)
    text = events[0]
    assert isinstance(text, MessageEvent) and isinstance(text.message, TextMessageContent)
    assert text.message.mention is not None and text.message.mention.mentionees[0].is_self
    assert isinstance(events[1], MessageEvent) and isinstance(events[1].message, ImageMessageContent)
    postback = next(e for e in events if isinstance(e, PostbackEvent))
    assert postback.postback.params == {"datetime": "2025-06-01T08:30"}
    follow = next(e for e in events if isinstance(e, FollowEvent))
    assert follow.follow.is_unblocked is True


# --- Telegram ------------------------------------------------------------------------------------

PRIVATE = 700100200
GROUP_CHAT = -4000111222


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi() as fake:
        yield fake


@asynccontextmanager
async def tg_bot(fake: FakeTelegramApi, token: str | None = None) -> AsyncIterator[Bot]:
    bot = Bot(token or fake.token, base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot")
    async with bot:  # initialize() calls getMe; leaving the block shuts the HTTP client down
        yield bot


async def test_tg_get_me(tg: FakeTelegramApi) -> None:
    async with tg_bot(tg) as bot:
        me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (123456, True, "PhuanKru", "phuankru_bot")
    assert [r.method for r in tg.requests] == ["getMe", "getMe"]  # one from initialize()


async def test_tg_wrong_token_is_404(tg: FakeTelegramApi) -> None:
    async with aiohttp.ClientSession() as session, session.post(f"{tg.base_url}/bot1:wrong/getMe") as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_tg_send_message_with_inline_keyboard(tg: FakeTelegramApi) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("พอใจมาก", callback_data="sv:42:5")]])
    async with tg_bot(tg) as bot:
        first = await bot.send_message(PRIVATE, "ข้อ 1: พอใจแค่ไหน", reply_markup=keyboard)
        second = await bot.send_message(GROUP_CHAT, "ประชุม 15.00 น.")
        third = await bot.send_message(PRIVATE, "ขอบคุณค่ะ")
    assert first.reply_markup == keyboard
    assert first.chat.type == "private" and second.chat.type == "group"
    assert (first.message_id, third.message_id) == (1, 2)
    assert first.from_user is not None and first.from_user.id == 123456
    assert tg.sent_texts(PRIVATE) == ["ข้อ 1: พอใจแค่ไหน", "ขอบคุณค่ะ"]
    assert tg.sent[0].reply_markup == keyboard.to_dict()
    assert tg.sent_counts()[(str(GROUP_CHAT), "ประชุม 15.00 น.")] == 1
    # PTB posts url-encoded forms; the fake decodes the JSON-encoded fields and leaves text a string.
    assert tg.requests[1].params["reply_markup"] == keyboard.to_dict()
    assert tg.requests[1].params["chat_id"] == str(PRIVATE)


async def test_tg_text_limits(tg: FakeTelegramApi) -> None:
    async with tg_bot(tg) as bot:
        await bot.send_message(PRIVATE, "ก" * 4096)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(PRIVATE, "ก" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)text is empty"):
            await bot.send_message(PRIVATE, "")
    assert len(tg.sent) == 1


async def test_tg_blocked_and_missing_chats(tg: FakeTelegramApi) -> None:
    tg.blocked.add(PRIVATE)
    tg.missing.add(-999)
    async with tg_bot(tg) as bot:
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(PRIVATE, "hi")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(-999, "hi")
    assert tg.sent == []


async def test_tg_scripted_429_raises_retry_after(tg: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22 warns when retry_after is read as int seconds
    tg.script("sendMessage", TelegramScripted(429, retry_after=3), TelegramScripted(502))
    async with tg_bot(tg) as bot:
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(PRIVATE, "x")
        with pytest.raises(Exception, match="Bad Gateway"):
            await bot.send_message(PRIVATE, "x")
        await bot.send_message(PRIVATE, "x")
    assert limited.value.retry_after == dtm.timedelta(seconds=3)
    assert tg.sent_texts(PRIVATE) == ["x"]


async def test_tg_fail_for_and_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegramApi(per_chat_limit=True) as fake, tg_bot(fake) as bot:
        await bot.send_message(PRIVATE, "one")
        with pytest.raises(RetryAfter):
            await bot.send_message(PRIVATE, "two")  # a second message to one private chat within a second
        await bot.send_message(GROUP_CHAT, "group one")
        fake.fail_for("sendMessage", 500, 0.2)
        with pytest.raises(Exception, match="Internal Server Error"):
            await bot.send_message(GROUP_CHAT, "down")
        await asyncio.sleep(1.0)
        await bot.send_message(PRIVATE, "two")
    assert fake.sent_texts(PRIVATE) == ["one", "two"]
    async with FakeTelegramApi(rate_limit_per_s=2) as fake, tg_bot(fake) as bot:
        await bot.send_message(1, "a")
        await bot.send_message(2, "b")
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(3, "c")
    assert limited.value.retry_after == dtm.timedelta(seconds=1)


async def test_tg_callback_data_over_64_bytes_is_refused(tg: FakeTelegramApi) -> None:
    thai_22 = "ก" * 22  # 66 bytes in UTF-8, though only 22 characters
    async with tg_bot(tg) as bot:
        # PTB does not check the length itself: the request reaches the fake, which refuses it like Telegram.
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(
                PRIVATE,
                "x",
                reply_markup=InlineKeyboardMarkup.from_button(InlineKeyboardButton("ok", callback_data="a" * 65)),
            )
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(
                PRIVATE,
                "x",
                reply_markup=InlineKeyboardMarkup.from_button(InlineKeyboardButton("ok", callback_data=thai_22)),
            )
        many = InlineKeyboardMarkup([[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)])
        with pytest.raises(BadRequest):
            await bot.send_message(PRIVATE, "x", reply_markup=many)
    assert tg.sent == []
    assert sum(r.method == "sendMessage" for r in tg.requests) == 3


async def test_tg_get_updates_long_polls_and_honours_offset(tg: FakeTelegramApi) -> None:
    updates = json.loads((FIXTURES / "telegram_updates.json").read_text("utf-8"))
    first_id = tg.add_update(updates[0])
    async with tg_bot(tg) as bot:
        got = await bot.get_updates(timeout=5)
        assert [u.update_id for u in got] == [first_id]

        async def add_later() -> None:
            await asyncio.sleep(0.2)
            tg.add_update({"message": updates[1]["message"]})

        adder = asyncio.create_task(add_later())
        started = time.monotonic()
        got = await bot.get_updates(offset=first_id + 1, timeout=5)
        waited = time.monotonic() - started
        await adder
        assert [u.update_id for u in got] == [first_id + 1]  # assigned sequentially; the first was confirmed
        assert 0.15 <= waited < 1.0
        started = time.monotonic()
        assert await bot.get_updates(offset=first_id + 2, timeout=30) == ()
        assert 0.9 <= time.monotonic() - started < 2.0  # capped by max_poll_wait_s
    assert tg.pending_updates == []


async def test_tg_allowed_updates_and_webhook_conflict(tg: FakeTelegramApi) -> None:
    tg.add_update({"chat_member": {}})  # opt-in type: left out unless asked for
    message_id = tg.add_update(
        {"message": {"message_id": 1, "date": 0, "chat": {"id": PRIVATE, "type": "private"}, "text": "hi"}}
    )
    async with tg_bot(tg) as bot:
        assert [u.update_id for u in await bot.get_updates()] == [message_id]
        assert await bot.set_webhook("https://bot.example.org/telegram", secret_token="s3cr3t_-TOKEN")
        with pytest.raises(Conflict):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        with pytest.raises(BadRequest):
            await bot.set_webhook("https://bot.example.org/telegram", secret_token="bad secret!")
        with pytest.raises(BadRequest):
            await bot.set_webhook("http://bot.example.org/telegram")
        assert await bot.delete_webhook()
    assert tg.webhook is None
    assert info.url == "https://bot.example.org/telegram" and info.pending_update_count == 1
    hook = next(r for r in tg.requests if r.method == "setWebhook")
    assert hook.params["secret_token"] == "s3cr3t_-TOKEN"


async def test_tg_set_webhook_records_url_and_secret(tg: FakeTelegramApi) -> None:
    async with tg_bot(tg) as bot:
        await bot.set_webhook("https://bot.example.org/tg", secret_token="abc-DEF_123", allowed_updates=["message"])
    assert tg.webhook is not None
    assert (tg.webhook.url, tg.webhook.secret, tg.webhook.allowed_updates) == (
        "https://bot.example.org/tg",
        "abc-DEF_123",
        ["message"],
    )


async def test_tg_commands_edits_callbacks_and_chats(tg: FakeTelegramApi) -> None:
    async with tg_bot(tg) as bot:
        await bot.set_my_commands([("start", "เริ่มต้น"), ("survey", "ทำแบบประเมิน")])
        commands = await bot.get_my_commands()
        sent = await bot.send_message(
            PRIVATE,
            "ข้อ 1",
            reply_markup=InlineKeyboardMarkup.from_button(InlineKeyboardButton("5", callback_data="q1:5")),
        )
        edited = await bot.edit_message_text("ข้อ 1 ✓", chat_id=PRIVATE, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("ข้อ 1 ✓", chat_id=PRIVATE, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("?", chat_id=PRIVATE, message_id=999)
        assert await bot.answer_callback_query("cq-1", text="บันทึกแล้ว")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query("cq-1")
        copied = await bot.copy_message(GROUP_CHAT, from_chat_id=PRIVATE, message_id=sent.message_id)
        forwarded = await bot.forward_message(GROUP_CHAT, from_chat_id=PRIVATE, message_id=sent.message_id)
        assert await bot.delete_message(PRIVATE, sent.message_id)
        chat = await bot.get_chat(GROUP_CHAT)
        member = await bot.get_chat_member(GROUP_CHAT, 123456)
        assert await bot.leave_chat(GROUP_CHAT)
    assert [(c.command, c.description) for c in commands] == [("start", "เริ่มต้น"), ("survey", "ทำแบบประเมิน")]
    assert tg.commands == [c.to_dict() for c in commands]
    assert not isinstance(edited, bool)  # True only for inline-mode messages
    assert edited.text == "ข้อ 1 ✓" and edited.edit_date is not None
    assert [e.text for e in tg.edits] == ["ข้อ 1 ✓"]
    assert tg.callback_answers[0]["text"] == "บันทึกแล้ว"
    assert copied.message_id == 1
    assert forwarded.text == "ข้อ 1 ✓" and forwarded.forward_origin is not None
    assert tg.sent_texts(GROUP_CHAT) == ["ข้อ 1 ✓", "ข้อ 1 ✓"]
    assert tg.deleted == [(str(PRIVATE), sent.message_id)]
    assert chat.type == "group" and member.status == "member"
    assert tg.left_chats == [str(GROUP_CHAT)]


async def test_tg_uploads_arrive_as_multipart(tg: FakeTelegramApi) -> None:
    async with tg_bot(tg) as bot:
        photo = await bot.send_photo(PRIVATE, b"\x89PNG fake bytes", caption="ใบประกาศ")
        document = await bot.send_document(PRIVATE, b"%PDF-1.4", filename="คำสั่ง.pdf")
    assert photo.caption == "ใบประกาศ" and photo.photo
    assert document.document is not None and document.document.file_name == "คำสั่ง.pdf"
    assert tg.sent_texts(PRIVATE) == ["ใบประกาศ"]
    upload = tg.requests[-1].params["document"]
    assert upload["upload"] == "คำสั่ง.pdf" and upload["size"] == 8


async def test_tg_accepts_json_bodies_too(tg: FakeTelegramApi) -> None:
    markup = {"inline_keyboard": [[{"text": "ok", "callback_data": "x"}]]}
    url = f"{tg.base_url}/bot{tg.token}/sendMessage"
    body = {"chat_id": PRIVATE, "text": "123", "reply_markup": markup}
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        answer = await response.json()
    assert answer["ok"] is True and answer["result"]["text"] == "123"
    assert answer["result"]["reply_markup"] == markup
    assert tg.sent_texts(PRIVATE) == ["123"]


async def test_tg_fixture_updates_parse_with_ptb(tg: FakeTelegramApi) -> None:
    updates = json.loads((FIXTURES / "telegram_updates.json").read_text("utf-8"))
    async with tg_bot(tg) as bot:
        parsed = [Update.de_json(data, bot) for data in updates]
    assert len({u.update_id for u in parsed}) == len(updates)
    kinds = [next(k for k in data if k != "update_id") for data in updates]
    assert set(kinds) == {"message", "callback_query", "my_chat_member", "channel_post", "edited_message"}
    commands = [u.message.text for u in parsed if u.message and u.message.text and u.message.text.startswith("/")]
    assert commands == ["/start", "/survey@phuankru_bot 42"]
    statuses = [u.my_chat_member.new_chat_member.status for u in parsed if u.my_chat_member]
    assert statuses == ["member", "administrator", "kicked", "kicked"]
    chat_types = [u.my_chat_member.chat.type for u in parsed if u.my_chat_member]
    assert chat_types == ["group", "channel", "group", "private"]
    messages = [u.message for u in parsed if u.message]
    assert any(m.photo for m in messages) and any(m.sticker for m in messages) and any(m.document for m in messages)
    assert any(m.location for m in messages) and any(m.new_chat_members for m in messages)
    assert any(m.left_chat_member for m in messages)
    callback = next(u.callback_query for u in parsed if u.callback_query)
    assert callback.data == "sv:42:q3:5" and callback.message is not None
    assert next(u for u in parsed if u.channel_post).channel_post.chat.type == "channel"  # type: ignore[union-attr]
    assert next(u for u in parsed if u.edited_message).edited_message.edit_date is not None  # type: ignore[union-attr]
