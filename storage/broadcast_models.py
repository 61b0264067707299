"""Broadcast tables: one announcement, its audience and schedule; one row per recipient, tied to its outbox row."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import BigIntId


class BroadcastState(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time
    SENDING = "sending"  # recipients queued, delivery under way
    DONE = "done"  # every message has an outcome
    CANCELLED = "cancelled"
    MISSED = "missed"  # its time passed while the service was down, by more than the allowed delay


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_due", "state", "scheduled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author: Mapped[str] = mapped_column(String(128))  # "cli" or "line:U…"/"telegram:…"
    author_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    audience: Mapped[list[str]] = mapped_column(default=list)  # the specs, e.g. ["role:teacher", "group:3"]
    content: Mapped[dict[str, Any]]  # an OutMessage as JSON
    state: Mapped[str] = mapped_column(String(16))
    scheduled_at: Mapped[datetime]  # when it is to go (the creation time for "now")
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)  # e.g. sent late after downtime
    recipients_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    report_sent_at: Mapped[datetime | None]  # the delivery report went to its author


class BroadcastRecipient(Base):
    """One person, group or channel a broadcast went to, and the outbox row that carries it."""

    __tablename__ = "broadcast_recipients"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))  # user, group or channel id; "*followers*" for LINE
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    # The outbox row that carries it, by its idempotency key (several LINE recipients share one multicast
    # row, and its state is theirs). A key rather than the id: it is known before the bulk insert.
    outbox_key: Mapped[str] = mapped_column(String(64), index=True)


class Media(Base):
    """A file PhuanKru serves at /media/<token> so that LINE and Telegram can fetch it (https only)."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
