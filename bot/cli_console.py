"""`phuankru console link PERSON`: a one-time sign-in link to the web console (how the first admin gets in)."""

from __future__ import annotations

import click

from bot.cli_support import EXIT_USAGE, CommandError, checked, settings_from_env, with_database
from core.actor import Actor
from core.clock import SystemClock
from handlers.office.console_links import ConsoleRefused, issue_signin_link
from storage import contacts
from storage.db import Database


@click.group("console")
def console_group() -> None:
    """The staff web console under PHUANKRU_PUBLIC_URL/console/."""


@console_group.command("link")
@click.argument("person")
@click.option("--minutes", default=10, show_default=True, type=click.IntRange(1, 60), help="How long the link works.")
def console_link(person: str, minutes: int) -> None:
    """Print a one-time sign-in link for PERSON (line:USERID, telegram:USERID or a contact id) on the last line."""
    settings = settings_from_env()

    async def work(db: Database) -> str | ConsoleRefused:
        async with db.sessions() as session, session.begin():
            contact = await contacts.find_contact(session, person)
            if contact is None:
                raise CommandError(f"no contact {person!r} (the person must have written to the bot first)")
            try:
                return await issue_signin_link(
                    session,
                    Actor.operator(),
                    contact,
                    now=SystemClock().now(),
                    public_url=settings.phuankru_public_url or "",
                    minutes=minutes,
                )
            except ConsoleRefused as exc:
                return exc  # returned, not raised: the refusal's audit row commits

    result = with_database(settings, checked(work))
    if isinstance(result, ConsoleRefused):
        if result.code == "no_url":
            raise CommandError("set PHUANKRU_PUBLIC_URL (the https address of this PhuanKru) first", EXIT_USAGE)
        raise CommandError(f"{person} has no staff, officer or admin role: grant one with `phuankru staff add`", 1)
    click.echo(f"Sign-in link for {person}, valid {minutes} minutes, one use:")
    click.echo(result)
