"""The CLI for people and places: schools, contact tags and exports, groups, and the LINE rich menu.

Every command that touches the database runs on SQLite and PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

import csv
import io
import json
import struct
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from click.testing import CliRunner
from linebot.v3.messaging import ApiException
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from openpyxl import load_workbook
from sqlalchemy import select

from bot import richmenu
from bot.cli import cli
from bot.cli_people import EXPORT_HEADERS, XLSX_THAI_DATE
from core import fonts
from handlers.texts import CATALOGUE
from storage import chats as chats_repo
from storage.db import Database
from storage.models import AuditLog, Chat, Contact, ContactTag, School
from tests.fakes import FakeLineApi
from tests.fakes.threaded import in_thread
from tests.harness import on_db

FIXTURE_SCHOOLS = Path(__file__).parent / "fixtures" / "schools.csv"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# 20:30 UTC on 4 January is 03:30 on 5 January in Bangkok: dates must be the office's, not UTC's.
LATE_EVENING_UTC = datetime(2026, 1, 4, 20, 30, tzinfo=UTC)


# --- helpers ------------------------------------------------------------------------------------


def invoke(url: str, *args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url, **env})
    return result.exit_code, result.stdout, result.stderr


def stored_schools(url: str) -> list[tuple[str | None, str, str | None]]:
    async def work(db: Database) -> list[tuple[str | None, str, str | None]]:
        async with db.sessions() as session:
            rows = (await session.execute(select(School).order_by(School.id))).scalars()
            return [(s.code, s.name, s.district) for s in rows]

    return on_db(url, work)


def audit_rows(url: str) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    async def work(db: Database) -> list[tuple[str, str, str | None, dict[str, Any]]]:
        async with db.sessions() as session:
            rows = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars()
            return [(a.actor, a.action, a.target, a.detail) for a in rows]

    return on_db(url, work)


def one_line_error(code: int, out: str, err: str, expected_code: int = 2) -> str:
    assert code == expected_code, (out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("phuankru: ")
    return err.strip()


# --- schools import -----------------------------------------------------------------------------


def test_schools_import_the_fixture_then_again_updates(migrated_url: str) -> None:
    code, out, err = invoke(migrated_url, "schools", "import", str(FIXTURE_SCHOOLS))
    assert (code, err) == (0, "")
    assert out == "Imported 15 schools (15 new, 0 updated).\n"

    code, out, _ = invoke(migrated_url, "schools", "import", str(FIXTURE_SCHOOLS), "--json")
    assert code == 0
    assert json.loads(out) == {"created": 0, "updated": 15}

    schools = stored_schools(migrated_url)
    assert len(schools) == 15
    assert schools[0] == ("1034450101", "โรงเรียนบ้านโพนงาม", "เดชอุดม")
    assert all(code is not None and len(code) == 10 and code.isdigit() for code, _, _ in schools)
    assert {district for _, _, district in schools} == {"เดชอุดม", "บุณฑริก", "นาจะหลวย", "น้ำยืน"}
    assert audit_rows(migrated_url) == [
        ("cli", "schools.import", "file:schools.csv", {"created": 15, "updated": 0}),
        ("cli", "schools.import", "file:schools.csv", {"created": 0, "updated": 15}),
    ]


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        pytest.param("Name,Code,District,Phone\n{a}\n{b}\n", "utf-8", id="english"),
        pytest.param("ชื่อโรงเรียน,รหัส,อำเภอ\n{a}\n{b}\n", "utf-8-sig", id="thai-with-bom"),
        pytest.param("ลำดับ, ชื่อ ,รหัสโรงเรียน,อำเภอ\r\n1,{a}\r\n\r\n2,{b}\r\n,,,\r\n", "utf-8-sig", id="excel-crlf"),
    ],
)
def test_schools_import_header_spellings(migrated_url: str, tmp_path: Path, content: str, encoding: str) -> None:
    if content.startswith("ลำดับ"):  # the running-number column comes first here
        a, b = "โรงเรียนบ้านโพนงาม,1034450101,เดชอุดม", "โรงเรียนบ้านห้วยข่า,,บุณฑริก"
    elif content.startswith("Name"):
        a, b = "โรงเรียนบ้านโพนงาม,1034450101,เดชอุดม,045-000000", "โรงเรียนบ้านห้วยข่า,,บุณฑริก,"
    else:
        a, b = "โรงเรียนบ้านโพนงาม,1034450101,เดชอุดม", "โรงเรียนบ้านห้วยข่า,,บุณฑริก"
    path = tmp_path / "list.csv"
    path.write_bytes(content.format(a=a, b=b).encode(encoding))
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    code, out, err = invoke(migrated_url, "schools", "import", str(path))

    assert (code, out, err) == (0, "Imported 2 schools (2 new, 0 updated).\n", "")
    assert stored_schools(migrated_url) == [
        ("1034450101", "โรงเรียนบ้านโพนงาม", "เดชอุดม"),
        (None, "โรงเรียนบ้านห้วยข่า", "บุณฑริก"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            "name,code\nโรงเรียนบ้านโพนงาม,1034450101\nโรงเรียนบ้านโซง,1034450402\n,1034450403\n".encode(),
            "line 4: the school name is empty",
            id="empty-name",
        ),
        pytest.param(
            "code,district\n1034450101,เดชอุดม\n".encode(),
            "line 1: no school name column in the header (name it one of: name, ชื่อ, ชื่อโรงเรียน)",
            id="no-name-column",
        ),
        pytest.param(
            # Excel's plain "CSV" on a Thai Windows writes TIS-620 (cp874), not UTF-8.
            b"name\nSchool A\n" + "โรงเรียนบ้านโพนงาม\n".encode("cp874"),
            'line 3: not UTF-8 text (save it from Excel as "CSV UTF-8 (Comma delimited)")',
            id="not-utf8",
        ),
        pytest.param(
            "code,name\n1034450101,โรงเรียนบ้านโพนงาม\n1034450101,โรงเรียนบ้านโซง\n".encode(),
            "line 3: code '1034450101' is already on line 2",
            id="repeated-code",
        ),
        pytest.param(b"name\n\n", "no schools in the file (a header row, then one school a line)", id="header-only"),
    ],
)
def test_schools_import_bad_file_is_one_line_and_imports_nothing(
    migrated_url: str, tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    error = one_line_error(*invoke(migrated_url, "schools", "import", str(path)))
    assert error.startswith(f"phuankru: {path}")
    assert error.endswith(message)
    assert stored_schools(migrated_url) == []
    assert audit_rows(migrated_url) == []


def test_schools_import_missing_file(migrated_url: str, tmp_path: Path) -> None:
    error = one_line_error(*invoke(migrated_url, "schools", "import", str(tmp_path / "nope.csv")))
    assert error == f"phuankru: {tmp_path / 'nope.csv'}: no such file"


def test_schools_on_a_database_not_upgraded_is_one_line(database_url: str) -> None:
    error = one_line_error(*invoke(database_url, "schools", "list"), expected_code=1)
    assert "run `phuankru db upgrade` first" in error


# --- schools list -------------------------------------------------------------------------------


def test_schools_list_and_search_by_part_of_a_thai_name(migrated_url: str) -> None:
    assert invoke(migrated_url, "schools", "list") == (
        0,
        "No schools yet: see `phuankru schools import`.\n",
        "",
    )
    assert invoke(migrated_url, "schools", "import", str(FIXTURE_SCHOOLS))[0] == 0

    code, out, _ = invoke(migrated_url, "schools", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 15
    assert lines[0].split() == ["1", "1034450101", "โรงเรียนบ้านโพนงาม", "(เดชอุดม)"]

    code, out, _ = invoke(migrated_url, "schools", "list", "--search", "โพนงาม", "--json")
    assert code == 0
    assert json.loads(out) == [{"id": 1, "code": "1034450101", "name": "โรงเรียนบ้านโพนงาม", "district": "เดชอุดม"}]

    # People type "รร." for โรงเรียน, and spaces where there are none.
    code, out, _ = invoke(migrated_url, "schools", "list", "--search", "รร.บ้าน โนน", "--json")
    assert sorted(s["name"] for s in json.loads(out)) == ["โรงเรียนบ้านโนนก่อ", "โรงเรียนบ้านโนนสำราญ"]

    code, out, _ = invoke(migrated_url, "schools", "list", "--search", "ชุมชน", "--json")
    assert sorted(s["district"] for s in json.loads(out)) == ["น้ำยืน", "เดชอุดม"]

    assert invoke(migrated_url, "schools", "list", "--search", "ไม่มีโรงเรียนนี้") == (0, "No school matches.\n", "")


# --- contacts -----------------------------------------------------------------------------------


def add_contacts(url: str) -> list[int]:
    """Four contacts: a director at a listed school, a teacher at an unlisted one, an erased one, a prankster."""

    async def work(db: Database) -> list[int]:
        async with db.sessions() as session, session.begin():
            school = School(code="1034450101", name="โรงเรียนบ้านโพนงาม", district="เดชอุดม", created_at=LATE_EVENING_UTC)
            session.add(school)
            await session.flush()
            people = [
                Contact(
                    channel="line",
                    platform_user_id="Udirector",
                    display_name="ผอ.สมชาย ใจดี",
                    position="director",
                    school_id=school.id,
                    phone="081-234-5678",
                    consent_at=LATE_EVENING_UTC,
                    registered_at=LATE_EVENING_UTC,
                    tags=[ContactTag(tag="science"), ContactTag(tag="directors")],
                ),
                Contact(
                    channel="telegram",
                    platform_user_id="4242",
                    display_name="ครูสมศรี",
                    position="teacher",
                    school_name_unlisted="โรงเรียนบ้านหนองแวง",
                    phone="0899990001",
                    reachable=False,
                    tags=[ContactTag(tag="science")],
                ),
                Contact(
                    channel="line",
                    platform_user_id="Uerased",
                    display_name=None,
                    erased_at=LATE_EVENING_UTC,
                    tags=[ContactTag(tag="science")],
                ),
                Contact(channel="line", platform_user_id="Uprank", display_name='=HYPERLINK("http://x","y")', tags=[]),
            ]
            for person in people:
                person.created_at = person.updated_at = LATE_EVENING_UTC
            session.add_all(people)
            await session.flush()
            return [p.id for p in people]

    return on_db(url, work)


def stored_tags(url: str, contact_id: int) -> list[str]:
    async def work(db: Database) -> list[str]:
        async with db.sessions() as session:
            contact = await session.get(Contact, contact_id)
            assert contact is not None
            return [t.tag for t in contact.tags]

    return on_db(url, work)


def test_contacts_list_shows_position_and_school(migrated_url: str) -> None:
    director, teacher, *_ = add_contacts(migrated_url)
    code, out, _ = invoke(migrated_url, "contacts", "list", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert (rows[director]["position"], rows[director]["school"]) == ("director", "โรงเรียนบ้านโพนงาม")
    assert rows[teacher]["school"] == "โรงเรียนบ้านหนองแวง (ไม่อยู่ในรายชื่อ)"
    assert {"id", "channel", "user_id", "name", "role", "language", "tags", "reachable", "consent"} <= rows[
        teacher
    ].keys()

    code, out, _ = invoke(migrated_url, "contacts", "list", "--tag", "directors")
    assert out.split() == [
        *(str(director), "line:Udirector", "ผอ.สมชาย", "ใจดี", "teacher", "director"),
        *("โรงเรียนบ้านโพนงาม", "[directors,", "science]"),
    ]


def test_contacts_tag_and_untag_are_audited(migrated_url: str) -> None:
    _, teacher, *_ = add_contacts(migrated_url)

    code, out, err = invoke(migrated_url, "contacts", "tag", "telegram:4242", "Grade 6 Teachers")
    assert (code, err) == (0, "")
    assert out == f"telegram:4242 (contact {teacher}) is now tagged grade-6-teachers.\n"
    code, out, _ = invoke(migrated_url, "contacts", "tag", str(teacher), "grade-6-teachers")
    assert out == f"telegram:4242 (contact {teacher}) already had tag grade-6-teachers.\n"
    assert stored_tags(migrated_url, teacher) == ["grade-6-teachers", "science"]

    code, out, _ = invoke(migrated_url, "contacts", "tag", str(teacher), "science", "--remove", "--json")
    assert code == 0
    assert json.loads(out) == {
        "id": teacher,
        "channel": "telegram",
        "user_id": "4242",
        "tag": "science",
        "changed": True,
        "tags": ["grade-6-teachers"],
    }
    assert stored_tags(migrated_url, teacher) == ["grade-6-teachers"]

    target = f"contact:{teacher}"
    assert audit_rows(migrated_url) == [
        ("cli", "contact.tag", target, {"tag": "grade-6-teachers", "changed": True}),
        ("cli", "contact.tag", target, {"tag": "grade-6-teachers", "changed": False}),
        ("cli", "contact.untag", target, {"tag": "science", "changed": True}),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["line:Unobody", "science"], "no contact line:Unobody"),
        (["999", "science"], "no contact 999"),
        (["facebook:1", "science"], "'facebook:1' is not line:USERID, telegram:USERID or a contact id"),
        (["1", "a:b"], "a tag is 1-64 characters without ':' or ',': 'a:b'"),
    ],
)
def test_contacts_tag_mistakes_are_one_line_and_change_nothing(
    migrated_url: str, args: list[str], message: str
) -> None:
    assert one_line_error(*invoke(migrated_url, "contacts", "tag", *args)) == f"phuankru: {message}"
    assert audit_rows(migrated_url) == []


# --- contacts export ----------------------------------------------------------------------------

THAI_HEADERS = [
    "รหัส",
    "ช่องทาง",
    "ชื่อ",
    "ตำแหน่ง",
    "บทบาท",
    "โรงเรียน",
    "โทรศัพท์",
    "แท็ก",
    "ติดต่อได้",
    "วันที่ให้ความยินยอม",
    "วันที่ลงทะเบียน",
]


def test_contacts_export_csv(migrated_url: str, tmp_path: Path) -> None:
    director, teacher, erased, prank = add_contacts(migrated_url)
    folder = tmp_path / "exports"  # tmp_path also holds the SQLite database
    folder.mkdir()
    out = folder / "contacts.csv"

    code, stdout, err = invoke(migrated_url, "contacts", "export", "--format", "csv", "--out", str(out))

    assert (code, err) == (0, "")
    assert stdout == f"Exported 3 contacts to {out}.\n"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = raw.decode("utf-8-sig")
    assert "5678" in text and "234-5678" not in text and "0899990001" not in text  # masked phones only
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == THAI_HEADERS == list(EXPORT_HEADERS)
    body = {int(r[0]): r for r in rows[1:]}
    assert erased not in body  # nothing of an erased person leaves in a spreadsheet
    assert body[director] == [
        str(director),
        "LINE",
        "ผอ.สมชาย ใจดี",
        CATALOGUE["pos_director"]["th"],
        CATALOGUE["role_teacher"]["th"],
        "โรงเรียนบ้านโพนงาม",
        "081-xxx-5678",
        "directors, science",
        "ได้",
        "2026-01-05",  # Bangkok's date, not UTC's 4 January
        "2026-01-05",
    ]
    assert body[teacher][1:9] == [
        "Telegram",
        "ครูสมศรี",
        CATALOGUE["pos_teacher"]["th"],
        CATALOGUE["role_teacher"]["th"],
        "โรงเรียนบ้านหนองแวง (ไม่อยู่ในรายชื่อ)",
        "089-xxx-0001",
        "science",
        "ไม่ได้",
    ]
    assert body[teacher][9:] == ["", ""]
    assert body[prank][2] == '\'=HYPERLINK("http://x","y")'  # not a formula when Excel opens it
    assert [p.name for p in folder.iterdir()] == ["contacts.csv"]  # no temporary file left behind
    assert out.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only
    assert audit_rows(migrated_url) == [
        (
            "cli",
            "contacts.export",
            "file:contacts.csv",
            {"rows": 3, "format": "csv", "path": str(out.resolve()), "role": None, "tag": None},
        )
    ]


def test_contacts_export_xlsx_filtered_by_tag(migrated_url: str, tmp_path: Path) -> None:
    director, teacher, _, prank = add_contacts(migrated_url)
    out = tmp_path / "ครูวิทย์.xlsx"

    code, stdout, err = invoke(migrated_url, "contacts", "export", "--out", str(out), "--tag", "Science")

    assert (code, err) == (0, "")
    assert stdout == f"Exported 2 contacts to {out}.\n"
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == THAI_HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert [r[0] for r in rows[1:]] == [director, teacher]
    first = rows[1]
    assert first[5:9] == ("โรงเรียนบ้านโพนงาม", "081-xxx-5678", "directors, science", "ได้")
    assert first[9] == datetime(2026, 1, 5)  # a real date cell, shown with the Buddhist year by Excel
    assert sheet.cell(row=2, column=10).number_format == XLSX_THAI_DATE
    widths = {c: sheet.column_dimensions[c].width for c in "ACF"}
    assert widths["F"] > widths["A"] >= 8  # the school column is wide enough for a Thai school name
    assert prank not in [r[0] for r in rows[1:]]
    assert audit_rows(migrated_url)[0][3] == {
        "rows": 2,
        "format": "xlsx",
        "path": str(out.resolve()),
        "role": None,
        "tag": "science",
    }


def test_contacts_export_xlsx_keeps_a_formula_as_text(migrated_url: str, tmp_path: Path) -> None:
    *_, prank = add_contacts(migrated_url)
    out = tmp_path / "all.xlsx"
    assert invoke(migrated_url, "contacts", "export", "--format", "xlsx", "--out", str(out))[0] == 0
    sheet = load_workbook(out).active
    cell = next(row[2] for row in sheet.iter_rows(min_row=2) if row[0].value == prank)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","y")', "s")


def test_contacts_export_refuses_an_unknown_format(migrated_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    error = one_line_error(*invoke(migrated_url, "contacts", "export", "--out", str(folder / "c.txt")))
    assert error == "phuankru: say --format csv or --format xlsx (c.txt has neither ending)"
    assert list(folder.iterdir()) == []
    assert audit_rows(migrated_url) == []


# --- groups -------------------------------------------------------------------------------------


def add_chats(url: str) -> list[int]:
    async def work(db: Database) -> list[int]:
        async with db.sessions() as session, session.begin():
            line_group = await chats_repo.joined(
                session, "line", "Cabc123", "group", title="ครูเดชอุดม", now=LATE_EVENING_UTC
            )
            channel = await chats_repo.joined(
                session, "telegram", "-1001234567890", "channel", title="ข่าว สพป.", now=LATE_EVENING_UTC
            )
            gone = await chats_repo.joined(session, "line", "Rgone", "room", title=None, now=LATE_EVENING_UTC)
            await chats_repo.left(session, "line", "Rgone", now=LATE_EVENING_UTC)
            return [line_group.id, channel.id, gone.id]

    return on_db(url, work)


def stored_chat(url: str, chat_id: int) -> tuple[str | None, list[str]]:
    async def work(db: Database) -> tuple[str | None, list[str]]:
        async with db.sessions() as session:
            chat = await session.get(Chat, chat_id)
            assert chat is not None
            return chat.name, [t.tag for t in chat.tags]

    return on_db(url, work)


def test_groups_list_active_and_all(migrated_url: str) -> None:
    assert invoke(migrated_url, "groups", "list") == (0, "The bot is in no group yet.\n", "")
    group, channel, gone = add_chats(migrated_url)

    code, out, _ = invoke(migrated_url, "groups", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert rows == [
        {
            "id": group,
            "channel": "line",
            "kind": "group",
            "chat_id": "Cabc123",
            "title": "ครูเดชอุดม",
            "name": None,
            "tags": [],
            "active": True,
            "joined": "2026-01-05",
        },
        {
            "id": channel,
            "channel": "telegram",
            "kind": "channel",
            "chat_id": "-1001234567890",
            "title": "ข่าว สพป.",
            "name": None,
            "tags": [],
            "active": True,
            "joined": "2026-01-05",
        },
    ]
    code, out, _ = invoke(migrated_url, "groups", "list", "--all", "--json")
    assert [(r["id"], r["active"]) for r in json.loads(out)] == [(group, True), (channel, True), (gone, False)]

    code, out, _ = invoke(migrated_url, "groups", "list")
    assert out.splitlines()[0].split() == [str(group), "line", "group", "Cabc123", "ครูเดชอุดม", "5", "ม.ค.", "2569"]


def test_groups_tag_name_and_untag_are_audited(migrated_url: str) -> None:
    group, channel, _ = add_chats(migrated_url)

    # By the platform's chat id (a Telegram id is negative, so it is never taken for our id)...
    code, out, err = invoke(migrated_url, "groups", "tag", "-1001234567890", "Public")
    assert (code, err) == (0, "")
    assert out == f"group {channel} (ข่าว สพป.) is now tagged public.\n"
    # ...or by ours.
    code, out, _ = invoke(migrated_url, "groups", "name", str(group), "  กลุ่มครู   อำเภอเดชอุดม ", "--json")
    assert code == 0
    assert json.loads(out)["name"] == "กลุ่มครู อำเภอเดชอุดม"
    assert invoke(migrated_url, "groups", "tag", "Cabc123", "teachers")[0] == 0
    code, out, _ = invoke(migrated_url, "groups", "tag", str(channel), "public", "--remove", "--json")
    assert json.loads(out)["changed"] is True and json.loads(out)["tags"] == []

    assert stored_chat(migrated_url, group) == ("กลุ่มครู อำเภอเดชอุดม", ["teachers"])
    assert stored_chat(migrated_url, channel) == (None, [])
    assert audit_rows(migrated_url) == [
        ("cli", "group.tag", f"chat:{channel}", {"tag": "public", "changed": True}),
        ("cli", "group.name", f"chat:{group}", {"name": "กลุ่มครู อำเภอเดชอุดม", "previous": None}),
        ("cli", "group.tag", f"chat:{group}", {"tag": "teachers", "changed": True}),
        ("cli", "group.untag", f"chat:{channel}", {"tag": "public", "changed": True}),
    ]

    error = one_line_error(*invoke(migrated_url, "groups", "name", "Cnope", "x"))
    assert error.startswith("phuankru: no group Cnope")
    assert one_line_error(*invoke(migrated_url, "groups", "name", str(group), "  ")) == (
        "phuankru: a group name is 1-255 characters"
    )
    assert len(audit_rows(migrated_url)) == 4


# --- the rich menu: picture -----------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_menu_picture_is_a_small_png_of_the_exact_size() -> None:
    png = richmenu.render_menu_image()
    assert png_size(png) == (2500, 843)
    assert len(png) <= 1024 * 1024


def test_the_shipped_font_has_every_glyph_of_the_labels() -> None:
    for bold in (False, True):
        path = fonts.thai_font_path(bold=bold)
        assert path.is_file()
        font = FT2Font(str(path))
        text = "".join(item.label for item in richmenu.MENU_ITEMS) + richmenu.CHAT_BAR_TEXT
        missing = sorted({ch for ch in text if ch != " " and font.get_char_index(ord(ch)) == 0})
        assert missing == []
    assert (fonts.FONT_DIR / "COPYRIGHT").is_file()


def test_register_thai_font_makes_the_family_findable() -> None:
    family = fonts.register_thai_font()
    assert family == fonts.register_thai_font() == "Laksaman"
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert Path(found).name == "Laksaman.ttf"


def test_menu_areas_tile_the_whole_menu() -> None:
    bounds = richmenu.area_bounds()
    assert len(bounds) == len(richmenu.MENU_ITEMS) == 6
    assert sum(w * h for _, _, w, h in bounds) == 2500 * 843
    # Inside the menu and, with the areas adding up to the whole, therefore not overlapping.
    assert min(x for x, _, _, _ in bounds) == 0 and max(x + w for x, _, w, _ in bounds) == 2500
    assert min(y for _, y, _, _ in bounds) == 0 and max(y + h for _, y, _, h in bounds) == 843


# --- the rich menu: on LINE ---------------------------------------------------------------------


async def test_setup_creates_uploads_and_sets_default_then_replaces_on_rerun() -> None:
    async with FakeLineApi() as fake:
        fake.rich_menus["richmenu-byhand"] = {
            "richMenuId": "richmenu-byhand",
            "size": {"width": 2500, "height": 1686},
            "selected": False,
            "name": "made in OA Manager",
            "chatBarText": "Menu",
            "areas": [],
        }
        first = await richmenu.setup_rich_menu(fake.access_token, fake.base_url)
        menu = fake.rich_menus[first.rich_menu_id]
        image = fake.rich_menu_images[first.rich_menu_id]
        upload = next(r for r in fake.requests if r.path.endswith("/content"))

        second = await richmenu.setup_rich_menu(fake.access_token, fake.base_url)

    assert menu["name"] == "PhuanKru"
    assert menu["size"] == {"width": 2500, "height": 843}
    assert menu["chatBarText"] == "เมนู เพื่อนครู"
    assert menu["selected"] is True
    assert [a["action"] for a in menu["areas"]] == [
        {"type": "message", "label": label, "text": text}
        for label, text in [
            ("ลงทะเบียน", "ลงทะเบียน"),
            ("ข้อมูลของฉัน", "ข้อมูลของฉัน"),
            ("ความเป็นส่วนตัว", "ความเป็นส่วนตัว"),
            ("ช่วยเหลือ", "ช่วยเหลือ"),
            ("เปลี่ยนภาษา", "เปลี่ยนภาษา"),
            ("แบบสอบถาม", "แบบสอบถาม"),
        ]
    ]
    assert [a["bounds"] for a in menu["areas"][:4]] == [
        {"x": 0, "y": 0, "width": 833, "height": 421},
        {"x": 833, "y": 0, "width": 833, "height": 421},
        {"x": 1666, "y": 0, "width": 834, "height": 421},
        {"x": 0, "y": 421, "width": 833, "height": 422},
    ]
    assert png_size(image) == (2500, 843)
    assert upload.headers["content-type"] == "image/png"
    assert first.replaced == ()
    assert second.replaced == (first.rich_menu_id,)
    # One PhuanKru menu, the default; a menu made by hand in LINE OA Manager is left alone.
    phuankru_menus = [m for m in fake.rich_menus.values() if m["name"] == "PhuanKru"]
    assert [m["richMenuId"] for m in phuankru_menus] == [second.rich_menu_id]
    assert fake.default_rich_menu == second.rich_menu_id
    assert "richmenu-byhand" in fake.rich_menus
    assert set(fake.rich_menu_images) == {second.rich_menu_id}


class UploadsFail(FakeLineApi):
    """LINE's data host having an outage."""

    fail_uploads = False

    async def _upload_rich_menu_image(self, request: web.Request) -> web.Response:
        if self.fail_uploads:
            return web.json_response({"message": "Internal server error"}, status=500)
        return await super()._upload_rich_menu_image(request)


async def test_setup_failing_upload_removes_the_half_made_menu_and_keeps_the_old() -> None:
    async with UploadsFail() as fake:
        working = await richmenu.setup_rich_menu(fake.access_token, fake.base_url)
        fake.fail_uploads = True
        with pytest.raises(ApiException) as refused:
            await richmenu.setup_rich_menu(fake.access_token, fake.base_url)
    assert refused.value.status == 500
    assert list(fake.rich_menus) == [working.rich_menu_id]  # the new, image-less menu was deleted again
    assert fake.default_rich_menu == working.rich_menu_id


def test_data_host_is_lines_for_the_real_api_and_the_fake_otherwise() -> None:
    # The SDK sends blob calls to the configured host; only without one does it use api-data.line.me.
    assert richmenu.data_base_url("https://api.line.me") is None
    assert richmenu.data_base_url("http://127.0.0.1:8123") == "http://127.0.0.1:8123"


def fake_line_in_thread(access_token: str = "test-line-token") -> AbstractContextManager[FakeLineApi]:
    """The fake on its own event loop in a thread: the CLI runs asyncio.run() in the test's thread."""
    return in_thread(FakeLineApi(access_token=access_token))


def test_cli_richmenu_setup_twice_leaves_one_menu_and_audits(migrated_url: str) -> None:
    with fake_line_in_thread() as fake:
        env = {"LINE_CHANNEL_ACCESS_TOKEN": fake.access_token, "LINE_API_BASE_URL": fake.base_url}
        code, out, err = invoke(migrated_url, "line", "richmenu", "setup", "--json", **env)
        assert (code, err) == (0, "")
        first = json.loads(out)
        code, out, err = invoke(migrated_url, "line", "richmenu", "setup", **env)
        assert (code, err) == (0, "")

    assert list(fake.rich_menus) == [fake.default_rich_menu]
    second = fake.default_rich_menu
    assert out == f"Rich menu {second} is now the default for everyone (replaced 1 earlier).\n"
    assert first["replaced"] == [] and first["rich_menu_id"].startswith("richmenu-")
    assert png_size(fake.rich_menu_images[str(second)]) == (2500, 843)
    assert first["image_bytes"] == len(fake.rich_menu_images[str(second)])
    assert audit_rows(migrated_url) == [
        ("cli", "line.richmenu.setup", f"richmenu:{first['rich_menu_id']}", {"replaced": []}),
        ("cli", "line.richmenu.setup", f"richmenu:{second}", {"replaced": [first["rich_menu_id"]]}),
    ]


def test_cli_richmenu_setup_needs_a_token(migrated_url: str) -> None:
    error = one_line_error(*invoke(migrated_url, "line", "richmenu", "setup", LINE_CHANNEL_ACCESS_TOKEN=""))
    assert error.startswith("phuankru: LINE_CHANNEL_ACCESS_TOKEN is not set")


def test_cli_richmenu_setup_with_a_refused_token_is_one_line(migrated_url: str) -> None:
    with fake_line_in_thread() as fake:
        env = {"LINE_CHANNEL_ACCESS_TOKEN": "wrong-token", "LINE_API_BASE_URL": fake.base_url}
        error = one_line_error(*invoke(migrated_url, "line", "richmenu", "setup", **env), expected_code=1)
    assert "(401)" in error
    assert "wrong-token" not in error
    assert fake.rich_menus == {}
    assert audit_rows(migrated_url) == []


def test_cli_richmenu_image_writes_the_picture(tmp_path: Path) -> None:
    out = tmp_path / "menu.png"
    result = CliRunner().invoke(cli, ["line", "richmenu", "image", str(out)])
    assert result.exit_code == 0, result.output
    assert png_size(out.read_bytes()) == (2500, 843)


def test_contacts_export_that_fails_leaves_no_file(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    # The database was never upgraded: the command stops before writing anything.
    error = one_line_error(*invoke(database_url, "contacts", "export", "--out", str(folder / "c.xlsx")), 1)
    assert "phuankru db upgrade" in error
    assert list(folder.iterdir()) == []
