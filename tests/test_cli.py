from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from storage.db import Database
from storage.models import AuditLog, Contact

# Every command of DESIGN.md's contract table.
DESIGN_COMMANDS = [
    ["serve"],
    ["demo"],
    ["db", "upgrade"],
    ["contacts", "list"],
    ["staff", "add"],
    ["broadcast", "send"],
    ["broadcast", "status"],
    ["survey", "import"],
    ["survey", "list"],
    ["survey", "send"],
    ["survey", "results"],
    ["process", "list"],
    ["process", "start"],
    ["process", "status"],
]


@pytest.mark.parametrize("command", DESIGN_COMMANDS, ids=" ".join)
def test_every_design_command_is_listed_with_help(command: list[str]) -> None:
    runner = CliRunner()
    parent = runner.invoke(cli, [*command[:-1], "--help"])
    assert parent.exit_code == 0
    assert command[-1] in parent.output
    own = runner.invoke(cli, [*command, "--help"])
    assert own.exit_code == 0, own.output
    assert "Usage: phuankru" in own.output or "Usage: cli" in own.output


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def read_contacts_and_audit(url: str) -> tuple[list[Contact], list[AuditLog]]:
    return asyncio.run(_read_contacts_and_audit(url))


async def _read_contacts_and_audit(url: str) -> tuple[list[Contact], list[AuditLog]]:
    db = Database(url)
    try:
        async with db.sessions() as session:
            contacts = list((await session.execute(select(Contact).order_by(Contact.id))).scalars())
            audit = list((await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars())
            return contacts, audit
    finally:
        await db.dispose()


def test_staff_add_creates_grants_and_audits(migrated_url: str) -> None:
    code, out, err = invoke(migrated_url, "staff", "add", "telegram:777", "--role", "officer", "--json")
    assert code == 0, err
    created = json.loads(out)
    assert created == {
        "id": created["id"],
        "channel": "telegram",
        "user_id": "777",
        "role": "officer",
        "previous_role": None,
    }

    code, out, err = invoke(migrated_url, "staff", "add", str(created["id"]), "--role", "admin", "--json")
    assert code == 0, err
    assert json.loads(out)["previous_role"] == "officer"

    code, out, _ = invoke(migrated_url, "contacts", "list", "--json", "--role", "admin")
    assert code == 0
    rows = json.loads(out)
    assert [(r["id"], r["channel"], r["user_id"], r["role"]) for r in rows] == [
        (created["id"], "telegram", "777", "admin")
    ]


def test_staff_add_audit_rows(migrated_url: str) -> None:
    assert invoke(migrated_url, "staff", "add", "line:Uabc", "--role", "staff")[0] == 0
    contacts, audit = read_contacts_and_audit(migrated_url)
    assert [(c.channel, c.platform_user_id, c.role) for c in contacts] == [("line", "Uabc", "staff")]
    assert [(a.actor, a.action, a.target, a.allowed, a.detail) for a in audit] == [
        ("cli", "role.grant", f"contact:{contacts[0].id}", True, {"role": "staff", "previous": None})
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["staff", "add", "facebook:1", "--role", "staff"],
            "'facebook:1' is not line:USERID, telegram:USERID or a contact id",
        ),
        (["staff", "add", "999", "--role", "staff"], "no contact with id 999"),
    ],
)
def test_bad_contact_is_one_line_and_changes_nothing(migrated_url: str, args: list[str], message: str) -> None:
    code, out, err = invoke(migrated_url, *args)
    assert code == 2
    assert err.strip() == f"phuankru: {message}"
    assert "Traceback" not in out + err
    assert read_contacts_and_audit(migrated_url) == ([], [])


def test_contacts_list_text_when_empty(migrated_url: str) -> None:
    assert invoke(migrated_url, "contacts", "list") == (0, "No contacts yet.\n", "")


def test_db_upgrade_json_reports_no_change_the_second_time(database_url: str) -> None:
    first = json.loads(invoke(database_url, "db", "upgrade", "--json")[1])
    second = json.loads(invoke(database_url, "db", "upgrade", "--json")[1])
    assert first["changed"] is True and first["before"] is None
    assert second == {"before": first["after"], "after": first["after"], "changed": False}
