"""What a handler gets besides the event: the open transaction, the clock, and who is talking."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.model import Event, OutMessage, Target
from scheduler.clock import Clock
from storage.models import Contact


@dataclass
class Context:
    session: AsyncSession  # the transaction the event is handled in; outbox rows join it
    clock: Clock
    event: Event
    contact: Contact | None = None  # the person who acted, when known
    lang: str = "th"
    replies: list[OutMessage] = field(default_factory=list)  # answers to the event's own chat
    # Messages to other people than the one who wrote (staff notifications, group posts): (target, message).
    extra: list[tuple[Target, OutMessage]] = field(default_factory=list)
