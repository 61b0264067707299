"""What a handler gets besides the event: the open transaction, the clock, who is talking, and their state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.model import Button, Event, OutMessage, Target
from handlers.texts import t
from storage import conversations, outbox
from storage.conversations import State
from storage.models import Contact


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    """The settings handlers need, handed in by bot/ (handlers never read the environment)."""

    admins: frozenset[tuple[str, str]] = frozenset()  # (channel, platform user id)
    timezone: str = "Asia/Bangkok"
    office_hours: tuple[time, time] | None = (time(8, 30), time(16, 30))  # None: always open
    workdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    public_url: str = ""  # PHUANKRU_PUBLIC_URL: where the web console's sign-in links point


@dataclass
class Context:
    session: AsyncSession  # the transaction the event is handled in; outbox rows join it
    clock: Clock
    event: Event
    config: HandlerConfig = field(default_factory=HandlerConfig)
    contact: Contact | None = None  # the person who acted, when known
    contact_created: bool = False  # first time we hear from them
    lang: str = "th"
    state: State | None = None  # where they are in a multi-step conversation
    replies: list[OutMessage] = field(default_factory=list)  # answers to the event's own chat
    # Messages to other people than the one who wrote (staff notifications, group posts): (target, message).
    extra: list[tuple[Target, OutMessage]] = field(default_factory=list)
    queued: bool = False  # something went to the outbox directly (see `queue`)

    def t(self, key: str, /, **values: object) -> str:
        return t(key, self.lang, **values)

    def say(self, key: str, /, *buttons: Button, **values: object) -> OutMessage:
        return OutMessage(text=self.t(key, **values), buttons=tuple(buttons))

    def button(self, key: str, data: str, /, **values: object) -> Button:
        return Button(self.t(key, **values), data)

    def queue(
        self, target: Target, message: OutMessage, *, ref: str | None = None, reply_token: str | None = None
    ) -> None:
        """Queue a message to someone else now, in this transaction, tagged with what it belongs to."""
        outbox.enqueue(self.session, target, [message], now=self.clock.now(), ref=ref, reply_token=reply_token)
        self.queued = True

    async def set_state(self, flow: str, step: str, /, **data: object) -> None:
        assert self.contact is not None, "conversation state belongs to a person"
        merged = {**(self.state.data if self.state and self.state.flow == flow else {}), **data}
        self.state = State(flow, step, merged)
        await conversations.put(self.session, self.contact.id, self.state, now=self.clock.now())

    async def end_state(self) -> None:
        if self.contact is not None and self.state is not None:
            await conversations.clear(self.session, self.contact.id)
        self.state = None
