"""Audiences: who an announcement or survey goes to, resolved in one query.

`all` is every reachable follower (following the office's account asks for its announcements);
`role:`, `school:` and `tag:` hold the registered people who match; `channel:line|telegram` the reachable
followers on one platform; `group:ID` a group, room or channel the bot is in. Several specs are a union.
A person linked on LINE and Telegram counts once (the contact seen most recently is used); blocked,
unfollowed and erased contacts are never in an audience.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage import schools
from storage.models import Chat, Contact, ContactTag, Role

# Positions people give at registration, addressable as role:POSITION.
POSITIONS = ("teacher", "director", "personnel", "other")
SYSTEM_ROLES = (Role.STAFF.value, Role.OFFICER.value, Role.ADMIN.value)
KINDS = ("all", "role", "tag", "school", "group", "channel")


class AudienceError(ValueError):
    """A spec that names nothing: `code` picks the message, `value` is what was given."""

    def __init__(self, code: str, value: str) -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value


@dataclass(frozen=True, slots=True)
class AudienceSpec:
    kind: str
    value: str = ""

    @classmethod
    def parse(cls, text: str) -> AudienceSpec:
        text = text.strip()
        kind, _, value = text.partition(":")
        kind, value = kind.strip().lower(), value.strip()
        if kind == "all" and not value:
            return cls("all")
        if kind not in KINDS or kind == "all" or not value:
            raise AudienceError("bad_spec", text)
        if kind == "role" and value.lower() not in POSITIONS + SYSTEM_ROLES:
            raise AudienceError("bad_role", value)
        if kind == "channel" and value.lower() not in ("line", "telegram"):
            raise AudienceError("bad_channel", value)
        if kind in ("role", "channel"):
            value = value.lower()
        return cls(kind, value)

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value}"


@dataclass(frozen=True, slots=True)
class Person:
    contact_id: int
    channel: str
    platform_user_id: str


@dataclass(frozen=True, slots=True)
class GroupTarget:
    chat_id: int
    channel: str
    platform_chat_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class Audience:
    people: list[Person] = field(default_factory=list)
    groups: list[GroupTarget] = field(default_factory=list)

    def per_channel(self) -> Counter[str]:
        """Recipients per platform, groups included, for the preview staff see before sending."""
        return Counter([p.channel for p in self.people] + [g.channel for g in self.groups])

    def __len__(self) -> int:
        return len(self.people) + len(self.groups)


def parse_all(texts: Sequence[str]) -> list[AudienceSpec]:
    if not texts:
        raise AudienceError("empty", "")
    return [AudienceSpec.parse(t) for t in texts]


_REACHABLE = and_(Contact.reachable.is_(True), Contact.erased_at.is_(None))
_REGISTERED = and_(_REACHABLE, Contact.registered_at.is_not(None))


async def _contact_select(session: AsyncSession, spec: AudienceSpec) -> Select[Any]:
    base = select(Contact.id)
    if spec.kind == "all":
        return base.where(_REACHABLE)
    if spec.kind == "channel":
        return base.where(_REACHABLE, Contact.channel == spec.value)
    if spec.kind == "role":
        if spec.value in SYSTEM_ROLES:
            return base.where(_REACHABLE, Contact.role == spec.value)
        return base.where(_REGISTERED, Contact.position == spec.value)
    if spec.kind == "tag":
        tagged = select(ContactTag.contact_id).where(ContactTag.tag == spec.value)
        return base.where(_REACHABLE, Contact.id.in_(tagged))
    if spec.kind == "school":
        school = await schools.find(session, spec.value)
        if school is None:
            raise AudienceError("unknown_school", spec.value)
        return base.where(_REGISTERED, Contact.school_id == school.id)
    raise AudienceError("bad_spec", str(spec))


async def resolve(session: AsyncSession, specs: Sequence[AudienceSpec]) -> Audience:
    """Everyone the specs name, each person once; raises AudienceError for a spec that names nothing known."""
    people: list[Person] = []
    selects = [await _contact_select(session, s) for s in specs if s.kind != "group"]
    if selects:
        chosen = union(*selects).subquery()
        person_key = func.coalesce(Contact.person_id, Contact.id)
        rank = (
            func.row_number()
            .over(partition_by=person_key, order_by=(Contact.last_seen_at.desc().nulls_last(), Contact.id))
            .label("rank")
        )
        ranked = (
            select(Contact.id, Contact.channel, Contact.platform_user_id, rank)
            .where(Contact.id.in_(select(chosen.c[0])))
            .subquery()
        )
        rows = await session.execute(
            select(ranked.c.id, ranked.c.channel, ranked.c.platform_user_id)
            .where(ranked.c.rank == 1)
            .order_by(ranked.c.id)
        )
        people = [Person(r.id, r.channel, r.platform_user_id) for r in rows]
    groups: list[GroupTarget] = []
    group_refs = [s.value for s in specs if s.kind == "group"]
    if group_refs:
        ids = [int(g) for g in group_refs if g.isdigit()]
        rows = await session.execute(
            select(Chat)
            .where(Chat.active.is_(True), or_(Chat.id.in_(ids), Chat.platform_chat_id.in_(group_refs)))
            .order_by(Chat.id)
        )
        found = list(rows.scalars())
        known = {str(c.id) for c in found} | {c.platform_chat_id for c in found}
        missing = [g for g in group_refs if g not in known]
        if missing:
            raise AudienceError("unknown_group", missing[0])
        groups = [GroupTarget(c.id, c.channel, c.platform_chat_id, c.kind) for c in found]
    return Audience(people, groups)
