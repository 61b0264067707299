"""The `phuankru` command line. Every command of DESIGN.md is here; each does its work through
`handlers/` and `storage/`, and a wrong argument or setting ends with one clear line, not a traceback.
Feature commands live in `bot/cli_*.py` modules and are registered below."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TypeVar

import click

from bot import cli_broadcast, cli_console, cli_inbox, cli_line, cli_people, cli_processes, cli_surveys
from bot.cli_support import (
    EXIT_USAGE,
    CommandError,
    checked,
    emit_json,
    fail,
    settings_from_env,
    with_database,
)
from bot.config import ConfigError
from core.actor import Actor
from core.clock import SystemClock
from handlers.office.roles import RoleError, grant_role
from storage.contacts import ContactRefError
from storage.db import Database
from storage.migrate import SchemaBehind, current_revision, head_revision, upgrade

T = TypeVar("T")

DEMO_DATABASE = "sqlite+aiosqlite:///./phuankru-demo.db"
PUBLIC_HOST, LOOPBACK = "0.0.0.0", "127.0.0.1"


class PhuanKruGroup(click.Group):
    """Turns the errors a person can cause (settings, schema, arguments) into one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(str(exc), EXIT_USAGE)
        except SchemaBehind as exc:
            fail(str(exc))
        except (ContactRefError, RoleError) as exc:
            fail(str(exc), EXIT_USAGE)
        except CommandError as exc:
            fail(str(exc), exc.code)


@click.group(cls=PhuanKruGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="phuankru")
def cli() -> None:
    """PhuanKru (เพื่อนครู): announcements, satisfaction surveys and process-step reminders
    for a Thai school district office, on LINE and Telegram."""


# --- serve and demo -----------------------------------------------------------------------------


@cli.command()
@click.option(
    "--host",
    default=None,
    help=f"Address to listen on [default: {PUBLIC_HOST}; {LOOPBACK} when PHUANKRU_SANDBOX=1, which has no login].",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
def serve(host: str | None, port: int) -> None:
    """Run the web server: webhooks, /healthz, /metrics, the scheduler and the delivery worker."""
    from bot.server import StartupError, run_server

    settings = settings_from_env()
    if host is None:
        # The sandbox lets anyone act as staff: it stays on this machine unless the operator names an address.
        host = LOOPBACK if settings.sandbox_enabled else PUBLIC_HOST
    try:
        run_server(settings, host=host, port=port)
    except StartupError as exc:
        fail(str(exc))


@cli.command()
@click.option("--tour", is_flag=True, help="A scripted walk-through of the three jobs, without a browser.")
@click.option("--host", default=LOOPBACK, show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def demo(tour: bool, host: str, port: int) -> None:
    """Run the whole product offline on ./phuankru-demo.db, no tokens needed: a chat sandbox at /sandbox."""
    from bot import demo as demo_mode

    if tour:
        from bot.demo_tour import run_tour

        sys.exit(run_tour())
    from bot.server import StartupError, run_server

    settings = settings_from_env(**demo_mode.demo_overrides(DEMO_DATABASE))
    clock = demo_mode.SpeedClock()
    try:
        (before, after), seeded = asyncio.run(demo_mode.prepare(settings, clock))
    except OSError as exc:
        fail(f"cannot open the demo database ./phuankru-demo.db: {exc}")
    if before != after:
        click.echo(f"Demo database ./phuankru-demo.db {'created' if before is None else 'migrated'} at {after}.")
    click.echo(demo_mode.describe(seeded))
    link = asyncio.run(demo_mode.print_admin_link(settings, clock, f"http://{host}:{port}"))
    if link:
        click.echo(f"Staff web console, signed in as the demo's admin (one use, 60 minutes): {link}")
    click.echo(f"PhuanKru demo: open http://{host}:{port}/sandbox  (Ctrl+C stops)")
    try:
        run_server(settings, host=host, port=port, clock=clock)
    except StartupError as exc:
        fail(str(exc))


# --- db -----------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema: migrations."""


@db.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def db_upgrade(as_json: bool) -> None:
    """Apply the Alembic migrations up to the newest; running it again changes nothing."""
    settings = settings_from_env()
    before, after = with_database(settings, upgrade)
    if as_json:
        emit_json({"before": before, "after": after, "changed": before != after})
    elif before == after:
        click.echo(f"Database already up to date (revision {after}).")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")


@db.command("current")
@click.option("--json", "as_json", is_flag=True, help="Print {current, needed, up_to_date} as JSON.")
def db_current(as_json: bool) -> None:
    """Show the database's schema revision and the one this version needs."""
    settings = settings_from_env()
    current = with_database(settings, current_revision)
    needed = head_revision()
    if as_json:
        emit_json({"current": current, "needed": needed, "up_to_date": current == needed})
        return
    click.echo(f"database: {current or 'empty'}  needed: {needed}")


# --- staff ---------------------------------------------------------------------------------------


@cli.group()
def staff() -> None:
    """Office staff, officers and admins."""


@staff.command("add")
@click.argument("contact")
@click.option("--role", required=True, type=click.Choice(["staff", "officer", "admin", "teacher"]))
@click.option("--json", "as_json", is_flag=True, help="Print the contact as one JSON object.")
def staff_add(contact: str, role: str, as_json: bool) -> None:
    """Grant ROLE to CONTACT (line:USERID, telegram:USERID or a contact id)."""
    settings = settings_from_env()

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session, session.begin():
            grant = await grant_role(session, Actor.operator(), contact_ref=contact, role=role, now=SystemClock().now())
            c = grant.contact
            return {
                "id": c.id,
                "channel": c.channel,
                "user_id": c.platform_user_id,
                "role": c.role,
                "previous_role": grant.previous_role,
            }

    result = with_database(settings, checked(work))
    if as_json:
        emit_json(result)
    else:
        click.echo(f"{result['channel']}:{result['user_id']} (contact {result['id']}) is now {result['role']}.")


for command in (
    cli_broadcast.broadcast,
    cli_inbox.inbox_group,
    cli_inbox.faq_group,
    cli_processes.process,
    cli_surveys.survey,
    cli_processes.holidays,
    cli_people.contacts,
    cli_people.schools,
    cli_people.groups,
    cli_line.line_group,
    cli_console.console_group,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="phuankru")
