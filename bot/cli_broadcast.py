"""`phuankru broadcast`: announcements from the command line — send (now or at a time), status, list, cancel."""

from __future__ import annotations

import asyncio
import io
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bot.cli_support import (
    EXIT_FAILED,
    EXIT_USAGE,
    CommandError,
    checked,
    clock_of,
    emit_json,
    read_text_file,
    settings_from_env,
    with_database,
)
from bot.config import Settings
from core.actor import Actor
from core.clock import Clock, SystemClock
from core.model import Attachment, OutMessage
from core.thaidate import names_a_day_only, parse_moment, thai_datetime
from handlers.attachments import AttachmentError, check_file, check_image_url
from handlers.office.announcements import announce, cancel_announcement
from handlers.texts import t
from storage import broadcasts, media
from storage.audiences import AudienceError
from storage.broadcasts import BroadcastError
from storage.db import Database

AUDIENCE_HELP = (
    "all, role:R, tag:T, school:S, group:ID, channel:line|telegram, or followers:line (the LINE OA's "
    "broadcast to every follower); or the words: ทุกคน, ครู, ผู้บริหาร, บุคลากร, a school's name or code, a group's "
    "name, #tag. Repeat (or separate with commas) for a union."
)
WAIT_POLL_S = 0.5


@click.group()
def broadcast() -> None:
    """Announcements to audiences and the office's channels."""


def _explain(exc: Exception) -> str:
    """A refusal in the words the chat uses (Thai), for the office staff who run the CLI."""
    if isinstance(exc, AudienceError):
        key = "audience_unknown_word" if exc.code == "unknown_word" else "bc_bad_audience"
        return t(key, value=exc.value or exc.code)
    if isinstance(exc, BroadcastError):
        return t(f"bc_{exc.code}", **exc.values) if f"bc_{exc.code}" in _keys() else exc.code
    if isinstance(exc, AttachmentError):
        return t(exc.code, **exc.values)
    return str(exc)


def _keys() -> set[str]:
    from handlers.texts import CATALOGUE

    return set(CATALOGUE)


def _attachment(value: str, kind: str, settings: Settings) -> tuple[Attachment | None, tuple[bytes, str, str] | None]:
    """An https URL as is; a local file checked and kept for serving at PHUANKRU_PUBLIC_URL/media/…."""
    if value.startswith(("http://", "https://")):
        url = check_image_url(value) if kind == "image" else value
        if not url.startswith("https://"):
            raise AttachmentError("url_not_https")
        return Attachment(kind, url, filename=Path(url).name), None
    path = Path(value)
    if not path.is_file():
        raise CommandError(f"{value}: no such file")
    data = path.read_bytes()
    checked_file = check_file(data, filename=path.name)
    if kind == "image" and checked_file.kind != "image":
        raise AttachmentError("file_wrong_type", name=path.name)
    if settings.phuankru_public_url is None:
        raise CommandError(
            "LINE and Telegram fetch files over https: set PHUANKRU_PUBLIC_URL, or give an https URL instead"
        )
    content_type = checked_file.content_type
    if checked_file.kind == "document":
        content_type = mimetypes.guess_type(path.name)[0] or content_type
    return None, (data, content_type, path.name)


def _when(value: str | None, settings: Settings, clock: Clock) -> datetime | None:
    """--at read by the one parser the chat's schedule step uses (core.thaidate), with its messages."""
    if not value:
        return None
    now = clock.now()
    when = parse_moment(value, settings.timezone, now)
    if when is None:
        problem = "bc_time_needs_time" if names_a_day_only(value, settings.timezone, now) else "bc_time_bad"
        raise CommandError(t(problem))
    if when <= now:
        raise CommandError(t("bc_time_past"))
    return when


@broadcast.command("send")
@click.option("--audience", "audiences", multiple=True, required=True, help=AUDIENCE_HELP)
@click.option("--text", help="The announcement text.")
@click.option("--text-file", type=click.Path(dir_okay=False, path_type=Path), help="Read the text from a file (UTF-8).")
@click.option("--image", help="A JPEG/PNG file or https URL.")
@click.option("--document", help="A PDF/Office file or https URL (sent as a file on Telegram, a link on LINE).")
@click.option(
    "--at",
    "at",
    help="Send at this time, office time zone unless an offset is given: '5 ธ.ค. 2569 09:00', '5/12/2569 9.00 น.', "
    "'2026-12-05 09:00', 'พรุ่งนี้ 08:30'.",
)
@click.option(
    "--wait",
    is_flag=True,
    help="Deliver here and wait, with a progress bar; exit 1 if a message failed (a teacher who blocked the "
    "account is counted, not a failure).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def broadcast_send(
    ctx: click.Context,
    audiences: tuple[str, ...],
    text: str | None,
    text_file: Path | None,
    image: str | None,
    document: str | None,
    at: str | None,
    wait: bool,
    as_json: bool,
) -> None:
    """Queue an announcement (now, or at --at). Exit codes: 0 done (with --wait: every message has an outcome,
    blocked ones included), 1 with --wait when a message failed, 2 a usage error (nothing queued)."""
    settings = settings_from_env()
    clock = clock_of(ctx)
    if text and text_file:
        raise CommandError("give --text or --text-file, not both")
    if image and document:
        # One announcement is one message with one attachment on both platforms; two would need two
        # announcements, each with its own report, so the choice is left to the person.
        raise CommandError("give --image or --document, not both: send the other as a second announcement")
    body = read_text_file(text_file, "--text-file") if text_file else text
    try:
        when = _when(at, settings, clock)
        attachment, upload = None, None
        if image or document:
            attachment, upload = _attachment(image or document or "", "image" if image else "document", settings)
    except (AttachmentError, BroadcastError) as exc:
        raise CommandError(_explain(exc)) from None
    if not (body and body.strip()) and not (attachment or upload):
        raise CommandError(t("bc_content_empty"))

    async def work(db: Database) -> dict[str, Any]:
        now = clock.now()
        async with db.sessions() as session, session.begin():
            item = attachment
            if upload is not None:
                data, content_type, name = upload
                token = await media.store(session, data, content_type=content_type, filename=name, now=now)
                item = Attachment(
                    "image" if image else "document", f"{settings.phuankru_public_url}/media/{token}", filename=name
                )
            content = OutMessage(text=body.strip() if body else None, attachment=item)
            try:
                created = await announce(
                    session, Actor.operator(), audience=list(audiences), content=content, now=now, at=when
                )
            except (AudienceError, BroadcastError) as exc:
                raise CommandError(_explain(exc)) from None
            return {
                "id": created.id,
                "state": created.state,
                "recipients": created.recipients_total,
                "scheduled_at": created.scheduled_at.astimezone(UTC).isoformat(),
            }

    result = with_database(settings, checked(work))
    if not wait:
        if as_json:
            emit_json(result)
        elif result["state"] == "scheduled":
            when_text = thai_datetime(datetime.fromisoformat(result["scheduled_at"]), settings.timezone)
            click.echo(f"Announcement {result['id']} scheduled for {when_text} ({result['recipients']} recipients).")
        else:
            click.echo(f"Announcement {result['id']} queued for {result['recipients']} recipients.")
        return
    failed = with_database(settings, lambda db: _deliver_and_wait(settings, db, clock, int(result["id"]), as_json))
    raise SystemExit(EXIT_FAILED if failed else 0)


async def _deliver_and_wait(settings: Settings, db: Database, clock: Clock, broadcast_id: int, as_json: bool) -> int:
    """Deliver here (alongside any running `serve`: the outbox leases keep them apart) until every message
    has an outcome; a progress bar on a terminal. Returns how many messages failed: a teacher who blocked
    the account is an outcome to report (every district has some), not a failure of the broadcast."""
    from bot.services import build_services
    from scheduler.broadcast_jobs import BroadcastJobs

    services = build_services(settings, db, clock)
    jobs = BroadcastJobs(db, clock)
    for adapter in (services.line, services.telegram):
        if adapter is not None:
            await adapter.start()
    try:
        total, done = 0, 0
        # With --json, stdout carries only the JSON: the bar goes nowhere.
        with click.progressbar(
            length=1, label="Delivering", show_pos=True, file=io.StringIO() if as_json else None
        ) as bar:
            while True:
                await jobs.send_due()
                await services.worker.run_once()
                async with db.sessions() as session:
                    status = await broadcasts.status(session, broadcast_id)
                assert status is not None
                total = max(1, sum(status.counts.values()))
                now_done = total - status.total("pending")
                bar.length = total
                bar.update(now_done - done)
                done = now_done
                if status.broadcast.state != "scheduled" and status.finished:
                    break
                await asyncio.sleep(WAIT_POLL_S)
        await jobs.finish()
        async with db.sessions() as session:
            status = await broadcasts.status(session, broadcast_id) or status
    finally:
        for adapter in (services.line, services.telegram):
            if adapter is not None:
                await adapter.close()
    _print_status(status, as_json, settings)
    if not as_json:
        click.echo(
            f"Delivered: {status.total('sent')} sent, {status.total('blocked')} blocked the account "
            f"(not a failure), {status.total('failed')} failed."
        )
    return status.total("failed")


def _status_json(status: broadcasts.Status, recipients: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    b = status.broadcast
    out: dict[str, Any] = {
        "id": b.id,
        "state": b.state,
        "author": b.author,
        "audience": b.audience,
        "content": b.content,
        "scheduled_at": b.scheduled_at.isoformat(),
        "started_at": b.started_at.isoformat() if b.started_at else None,
        "finished_at": b.finished_at.isoformat() if b.finished_at else None,
        "note": b.note,
        "totals": {s: status.total(s) for s in ("sent", "failed", "blocked", "pending", "cancelled")},
        "by_channel": {f"{c}:{s}": n for (c, s), n in sorted(status.counts.items())},
    }
    if recipients is not None:
        out["recipients"] = recipients
    return out


def _print_status(status: broadcasts.Status, as_json: bool, settings: Settings) -> None:
    if as_json:
        emit_json(_status_json(status))
        return
    b = status.broadcast
    click.echo(f"Announcement {b.id} [{b.state}] by {b.author}, {thai_datetime(b.scheduled_at, settings.timezone)}")
    click.echo(f"Audience: {', '.join(b.audience)}")
    for channel in sorted({c for c, _ in status.counts}):
        parts = ", ".join(f"{s} {n}" for (c, s), n in sorted(status.counts.items()) if c == channel)
        click.echo(f"  {channel}: {parts}")
    if b.note:
        click.echo(f"Note: {b.note}")
    for problem in status.problems[:50]:
        click.echo(f"  ! {problem['channel']}:{problem['platform_id']} {problem['state']}: {problem['error'] or ''}")


@broadcast.command("status")
@click.argument("broadcast_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, with every recipient's delivery.")
def broadcast_status(broadcast_id: int, as_json: bool) -> None:
    """Per-recipient delivery: sent, failed, blocked, pending."""
    settings = settings_from_env()

    async def work(db: Database) -> tuple[broadcasts.Status | None, list[dict[str, Any]]]:
        async with db.sessions() as session:
            status = await broadcasts.status(session, broadcast_id)
            rows = await broadcasts.recipients(session, broadcast_id) if status is not None and as_json else []
            return status, rows

    status, rows = with_database(settings, checked(work))
    if status is None:
        raise CommandError(t("bc_not_found", id=broadcast_id), EXIT_USAGE)
    if as_json:
        emit_json(_status_json(status, rows))
    else:
        _print_status(status, False, settings)


@broadcast.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def broadcast_list(as_json: bool, limit: int) -> None:
    """The latest announcements."""
    settings = settings_from_env()

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session:
            return [
                {
                    "id": b.id,
                    "state": b.state,
                    "author": b.author,
                    "audience": b.audience,
                    "recipients": b.recipients_total,
                    "scheduled_at": b.scheduled_at.isoformat(),
                    "text": (b.content.get("text") or "")[:60],
                }
                for b in await broadcasts.recent(session, limit=limit)
            ]

    rows = with_database(settings, checked(work))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No announcements yet.")
    for r in rows:
        when = thai_datetime(datetime.fromisoformat(r["scheduled_at"]), settings.timezone)
        click.echo(
            f"{r['id']:>5}  {r['state']:<9} {when}  {r['recipients']:>6} → {', '.join(r['audience'])}  {r['text']}"
        )


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def broadcast_cancel(broadcast_id: int, as_json: bool) -> None:
    """Stop a scheduled or still-sending announcement; what was sent stays sent."""
    settings = settings_from_env()

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session, session.begin():
            try:
                cancelled, stopped = await cancel_announcement(
                    session, Actor.operator(), broadcast_id, now=SystemClock().now()
                )
            except BroadcastError as exc:
                raise CommandError(_explain(exc)) from None
            return {"id": cancelled.id, "state": cancelled.state, "stopped_messages": stopped}

    result = with_database(settings, checked(work))
    if as_json:
        emit_json(result)
    else:
        click.echo(f"Announcement {result['id']} cancelled; {result['stopped_messages']} message(s) not sent.")
