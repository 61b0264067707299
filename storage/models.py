"""The schema, as SQLAlchemy 2 declarative models. Migrations in `storage/migrations` build the same tables.

All times are timezone-aware UTC (`UTCDateTime`); they are shown in Asia/Bangkok only at the edges.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import BigIntId, JsonType, UTCDateTime

# Named constraints, so that Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy API)
        datetime: UTCDateTime(),
        dict[str, Any]: JsonType,
        list[str]: JsonType,
    }


class Role(enum.StrEnum):
    TEACHER = "teacher"
    STAFF = "staff"
    OFFICER = "officer"
    ADMIN = "admin"


class OutboxState(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker, lease running
    SENT = "sent"
    FAILED = "failed"  # permanent error, or retries exhausted
    BLOCKED = "blocked"  # the person blocked or unfollowed the account
    CANCELLED = "cancelled"


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    district: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Contact(Base):
    """A person on one platform. The same person on LINE and Telegram is two contacts (linked later)."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("channel", "platform_user_id"),
        Index("ix_contacts_reachable_role", "reachable", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="th", server_default="th")
    role: Mapped[str] = mapped_column(String(16), default=Role.TEACHER, server_default=Role.TEACHER.value)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"), index=True)
    # A school typed by the person that is not in the office's list; flagged for staff.
    school_name_unlisted: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    # What the person said they are at registration: teacher, director, personnel, other. `role` is what
    # they may do in PhuanKru; the two differ (a staff member of the office registers as personnel).
    position: Mapped[str | None] = mapped_column(String(32))
    registered_at: Mapped[datetime | None]
    # The same person on LINE and Telegram (linked with /link) share a person id: they count once.
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    last_seen_at: Mapped[datetime | None]
    consent_at: Mapped[datetime | None]
    consent_notice_version: Mapped[str | None] = mapped_column(String(32))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    blocked_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    school: Mapped[School | None] = relationship(lazy="raise")
    tags: Mapped[list[ContactTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ContactTag.tag"
    )


class Conversation(Base):
    """Where a person is in a multi-step conversation (registration, a survey...), written at every step."""

    __tablename__ = "conversations"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LinkCode(Base):
    """A one-time code that links a person's LINE and Telegram contacts (/link)."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ContactTag(Base):
    __tablename__ = "contact_tags"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Chat(Base):
    """A LINE group or room, or a Telegram group, supergroup or channel the bot is in."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "platform_chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_chat_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # group, room, supergroup, channel
    title: Mapped[str | None] = mapped_column(Text)  # as the platform names it
    name: Mapped[str | None] = mapped_column(Text)  # as the office names it
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    tags: Mapped[list[ChatTag]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="ChatTag.tag")


class ChatTag(Base):
    __tablename__ = "chat_tags"

    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class InboundEvent(Base):
    """A webhook event or update, stored once as received (deduplicated per channel) before it is handled."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe_key"),
        Index("ix_inbound_events_unprocessed", "processed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(128))  # LINE webhookEventId, Telegram update_id
    kind: Mapped[str] = mapped_column(String(32))
    raw: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """One message to one target, written with the change that caused it, sent by the delivery worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        # A chat's open rows, for the claim's rule that messages to one chat go out in order.
        Index("ix_outbox_chat", "channel", "target", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str] = mapped_column(String(16))  # user, group, room, channel, followers
    target: Mapped[str] = mapped_column(String(128))  # the platform's user/chat id
    # For target_kind "multicast": the LINE user ids of one multicast call (at most 500).
    recipients: Mapped[list[str] | None] = mapped_column(JsonType)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]]
    reply_token: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    # Set when a claim finds this row still "sending" with its lease run out: the worker that had it
    # stopped mid-attempt, so the platform may or may not have received it.
    interrupted_at: Mapped[datetime | None]
    # Sent as LINE's X-Line-Retry-Key, so a resend after a crash is not delivered twice.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    error: Mapped[str | None] = mapped_column(Text)
    platform_message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # What this message belongs to ("thread:12"): a staff reply to it on Telegram finds its thread.
    ref: Mapped[str | None] = mapped_column(String(64))


class AuditLog(Base):
    """Who did what: every staff/officer/admin action, every refusal, every erasure."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(128))  # "cli", "system", "line:U…", "telegram:…"
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    allowed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
