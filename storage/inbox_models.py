"""The office inbox: threads of what people write, forwarded to staff and answered through the bot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import BigIntId


class InboxThread(Base):
    __tablename__ = "inbox_threads"
    __table_args__ = (Index("ix_inbox_threads_state", "state", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # open, closed
    opened_at: Mapped[datetime]
    last_message_at: Mapped[datetime]
    # The person's latest LINE reply token, so a quick answer is a free reply rather than a paid push.
    reply_token: Mapped[str | None] = mapped_column(String(255))
    reply_token_at: Mapped[datetime | None]
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    first_response_at: Mapped[datetime | None]
    first_response_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))


class InboxMessage(Base):
    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("inbox_threads.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in (from the person), out (from staff)
    author_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # text, image, file, sticker, location, ...
    text: Mapped[str | None] = mapped_column(Text)
    media_token: Mapped[str | None] = mapped_column(String(64))  # the photo or file, kept in `media`
    created_at: Mapped[datetime]


class Faq(Base):
    """A keyword auto-reply: when a message holds one of its phrases, the answer goes at once."""

    __tablename__ = "faqs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrases: Mapped[list[str]]  # as staff wrote them
    normalised: Mapped[list[str]]  # compared against the message normalised the same way
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Setting(Base):
    """Office-wide settings changed at run time (the staff inbox group, ...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
