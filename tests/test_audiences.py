"""Audiences: one query, each person once, never the unreachable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FakeClock
from storage import audiences, chats, contacts, schools
from storage.audiences import AudienceError, AudienceSpec
from storage.db import Database
from storage.models import Contact
from storage.schools import SchoolRow


async def people(db: Database, clock: FakeClock) -> dict[str, int]:
    """A small district: registered teachers and directors, a staff member, followers, blocked and erased."""
    async with db.sessions() as session, session.begin():
        await schools.upsert_many(
            session, [SchoolRow("โรงเรียนบ้านโพนงาม", "S1"), SchoolRow("โรงเรียนนาจะหลวย", "S2")], now=clock.now()
        )
        s1 = await schools.find(session, "S1")
        s2 = await schools.find(session, "S2")
        assert s1 is not None
        assert s2 is not None
        spec = {
            "line:Uteach1": {"position": "teacher", "school_id": s1.id},
            "telegram:101": {"position": "teacher", "school_id": s2.id},
            "line:Udir": {"position": "director", "school_id": s1.id},
            "line:Ustaff": {"role": "staff", "position": "personnel"},
            "telegram:102": {},  # follower, never registered
            "line:Ublocked": {"position": "teacher", "school_id": s1.id, "reachable": False},
            "line:Uerased": {"erased_at": clock.now(), "reachable": False},
        }
        ids = {}
        for ref, fields in spec.items():
            channel, user = ref.split(":")
            c, _ = await contacts.get_or_create(session, channel, user, now=clock.now())
            if "position" in fields:
                c.registered_at = clock.now()
            for k, v in fields.items():
                setattr(c, k, v)
            ids[ref] = c.id
        teacher = await session.get(Contact, ids["line:Uteach1"])
        assert teacher is not None
        contacts.add_tag(teacher, "Science Teachers")
        await chats.joined(session, "telegram", "-1001", "channel", title="ช่องข่าว สพป.", now=clock.now())
    return ids


async def resolve(db: Database, *texts: str) -> audiences.Audience:
    async with db.sessions() as session:
        return await audiences.resolve(session, audiences.parse_all(list(texts)))


def refs(audience: audiences.Audience) -> set[str]:
    return {f"{p.channel}:{p.platform_user_id}" for p in audience.people}


async def test_each_kind_of_audience(db: Database, clock: FakeClock) -> None:
    await people(db, clock)
    assert refs(await resolve(db, "all")) == {
        "line:Uteach1",
        "telegram:101",
        "line:Udir",
        "line:Ustaff",
        "telegram:102",
    }
    assert refs(await resolve(db, "role:teacher")) == {"line:Uteach1", "telegram:101"}
    assert refs(await resolve(db, "role:staff")) == {"line:Ustaff"}
    assert refs(await resolve(db, "school:S1")) == {"line:Uteach1", "line:Udir"}
    assert refs(await resolve(db, "tag:science-teachers")) == {"line:Uteach1"}
    assert refs(await resolve(db, "channel:telegram")) == {"telegram:101", "telegram:102"}
    union = await resolve(db, "role:director", "tag:science-teachers", "group:-1001")
    assert refs(union) == {"line:Udir", "line:Uteach1"}
    assert [(g.channel, g.platform_chat_id, g.kind) for g in union.groups] == [("telegram", "-1001", "channel")]
    assert union.per_channel() == {"line": 2, "telegram": 1}


async def test_a_linked_person_counts_once_on_the_platform_seen_last(db: Database, clock: FakeClock) -> None:
    ids = await people(db, clock)
    async with db.sessions() as session, session.begin():
        line = await session.get(Contact, ids["line:Uteach1"])
        tg = await session.get(Contact, ids["telegram:101"])
        assert line is not None
        assert tg is not None
        line.person_id = tg.person_id = line.id
        line.last_seen_at, tg.last_seen_at = clock.now(), clock.now() + timedelta(hours=1)
    audience = await resolve(db, "role:teacher", "all")
    assert len([p for p in audience.people if p.contact_id in (ids["line:Uteach1"], ids["telegram:101"])]) == 1
    assert "telegram:101" in refs(audience)


@pytest.mark.parametrize(
    ("spec", "code"),
    [("everyone", "bad_spec"), ("role:wizard", "bad_role"), ("channel:facebook", "bad_channel"), ("tag:", "bad_spec")],
)
def test_bad_specs_are_refused(spec: str, code: str) -> None:
    with pytest.raises(AudienceError) as info:
        AudienceSpec.parse(spec)
    assert info.value.code == code


async def test_unknown_school_or_group_is_an_error_not_an_empty_audience(db: Database, clock: FakeClock) -> None:
    await people(db, clock)
    with pytest.raises(AudienceError) as school:
        await resolve(db, "school:nowhere")
    with pytest.raises(AudienceError) as group:
        await resolve(db, "group:-999")
    assert (school.value.code, group.value.code) == ("unknown_school", "unknown_group")
