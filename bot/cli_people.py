"""`phuankru contacts`, `schools` and `groups`: the people and chats the office reaches."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.common import grapheme_length
from bot.cli_support import (
    CommandError,
    checked,
    cli_audit,
    emit_json,
    settings_from_env,
    with_database,
)
from core.clock import SystemClock
from core.spreadsheet_safe import csv_cell, xlsx_safe_row
from core.thaidate import thai_date
from handlers.texts import CATALOGUE
from storage import chats as chats_repo
from storage import contacts as contacts_repo
from storage import schools as schools_repo
from storage.db import Database
from storage.models import Chat, Contact, School

T = TypeVar("T")


# --- contacts and staff -------------------------------------------------------------------------


@click.group()
def contacts() -> None:
    """Registered contacts and groups."""


UNLISTED_SCHOOL: Final = "(ไม่อยู่ในรายชื่อ)"  # a school the person typed that is not in the office's list


async def school_names(session: AsyncSession, contacts: Iterable[Contact]) -> dict[int, str]:
    """The names of these contacts' schools in one query (Contact.school is never lazy-loaded)."""
    ids = {c.school_id for c in contacts if c.school_id is not None}
    if not ids:
        return {}
    rows = await session.execute(select(School.id, School.name).where(School.id.in_(ids)))
    return {school_id: name for school_id, name in rows}


def school_label(contact: Contact, names: dict[int, str]) -> str | None:
    if contact.school_id is not None and contact.school_id in names:
        return names[contact.school_id]
    if contact.school_name_unlisted:
        return f"{contact.school_name_unlisted} {UNLISTED_SCHOOL}"
    return None


@contacts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--role", type=click.Choice(["teacher", "staff", "officer", "admin"]), help="Only this role.")
@click.option("--tag", help="Only contacts with this tag.")
def contacts_list(as_json: bool, role: str | None, tag: str | None) -> None:
    """List contacts (phone numbers are masked)."""
    settings = settings_from_env()

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session:
            rows = await contacts_repo.list_contacts(session, role=role, tag=tag)
            names = await school_names(session, rows)
            return [
                {
                    "id": c.id,
                    "channel": c.channel,
                    "user_id": c.platform_user_id,
                    "name": c.display_name,
                    "role": c.role,
                    "language": c.language,
                    "tags": [t.tag for t in c.tags],
                    "reachable": c.reachable,
                    "consent": c.consent_at is not None,
                    "position": c.position,
                    "school": school_label(c, names),
                }
                for c in rows
            ]

    rows = with_database(settings, checked(work))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No contacts yet.")
        return
    for r in rows:
        state = "" if r["reachable"] else "  (unreachable)"
        tags = f"  [{', '.join(r['tags'])}]" if r["tags"] else ""
        where = "".join(f"  {value}" for value in (r["position"], r["school"]) if value)
        click.echo(f"{r['id']:>6}  {r['channel']}:{r['user_id']}  {r['name'] or '-'}  {r['role']}{where}{tags}{state}")


def clean_tag(tag: str) -> str:
    try:
        return contacts_repo.normalise_tag(tag)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


@contacts.command("tag")
@click.argument("contact")
@click.argument("tag")
@click.option("--remove", is_flag=True, help="Take the tag off instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the contact's tags as one JSON object.")
def contacts_tag(contact: str, tag: str, remove: bool, as_json: bool) -> None:
    """Tag CONTACT (line:USERID, telegram:USERID or a contact id) with TAG, or take it off with --remove."""
    settings = settings_from_env()
    wanted = clean_tag(tag)

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session, session.begin():
            found = await contacts_repo.find_contact(session, contact)
            if found is None:
                raise CommandError(f"no contact {contact}")
            change = contacts_repo.remove_tag if remove else contacts_repo.add_tag
            changed = change(found, wanted)
            if changed:
                found.updated_at = SystemClock().now()
            # Recorded even when nothing changed: the log answers "who asked for what".
            cli_audit(
                session,
                "contact.untag" if remove else "contact.tag",
                f"contact:{found.id}",
                tag=wanted,
                changed=changed,
            )
            await session.flush()
            return {
                "id": found.id,
                "channel": found.channel,
                "user_id": found.platform_user_id,
                "tag": wanted,
                "changed": changed,
                "tags": [t.tag for t in found.tags],
            }

    result = with_database(settings, checked(work))
    if as_json:
        emit_json(result)
        return
    who = f"{result['channel']}:{result['user_id']} (contact {result['id']})"
    if remove:
        click.echo(f"{who} no longer has tag {wanted}." if result["changed"] else f"{who} did not have tag {wanted}.")
    else:
        click.echo(f"{who} is now tagged {wanted}." if result["changed"] else f"{who} already had tag {wanted}.")


# --- contacts export: a spreadsheet for the office's staff -----------------------------------------

EXPORT_HEADERS: Final = (
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
)
CHANNEL_LABELS: Final = {"line": "LINE", "telegram": "Telegram", "web": "เว็บ", "console": "คอนโซล"}
# Excel's code for day, Thai month and Buddhist-era year (5 ม.ค. 2569): 1 = Western digits, 07 = the Thai
# Buddhist calendar, 041E = Thai. The cell still holds a real date, so it sorts and filters as one.
XLSX_THAI_DATE: Final = "[$-107041E]d mmm yyyy"
ExportRow = tuple[object, ...]


def thai_label(kind: str, code: str | None) -> str:
    """The Thai word the chat uses for a position or role code; the code itself when the catalogue has none."""
    if not code:
        return ""
    entry = CATALOGUE.get(f"{kind}_{code}")
    return entry["th"] if entry else code


def local_date(value: datetime | None, tz: ZoneInfo) -> date | None:
    return value.astimezone(tz).date() if value is not None else None


async def export_rows(session: AsyncSession, *, role: str | None, tag: str | None, tz: ZoneInfo) -> list[ExportRow]:
    found = await contacts_repo.list_contacts(session, role=role, tag=tag)
    # A person who erased their data is only a placeholder row: nothing of them leaves in a spreadsheet.
    people = [c for c in found if c.erased_at is None]
    names = await school_names(session, people)
    return [
        (
            c.id,
            CHANNEL_LABELS.get(c.channel, c.channel),
            c.display_name or "",
            thai_label("pos", c.position),
            thai_label("role", c.role),
            school_label(c, names) or "",
            contacts_repo.mask_phone(c.phone) or "",
            ", ".join(t.tag for t in c.tags),
            "ได้" if c.reachable else "ไม่ได้",
            local_date(c.consent_at, tz),
            local_date(c.registered_at, tz),
        )
        for c in people
    ]


def write_csv(path: Path, rows: Sequence[ExportRow]) -> None:
    """UTF-8 with a BOM: without it, Excel on Windows reads the file as TIS-620 and shows Thai as garbage."""

    def cell(value: object) -> object:
        if isinstance(value, date):
            return value.isoformat()  # Excel reads ISO dates as dates, in any locale
        return csv_cell(value)  # display names come from strangers on LINE: no formulas

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows([cell(v) for v in row] for row in rows)


def display_width(value: object) -> int:
    if isinstance(value, date):
        return 12
    return grapheme_length(str(value))  # Thai vowel and tone marks take no room


def write_xlsx(path: Path, rows: Sequence[ExportRow]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "ผู้ติดต่อ"
    sheet.append(list(EXPORT_HEADERS))
    for header_cell in sheet[1]:
        header_cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        xlsx_safe_row(sheet[sheet.max_row])  # openpyxl would write "=..." as a formula
        for data_cell in sheet[sheet.max_row]:
            if isinstance(data_cell.value, date):
                data_cell.number_format = XLSX_THAI_DATE
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, header in enumerate(EXPORT_HEADERS):
        widest = max((display_width(v) for v in (header, *(row[index] for row in rows)) if v is not None), default=8)
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(widest + 2, 8), 60)
    book.save(path)


WRITERS: Final[dict[str, Callable[[Path, Sequence[ExportRow]], None]]] = {"csv": write_csv, "xlsx": write_xlsx}


@contacts.command("export")
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), help="csv or xlsx (default: from --out).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--role", type=click.Choice(["teacher", "staff", "officer", "admin"]), help="Only this role.")
@click.option("--tag", help="Only contacts with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print {file, format, contacts} as JSON.")
def contacts_export(fmt: str | None, out: Path, role: str | None, tag: str | None, as_json: bool) -> None:
    """Write contacts to a CSV or Excel file for the office's staff (Thai headers, phone numbers masked)."""
    settings = settings_from_env()
    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in WRITERS:
        raise CommandError(f"say --format csv or --format xlsx ({out.name} has neither ending)")
    if out.is_dir() or not out.parent.is_dir():
        raise CommandError(f"cannot write {out}: {'it is a folder' if out.is_dir() else 'no such folder'}")
    wanted_tag = clean_tag(tag) if tag else None
    # Written beside the target and renamed into place once the export is in the audit log: a failed run leaves
    # no half-written file, and there is never a file whose export was not logged. mkstemp's mode 0600 suits
    # personal data.
    handle, temp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(handle)
    temp = Path(temp_name)
    where = str(out.resolve())

    async def work(db: Database) -> int:
        async with db.sessions() as session, session.begin():
            rows = await export_rows(session, role=role, tag=wanted_tag, tz=settings.timezone)
            await asyncio.to_thread(WRITERS[fmt], temp, rows)
            filters = {"role": role, "tag": wanted_tag}
            target = f"file:{out.name}"[:255]
            cli_audit(session, "contacts.export", target, rows=len(rows), format=fmt, path=where, **filters)
            return len(rows)

    try:
        count = with_database(settings, checked(work))
        temp.replace(out)
    finally:
        temp.unlink(missing_ok=True)
    if as_json:
        emit_json({"file": str(out), "format": fmt, "contacts": count})
        return
    click.echo(f"Exported {count} contact{'' if count == 1 else 's'} to {out}.")


# --- schools ------------------------------------------------------------------------------------

# Header names as offices write them, in English or Thai; compared without case and surrounding spaces.
SCHOOL_COLUMNS: Final = {
    "code": ("code", "รหัส", "รหัสโรงเรียน"),
    "name": ("name", "ชื่อ", "ชื่อโรงเรียน"),
    "district": ("district", "อำเภอ"),
}
SCHOOL_LIMITS: Final = {"code": 32, "name": 255, "district": 255}  # the columns' sizes in storage.models.School


def school_columns(header: list[str], where: str) -> dict[str, int]:
    """Which column holds code, name and district."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = next((k for k, names in SCHOOL_COLUMNS.items() if cell.strip().lower() in names), None)
        if key is None:
            continue  # other columns (a running number, a phone...) are left alone
        if key in columns:
            raise CommandError(f"{where}: two columns give the school's {key} ({header[columns[key]]!r}, {cell!r})")
        columns[key] = index
    if "name" not in columns:
        names = ", ".join(SCHOOL_COLUMNS["name"])
        raise CommandError(f"{where}: no school name column in the header (name it one of: {names})")
    return columns


def read_schools_csv(path: Path) -> list[schools_repo.SchoolRow]:
    """Every row of the file, checked; the first problem raises CommandError naming its line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    raw = raw.removeprefix(codecs.BOM_UTF8)  # Excel's "CSV UTF-8" starts with one
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        hint = 'save it from Excel as "CSV UTF-8 (Comma delimited)"'
        raise CommandError(f"{path} line {line}: not UTF-8 text ({hint})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: dict[str, int] | None = None
    rows: list[schools_repo.SchoolRow] = []
    first_line: dict[tuple[str, str], int] = {}
    try:
        for record in reader:
            where = f"{path} line {reader.line_num}"
            if not any(cell.strip() for cell in record):
                continue  # blank lines, and Excel's trailing ",,," rows
            if columns is None:
                columns = school_columns(record, where)
                continue
            values = {k: record[i].strip() if i < len(record) else "" for k, i in columns.items()}
            if not values["name"]:
                raise CommandError(f"{where}: the school name is empty")
            for key, limit in SCHOOL_LIMITS.items():
                if len(values.get(key, "")) > limit:
                    raise CommandError(f"{where}: the {key} is longer than {limit} characters")
            # upsert_many matches by code, else by name: a repeat would silently overwrite the row before it.
            identity = ("code", values["code"]) if values.get("code") else ("name", values["name"])
            if identity in first_line:
                raise CommandError(f"{where}: {identity[0]} {identity[1]!r} is already on line {first_line[identity]}")
            first_line[identity] = reader.line_num
            rows.append(
                schools_repo.SchoolRow(
                    name=values["name"], code=values.get("code") or None, district=values.get("district") or None
                )
            )
    except csv.Error as exc:
        raise CommandError(f"{path} line {reader.line_num}: {exc}") from None
    if not rows:
        raise CommandError(f"{path}: no schools in the file (a header row, then one school a line)")
    return rows


def school_json(school: School) -> dict[str, Any]:
    return {"id": school.id, "code": school.code, "name": school.name, "district": school.district}


@click.group()
def schools() -> None:
    """The office's list of schools."""


@schools.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print {created, updated} as JSON.")
def schools_import(file: Path, as_json: bool) -> None:
    """Add or update schools from a UTF-8 CSV with a header row: name|ชื่อ|ชื่อโรงเรียน (required),
    code|รหัส|รหัสโรงเรียน and district|อำเภอ. A school is matched by code, else by name. A bad line stops
    the import with nothing imported."""
    settings = settings_from_env()
    rows = read_schools_csv(file)

    async def work(db: Database) -> schools_repo.ImportResult:
        async with db.sessions() as session, session.begin():
            now = SystemClock().now()
            result = await schools_repo.upsert_many(session, rows, now=now)
            cli_audit(
                session, "schools.import", f"file:{file.name}"[:255], created=result.created, updated=result.updated
            )
            return result

    result = with_database(settings, checked(work))
    if as_json:
        emit_json({"created": result.created, "updated": result.updated})
    else:
        total = result.created + result.updated
        click.echo(f"Imported {total} schools ({result.created} new, {result.updated} updated).")


@schools.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--search", help="Part of a name (with or without โรงเรียน), or a school code.")
def schools_list(as_json: bool, search: str | None) -> None:
    """List the schools, or those matching --search."""
    settings = settings_from_env()

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session:
            if search is not None:
                found = await schools_repo.search(session, search, limit=100)
            else:
                found = list((await session.execute(select(School).order_by(School.id))).scalars())
            return [school_json(s) for s in found]

    rows = with_database(settings, checked(work))
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("No school matches." if search is not None else "No schools yet: see `phuankru schools import`.")
    else:
        for r in rows:
            district = f"  ({r['district']})" if r["district"] else ""
            click.echo(f"{r['id']:>5}  {r['code'] or '-':<10}  {r['name']}{district}")


# --- groups -------------------------------------------------------------------------------------


def chat_json(chat: Chat, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": chat.id,
        "channel": chat.channel,
        "kind": chat.kind,
        "chat_id": chat.platform_chat_id,
        "title": chat.title,
        "name": chat.name,
        "tags": [t.tag for t in chat.tags],
        "active": chat.active,
        "joined": chat.joined_at.astimezone(tz).date().isoformat(),
    }


async def find_chat(session: AsyncSession, ref: str) -> Chat:
    chat = await chats_repo.find_by_ref(session, ref)
    if chat is None:
        raise CommandError(f"no group {ref}: give our id or the platform's chat id (see `phuankru groups list`)")
    return chat


def remove_chat_tag(chat: Chat, tag: str) -> bool:
    """storage.chats has add_tag only; this is its counterpart."""
    before = len(chat.tags)
    chat.tags[:] = [t for t in chat.tags if t.tag != tag]
    return len(chat.tags) != before


@click.group()
def groups() -> None:
    """LINE groups and rooms, Telegram groups and channels the bot is in."""


@groups.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--all", "show_all", is_flag=True, help="Also the groups the bot has left.")
def groups_list(as_json: bool, show_all: bool) -> None:
    """List the groups, rooms and channels the bot is in."""
    settings = settings_from_env()

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session:
            found = await chats_repo.list_chats(session, active_only=not show_all)
            return [chat_json(c, settings.timezone) for c in found]

    rows = with_database(settings, checked(work))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("The bot is in no group yet." if not show_all else "The bot has not been in any group.")
        return
    for r in rows:
        label = r["name"] or r["title"] or "-"
        title = f"  ({r['title']})" if r["name"] and r["title"] else ""
        tags = f"  [{', '.join(r['tags'])}]" if r["tags"] else ""
        joined = thai_date(date.fromisoformat(r["joined"]), settings.timezone)
        state = "" if r["active"] else "  (left)"
        click.echo(f"{r['id']:>5}  {r['channel']} {r['kind']}  {r['chat_id']}  {label}{title}{tags}  {joined}{state}")


# A Telegram chat id is negative: without this, click would take "-1001234567890" for an unknown option.
TAKES_NEGATIVE_IDS: Final = {"ignore_unknown_options": True}


@groups.command("tag", context_settings=TAKES_NEGATIVE_IDS)
@click.argument("group")
@click.argument("tag")
@click.option("--remove", is_flag=True, help="Take the tag off instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the group as one JSON object.")
def groups_tag(group: str, tag: str, remove: bool, as_json: bool) -> None:
    """Tag GROUP (our id or the platform's chat id) with TAG, or take it off with --remove."""
    settings = settings_from_env()
    wanted = clean_tag(tag)

    async def work(db: Database) -> tuple[dict[str, Any], bool]:
        async with db.sessions() as session, session.begin():
            chat = await find_chat(session, group)
            changed = remove_chat_tag(chat, wanted) if remove else chats_repo.add_tag(chat, wanted)
            cli_audit(session, "group.untag" if remove else "group.tag", f"chat:{chat.id}", tag=wanted, changed=changed)
            await session.flush()
            return chat_json(chat, settings.timezone), changed

    result, changed = with_database(settings, checked(work))
    if as_json:
        emit_json(result | {"changed": changed})
        return
    who = f"group {result['id']} ({result['name'] or result['title'] or result['chat_id']})"
    if remove:
        click.echo(f"{who} no longer has tag {wanted}." if changed else f"{who} did not have tag {wanted}.")
    else:
        click.echo(f"{who} is now tagged {wanted}." if changed else f"{who} already had tag {wanted}.")


@groups.command("name", context_settings=TAKES_NEGATIVE_IDS)
@click.argument("group")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the group as one JSON object.")
def groups_name(group: str, name: str, as_json: bool) -> None:
    """Give GROUP the office's own NAME for it (shown instead of the platform's title)."""
    settings = settings_from_env()
    wanted = " ".join(name.split())
    if not wanted or len(wanted) > 255:
        raise CommandError("a group name is 1-255 characters")

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session, session.begin():
            chat = await find_chat(session, group)
            previous, chat.name = chat.name, wanted
            cli_audit(session, "group.name", f"chat:{chat.id}", name=wanted, previous=previous)
            return chat_json(chat, settings.timezone)

    result = with_database(settings, checked(work))
    if as_json:
        emit_json(result)
    else:
        click.echo(f"Group {result['id']} ({result['chat_id']}) is now named {wanted!r}.")


# --- LINE ---------------------------------------------------------------------------------------
