"""The shipped process templates against the seed manual, and the refusal of bad template files.

The manual's text is parsed here on its own terms (headings กระบวนงาน/กระบวนการ N, the numbered lines under
ขั้นตอนการปฏิบัติงาน and แบบฟอร์มที่ใช้), so a template that drifts from the manual fails this test.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from handlers.processes import templates as repo
from storage.db import Database
from storage.process_models import ProcessError, ProcessTemplate

FIXTURE = Path(__file__).parent / "fixtures" / "processes" / "manual.txt"
SEED = Path(__file__).parent.parent.parent / "shared" / "seed" / "000_f1885cac16d03832.txt"
_HEADING = re.compile(r"^[#*\s]*(กระบวนงาน|กระบวนการ)\s+([๐-๙]+)\s+(.+?)[*\s]*$")
_NUMBERED = re.compile(r"^([๐-๙]+)\.\s*(.+?)$")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


@dataclass
class ManualProcess:
    code: str
    title: str
    steps: list[tuple[int, str]] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)


def squash(text: str) -> str:
    return " ".join(text.split())


def manual_processes(text: str) -> list[ManualProcess]:
    found: list[ManualProcess] = []
    section: str | None = None
    for raw in text.splitlines():
        line = raw.strip().strip("*#").strip()
        heading = _HEADING.match(raw)
        if heading:
            found.append(ManualProcess(f"{heading.group(1)} {heading.group(2)}", squash(heading.group(3))))
            section = None
            continue
        if not found or not line:
            continue
        if line.startswith("ขั้นตอนการปฏิบัติงาน"):
            section = "steps"
        elif line.startswith("แบบฟอร์มที่ใช้"):
            section = "forms"
        elif line.startswith(("Flow Chart", "เอกสาร/", "หมายเหตุ")):
            section = None
        elif section and (numbered := _NUMBERED.match(line)):
            number, words = int(numbered.group(1).translate(_THAI_DIGITS)), squash(numbered.group(2))
            if section == "steps":
                found[-1].steps.append((number, words))
            else:
                found[-1].forms.append(words)
    return found


MANUAL = manual_processes(FIXTURE.read_text(encoding="utf-8"))


# The office's manual as it was given (../shared/seed/000_f1885cac16d03832.txt), by its SHA-256: the fixture is that
# file, byte for byte, wherever the checkout is (the seed folder sits next to it only on the machine it came from).
SEED_SHA256 = "70c806d5e05618d2fb99f9a6a5f9bd40709738243007048f92599be1867055d3"


def test_the_fixture_is_the_seed_manual() -> None:
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == SEED_SHA256
    if SEED.exists():  # and, where the seed folder is at hand, the same bytes as the file itself
        assert FIXTURE.read_bytes() == SEED.read_bytes()


def test_the_manual_holds_eight_processes() -> None:
    assert [p.code for p in MANUAL] == ["กระบวนงาน ๑"] + [f"กระบวนการ {d}" for d in "๑๒๓๔๕๖๗"]
    assert all(len(p.steps) in (5, 6) for p in MANUAL)


@pytest.mark.parametrize("manual", MANUAL, ids=[p.code for p in MANUAL])
def test_every_shipped_template_matches_the_manual(manual: ManualProcess) -> None:
    shipped = {spec.code: spec for spec in repo.shipped_templates()}
    spec = shipped[manual.code]
    assert squash(spec.title) == manual.title
    assert [(s.number, s.title) for s in spec.steps] == manual.steps
    assert list(spec.forms) == manual.forms
    assert spec.objectives and spec.scope and spec.references
    assert spec.recurrence == "yearly"


def test_eight_templates_in_the_manual_order_with_the_survey_link() -> None:
    specs = repo.shipped_templates()
    assert [s.code for s in specs] == [p.code for p in MANUAL]
    evaluation = next(s for s in specs if s.code == "กระบวนการ ๔")
    assert [(s.number, s.survey, s.survey_report) for s in evaluation.steps if s.survey or s.survey_report] == [
        (4, "ict-satisfaction", None),
        (5, None, "ict-satisfaction"),
    ]


async def test_process_list_loads_the_shipped_templates_once(db: Database, clock: object) -> None:
    from core.clock import FakeClock

    assert isinstance(clock, FakeClock)
    for _ in range(2):
        async with db.sessions() as session, session.begin():
            await repo.ensure_shipped(session, now=clock.now())
    async with db.sessions() as session:
        templates = await repo.latest_templates(session)
        assert len(templates) == 8
        assert {t.version for t in templates} == {1}
        from sqlalchemy import func, select

        assert await session.scalar(select(func.count()).select_from(ProcessTemplate)) == 8


GOOD = """\
key: office-visit
title: นิเทศโรงเรียน
recurrence: monthly
steps:
  - number: 1
    title: วางแผนการนิเทศ
    days: 2
  - number: 2
    title: ออกนิเทศ
"""


def refusal(text: str) -> ProcessError:
    with pytest.raises(ProcessError) as caught:
        repo.parse_template(text, "mine.yaml")
    return caught.value


def test_a_good_template_parses() -> None:
    spec = repo.parse_template(GOOD, "mine.yaml")
    assert (spec.key, spec.recurrence, [(s.number, s.title, s.days) for s in spec.steps]) == (
        "office-visit",
        "monthly",
        [(1, "วางแผนการนิเทศ", 2), (2, "ออกนิเทศ", 1)],
    )


def test_a_step_without_a_title_is_refused_with_its_line() -> None:
    error = refusal(GOOD.replace("    title: ออกนิเทศ\n", "    days: 3\n"))
    assert error.key == "tpl_step_no_title"
    assert (error.values["line"], error.values["index"]) == (8, 2)
    blank = refusal(GOOD.replace("title: ออกนิเทศ", 'title: "  "'))
    assert (blank.key, blank.values["line"]) == ("tpl_step_no_title", 9)


def test_duplicate_step_numbers_are_refused_with_both_lines() -> None:
    error = refusal(GOOD.replace("  - number: 2", "  - number: 1"))
    assert error.key == "tpl_step_duplicate"
    assert (error.values["line"], error.values["first"], error.values["n"]) == (8, 5, 1)


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("key: x\ntitle: [unclosed\n", "tpl_bad_yaml", 3),
        ("- just\n- a list\n", "tpl_not_mapping", None),
        (GOOD.replace("key: office-visit", "key: Office Visit"), "tpl_bad_key", 1),
        (GOOD.replace("title: นิเทศโรงเรียน\n", ""), "tpl_no_title", 1),
        (GOOD.replace("recurrence: monthly", "recurrence: weekly"), "tpl_bad_recurrence", 3),
        (GOOD.replace("    days: 2", "    days: 0"), "tpl_bad_days", 7),
        (GOOD.replace("    days: 2", "    dayz: 2"), "tpl_unknown_field", 7),
        (GOOD + "colour: red\n", "tpl_unknown_field", 10),
        ("key: x\ntitle: t\nsteps: []\n", "tpl_no_steps", 3),
    ],
)
def test_other_bad_templates_name_their_line(text: str, key: str, line: int | None) -> None:
    error = refusal(text)
    assert error.key == key
    assert error.values.get("line") == line
