"""Builders of webhook payloads in the platforms' own formats (see tests/fixtures for every event type)."""

from __future__ import annotations

import itertools
import time
from typing import Any

_seq = itertools.count(1)


def _ulid() -> str:
    return f"01TEST{next(_seq):020d}"


def _line_base(kind: str, source: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": source,
        "webhookEventId": extra.pop("event_id", None) or _ulid(),
        "deliveryContext": {"isRedelivery": extra.pop("redelivery", False)},
        **extra,
    }


def line_user(user_id: str) -> dict[str, Any]:
    return {"type": "user", "userId": user_id}


def line_group(group_id: str, user_id: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"type": "group", "groupId": group_id}
    if user_id:
        source["userId"] = user_id
    return source


def line_text(
    user_id: str, text: str, *, reply_token: str, source: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    message = {"id": str(next(_seq)), "type": "text", "text": text, "quoteToken": "q"}
    return _line_base("message", source or line_user(user_id), replyToken=reply_token, message=message, **extra)


def line_image(user_id: str, message_id: str, *, reply_token: str, **extra: Any) -> dict[str, Any]:
    message = {"id": message_id, "type": "image", "quoteToken": "q", "contentProvider": {"type": "line"}}
    return _line_base("message", line_user(user_id), replyToken=reply_token, message=message, **extra)


def line_file(user_id: str, message_id: str, name: str, size: int, *, reply_token: str, **extra: Any) -> dict[str, Any]:
    message = {"id": message_id, "type": "file", "fileName": name, "fileSize": size}
    return _line_base("message", line_user(user_id), replyToken=reply_token, message=message, **extra)


def line_follow(user_id: str, *, reply_token: str, unblocked: bool = False, **extra: Any) -> dict[str, Any]:
    return _line_base("follow", line_user(user_id), replyToken=reply_token, follow={"isUnblocked": unblocked}, **extra)


def line_unfollow(user_id: str, **extra: Any) -> dict[str, Any]:
    return _line_base("unfollow", line_user(user_id), **extra)


def line_join(group_id: str, *, reply_token: str, **extra: Any) -> dict[str, Any]:
    return _line_base("join", line_group(group_id), replyToken=reply_token, **extra)


def line_leave(group_id: str, **extra: Any) -> dict[str, Any]:
    return _line_base("leave", line_group(group_id), **extra)


def line_postback(user_id: str, data: str, *, reply_token: str, **extra: Any) -> dict[str, Any]:
    return _line_base("postback", line_user(user_id), replyToken=reply_token, postback={"data": data}, **extra)


# --- Telegram ------------------------------------------------------------------------------------

_update_ids = itertools.count(1000)


def tg_user(user_id: int, name: str = "ครูสมศรี") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "th"}


def tg_chat(chat_id: int, kind: str = "private", title: str | None = None) -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": title or "ครูสมศรี"}
    return {"id": chat_id, "type": kind, "title": title or "กลุ่มโรงเรียน"}


def tg_message(
    chat_id: int, text: str, *, user_id: int | None = None, kind: str = "private", update_id: int | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_seq),
        "date": int(time.time()),
        "chat": tg_chat(chat_id, kind),
        "from": tg_user(user_id or chat_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id or next(_update_ids), "message": message}


def tg_photo(chat_id: int, file_id: str, *, caption: str | None = None, size: int = 1000) -> dict[str, Any]:
    sizes = [
        {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 60, "file_size": 100},
        {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 853, "file_size": size},
    ]
    message: dict[str, Any] = {
        "message_id": next(_seq),
        "date": int(time.time()),
        "chat": tg_chat(chat_id),
        "from": tg_user(chat_id),
        "photo": sizes,
    }
    if caption:
        message["caption"] = caption
    return {"update_id": next(_update_ids), "message": message}


def tg_document(chat_id: int, file_id: str, name: str, size: int, *, caption: str | None = None) -> dict[str, Any]:
    document = {"file_id": file_id, "file_unique_id": "d", "file_name": name, "file_size": size}
    message: dict[str, Any] = {
        "message_id": next(_seq),
        "date": int(time.time()),
        "chat": tg_chat(chat_id),
        "from": tg_user(chat_id),
        "document": document,
    }
    if caption:
        message["caption"] = caption
    return {"update_id": next(_update_ids), "message": message}


def tg_callback(chat_id: int, data: str, *, update_id: int | None = None) -> dict[str, Any]:
    return {
        "update_id": update_id or next(_update_ids),
        "callback_query": {
            "id": f"cb{next(_seq)}",
            "from": tg_user(chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": {"message_id": next(_seq), "date": int(time.time()), "chat": tg_chat(chat_id), "text": "?"},
        },
    }


def tg_member_change(
    chat_id: int, kind: str, old: str, new: str, *, by: int = 42, bot_id: int = 123456, title: str | None = None
) -> dict[str, Any]:
    bot = {"id": bot_id, "is_bot": True, "first_name": "PhuanKru", "username": "phuankru_bot"}
    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": tg_chat(chat_id, kind, title),
            "from": tg_user(by),
            "date": int(time.time()),
            "old_chat_member": _member(old, bot),
            "new_chat_member": _member(new, bot),
        },
    }


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    return member
