"""`phuankru process …` and `phuankru holidays …` through click's CliRunner, on SQLite and PostgreSQL.

The groups are invoked directly (bot/cli.py adds them to the main command); the clock is a FakeClock handed in
through the click context, Monday 5 January 2026, 09:00 in Bangkok.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli_processes import holidays, process
from core.clock import FakeClock
from handlers.texts import t
from storage.db import Database
from storage.models import AuditLog, OutboxMessage
from storage.process_models import ProcessReminder, ProcessRun
from tests.harness import known_person, on_db
from tests.test_processes_helpers import TWO_STEPS


@pytest.fixture
def url(migrated_url: str) -> str:
    return migrated_url


def invoke(url: str, group: click.Group, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(group, list(args), env={"DATABASE_URL": url}, obj={"clock": FakeClock()})
    return result.exit_code, result.stdout, result.stderr


def a_person(url: str, user_id: str, **fields: Any) -> int:
    return on_db(url, lambda db: known_person(db, FakeClock(), "telegram", user_id, **fields))


def test_process_list_shows_the_eight_of_the_manual_on_a_fresh_database(url: str) -> None:
    code, out, _ = invoke(url, process, "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["code"] for r in rows] == ["กระบวนงาน ๑"] + [f"กระบวนการ {d}" for d in "๑๒๓๔๕๖๗"]
    assert rows[4]["steps"][3] == {"number": 4, "title": "ดำเนินการติดตาม ประเมินผล", "days": 150}
    code, out, _ = invoke(url, process, "list")
    assert code == 0 and out.splitlines()[0].startswith("ict-masterplan   v1   กระบวนงาน ๑ จัดทำแผนแม่บท")


def test_import_versions_a_template_and_refuses_a_bad_one_with_its_line(url: str, tmp_path: Path) -> None:
    good = tmp_path / "two.yaml"
    good.write_text(TWO_STEPS, encoding="utf-8")
    assert invoke(url, process, "import", str(good))[1] == "Imported two-steps version 1 (2 steps).\n"
    assert invoke(url, process, "import", str(good))[1] == "two-steps is unchanged (version 1).\n"
    good.write_text(TWO_STEPS.replace("days: 3", "days: 4"), encoding="utf-8")
    assert invoke(url, process, "import", str(good))[1] == "Imported two-steps version 2 (2 steps).\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(TWO_STEPS.replace("  - number: 2", "  - number: 1"), encoding="utf-8")
    code, out, err = invoke(url, process, "import", str(bad))
    expected = t("tpl_step_duplicate", "th", where="bad.yaml", line=7, n=1, first=4)
    assert (code, out) == (2, "") and err.startswith(f"phuankru: {expected} / ")
    missing = tmp_path / "missing.yaml"
    missing.write_text(TWO_STEPS.replace("    title: ตรวจสอบและรายงาน\n", ""), encoding="utf-8")
    code, _, err = invoke(url, process, "import", str(missing))
    assert code == 2 and "missing.yaml บรรทัด 7: ขั้นตอนที่ 2 ไม่มีชื่อขั้นตอน (title)" in err
    assert invoke(url, process, "import", str(tmp_path / "none.yaml"))[0] == 2


def test_start_status_and_report(url: str, tmp_path: Path) -> None:
    officer = a_person(url, "7100", role="officer", display_name="ครูสมพร")
    code, out, err = invoke(
        url,
        process,
        "start",
        "info-evaluation",
        "--officer",
        "telegram:7100",
        "--start",
        "2569-01-05",
        "--end",
        "31/3/2569",
        "--step-due",
        "5=2026-03-31T14:00",
        "--json",
    )
    assert (code, err) == (0, "")
    started = json.loads(out)
    assert (started["officer"]["id"], started["start"], started["end"], started["fiscal_year"]) == (
        officer,
        "2026-01-05",
        "2026-03-31",
        2569,
    )
    assert [s["due"] for s in started["steps"]][-1] == "2026-03-31"
    assert started["steps"][-1]["due_at"] == "2026-03-31T07:00:00+00:00"  # 14:00 in Bangkok

    def check(db: Database) -> Any:
        async def run() -> tuple[int, int, int]:
            async with db.sessions() as session:
                told = len((await session.execute(select(OutboxMessage))).scalars().all())
                reminders = len((await session.execute(select(ProcessReminder))).scalars().all())
                audited = len(
                    (await session.execute(select(AuditLog).where(AuditLog.action == "process.start"))).scalars().all()
                )
                return told, reminders, audited

        return run()

    told, reminders, audited = on_db(url, check)
    assert told == 2  # the plan and the first step's card, queued for the officer
    assert reminders > 5 and audited == 1

    code, out, _ = invoke(url, process, "status", str(started["id"]))
    assert code == 0 and "1. [due] กำหนดวัตถุประสงค์และเป้าหมายของการประเมิน" in out.replace("[upcoming]", "[due]")
    code, out, _ = invoke(url, process, "report", str(started["id"]), "--format", "json")
    report = json.loads(out)
    assert report["summary"] == {
        "steps": 5,
        "done": 0,
        "skipped": 0,
        "pending": 5,
        "done_on_time": 0,
        "late_now": 0,
        "snoozes": 0,
        "evidence": 0,
    }
    assert [row["action"] for row in report["log"]] == ["started", "reached"]
    assert report["forms"][1] == "แบบรายงานสรุปผลการประเมิน"
    sheet_file = tmp_path / "r.xlsx"
    code, out, _ = invoke(url, process, "report", str(started["id"]), "--format", "xlsx", "--out", str(sheet_file))
    assert code == 0
    book = load_workbook(sheet_file)
    assert book.sheetnames == ["สรุป", "ขั้นตอน", "บันทึก"]
    summary = book["สรุป"]
    assert summary["A1"].value == "รายงานสรุปประเมินผลการดำเนินงาน"
    assert summary["B3"].value == 2569
    steps = book["ขั้นตอน"]
    assert steps["B2"].value == "กำหนดวัตถุประสงค์และเป้าหมายของการประเมิน"
    assert steps["D6"].number_format == "[$-107041E]d mmm yyyy"


@pytest.mark.parametrize(
    ("args", "key", "values"),
    [
        (["nope", "--officer", "telegram:7200"], "proc_unknown_template", {"template": "nope"}),
        (["website", "--officer", "telegram:7201"], "proc_not_officer", {"who": "telegram:7201"}),
        (["website", "--officer", "telegram:7999"], "proc_no_contact", {"who": "telegram:7999"}),
        (
            ["website", "--officer", "telegram:7200", "--start", "2026-02-01", "--end", "2026-01-31"],
            "proc_end_before_start",
            {"start": "1 ก.พ. 2569", "end": "31 ม.ค. 2569"},
        ),
        (
            ["website", "--officer", "telegram:7200", "--start", "2026-02-02", "--step-due", "2=2026-01-30"],
            "proc_due_before_start",
            {"n": 2, "due": "30 ม.ค. 2569", "start": "2 ก.พ. 2569"},
        ),
        (
            ["website", "--officer", "telegram:7200", "--step-due", "9=2026-03-01"],
            "proc_no_such_step",
            {"n": 9, "steps": 5},
        ),
    ],
)
def test_bad_starts_say_why_in_thai_and_change_nothing(
    url: str, args: list[str], key: str, values: dict[str, Any]
) -> None:
    a_person(url, "7200", role="officer")
    a_person(url, "7201", role="teacher")
    code, out, err = invoke(url, process, "start", *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"phuankru: {t(key, 'th', **values)} / ") and err.count("\n") == 1

    def count(db: Database) -> Any:
        async def run() -> int:
            async with db.sessions() as session:
                return len((await session.execute(select(ProcessRun))).scalars().all())

        return run()

    assert on_db(url, count) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "someday"], "--start: 'someday' is not a date (2026-02-15, 15/2/2569 or 15 ก.พ. 2569)"),
        (["--end", "31/2/2569"], "--end: '31/2/2569' is not a date"),
        (["--step-due", "two=2026-01-01"], "--step-due 'two=2026-01-01': write N=DATE"),
        (["--officer-x"], "No such option"),
    ],
)
def test_bad_arguments(url: str, args: list[str], message: str) -> None:
    code, _, err = invoke(url, process, "start", "website", "--officer", "telegram:1", *args)
    assert code == 2 and message in err


def test_set_due_moves_a_step_and_its_reminders(url: str) -> None:
    admin = a_person(url, "7300", role="admin")
    code, out, _ = invoke(url, process, "start", "website", "--officer", str(admin), "--json", "--start", "2026-01-05")
    pid = json.loads(out)["id"]
    code, out, _ = invoke(url, process, "set-due", str(pid), "2=2026-02-20")
    assert (code, out) == (0, "step 2 now due 2026-02-20\n")
    code, out, _ = invoke(url, process, "status", str(pid), "--json")
    data = json.loads(out)
    assert (data["steps"][1]["due"], data["steps"][1]["planned"] != "2026-02-20") == ("2026-02-20", True)
    assert data["log"][-1]["action"] == "due_changed"
    code, _, err = invoke(url, process, "set-due", str(pid), "2=2025-12-31")
    assert code == 2 and "อยู่ก่อนวันเริ่มกระบวนงาน" in err
    assert invoke(url, process, "status", "999")[0] == 2


def test_holidays_import_and_list(url: str, tmp_path: Path) -> None:
    code, out, _ = invoke(url, holidays, "list", "--json")
    shipped = json.loads(out)
    assert code == 0 and {"date": "04-13", "every_year": True, "name": "วันสงกรานต์", "source": "shipped"} in shipped
    csv_file = tmp_path / "h.csv"
    csv_file.write_text("วันที่,ชื่อ\n2569-03-03,วันมาฆบูชา\n2026-05-31,วันวิสาขบูชา\n", encoding="utf-8")
    assert invoke(url, holidays, "import", str(csv_file))[1] == "Imported 2 holidays (2 new, 0 updated).\n"
    code, out, _ = invoke(url, holidays, "list", "--year", "2569")
    assert code == 0 and "2026-03-03         วันมาฆบูชา" in out and "04-13 every year" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("date,name\n2026-02-30,x\n", encoding="utf-8")
    code, _, err = invoke(url, holidays, "import", str(bad))
    assert code == 2 and "bad.csv บรรทัด 2" in err and "bad.csv line 2" in err
