"""`phuankru inbox` and `phuankru faq`: the office inbox's staff group, its threads, and keyword auto-replies."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
import yaml

from bot.cli_support import EXIT_USAGE, CommandError, checked, cli_audit, emit_json, settings_from_env, with_database
from core.clock import SystemClock
from core.thaidate import thai_datetime
from handlers.chat.inbox import normalise
from storage import chats, inbox, settings
from storage.db import Database
from storage.inbox_models import Faq
from storage.models import Contact


@click.group("inbox")
def inbox_group() -> None:
    """What people write to the office, and where it goes."""


@inbox_group.command("set-group", context_settings={"ignore_unknown_options": True})
@click.argument("group")
@click.option("--json", "as_json", is_flag=True)
def set_group(group: str, as_json: bool) -> None:
    """Send the inbox to GROUP (group:ID — our id or the platform's chat id); `none` sends it to every staff member."""
    cfg = settings_from_env()

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session, session.begin():
            if group.strip().lower() == "none":
                await settings.put(session, settings.INBOX_GROUP, {}, now=SystemClock().now())
                cli_audit(session, "inbox.set_group", "none")
                return {"group": None}
            ref = group.removeprefix("group:")
            chat = await chats.find_by_ref(session, ref)
            if chat is None or not chat.active:
                raise CommandError(f"no active group {group!r}: see `phuankru groups list`", EXIT_USAGE)
            await settings.put(session, settings.INBOX_GROUP, {"chat_id": chat.id}, now=SystemClock().now())
            cli_audit(session, "inbox.set_group", f"chat:{chat.id}")
            return {"group": chat.id, "channel": chat.channel, "title": chat.name or chat.title}

    result = with_database(cfg, checked(work))
    if as_json:
        emit_json(result)
    elif result["group"] is None:
        click.echo("The inbox now goes to every staff member.")
    else:
        click.echo(f"The inbox now goes to group {result['group']} ({result['channel']}: {result['title']}).")


def _name(person: Contact | None) -> str:
    if person is None:
        return "?"
    return person.display_name or f"{person.channel}:{person.platform_user_id}"


@inbox_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only threads still open.")
@click.option("--json", "as_json", is_flag=True)
def list_threads(open_only: bool, as_json: bool) -> None:
    """Threads: opened, first response time, closed, by whom; and the median first response of 30 days."""
    cfg = settings_from_env()

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session:
            threads = await inbox.list_threads(session, open_only=open_only, limit=1000)
            stats = await inbox.response_stats(session, now=SystemClock().now())
            names: dict[int, str] = {}
            for thread in threads:
                for cid in (thread.contact_id, thread.first_response_by, thread.closed_by, thread.assigned_to):
                    if cid is not None and cid not in names:
                        person = await session.get(Contact, cid)
                        names[cid] = _name(person)
            rows = [
                {
                    "id": th.id,
                    "state": th.state,
                    "from": names.get(th.contact_id),
                    "opened_at": th.opened_at.isoformat(),
                    "first_response_s": int((th.first_response_at - th.opened_at).total_seconds())
                    if th.first_response_at
                    else None,
                    "first_response_by": names.get(th.first_response_by) if th.first_response_by else None,
                    "assigned_to": names.get(th.assigned_to) if th.assigned_to else None,
                    "closed_at": th.closed_at.isoformat() if th.closed_at else None,
                    "closed_by": names.get(th.closed_by) if th.closed_by else None,
                }
                for th in threads
            ]
            median = stats.median_first_response.total_seconds() if stats.median_first_response else None
            return {"threads": rows, "last_30_days": {"threads": stats.threads, "answered": stats.answered,
                                                       "median_first_response_s": median}}  # fmt: skip

    result = with_database(cfg, checked(work))
    if as_json:
        emit_json(result)
        return
    for r in result["threads"]:
        opened = thai_datetime(datetime.fromisoformat(r["opened_at"]), cfg.timezone)
        wait = f"{r['first_response_s'] // 60} min" if r["first_response_s"] is not None else "not answered"
        closed = f", closed by {r['closed_by']}" if r["closed_at"] else ""
        click.echo(f"#{r['id']:<5} {r['state']:<6} {r['from']} · {opened} · first response {wait}{closed}")
    stats = result["last_30_days"]
    median = stats["median_first_response_s"]
    median_text = f"{median / 60:.0f} min" if median is not None else "—"
    click.echo(
        f"Last 30 days: {stats['threads']} threads, {stats['answered']} answered, median first response {median_text}."
    )


@click.group("faq")
def faq_group() -> None:
    """Keyword auto-replies: a message holding one of the phrases gets the answer at once."""


def read_faq_file(path: Path) -> list[tuple[list[str], str]]:
    """`- {phrases: [..], answer: ..}` items; a bad item is refused with its position."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CommandError(f"{path}: {exc}".splitlines()[0], EXIT_USAGE) from None
    items = data.get("faqs") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise CommandError(f"{path}: expected a list of {{phrases: [...], answer: ...}}", EXIT_USAGE)
    out = []
    for index, item in enumerate(items, start=1):
        phrases = item.get("phrases") if isinstance(item, dict) else None
        answer = item.get("answer") if isinstance(item, dict) else None
        if isinstance(phrases, str):
            phrases = [phrases]
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases) or not phrases:
            raise CommandError(f"{path}: item {index}: `phrases` must be a list of words or phrases", EXIT_USAGE)
        if not isinstance(answer, str) or not answer.strip():
            raise CommandError(f"{path}: item {index}: `answer` is missing or empty", EXIT_USAGE)
        out.append(([p.strip() for p in phrases], answer.strip()))
    return out


@faq_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def faq_import(file: Path, as_json: bool) -> None:
    """Add the auto-replies of a YAML file."""
    cfg = settings_from_env()
    items = read_faq_file(file)

    async def work(db: Database) -> list[int]:
        async with db.sessions() as session, session.begin():
            now = SystemClock().now()
            rows = [
                Faq(phrases=phrases, normalised=[normalise(p) for p in phrases], answer=answer, created_at=now)
                for phrases, answer in items
            ]
            session.add_all(rows)
            await session.flush()
            cli_audit(session, "faq.import", str(file), count=len(rows))
            return [r.id for r in rows]

    ids = with_database(cfg, checked(work))
    if as_json:
        emit_json({"ids": ids})
    else:
        click.echo(f"Imported {len(ids)} auto-repl{'y' if len(ids) == 1 else 'ies'}.")


@faq_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def faq_list(as_json: bool) -> None:
    """The auto-replies."""
    cfg = settings_from_env()

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session:
            return [{"id": f.id, "phrases": f.phrases, "answer": f.answer} for f in await inbox.faqs(session)]

    rows = with_database(cfg, checked(work))
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:>4}. {'; '.join(r['phrases'])} → {r['answer'][:70]}")
