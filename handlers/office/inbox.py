"""Answering the people who write to the office: answer a thread, close it, assign it to a staff member.

Chat's reply-to, `/reply N` and the thread buttons call these, and so will the console's inbox: the answer goes to
the person on their own platform through the outbox, once, with LINE's reply token while it is fresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from core.model import Attachment, Channel, OutMessage, Target
from handlers.office.acting import record, require
from handlers.texts import t
from storage import inbox, outbox
from storage.inbox_models import InboxThread
from storage.models import Contact, Role

REPLY_TOKEN_FRESH_S = 20  # as in the LINE adapter: older tokens are not worth a failed reply call


class InboxError(ValueError):
    """`code`: "empty" (nothing to send) or "no_thread" (unknown, closed, or the person cannot be reached)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Answered:
    thread: InboxThread
    person: Contact


def _target(person: Contact) -> Target:
    return Target(Channel(person.channel), "user", person.platform_user_id, contact_id=person.id)


async def open_thread(session: AsyncSession, thread_id: int) -> tuple[InboxThread, Contact]:
    thread = await session.get(InboxThread, thread_id)
    if thread is None or thread.state != inbox.OPEN:
        raise InboxError("no_thread")
    person = await session.get(Contact, thread.contact_id)
    if person is None:
        raise InboxError("no_thread")
    return thread, person


async def answer_thread(
    session: AsyncSession,
    actor: Actor,
    thread_id: int,
    text: str,
    *,
    now: datetime,
    attachment: Attachment | None = None,
) -> Answered:
    """Send the office's answer to the thread's person. Raises Refused or InboxError; nothing is queued then."""
    require(session, actor, "inbox.reply", Role.STAFF, now=now)
    text = text.strip()
    if not text and attachment is None:
        raise InboxError("empty")
    thread, person = await open_thread(session, thread_id)
    if not person.reachable:
        raise InboxError("no_thread")
    token = None
    fresh = thread.reply_token_at is not None and (now - thread.reply_token_at).total_seconds() < REPLY_TOKEN_FRESH_S
    if thread.reply_token and fresh:
        token, thread.reply_token = thread.reply_token, None  # single use
    answer = OutMessage(text=t("inbox_from_office", person.language, text=text), attachment=attachment)
    outbox.enqueue(session, _target(person), [answer], now=now, ref=inbox.thread_ref(thread.id), reply_token=token)
    await inbox.add_reply(
        session,
        thread,
        author_id=actor.contact_id,
        text=text,
        now=now,
        kind=attachment.kind if attachment else "text",
        media_token=attachment.media_token if attachment else None,
    )
    record(
        session, actor, "inbox.reply", f"thread:{thread.id}", now=now, kind=attachment.kind if attachment else "text"
    )
    return Answered(thread, person)


async def close_thread(session: AsyncSession, actor: Actor, thread_id: int, *, now: datetime) -> InboxThread:
    require(session, actor, "inbox.close", Role.STAFF, now=now)
    thread, _ = await open_thread(session, thread_id)
    thread.state, thread.closed_at, thread.closed_by = inbox.CLOSED, now, actor.contact_id
    record(session, actor, "inbox.close", f"thread:{thread.id}", now=now)
    return thread


async def assign_thread(
    session: AsyncSession, actor: Actor, thread_id: int, assignee_id: int, *, now: datetime, who: str
) -> Contact:
    """Give the thread to a staff member, who is told so in their chat (`who`: the person the thread is with)."""
    require(session, actor, "inbox.assign", Role.STAFF, now=now)
    thread, _ = await open_thread(session, thread_id)
    assignee = await session.get(Contact, assignee_id)
    if assignee is None:
        raise InboxError("no_thread")
    thread.assigned_to = assignee.id
    note = OutMessage(text=t("inbox_assigned_to_you", assignee.language, thread=thread.id, who=who))
    outbox.enqueue(session, _target(assignee), [note], now=now, ref=inbox.thread_ref(thread.id))
    record(session, actor, "inbox.assign", f"thread:{thread.id}", now=now, assignee=assignee.id)
    return assignee
