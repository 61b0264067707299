"""Reports: interpretation bands, ranks, aggregation by the database (per school and role too), and the formats —
text table, JSON, CSV, the xlsx Thai offices file, and a PNG chart whose every glyph is in the shipped fonts."""

from __future__ import annotations

import csv
import io
import itertools
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from openpyxl import load_workbook
from sqlalchemy import insert

from core.fonts import register_thai_font, thai_font_path
from handlers.surveys import report as survey_report
from handlers.surveys.definitions import load_definition
from handlers.surveys.report import Bands, Stat, bands_from_setting, rank
from storage import surveys
from storage.db import Database
from storage.models import School
from storage.survey_models import SurveyAnswer, SurveySheet
from storage.survey_results import Moments

FIXTURES = Path(__file__).parent / "fixtures" / "surveys"
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ids = itertools.count(1)


# --- bands, rounding, ranks --------------------------------------------------------------------------


def stat(mean: Fraction, bands: Bands) -> Stat:
    """A Stat whose mean is exactly `mean` (n = its denominator)."""
    return Stat(Moments(mean.denominator, mean.numerator, mean.numerator * 5), {}, bands)


def test_the_default_bands_are_the_common_half_point_scheme() -> None:
    default = bands_from_setting(None)
    assert default.name == "0.50"
    assert default.describe() == "4.51–5.00 มากที่สุด, 3.51–4.50 มาก, 2.51–3.50 ปานกลาง, 1.51–2.50 น้อย, 1.00–1.50 น้อยที่สุด"
    cases = {"4.50": "มาก", "4.51": "มากที่สุด", "3.50": "ปานกลาง", "2.51": "ปานกลาง", "1.50": "น้อยที่สุด", "1.51": "น้อย"}
    for shown, level in cases.items():
        assert default.level(Decimal(shown)) == level, shown
    # Read from the shown (rounded half up) mean: 4.505 is shown as 4.51, so มากที่สุด.
    assert (str(stat(Fraction(901, 200), default).mean), stat(Fraction(901, 200), default).level) == ("4.51", "มากที่สุด")
    assert stat(Fraction(8999, 2000), default).level == "มาก"  # 4.4995 is shown as 4.50


def test_the_class_width_scheme_is_the_built_in_alternative() -> None:
    best = bands_from_setting("0.80")
    assert best.describe() == "4.21–5.00 มากที่สุด, 3.41–4.20 มาก, 2.61–3.40 ปานกลาง, 1.81–2.60 น้อย, 1.00–1.80 น้อยที่สุด"
    assert [best.level(Decimal(v)) for v in ("4.21", "4.20", "1.81", "1.80")] == ["มากที่สุด", "มาก", "น้อย", "น้อยที่สุด"]
    with pytest.raises(ValueError, match="unknown interpretation bands"):
        bands_from_setting("0.70")


def test_equal_shown_means_share_a_rank() -> None:
    bands = bands_from_setting(None)
    stats = [stat(m, bands) for m in (Fraction(9, 2), Fraction(4), Fraction(9, 2), Fraction(4499, 1000), Fraction(1))]
    rank(stats)
    assert [s.rank for s in stats] == [1, 4, 1, 1, 5]  # 4.499 is shown as 4.50: it ties


def test_one_answer_has_no_sample_sd() -> None:
    single = Stat(Moments(1, 4, 16), {4: 1}, bands_from_setting(None))
    assert (single.mean, single.sd, single.level) == (Decimal("4.00"), None, "มาก")
    assert Moments().mean is None and Moments().sd is None


# --- reports from the database -------------------------------------------------------------------------


async def seeded_campaign(db: Database, answers: list[tuple[int, int, int, str | None]]) -> tuple[int, list[int]]:
    """The hand-computed survey with sheets inserted directly: (q1, q2, q3, note) per respondent."""
    spec = load_definition(FIXTURES / "hand-computed.yaml")
    async with db.sessions() as session, session.begin():
        definition = (await surveys.import_definition(session, spec, now=NOW)).definition
        plan = surveys.CampaignPlan(definition=definition, audience=["all"], people=[], groups=[])
        campaign = await surveys.create_campaign(session, plan, now=NOW)
        schools = [School(name=f"โรงเรียนบ้าน{n}", code=f"S{n}", created_at=NOW) for n in ("หนึ่ง", "สอง")]
        session.add_all(schools)
        await session.flush()
        questions = [q.id for q in definition.questions]
        for index, (q1, q2, q3, note) in enumerate(answers):
            sheet = next(_ids) + 10_000 * campaign.id
            await session.execute(
                insert(SurveySheet).values(
                    id=sheet,
                    campaign_id=campaign.id,
                    completed=True,
                    school_id=schools[index % 2].id,
                    position="teacher" if index % 3 else "director",
                )
            )
            rows: list[tuple[int, int, str | None]] = [(questions[0], q1, None), (questions[1], q2, None)]
            rows.append((questions[2], q3, None))
            rows.append((questions[3], 1 + index % 3, None))
            if note:
                rows.append((questions[4], 0, note))
            await session.execute(
                insert(SurveyAnswer), [{"sheet_id": sheet, "question_id": q, "value": v, "text": x} for q, v, x in rows]
            )
        # An unfinished sheet never counts.
        await session.execute(insert(SurveySheet).values(id=next(_ids) + 99_000, campaign_id=campaign.id))
        return campaign.id, questions


ANSWERS = [
    (5, 5, 3, "ดีมาก"),
    (4, 5, 2, None),
    (4, 4, 2, None),
    (3, 4, 1, "ควรปรับปรุง"),
    (2, 3, 1, None),
    (5, 5, 5, None),
]


async def test_results_by_school_and_role_come_from_the_database(db: Database) -> None:
    campaign, _ = await seeded_campaign(db, ANSWERS)
    async with db.sessions() as session:
        report = await survey_report.build_report(session, campaign, by="school")
        by_role = await survey_report.build_report(session, campaign, by="role")
    assert report.respondents == 6 and report.invited == 0 and report.rate is None
    q1 = report.items[0].stat
    assert (q1.n, q1.moments.total, q1.moments.squares) == (6, 23, 95)
    assert (str(q1.mean), str(q1.sd)) == ("3.83", "1.17")  # √((95 − 23²/6)/5) = √(41/30) = 1.169
    assert [(g.group_name, g.respondents) for g in report.groups] == [("โรงเรียนบ้านสอง", 3), ("โรงเรียนบ้านหนึ่ง", 3)]
    first = report.groups[1]  # โรงเรียนบ้านหนึ่ง: respondents 0, 2, 4, whose q1 answers are 5, 4, 2
    assert first.items[0].stat.moments == Moments(3, 11, 45)
    assert sum(g.items[0].stat.n for g in report.groups) == 6
    assert [(g.group_name, g.respondents) for g in by_role.groups] == [("ครู", 4), ("ผู้บริหารสถานศึกษา", 2)]
    (role,) = report.choices
    assert [(o, n, str(p)) for o, n, p in role.options] == [
        ("ครู", 2, "33.33"),
        ("ผู้บริหาร", 2, "33.33"),
        ("อื่น ๆ", 2, "33.33"),
    ]
    assert sorted(a for a, _ in report.texts[0].answers) == ["ควรปรับปรุง", "ดีมาก"]


async def test_the_table_json_and_csv(db: Database) -> None:
    campaign, _ = await seeded_campaign(db, ANSWERS)
    async with db.sessions() as session:
        report = await survey_report.build_report(session, campaign)
    table = survey_report.to_table(report)
    assert table.startswith("ผลการสำรวจ: แบบสอบถามทดสอบการคำนวณ\nแบบสอบถาม test-hand-computed ฉบับที่ 1 รอบที่")
    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("ข้อ"))
    assert header.split()[:4] == ["ข้อ", "รายการ", "n", "5"] and header.split()[-4:] == ["x̄", "S.D.", "ระดับ", "อันดับ"]
    item = next(line for line in lines if line.startswith("1 "))
    assert item.split()[-4:] == ["3.83", "1.17", "มาก", "2"]
    assert any(line.strip().startswith("ภาพรวม") for line in lines)
    assert "ด้านช่องทาง" in lines and "  - ดีมาก" in lines

    data = survey_report.to_json(report)
    assert data["items"][0]["sum"] == 23 and data["items"][0]["sum_of_squares"] == 95
    assert data["items"][0]["counts"] == {"5": 2, "4": 2, "3": 1, "2": 1, "1": 0}
    assert data["items"][0]["mean_2dp"] == "3.83" and data["items"][0]["level"] == "มาก"
    assert [s["section"] for s in data["sections"]] == ["ด้านกระบวนการ", "ด้านช่องทาง"]
    assert data["overall"]["n"] == 18 and data["bands"]["scheme"] == "0.50"
    assert data["texts"][0]["answers"][0].keys() == {"answer", "by"}

    rows = list(csv.DictReader(io.StringIO(survey_report.to_csv(report))))
    assert [r["kind"] for r in rows].count("item") == 3
    overall = next(r for r in rows if r["kind"] == "overall")
    assert (overall["n"], overall["mean"], overall["level"]) == (
        "18",
        data["overall"]["mean_2dp"],
        data["overall"]["level"],
    )
    assert {r["option"] for r in rows if r["kind"] == "choice"} == {"ครู", "ผู้บริหาร", "อื่น ๆ"}


async def test_the_xlsx_is_the_table_thai_reports_use(db: Database) -> None:
    campaign, _ = await seeded_campaign(db, ANSWERS)
    async with db.sessions() as session:
        report = await survey_report.build_report(session, campaign, by="role")
    book = load_workbook(io.BytesIO(survey_report.to_xlsx(report)))
    assert book.sheetnames == ["สรุปผล", "ร้อยละรายระดับ", "ตัวเลือก", "ข้อเสนอแนะ", "แยกตามตำแหน่ง"]
    sheet = book["สรุปผล"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "ผลการสำรวจ: แบบสอบถามทดสอบการคำนวณ"
    start = next(i for i, row in enumerate(rows) if row[0] == "ข้อ")
    assert rows[start] == ["ข้อ", "รายการ", "x̄", "S.D.", "ระดับ", "อันดับ"]
    body = rows[start + 1 :]
    assert body[0][0] == "ด้านกระบวนการ"
    assert body[1] == [1, "ความรวดเร็วในการให้บริการ", 3.83, 1.17, "มาก", 2]
    assert body[3][1] == "รวมด้านกระบวนการ" and body[3][5] == 1
    assert body[4][0] == "ด้านช่องทาง"
    assert body[-1][1] == "ภาพรวม"
    assert sheet.cell(start + 3, 3).number_format == "0.00"  # the first item's x̄ (rows count from 1)
    assert sheet.cell(start + 3, 2).font.name == survey_report.XLSX_FONT
    levels = [[c.value for c in row] for row in book["ร้อยละรายระดับ"].iter_rows()]
    header = next(row for row in levels if row[0] == "ข้อ")
    assert header[3] == "มากที่สุด (5)" and header[-3:] == ["x̄", "S.D.", "ระดับ"]
    first = next(row for row in levels if row[0] == 1)
    assert first[2:6] == [6, 2, 33.33, 2]


# --- the chart: Thai text, every glyph present ------------------------------------------------------------


def fonts_for_chart() -> list[FT2Font]:
    """The fonts the chart draws with, as matplotlib resolves them: the shipped Thai font, then DejaVu Sans."""
    family = register_thai_font()
    found = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    assert Path(found) == thai_font_path()  # the shipped file, not whatever this machine has installed
    return [FT2Font(found), FT2Font(font_manager.findfont(FontProperties(family="DejaVu Sans")))]


def missing_glyphs(texts: tuple[str, ...] | list[str], fonts: list[FT2Font]) -> set[str]:
    maps = [font.get_charmap() for font in fonts]
    return {ch for text in texts for ch in text if not ch.isspace() and not any(ord(ch) in m for m in maps)}


async def test_the_chart_renders_thai_with_no_glyph_missing(db: Database) -> None:
    campaign, _ = await seeded_campaign(db, ANSWERS)
    async with db.sessions() as session:
        report = await survey_report.build_report(session, campaign)
        grouped = await survey_report.build_report(session, campaign, by="school")
    fonts = fonts_for_chart()
    thai_map = fonts[0].get_charmap()
    for subject in (report, grouped):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            chart = survey_report.render_chart(subject)
        assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
        assert chart.png.startswith(PNG_SIGNATURE) and len(chart.png) > 10_000
        assert missing_glyphs(chart.texts, fonts) == set()
        thai = {ch for text in chart.texts for ch in text if "\u0e00" <= ch <= "\u0e7f"}
        assert thai and all(ord(ch) in thai_map for ch in thai)  # Thai from the Thai font, never a fallback
        if subject is report:
            assert any("ความรวดเร็วในการให้บริการ" in text for text in chart.texts)


def test_the_glyph_check_catches_a_missing_glyph() -> None:
    """The checks above would fail: a character no font has is reported, and matplotlib warns when drawing it."""
    fonts = fonts_for_chart()
    assert missing_glyphs(["ภาพรวม 📋"], fonts) == {"📋"}
    report = survey_report.Report(
        campaign_id=1,
        key="k",
        version=1,
        title="ผลการสำรวจ 📋",
        anonymous=False,
        bands=bands_from_setting(None),
        respondents=0,
        invited=0,
    )
    with pytest.warns(UserWarning, match="missing from font"):
        survey_report.render_chart(report)
