"""`phuankru line`: set-up of the office's LINE Official Account (the rich menu)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TypeVar

import click

from bot.cli_support import (
    EXIT_USAGE,
    cli_audit,
    emit_json,
    fail,
    settings_from_env,
    with_database,
)
from storage.db import Database
from storage.migrate import ensure_current

T = TypeVar("T")


@click.group("line")
def line_group() -> None:
    """The LINE Official Account."""


@line_group.group("richmenu")
def richmenu() -> None:
    """The menu under the LINE chat: six Thai commands, one tap each."""


def line_failure(exc: Exception, base_url: str) -> str:
    """One line for what went wrong talking to LINE."""
    from linebot.v3.messaging import ApiException

    if not isinstance(exc, ApiException):
        return f"cannot reach LINE at {base_url}: {exc or type(exc).__name__}"
    message = ""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        message = str(json.loads(exc.body).get("message", ""))
    if exc.status == 401:
        return (
            "LINE refused LINE_CHANNEL_ACCESS_TOKEN (401): issue a new long-lived token in the LINE Developers console"
        )
    return f"LINE answered {exc.status}{': ' + message if message else ''}"


@richmenu.command("setup")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def richmenu_setup(as_json: bool) -> None:
    """Create PhuanKru's rich menu, make it the default for everyone and delete the earlier PhuanKru menus.
    Needs LINE_CHANNEL_ACCESS_TOKEN."""
    import aiohttp
    from linebot.v3.messaging import ApiException

    from bot import richmenu as menus  # imports matplotlib: only when needed

    settings = settings_from_env()
    token = settings.line_channel_access_token
    if token is None or not token.get_secret_value():
        fail("LINE_CHANNEL_ACCESS_TOKEN is not set: the rich menu is made through the LINE Messaging API", EXIT_USAGE)
    # Checked before LINE is changed, so that the audit row can be written after.
    with_database(settings, ensure_current)
    try:
        result = asyncio.run(menus.setup_rich_menu(token.get_secret_value(), settings.line_api_base_url))
    except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
        fail(line_failure(exc, settings.line_api_base_url))

    async def work(db: Database) -> None:
        async with db.sessions() as session, session.begin():
            replaced = list(result.replaced)
            cli_audit(session, "line.richmenu.setup", f"richmenu:{result.rich_menu_id}"[:255], replaced=replaced)

    with_database(settings, work)
    if as_json:
        emit_json(
            {"rich_menu_id": result.rich_menu_id, "replaced": list(result.replaced), "image_bytes": result.image_bytes}
        )
    else:
        replaced = f" (replaced {len(result.replaced)} earlier)" if result.replaced else ""
        click.echo(f"Rich menu {result.rich_menu_id} is now the default for everyone{replaced}.")


@richmenu.command("image")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print {file, width, height} as JSON.")
def richmenu_image(out: Path, as_json: bool) -> None:
    """Draw the rich menu's picture to OUT (a PNG) to look at it; LINE is not contacted."""
    from bot import richmenu as menus

    try:
        out.write_bytes(menus.render_menu_image())
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    if as_json:
        emit_json({"file": str(out), "width": menus.MENU_WIDTH, "height": menus.MENU_HEIGHT})
        return
    click.echo(f"Wrote {out} ({menus.MENU_WIDTH}x{menus.MENU_HEIGHT}).")


# --- commands whose features arrive in later versions -------------------------------------------
# Listed with their full options so that `--help` documents the whole contract of DESIGN.md.
