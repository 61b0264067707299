"""The words people type for an audience: ทุกคน, ครู, ผู้บริหาร, บุคลากร, a school's name or code, a group's name, a tag —
read into the specs storage resolves (`all`, `role:teacher`, `school:…`, `group:ID`, `tag:…`). Every office action
that takes an audience reads it here, so the words work the same in chat, in the CLI and in the console."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.choices import comparable
from handlers.texts import t
from storage import schools
from storage.audiences import KINDS, AudienceError
from storage.broadcasts import FOLLOWERS_SPEC
from storage.models import Chat, ContactTag

# Catalogue keys whose Thai and English texts name a spec: the buttons' labels, and the words offices use.
_NAMED = {
    "all": ("bc_all", "audience_word_all"),
    "role:teacher": ("bc_teachers", "pos_teacher", "audience_word_teachers"),
    "role:director": ("bc_directors", "pos_director", "audience_word_directors"),
    "role:personnel": ("pos_personnel", "audience_word_personnel"),
    "channel:line": ("audience_word_line",),
    "channel:telegram": ("audience_word_telegram",),
    FOLLOWERS_SPEC: ("bc_line_followers",),
}
_WORDS = {comparable(t(key, lang)): spec for spec, keys in _NAMED.items() for key in keys for lang in ("th", "en")}


def _is_spec(text: str) -> bool:
    kind, sep, _ = text.partition(":")
    return text.strip().lower() in ("all", FOLLOWERS_SPEC) or (bool(sep) and kind.strip().lower() in KINDS)


async def read_audience(session: AsyncSession, texts: Sequence[str]) -> list[str]:
    """Each typed audience as a spec (commas separate several in one text); raises AudienceError("unknown_word")
    for a word that names nothing, so the person is told which one."""
    specs: list[str] = []
    for text in texts:
        for part in (p.strip() for p in text.split(",")):
            if part and (spec := await _one(session, part)) not in specs:
                specs.append(spec)
    return specs


async def _one(session: AsyncSession, word: str) -> str:
    if _is_spec(word):
        return word
    typed = comparable(word)
    if typed in _WORDS:
        return _WORDS[typed]
    bare = word.lstrip("#").strip()
    tag = "-".join(bare.lower().split())
    if (await session.execute(select(ContactTag.tag).where(ContactTag.tag == tag).limit(1))).first():
        return f"tag:{tag}"
    school = await schools.find(session, bare)
    if school is not None:
        return f"school:{school.code or school.name}"
    chats = (await session.execute(select(Chat).where(Chat.active.is_(True)).order_by(Chat.id))).scalars()
    for chat in chats:
        if typed in {comparable(chat.name or ""), comparable(chat.title or "")}:
            return f"group:{chat.id}"
    raise AudienceError("unknown_word", word)
