"""Groups, rooms and channels the bot is in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contacts import normalise_tag
from storage.models import Chat, ChatTag


async def find(session: AsyncSession, channel: str, platform_chat_id: str) -> Chat | None:
    result = await session.execute(
        select(Chat).where(Chat.channel == channel, Chat.platform_chat_id == platform_chat_id)
    )
    return result.scalar_one_or_none()


async def joined(
    session: AsyncSession, channel: str, platform_chat_id: str, kind: str, *, title: str | None, now: datetime
) -> Chat:
    """The bot is in this chat (again); returns its row."""
    chat = await find(session, channel, platform_chat_id)
    if chat is None:
        chat = Chat(channel=channel, platform_chat_id=platform_chat_id, kind=kind, title=title, joined_at=now, tags=[])
        session.add(chat)
    else:
        chat.active, chat.left_at, chat.joined_at = True, None, now
        chat.title = title or chat.title
    await session.flush()
    return chat


async def left(session: AsyncSession, channel: str, platform_chat_id: str, *, now: datetime) -> Chat | None:
    chat = await find(session, channel, platform_chat_id)
    if chat is not None:
        chat.active, chat.left_at = False, now
    return chat


async def list_chats(session: AsyncSession, *, active_only: bool = False) -> Sequence[Chat]:
    query = select(Chat).order_by(Chat.id)
    if active_only:
        query = query.where(Chat.active.is_(True))
    return (await session.execute(query)).scalars().all()


async def find_by_ref(session: AsyncSession, ref: str) -> Chat | None:
    """A chat by our id or by the platform's chat id."""
    ref = ref.strip()
    if ref.isdigit():
        chat = await session.get(Chat, int(ref))
        if chat is not None:
            return chat
    result = await session.execute(select(Chat).where(Chat.platform_chat_id == ref))
    return result.scalars().first()


def add_tag(chat: Chat, tag: str) -> bool:
    tag = normalise_tag(tag)
    if any(t.tag == tag for t in chat.tags):
        return False
    chat.tags.append(ChatTag(tag=tag))
    return True
