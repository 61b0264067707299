"""`phuankru survey`: import (versioned, checked with lines), list, send, results in every format, close."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.cli_surveys import survey
from storage import contacts
from storage.db import Database
from storage.models import OutboxMessage
from storage.survey_models import SurveyCampaign, SurveyDefinition
from tests.harness import on_db
from tests.test_survey_report import ANSWERS, seeded_campaign

FIXTURES = Path(__file__).parent / "fixtures" / "surveys"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def url(migrated_url: str) -> str:
    return migrated_url


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(survey, list(args), env={"DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def scalar(url: str, query: Any) -> Any:
    async def work(db: Database) -> Any:
        async with db.sessions() as session:
            return (await session.execute(query)).scalar()

    return on_db(url, work)


def people(url: str, *refs: tuple[str, str]) -> None:
    async def work(db: Database) -> None:
        async with db.sessions() as session, session.begin():
            for channel, user in refs:
                await contacts.get_or_create(session, channel, user, now=datetime.now(UTC))

    on_db(url, work)


def test_import_is_versioned_never_changing_what_a_campaign_used(url: str, tmp_path: Path) -> None:
    source = tmp_path / "survey.yaml"
    shutil.copy(FIXTURES / "hand-computed.yaml", source)
    code, out, err = invoke(url, "import", str(source))
    assert (code, err) == (0, "")
    assert out == f"test-hand-computed version 1: created (5 questions, {source})\n"
    assert invoke(url, "import", str(source))[1].startswith("test-hand-computed version 1: unchanged")
    source.write_text(source.read_text(encoding="utf-8").replace("ข้อเสนอแนะ", "ข้อเสนอแนะอื่น ๆ"), encoding="utf-8")
    assert invoke(url, "import", str(source))[1].startswith("test-hand-computed version 1: updated")  # no campaign yet

    people(url, ("line", "Ucli1"))
    code, out, _ = invoke(url, "send", "test-hand-computed", "--audience", "all", "--json")
    assert code == 0 and json.loads(out)["version"] == 1
    source.write_text(source.read_text(encoding="utf-8").replace("ข้อเสนอแนะอื่น ๆ", "ข้อคิดเห็น"), encoding="utf-8")
    code, out, _ = invoke(url, "import", str(source), "--json")
    assert json.loads(out)[0] | {"file": ""} == {
        "key": "test-hand-computed",
        "version": 2,
        "questions": 5,
        "action": "new_version",
        "file": "",
    }
    texts = on_db(url, _question_texts)
    assert texts == {1: "ข้อเสนอแนะอื่น ๆ", 2: "ข้อคิดเห็น"}  # version 1, used by the campaign, is untouched
    assert scalar(url, select(SurveyCampaign.definition_id)) == scalar(
        url, select(SurveyDefinition.id).where(SurveyDefinition.version == 1)
    )


async def _question_texts(db: Database) -> dict[int, str]:
    async with db.sessions() as session:
        definitions = (await session.execute(select(SurveyDefinition))).scalars()
        return {d.version: d.questions[-1].text for d in definitions}


def test_a_bad_file_is_refused_with_lines_and_nothing_is_stored(url: str) -> None:
    code, out, err = invoke(url, "import", str(FIXTURES / "hand-computed.yaml"), str(FIXTURES / "bad-choice.yaml"))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "phuankru: the survey definition has problems:",
        f"{FIXTURES / 'bad-choice.yaml'}:4: questions[1].options: a choice question needs options",
        f"{FIXTURES / 'bad-choice.yaml'}:10: questions[2].options: only a choice question has this",
    ]
    assert scalar(url, select(func.count()).select_from(SurveyDefinition)) == 0
    assert invoke(url, "import")[0] == 2
    assert invoke(url, "import", "no-such-file.yaml")[2] == "phuankru: no such file: no-such-file.yaml\n"


def test_builtin_surveys_and_the_list(url: str) -> None:
    code, out, _ = invoke(url, "import", "--builtin")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "ict-satisfaction version 1",
        "training-evaluation version 1",
    ]
    people(url, ("telegram", "5001"), ("line", "Ulist"))
    assert invoke(url, "send", "ict-satisfaction", "--audience", "channel:telegram")[0] == 0
    code, out, _ = invoke(url, "list", "--json")
    listing = json.loads(out)
    assert [(s["key"], s["questions"], s["anonymous"], s["campaigns"]) for s in listing["surveys"]] == [
        ("ict-satisfaction", 15, True, 1),
        ("training-evaluation", 14, False, 0),
    ]
    assert [(c["survey"], c["status"], c["invited"], c["completed"]) for c in listing["campaigns"]] == [
        ("ict-satisfaction", "open", 1, 0)
    ]
    code, out, _ = invoke(url, "list")
    assert "ict-satisfaction  v1  15 questions, anonymous  campaigns: 1 (1 open)" in out


def test_send_queues_invitations_and_refuses_mistakes(url: str) -> None:
    invoke(url, "import", str(FIXTURES / "hand-computed.yaml"))
    people(url, ("line", "Usend1"), ("line", "Usend2"), ("telegram", "5101"))
    code, out, err = invoke(
        url,
        "send",
        "test-hand-computed",
        "--audience",
        "channel:line",
        "--audience",
        "channel:telegram",
        "--closes-at",
        "2099-01-31",
        "--remind-after",
        "2d",
        "--max-reminders",
        "2",
        "--json",
    )
    assert (code, err) == (0, "")
    sent = json.loads(out)
    assert (sent["people"], sent["per_channel"], sent["reminders"]) == (3, {"line": 2, "telegram": 1}, 2)
    assert sent["closes_at"] == "2099-01-31T16:59:00+00:00"  # the end of that day in Bangkok
    assert scalar(url, select(func.count()).select_from(OutboxMessage)) == 2  # one LINE multicast, one Telegram
    mistakes = {
        ("send", "nope", "--audience", "all"): "phuankru: No survey “nope” (see `survey list`).\n",
        # "everyone" is the audience button's English label, so a word that names nothing is the mistake now.
        ("send", "test-hand-computed", "--audience", "pupils"): "phuankru: No audience “pupils”",
        ("send", "test-hand-computed", "--audience", "all", "--closes-at", "2001-01-01"): (
            "phuankru: The closing time must be in the future.\n"
        ),
        ("send", "test-hand-computed", "--audience", "all", "--closes-at", "tomorrowish"): "phuankru: --closes-at:",
        ("send", "test-hand-computed", "--audience", "all", "--max-reminders", "2"): (
            "phuankru: --max-reminders needs --remind-after\n"
        ),
        ("send", "test-hand-computed", "--audience", "tag:nobody"): "phuankru: That audience reaches nobody.\n",
    }
    for args, message in mistakes.items():
        code, _, err = invoke(url, *args)
        assert code == 2 and err.startswith(message), (args, err)
    assert scalar(url, select(func.count()).select_from(SurveyCampaign)) == 1


def test_results_in_every_format(url: str, tmp_path: Path) -> None:
    campaign, _ = on_db(url, lambda db: seeded_campaign(db, ANSWERS))
    code, out, _ = invoke(url, "results", str(campaign))
    assert code == 0 and out.startswith("ผลการสำรวจ: แบบสอบถามทดสอบการคำนวณ")
    code, out, _ = invoke(url, "results", str(campaign), "--format", "json", "--bands", "0.80")
    data = json.loads(out)
    assert (data["items"][0]["mean_2dp"], data["items"][0]["sd_2dp"], data["bands"]["scheme"]) == (
        "3.83",
        "1.17",
        "0.80",
    )
    code, out, _ = invoke(url, "results", str(campaign), "--format", "csv", "--by", "role")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["group"] for r in rows} == {"", "ครู", "ผู้บริหารสถานศึกษา"}
    target = tmp_path / "r.csv"
    assert invoke(url, "results", str(campaign), "--format", "csv", "--out", str(target))[1] == f"wrote {target}\n"
    assert target.read_bytes().startswith("\ufeffgroup,kind".encode())  # a BOM: Excel reads Thai CSV as UTF-8
    xlsx = tmp_path / "r.xlsx"
    code, out, _ = invoke(url, "results", str(campaign), "--format", "xlsx", "--out", str(xlsx))
    assert code == 0 and out.startswith(f"wrote {xlsx}")
    assert load_workbook(xlsx).sheetnames[0] == "สรุปผล"
    png = tmp_path / "r.png"
    assert invoke(url, "results", str(campaign), "--format", "png", "--out", str(png))[0] == 0
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert invoke(url, "results", "999")[2] == "phuankru: No campaign 999.\n"
    assert invoke(url, "results", str(campaign), "--by", "school")[0] == 0


def test_close(url: str) -> None:
    invoke(url, "import", str(FIXTURES / "hand-computed.yaml"))
    people(url, ("line", "Uclose"))
    invoke(url, "send", "test-hand-computed", "--audience", "all")
    assert invoke(url, "close", "1")[1] == "campaign 1 closed\n"
    assert invoke(url, "close", "1")[1] == "campaign 1 was closed already\n"
    assert scalar(url, select(SurveyCampaign.status)) == "closed"
    assert invoke(url, "close", "2")[0] == 2
