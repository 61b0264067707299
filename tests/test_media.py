"""Photos and documents sent in chat: fetched from the platform, kept, and used as announcements, inbox
forwards, answers and step evidence — through the real SDKs against the fake APIs."""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image
from sqlalchemy import select

from handlers.texts import t
from storage import chats, settings
from storage.broadcast_models import Broadcast, Media
from storage.db import Database
from storage.inbox_models import InboxMessage
from storage.models import OutboxMessage
from tests.events import line_file, line_image, tg_document, tg_message, tg_photo
from tests.fakes.telegram_api import BOT_USER
from tests.harness import Harness, running
from tests.test_registration import LinePerson, TelegramPerson

PUBLIC = "https://phuankru.example.go.th"
WITH_PUBLIC_URL: dict[str, Any] = {"phuankru_public_url": PUBLIC}
PDF = b"%PDF-1.4\n% a circular letter\n" + b"0" * 2000


def picture(width: int = 64, height: int = 48, *, noisy: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    if noisy:  # random pixels do not compress: a large file from a modest picture
        image = Image.frombytes("RGB", (width, height), random.Random(7).randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG" if noisy else "JPEG")
    return out.getvalue()


async def staff_at_content_step(h: Harness, staff: TelegramPerson | LinePerson) -> None:
    assert (await staff.say("/broadcast"))[0].startswith(t("bc_who"))  # LINE also lists the options
    await staff.tap("bc:a:role:teacher")
    assert await staff.tap("bc:next") == [t("bc_content")]


async def teachers(h: Harness) -> None:
    now = h.clock.now()
    await h.known_person("telegram", "8102", position="teacher", registered_at=now)
    await h.known_person("telegram", "8103", position="teacher", registered_at=now)
    await h.known_person("line", "Uteach1", position="teacher", registered_at=now)


def line_messages(h: Harness, to: str) -> list[dict[str, Any]]:
    return [d.message for d in h.line.deliveries if d.to == to]


async def test_a_photo_sent_on_telegram_is_the_announcement_on_both_platforms(db: Database) -> None:
    async with running(db, settings_extra=WITH_PUBLIC_URL) as h:
        await h.known_person("telegram", "8101", role="staff")
        await teachers(h)
        staff = TelegramPerson(h, 8101)
        await staff_at_content_step(h, staff)
        photo = picture()
        file_id = h.telegram.add_file(photo)
        assert (await h.post_telegram(tg_photo(8101, file_id, caption="กำหนดการประชุมครู 5 ธ.ค."))).status == 200
        await h.settle()
        preview = [s for s in h.telegram.sent if s.chat_id == "8101"][-2:]
        assert preview[0].method == "sendPhoto" and preview[0].text == "กำหนดการประชุมครู 5 ธ.ค."
        assert preview[1].text is not None and preview[1].text.startswith("ตัวอย่างด้านบน")
        assert await staff.tap("bc:now") == [t("bc_queued", id=1, total=3)]
        await h.settle()
        # Telegram recipients get the picture itself, uploaded once from what PhuanKru kept, then by file_id.
        got = [s for s in h.telegram.sent if s.chat_id in ("8102", "8103")]
        assert sorted((s.chat_id, s.method, s.text) for s in got) == [
            ("8102", "sendPhoto", "กำหนดการประชุมครู 5 ธ.ค."),
            ("8103", "sendPhoto", "กำหนดการประชุมครู 5 ธ.ค."),
        ]
        photo_sends = [r.params["photo"] for r in h.telegram.requests if r.method == "sendPhoto"]
        assert sum(isinstance(p, dict) for p in photo_sends) == 1  # the preview to staff uploaded it
        assert all(isinstance(p, str) and p.startswith("fake-photo-") for p in photo_sends[1:])
        # LINE gets an image message pointing at PhuanKru's own copy, which serves the same bytes.
        (image, text) = line_messages(h, "Uteach1")
        assert image["type"] == "image" and image["originalContentUrl"].startswith(f"{PUBLIC}/media/")
        assert text["text"] == "กำหนดการประชุมครู 5 ธ.ค."
        served = await h.client.get(image["originalContentUrl"].removeprefix(PUBLIC))
        assert served.status == 200 and await served.read() == photo


async def test_a_document_sent_on_line_without_text_asks_for_one_and_goes_out_as_a_file(db: Database) -> None:
    async with running(db, settings_extra=WITH_PUBLIC_URL) as h:
        await h.known_person("line", "Ustaff1", role="staff")
        await teachers(h)
        staff = LinePerson(h, "Ustaff1")
        await staff_at_content_step(h, staff)
        h.line.add_content("700001", PDF)
        asked = await staff._send(
            lambda token: line_file("Ustaff1", "700001", "หนังสือเวียน.pdf", len(PDF), reply_token=token)
        )
        assert asked[0].startswith(t("bc_ask_caption"))
        preview = await staff.say("หนังสือเวียนเรื่องการอบรม ดาวน์โหลดได้ตามลิงก์")
        assert preview[0].startswith("หนังสือเวียนเรื่องการอบรม")
        assert f"{PUBLIC}/media/" in preview[0]  # LINE has no document message: the file is a link
        assert await staff.tap("bc:now") == [t("bc_queued", id=1, total=3)]
        await h.settle()
        uploads = [u for u in h.telegram.uploads if u["method"] == "sendDocument"]
        assert [u["upload"] for u in uploads] == ["หนังสือเวียน.pdf"]  # once; the second teacher by file_id
        assert uploads[0]["size"] == len(PDF)
        docs = [s for s in h.telegram.sent if s.method == "sendDocument"]
        assert sorted(s.chat_id for s in docs) == ["8102", "8103"]
        assert all(s.text == "หนังสือเวียนเรื่องการอบรม ดาวน์โหลดได้ตามลิงก์" for s in docs)


async def test_files_that_cannot_go_out_get_a_clear_message_and_nothing_is_queued(db: Database) -> None:
    async with running(db, settings_extra=WITH_PUBLIC_URL) as h:
        await h.known_person("telegram", "8201", role="staff")
        await teachers(h)
        staff = TelegramPerson(h, 8201)
        await staff_at_content_step(h, staff)

        async def send(update: dict[str, Any]) -> list[str]:
            before = len(h.telegram.sent_texts(8201))
            assert (await h.post_telegram(update)).status == 200
            await h.settle()
            return h.telegram.sent_texts(8201)[before:]

        program = h.telegram.add_file(b"MZ\x90\x00 a windows program")
        assert await send(tg_document(8201, program, "setup.exe", 20)) == [
            t("file_wrong_type", name="setup.exe"),
            t("bc_content"),
        ]
        # Too large: refused from the size Telegram announces, without fetching it.
        assert await send(tg_document(8201, "never-fetched", "video.pdf", 30 * 1024 * 1024)) == [
            t("file_too_large", limit_mb=20),
            t("bc_content"),
        ]
        assert not [r for r in h.telegram.requests if r.method == "getFile" and r.params["file_id"] == "never-fetched"]
        # The platform no longer has it.
        assert await send(tg_document(8201, "gone", "memo.pdf", 100)) == [t("file_unreachable"), t("bc_content")]
        # A sticker is no announcement.
        sticker = tg_message(8201, "x")
        del sticker["message"]["text"]
        sticker["message"]["sticker"] = {
            "file_id": "st",
            "file_unique_id": "st",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        assert await send(sticker) == [t("bc_content_kinds"), t("bc_content")]
        async with db.sessions() as session:
            assert (await session.execute(select(Broadcast))).first() is None
        # The flow is not stuck: a text still makes the announcement.
        assert (await staff.say("ประกาศทดสอบ"))[0] == "ประกาศทดสอบ"


async def test_a_teachers_photo_reaches_staff_and_a_staff_photo_answers_back(db: Database) -> None:
    async with running(db, settings_extra=WITH_PUBLIC_URL) as h:
        async with db.sessions() as session, session.begin():
            chat = await chats.joined(session, "telegram", "-100555", "supergroup", title="ทีมงาน", now=h.clock.now())
            await settings.put(session, settings.INBOX_GROUP, {"chat_id": chat.id}, now=h.clock.now())
        teacher_id = await h.known_person("line", "Uphoto", display_name="ครูมาลี", position="teacher")
        await h.known_person("telegram", "8301", role="staff")
        big = picture(900, 700, noisy=True)
        assert len(big) > 1024 * 1024  # larger than LINE's preview limit: a small copy is made
        h.line.add_content("710001", big)
        teacher = LinePerson(h, "Uphoto")
        ack = await teacher._send(lambda token: line_image("Uphoto", "710001", reply_token=token))
        assert ack == [t("inbox_ack_open", hours="08:30–16:30")]
        to_staff = [s for s in h.telegram.sent if s.chat_id == "-100555"]
        assert [s.method for s in to_staff] == ["sendPhoto", "sendMessage"]
        assert t("media_image") in (to_staff[1].text or "") and "ครูมาลี" in (to_staff[1].text or "")
        upload = next(u for u in h.telegram.uploads if u["chat_id"] == "-100555")
        assert upload["size"] == len(big)
        # Staff answer with a photo, replying to the forward.
        answer_id = h.telegram.add_file(picture())
        reply = tg_photo(-100555, answer_id, caption="แบบฟอร์มตามรูปนี้ค่ะ")
        reply["message"]["chat"] = {"id": -100555, "type": "supergroup", "title": "ทีมงาน"}
        reply["message"]["from"] = {"id": 8301, "is_bot": False, "first_name": "พี่ไอที"}
        reply["message"]["reply_to_message"] = {
            "message_id": to_staff[1].message_id,
            "date": 0,
            "chat": reply["message"]["chat"],
            "from": BOT_USER,
            "text": to_staff[1].text,
        }
        await h.post_telegram(reply)
        await h.settle()
        image, text = line_messages(h, "Uphoto")[-2:]
        assert image["type"] == "image" and image["originalContentUrl"].startswith(f"{PUBLIC}/media/")
        assert text["text"] == t("inbox_from_office", text="แบบฟอร์มตามรูปนี้ค่ะ")
        async with db.sessions() as session:
            kept = (await session.execute(select(InboxMessage.kind, InboxMessage.media_token))).all()
            assert [k for k, _ in kept] == ["image", "image"] and all(token for _, token in kept)
            previews = (await session.execute(select(Media.token).where(Media.token.like("%-preview")))).all()
            assert len(previews) == 1
        # /forgetme takes the person's files with their threads.
        await teacher.say("/forgetme")
        await teacher.tap("priv:forget:yes")
        async with db.sessions() as session:
            tokens = {token for _, token in kept}
            left = (await session.execute(select(Media.token))).scalars().all()
            assert not tokens & set(left) and not [x for x in left if x.endswith("-preview")]
            assert (await session.execute(select(InboxMessage))).first() is None
        assert teacher_id


async def test_a_photo_in_a_group_is_not_fetched(db: Database) -> None:
    async with running(db, settings_extra=WITH_PUBLIC_URL) as h:
        await h.known_person("telegram", "8401")
        file_id = h.telegram.add_file(picture())
        update = tg_photo(-100999, file_id)
        update["message"]["chat"] = {"id": -100999, "type": "group", "title": "ห้องครู"}
        update["message"]["from"] = {"id": 8401, "is_bot": False, "first_name": "ครู"}
        await h.post_telegram(update)
        await h.settle()
        assert not [r for r in h.telegram.requests if r.method == "getFile"]
        assert await h.count(Media) == 0 and await h.count(OutboxMessage) == 0
