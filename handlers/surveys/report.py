"""Survey reports as Thai offices file them: per item, per section (ด้าน) and overall (ภาพรวม), n, count and % per
level, mean (x̄), sample S.D., interpretation (ระดับ) and rank (อันดับ); counts of choice answers; typed answers.

The numbers come from `storage.survey_results` (aggregated by the database); this module interprets and lays
them out: a text table, JSON, CSV, an xlsx in the usual ข้อ | รายการ | x̄ | S.D. | ระดับ | อันดับ layout, a PNG chart
drawn with the Thai font shipped in `core/assets/fonts`, and the short summary staff get in chat.

Means are shown to two decimals, rounded half up as in the reports' tables, and the level and rank are read
from the shown value, so that a reader who checks the table against the bands finds the same answer.

Why one file (about 900 lines): every format renders the one `Report`, and they share the rules of the shown
value (`_num`, `two_places`, `percent`, `level_label`), the width-aware fitting of Thai text (`_width`, `_fit`) and
the headline and response-rate lines; kept together, those stay private and one change reaches every format, which
is what makes the xlsx, the CSV, the chart and the chat summary agree to the digit. Callers import one name,
`survey_report`. Sections, in order: interpretation bands; the report (numbers, built from the aggregates); text,
JSON and CSV; xlsx; the chart; the summary staff get in chat. Should a format grow on its own, xlsx and the chart
are the ones to move out first (they use only the public names plus `_num`, `_fit` and `_width`).
"""

from __future__ import annotations

import csv
import io
import itertools
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.spreadsheet_safe import csv_cell, xlsx_safe
from handlers.texts import CATALOGUE, t
from storage import survey_results, surveys
from storage.survey_models import QuestionType, SurveyQuestion
from storage.survey_results import Aggregates, Group, Moments

LEVELS = (5, 4, 3, 2, 1)  # as the report's columns run
LEVEL_LABELS = {5: "มากที่สุด", 4: "มาก", 3: "ปานกลาง", 2: "น้อย", 1: "น้อยที่สุด"}
TWO_PLACES = Decimal("0.01")
ONE = Decimal("1.00")
FIVE = Decimal("5.00")

# --- interpretation bands ------------------------------------------------------------------------

# (lowest mean of the band, label), from the top. 0.50: บุญชม ศรีสะอาด; 0.80: Best's class width (5 − 1) / 5.
_SCHEME_LOWS = {"0.50": ("4.51", "3.51", "2.51", "1.51", "1.00"), "0.80": ("4.21", "3.41", "2.61", "1.81", "1.00")}
BAND_SCHEMES: dict[str, tuple[tuple[Decimal, str], ...]] = {
    name: tuple((Decimal(low), LEVEL_LABELS[level]) for low, level in zip(lows, LEVELS, strict=True))
    for name, lows in _SCHEME_LOWS.items()
}
DEFAULT_BANDS = "0.50"


@dataclass(frozen=True, slots=True)
class Bands:
    name: str  # "0.50", "0.80" or "custom"
    levels: tuple[tuple[Decimal, str], ...]  # (lowest shown mean, label), from the top down to 1.00

    def level(self, mean: Decimal) -> str:
        return next((label for low, label in self.levels if mean >= low), self.levels[-1][1])

    def ranges(self) -> list[tuple[Decimal, Decimal, str]]:
        """(low, high, label) as printed: 4.51–5.00 มากที่สุด, 3.51–4.50 มาก, …"""
        out: list[tuple[Decimal, Decimal, str]] = []
        high = FIVE
        for low, label in self.levels:
            out.append((low, high, label))
            high = low - TWO_PLACES
        return out

    def describe(self) -> str:
        return ", ".join(f"{low}–{high} {label}" for low, high, label in self.ranges())


def bands_from_setting(value: Any) -> Bands:
    """Bands from a setting: None (the default), "0.50", "0.80", or [[lowest mean, label], …] from the top.

    Raises ValueError saying what is wrong."""
    if value is None:
        value = DEFAULT_BANDS
    if isinstance(value, str):
        scheme = value.strip()
        if scheme not in BAND_SCHEMES:
            raise ValueError(f"unknown interpretation bands {value!r}")
        return Bands(scheme, BAND_SCHEMES[scheme])
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise ValueError("bands must be a scheme name or a list of at least two [lowest mean, label] pairs")
    levels: list[tuple[Decimal, str]] = []
    for pair in value:
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[1], str) and pair[1].strip()):
            raise ValueError("every band is a pair [lowest mean, label]")
        low = pair[0]
        if isinstance(low, bool) or not isinstance(low, int | float | str):
            raise ValueError("a band's lowest mean is a number")
        try:
            low_value = Decimal(str(low)).quantize(TWO_PLACES)
        except ArithmeticError:
            raise ValueError(f"a band's lowest mean is a number, not {low!r}") from None
        levels.append((low_value, pair[1].strip()))
    lows = [low for low, _ in levels]
    if any(a <= b for a, b in itertools.pairwise(lows)) or lows[0] > FIVE or lows[-1] != ONE:
        raise ValueError("bands go from the top down, each lower than the one before, the last starting at 1.00")
    return Bands("custom", tuple(levels))


# --- the report ----------------------------------------------------------------------------------


def two_places(value: Fraction | float) -> Decimal:
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(repr(value))
    return exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def percent(count: int, whole: int) -> Decimal:
    return two_places(Fraction(count * 100, whole)) if whole else Decimal("0.00")


@dataclass
class Stat:
    """A likert row of the table: an item, a section or the whole."""

    moments: Moments
    counts: dict[int, int]  # level -> answers
    bands: Bands
    rank: int | None = None

    @property
    def n(self) -> int:
        return self.moments.n

    @property
    def mean(self) -> Decimal | None:
        exact = self.moments.mean
        return two_places(exact) if exact is not None else None

    @property
    def sd(self) -> Decimal | None:
        sd = self.moments.sd
        return two_places(sd) if sd is not None else None

    @property
    def level(self) -> str | None:
        mean = self.mean
        return self.bands.level(mean) if mean is not None else None

    def percent(self, level: int) -> Decimal:
        return percent(self.counts.get(level, 0), self.n)


@dataclass
class ItemRow:
    number: int  # ข้อ, counting the likert items from 1
    key: str
    text: str
    section: str | None
    stat: Stat


@dataclass
class SectionRow:
    name: str
    stat: Stat


@dataclass
class ChoiceRow:
    number: int
    key: str
    text: str
    multiple: bool
    respondents: int  # who answered it: the base of the percentages
    options: list[tuple[str, int, Decimal]]  # (option, count, %)


@dataclass
class TextRow:
    number: int
    key: str
    text: str
    answers: list[tuple[str, str | None]]  # (answer, respondent's name when the survey is named)


@dataclass
class Report:
    campaign_id: int
    key: str
    version: int
    title: str
    anonymous: bool
    bands: Bands
    respondents: int  # submitted sheets
    invited: int | None  # None in a per-group report: the audience is not known per group
    items: list[ItemRow] = field(default_factory=list)
    sections: list[SectionRow] = field(default_factory=list)
    overall: Stat | None = None
    choices: list[ChoiceRow] = field(default_factory=list)
    texts: list[TextRow] = field(default_factory=list)
    group_by: str | None = None
    group_name: str | None = None  # set on a per-group report
    groups: list[Report] = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        return percent(self.respondents, self.invited) if self.invited else None


def rank(stats: Sequence[Stat]) -> None:
    """1 for the highest shown mean; equal shown means share a rank (1, 2, 2, 4)."""
    means = [s.mean for s in stats]
    for stat, mean in zip(stats, means, strict=True):
        stat.rank = None if mean is None else 1 + sum(1 for other in means if other is not None and other > mean)


def _compose(
    aggregates: Aggregates,
    group: Group,
    questions: Sequence[SurveyQuestion],
    bands: Bands,
    typed: Sequence[survey_results.TypedAnswer],
    base: Report,
) -> None:
    """Fill `base` with the rows of one group of the aggregates."""
    likert = [q for q in questions if q.type == QuestionType.LIKERT5.value]
    for number, question in enumerate(likert, start=1):
        moments = aggregates.moments.get((group, question.id), Moments())
        counts = aggregates.counts.get((group, question.id), {})
        base.items.append(ItemRow(number, question.key, question.text, question.section, Stat(moments, counts, bands)))
    if any(q.section for q in likert):
        order: dict[str, list[ItemRow]] = {}
        for item in base.items:
            order.setdefault(item.section or "-", []).append(item)
        for name, rows in order.items():
            base.sections.append(SectionRow(name, _pooled([r.stat for r in rows], bands)))
            rank([r.stat for r in rows])
        rank([s.stat for s in base.sections])
    else:
        rank([i.stat for i in base.items])
    if base.items:
        base.overall = _pooled([i.stat for i in base.items], bands)
    choices = [q for q in questions if q.type == QuestionType.CHOICE.value]
    for number, question in enumerate(choices, start=1):
        counts = aggregates.counts.get((group, question.id), {})
        answered = aggregates.respondents.get((group, question.id), 0)
        options = [
            (option, counts.get(index, 0), percent(counts.get(index, 0), answered))
            for index, option in enumerate(question.options or [], start=1)
        ]
        base.choices.append(ChoiceRow(number, question.key, question.text, question.multiple, answered, options))
    texts = [q for q in questions if q.type == QuestionType.TEXT.value]
    for number, question in enumerate(texts, start=1):
        answers = [(a.text, a.by) for a in typed if a.question_id == question.id]
        base.texts.append(TextRow(number, question.key, question.text, answers))


def _pooled(stats: Sequence[Stat], bands: Bands) -> Stat:
    """A section or the whole: every answer of its items together (moments and counts add up)."""
    moments = Moments()
    counts: dict[int, int] = {}
    for stat in stats:
        moments = moments + stat.moments
        for level, count in stat.counts.items():
            counts[level] = counts.get(level, 0) + count
    return Stat(moments, counts, bands)


async def build_report(
    session: AsyncSession, campaign_id: int, *, bands: str | None = None, by: str | None = None
) -> Report:
    """The whole report of one campaign; `by` ("school" or "role") adds one report per group."""
    campaign = await surveys.require_campaign(session, campaign_id)
    definition = campaign.definition
    if by is not None and definition.anonymous:
        raise surveys.SurveyError("sv_results_by_anonymous")
    chosen = bands_from_setting(bands if bands is not None else definition.settings.get("bands"))
    questions = list(definition.questions)
    taking_part = await surveys.participation(session, campaign_id)
    several = [q.id for q in questions if q.multiple]
    aggregates = await survey_results.aggregate(session, campaign_id, several=several)
    typed = await survey_results.typed_answers(session, campaign_id, named=not definition.anonymous)
    report = Report(
        campaign_id=campaign.id,
        key=definition.key,
        version=definition.version,
        title=definition.title,
        anonymous=definition.anonymous,
        bands=chosen,
        respondents=aggregates.sheets.get(None, 0),
        invited=taking_part.invited,
        group_by=by,
    )
    _compose(aggregates, None, questions, chosen, typed, report)
    if by is not None:
        grouped = await survey_results.aggregate(session, campaign_id, by=by, several=several)
        schools = await survey_results.school_names(session, [g for g in grouped.sheets if isinstance(g, int)])
        for group in grouped.groups():
            sub = Report(
                campaign_id=campaign.id,
                key=definition.key,
                version=definition.version,
                title=definition.title,
                anonymous=False,
                bands=chosen,
                respondents=grouped.sheets[group],
                invited=None,
                group_by=by,
                group_name=_group_name(by, group, schools),
            )
            _compose(grouped, group, questions, chosen, [], sub)
            report.groups.append(sub)
        unknown = t("sv_group_unknown", "th")
        report.groups.sort(key=lambda g: (g.group_name == unknown, g.group_name or ""))
    return report


def _group_name(by: str, group: Group, schools: dict[int, str]) -> str:
    if group is None:
        return t("sv_group_unknown", "th")
    if by == "school":
        return schools.get(int(group), str(group))
    key = f"pos_{group}"  # the positions people give at registration
    return t(key, "th") if key in CATALOGUE else str(group)


# --- text and data formats -------------------------------------------------------------------------


def _num(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _width(text: str) -> int:
    """Columns a terminal gives the text: Thai vowel and tone marks sit on a letter and take none."""
    return sum(0 if unicodedata.category(ch) in ("Mn", "Me") else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """Cut to `width` columns (with …) and pad with spaces to exactly `width`."""
    if _width(text) > width:
        out = ""
        for ch in text:
            if _width(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - _width(text))


def rate_line(report: Report) -> str:
    if report.invited:
        return t("sv_report_rate", "th", n=report.respondents, invited=report.invited, rate=_num(report.rate))
    return t("sv_report_respondents", "th", n=report.respondents)


def headline(report: Report) -> list[str]:
    lines = [f"{t('sv_report_title', 'th')}: {report.title}"]
    lines.append(t("sv_report_ref", "th", key=report.key, version=report.version, campaign=report.campaign_id))
    if report.group_name is not None:
        lines.append(f"{t(f'sv_by_{report.group_by}', 'th')}: {report.group_name}")
    lines.append(rate_line(report))
    if report.items:
        lines.append(f"{t('sv_report_bands', 'th', scheme=report.bands.name)}: {report.bands.describe()}")
    if report.anonymous:
        lines.append(t("sv_report_anonymous", "th"))
    return lines


_COLUMNS = (
    ("ข้อ", 4),
    ("รายการ", 44),
    ("n", 5),
    *((str(v), 12) for v in LEVELS),
    ("x̄", 6),
    ("S.D.", 6),
    ("ระดับ", 11),
    ("อันดับ", 6),
)


def _table_row(number: str, label: str, stat: Stat) -> str:
    cells = [number, label, str(stat.n)]
    cells += [f"{stat.counts.get(v, 0)} ({stat.percent(v):.2f})" for v in LEVELS]
    cells += [_num(stat.mean), _num(stat.sd), stat.level or "-", str(stat.rank or "")]
    return "  ".join(_fit(cell, width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True)).rstrip()


def to_table(report: Report) -> str:
    """The report as text for a terminal (Thai, fixed columns)."""
    out = headline(report)
    if report.items:
        out += ["", "  ".join(_fit(name, width) for name, width in _COLUMNS).rstrip()]
        out.append("-" * (sum(w for _, w in _COLUMNS) + 2 * (len(_COLUMNS) - 1)))
        by_section = {s.name: s for s in report.sections}
        current: str | None = None
        for item in report.items:
            name = item.section or "-"
            if by_section and name != current:
                if current is not None:
                    out.append(_table_row("", t("sv_section_total", "th", section=current), by_section[current].stat))
                out.append(name)
                current = name
            out.append(_table_row(str(item.number), item.text, item.stat))
        if current is not None:
            out.append(_table_row("", t("sv_section_total", "th", section=current), by_section[current].stat))
        if report.overall is not None:
            out.append(_table_row("", t("sv_overall", "th"), report.overall))
    for choice in report.choices:
        out += ["", f"{choice.text} ({t('sv_answered_by', 'th', n=choice.respondents)})"]
        out += [f"  {_fit(option, 40)}  {count:>5}  {pct:>6.2f}" for option, count, pct in choice.options]
    for row in report.texts:
        out += ["", t("sv_text_heading", "th", text=row.text, n=len(row.answers))]
        out += [f"  - {answer}" + (f" ({who})" if who else "") for answer, who in row.answers]
    for group in report.groups:
        out += ["", "=" * 40, to_table(group)]
    return "\n".join(out)


def _stat_json(stat: Stat) -> dict[str, Any]:
    moments = stat.moments
    return {
        "n": stat.n,
        "counts": {str(v): stat.counts.get(v, 0) for v in LEVELS},
        "percent": {str(v): float(stat.percent(v)) for v in LEVELS},
        "sum": moments.total,
        "sum_of_squares": moments.squares,
        "mean": float(moments.mean) if moments.mean is not None else None,
        "mean_2dp": _num(stat.mean),
        "sd": moments.sd,
        "sd_2dp": _num(stat.sd),
        "level": stat.level,
        "rank": stat.rank,
    }


def to_json(report: Report) -> dict[str, Any]:
    return {
        "campaign": report.campaign_id,
        "survey": report.key,
        "version": report.version,
        "title": report.title,
        "anonymous": report.anonymous,
        "respondents": report.respondents,
        "invited": report.invited,
        "response_rate": float(report.rate) if report.rate is not None else None,
        "bands": {
            "scheme": report.bands.name,
            "ranges": [[str(low), str(high), label] for low, high, label in report.bands.ranges()],
        },
        "items": [
            {"number": i.number, "key": i.key, "text": i.text, "section": i.section, **_stat_json(i.stat)}
            for i in report.items
        ],
        "sections": [{"section": s.name, **_stat_json(s.stat)} for s in report.sections],
        "overall": _stat_json(report.overall) if report.overall is not None else None,
        "choices": [
            {
                "number": c.number,
                "key": c.key,
                "text": c.text,
                "multiple": c.multiple,
                "respondents": c.respondents,
                "options": [{"option": o, "count": n, "percent": float(p)} for o, n, p in c.options],
            }
            for c in report.choices
        ],
        "texts": [
            {
                "number": r.number,
                "key": r.key,
                "text": r.text,
                "answers": [
                    {"answer": a, "by": who} if not report.anonymous else {"answer": a} for a, who in r.answers
                ],
            }
            for r in report.texts
        ],
        **({"group_by": report.group_by} if report.group_by else {}),
        **({"group": report.group_name} if report.group_name is not None else {}),
        **({"groups": [to_json(g) for g in report.groups]} if report.groups else {}),
    }


CSV_HEADERS = (
    "group",
    "kind",
    "section",
    "number",
    "key",
    "item",
    "n",
    *(f"count_{v}" for v in LEVELS),
    *(f"percent_{v}" for v in LEVELS),
    "mean",
    "sd",
    "level",
    "rank",
    "option",
    "count",
    "percent",
    "answer",
)


def _csv_rows(report: Report) -> list[list[Any]]:
    group = report.group_name or ""
    rows: list[list[Any]] = []

    def likert(kind: str, section: str, number: Any, key: str, label: str, stat: Stat) -> None:
        rows.append(
            [group, kind, section, number, key, label, stat.n]
            + [stat.counts.get(v, 0) for v in LEVELS]
            + [f"{stat.percent(v):.2f}" for v in LEVELS]
            + [_num(stat.mean), _num(stat.sd), stat.level or "", stat.rank or "", "", "", "", ""]
        )

    for item in report.items:
        likert("item", item.section or "", item.number, item.key, item.text, item.stat)
    for section in report.sections:
        likert("section", section.name, "", "", t("sv_section_total", "th", section=section.name), section.stat)
    if report.overall is not None:
        likert("overall", "", "", "", t("sv_overall", "th"), report.overall)
    blank = [""] * (len(CSV_HEADERS) - 11)  # the likert columns, between the item's and the choice's
    for choice in report.choices:
        for option, count, pct in choice.options:
            rows.append(
                [
                    group,
                    "choice",
                    "",
                    choice.number,
                    choice.key,
                    choice.text,
                    choice.respondents,
                    *blank,
                    option,
                    count,
                    f"{pct:.2f}",
                    "",
                ]
            )
    for row in report.texts:
        for answer, _ in row.answers:
            rows.append([group, "text", "", row.number, row.key, row.text, "", *blank, "", "", "", answer])
    for sub in report.groups:
        rows += _csv_rows(sub)
    return rows


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    # Typed answers and names are people's text: a leading = + - @ must not become a formula in Excel.
    writer.writerows([csv_cell(value) for value in row] for row in _csv_rows(report))
    return buffer.getvalue()


# --- xlsx ------------------------------------------------------------------------------------------

XLSX_FONT = "TH SarabunPSK"  # the font of Thai government documents; Excel substitutes a Thai font if missing


_SHEET_NAME_MAX = 31  # Excel's limit


def to_xlsx(report: Report) -> bytes:
    """The workbook an office files: สรุปผล (ข้อ | รายการ | x̄ | S.D. | ระดับ | อันดับ, with section and overall
    rows), ร้อยละรายระดับ (count and % per level), ตัวเลือก, ข้อเสนอแนะ, and one sheet per grouping."""
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    summary.title = "สรุปผล"
    _XlsxSheet(summary).summary(report)
    if report.items:
        _XlsxSheet(book.create_sheet("ร้อยละรายระดับ")).levels(report)
    if report.choices:
        _XlsxSheet(book.create_sheet("ตัวเลือก")).choices(report)
    if report.texts:
        _XlsxSheet(book.create_sheet("ข้อเสนอแนะ")).texts(report)
    if report.groups:
        name = f"แยกตาม{t(f'sv_by_{report.group_by}', 'th')}"[:_SHEET_NAME_MAX]
        _XlsxSheet(book.create_sheet(name)).groups(report)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _XlsxSheet:
    """One worksheet written row by row in the house style: Thai font, boxed table, two-decimal numbers."""

    def __init__(self, sheet: Any) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.sheet = sheet
        self.row = 1
        thin = Side(style="thin", color="808080")
        self.box = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(name=XLSX_FONT, size=14)
        self.bold = Font(name=XLSX_FONT, size=14, bold=True)
        self.title_font = Font(name=XLSX_FONT, size=18, bold=True)
        self.head_fill = PatternFill("solid", fgColor="D9E1F2")
        self.total_fill = PatternFill("solid", fgColor="F2F2F2")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center", wrap_text=True)
        self.right = Alignment(horizontal="right", vertical="center")
        self.sheet.sheet_view.showGridLines = False

    def widths(self, *widths: float) -> None:
        from openpyxl.utils import get_column_letter

        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width

    def line(self, text: str, columns: int, *, big: bool = False) -> None:
        cell = xlsx_safe(self.sheet.cell(self.row, 1, text))
        cell.font, cell.alignment = (self.title_font if big else self.font), self.left
        if columns > 1:
            self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=columns)
        self.row += 1

    def put(self, values: Sequence[Any], *, bold: bool = False, head: bool = False, total: bool = False) -> None:
        for column, value in enumerate(values, start=1):
            if isinstance(value, Decimal):
                value = float(value)
            cell = xlsx_safe(self.sheet.cell(self.row, column, value))  # a typed "=..." stays text
            cell.border = self.box
            cell.font = self.bold if (bold or head or total) else self.font
            if head:
                cell.fill, cell.alignment = self.head_fill, self.center
            elif isinstance(value, float):
                cell.number_format, cell.alignment = "0.00", self.right
            elif isinstance(value, int):
                cell.alignment = self.center
            else:
                cell.alignment = self.left
            if total:
                cell.fill = self.total_fill
        self.row += 1

    def band(self, text: str, columns: int) -> None:
        """A section's heading row across the table."""
        for column in range(1, columns + 1):
            cell = xlsx_safe(self.sheet.cell(self.row, column, text if column == 1 else None))
            cell.border, cell.font, cell.alignment = self.box, self.bold, self.left
        self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=columns)
        self.row += 1

    def heading(self, report: Report, columns: int) -> None:
        lines = headline(report)
        self.line(lines[0], columns, big=True)
        for text in lines[1:]:
            self.line(text, columns)
        self.row += 1

    @staticmethod
    def _likert(number: Any, label: str, stat: Stat) -> list[Any]:
        return [number, label, stat.mean, stat.sd, stat.level or "-", stat.rank or ""]

    def summary(self, report: Report) -> None:
        self.widths(7, 60, 10, 10, 14, 9)
        self.heading(report, 6)
        if not report.items:
            return
        self.put(["ข้อ", "รายการ", "x̄", "S.D.", "ระดับ", "อันดับ"], head=True)
        by_section = {s.name: s for s in report.sections}
        current: str | None = None
        for item in report.items:
            name = item.section or "-"
            if by_section and name != current:
                if current is not None:
                    label = t("sv_section_total", "th", section=current)
                    self.put(self._likert("", label, by_section[current].stat), total=True)
                self.band(name, 6)
                current = name
            self.put(self._likert(item.number, item.text, item.stat))
        if current is not None:
            self.put(
                self._likert("", t("sv_section_total", "th", section=current), by_section[current].stat), total=True
            )
        if report.overall is not None:
            self.put(self._likert("", t("sv_overall", "th"), report.overall), bold=True, total=True)

    def levels(self, report: Report) -> None:
        columns = 3 + 2 * len(LEVELS) + 3
        self.widths(7, 50, 7, *([9, 9] * len(LEVELS)), 9, 9, 14)
        self.heading(report, columns)
        top = ["ข้อ", "รายการ", "n"]
        for level in LEVELS:
            top += [f"{LEVEL_LABELS[level]} ({level})", ""]
        self.put([*top, "x̄", "S.D.", "ระดับ"], head=True)
        self.put(["", "", "", *(["จำนวน", "ร้อยละ"] * len(LEVELS)), "", "", ""], head=True)
        for column in range(4, 4 + 2 * len(LEVELS), 2):
            self.sheet.merge_cells(
                start_row=self.row - 2, start_column=column, end_row=self.row - 2, end_column=column + 1
            )
        for column in (1, 2, 3, columns - 2, columns - 1, columns):
            self.sheet.merge_cells(start_row=self.row - 2, start_column=column, end_row=self.row - 1, end_column=column)

        def row(number: Any, label: str, stat: Stat, total: bool = False) -> None:
            cells: list[Any] = [number, label, stat.n]
            for level in LEVELS:
                cells += [stat.counts.get(level, 0), stat.percent(level)]
            self.put([*cells, stat.mean, stat.sd, stat.level or "-"], total=total)

        for item in report.items:
            row(item.number, item.text, item.stat)
        for section in report.sections:
            row("", t("sv_section_total", "th", section=section.name), section.stat, total=True)
        if report.overall is not None:
            row("", t("sv_overall", "th"), report.overall, total=True)

    def choices(self, report: Report) -> None:
        self.widths(7, 60, 12, 12)
        self.heading(report, 4)
        for choice in report.choices:
            self.band(f"{choice.text} ({t('sv_answered_by', 'th', n=choice.respondents)})", 4)
            self.put(["", "ตัวเลือก", "จำนวน", "ร้อยละ"], head=True)
            for index, (option, count, pct) in enumerate(choice.options, start=1):
                self.put([index, option, count, pct])
            self.row += 1

    def texts(self, report: Report) -> None:
        named = not report.anonymous
        self.widths(7, 80, 30)
        self.heading(report, 3 if named else 2)
        for row in report.texts:
            self.band(t("sv_text_heading", "th", text=row.text, n=len(row.answers)), 3 if named else 2)
            self.put(["ลำดับ", "คำตอบ", *(["ผู้ตอบ"] if named else [])], head=True)
            for index, (answer, who) in enumerate(row.answers, start=1):
                self.put([index, answer, *([who or "-"] if named else [])])
            self.row += 1

    def groups(self, report: Report) -> None:
        sections = [s.name for s in report.sections]
        columns = 5 + len(sections)
        self.widths(40, 8, 10, 10, 14, *([12] * len(sections)))
        self.heading(report, columns)
        self.put([t(f"sv_by_{report.group_by}", "th"), "n", "x̄", "S.D.", "ระดับ", *sections], head=True)
        for group in report.groups:
            overall = group.overall
            means = {s.name: s.stat.mean for s in group.sections}
            self.put(
                [
                    group.group_name or "-",
                    group.respondents,
                    overall.mean if overall else None,
                    overall.sd if overall else None,
                    (overall.level if overall else None) or "-",
                    *(means.get(name) for name in sections),
                ]
            )


# --- the chart -------------------------------------------------------------------------------------

_ITEM_COLOUR = "#4E79A7"
_SECTION_COLOUR = "#F28E2B"
_OVERALL_COLOUR = "#E15759"
_LABEL_CHARS = 42
_TITLE_CHARS = 70


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    texts: tuple[str, ...]  # every string drawn, so a test can check each glyph is in the font


def shorten(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if _width(text) <= limit else _fit(text, limit).rstrip()


def _bars(report: Report) -> tuple[list[tuple[str, float, str, str]], str, float]:
    """(label, value, value text, colour) per bar, the axis label, and the axis end."""
    bars: list[tuple[str, float, str, str]] = []
    if report.groups:
        for group in report.groups:
            stat = group.overall
            mean = stat.mean if stat else None
            text = f"{_num(mean)} ({stat.level})" if stat and mean is not None else "-"
            label = f"{shorten(group.group_name or '-', _LABEL_CHARS - 10)} (n = {group.respondents})"
            bars.append((label, float(mean or 0), text, _ITEM_COLOUR))
        return bars, t("sv_chart_mean_axis", "th"), 5.0
    if report.items:
        rows: list[tuple[str, Stat, str]] = [
            (f"{t('sv_chart_item', 'th', number=item.number)} {item.text}", item.stat, _ITEM_COLOUR)
            for item in report.items
        ]
        rows += [(t("sv_section_total", "th", section=s.name), s.stat, _SECTION_COLOUR) for s in report.sections]
        if report.overall is not None:
            rows.append((t("sv_overall", "th"), report.overall, _OVERALL_COLOUR))
        for label, stat, colour in rows:
            text = f"{_num(stat.mean)} ({stat.level})" if stat.mean is not None else "-"
            bars.append((shorten(label), float(stat.mean or 0), text, colour))
        return bars, t("sv_chart_mean_axis", "th"), 5.0
    for choice in report.choices:
        for option, count, pct in choice.options:
            label = shorten(f"{t('sv_chart_item', 'th', number=choice.number)} {option}")
            bars.append((label, float(pct), f"{pct:.2f}% ({count})", _ITEM_COLOUR))
    return bars, t("sv_chart_percent_axis", "th"), 100.0


def render_chart(report: Report) -> Chart:
    """A horizontal bar chart of the means (or of the choices' percentages when there is no likert item)."""
    # Imported here: bot.richmenu brings the LINE SDK, which `handlers` must not load just by being imported.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from core.fonts import register_thai_font

    family = register_thai_font()
    bars, axis_label, axis_end = _bars(report)
    drawn: list[str] = []
    title = "\n".join(textwrap.wrap(report.title, _TITLE_CHARS)) or report.title
    subtitle = rate_line(report)
    if report.groups:
        subtitle += f" · {t('sv_chart_by', 'th', by=t(f'sv_by_{report.group_by}', 'th'))}"
    with rc_context({"font.family": [family, "DejaVu Sans"], "font.size": 13}):
        height = 2.4 + 0.42 * max(len(bars), 1) + 0.3 * title.count("\n")
        figure = Figure(figsize=(11, height), dpi=110)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(bars)))
        axes.barh(positions, [b[1] for b in bars], color=[b[3] for b in bars], height=0.62)
        axes.set_yticks(positions, [b[0] for b in bars])
        axes.invert_yaxis()
        axes.set_xlim(0, axis_end * 1.18)
        ticks = [0, 1, 2, 3, 4, 5] if axis_end == 5.0 else [0, 20, 40, 60, 80, 100]
        axes.set_xticks(ticks, [str(x) for x in ticks])
        drawn += [b[0] for b in bars] + [str(x) for x in ticks]
        for position, (_, value, text, _) in zip(positions, bars, strict=True):
            axes.text(value + axis_end * 0.01, position, text, va="center", fontsize=11)
            drawn.append(text)
        if report.items and not report.groups:
            for low, _, _ in report.bands.ranges()[:-1]:
                axes.axvline(float(low), color="#BBBBBB", linewidth=0.8, linestyle="--", zorder=0)
            footer = f"{t('sv_report_bands', 'th', scheme=report.bands.name)}: {report.bands.describe()}"
            figure.text(0.01, 0.01, footer, fontsize=9, color="#555555")
            drawn.append(footer)
        axes.set_xlabel(axis_label)
        axes.set_title(f"{title}\n{subtitle}", fontsize=14, loc="left")
        axes.spines[["top", "right"]].set_visible(False)
        drawn += [axis_label, title, subtitle]
        figure.tight_layout(rect=(0, 0.03, 1, 1))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return Chart(buffer.getvalue(), tuple(drawn))


# --- the summary staff get in chat -------------------------------------------------------------------


def level_label(label: str | None, lang: str) -> str:
    """The level in the reader's language (custom band labels stay as written)."""
    if label is None:
        return "-"
    for value, thai in LEVEL_LABELS.items():
        if label == thai:
            return t(f"sv_level_{value}", lang)
    return label


def chat_summary(report: Report, lang: str) -> str:
    lines = [t("sv_chat_results", lang, title=report.title, campaign=report.campaign_id)]
    if report.invited:
        lines.append(t("sv_chat_rate", lang, n=report.respondents, invited=report.invited, rate=_num(report.rate)))
    else:
        lines.append(t("sv_chat_respondents", lang, n=report.respondents))
    if report.overall is not None and report.overall.mean is not None:
        overall = report.overall
        lines.append(
            t(
                "sv_chat_overall",
                lang,
                mean=_num(overall.mean),
                sd=_num(overall.sd),
                level=level_label(overall.level, lang),
            )
        )
        for section in report.sections:
            stat = section.stat
            lines.append(f"• {section.name}: {_num(stat.mean)} ({level_label(stat.level, lang)})")
        ranked = sorted((i for i in report.items if i.stat.mean is not None), key=lambda i: i.stat.mean or 0)
        if len(ranked) >= 2:
            best, worst = ranked[-1], ranked[0]
            lines.append(
                t("sv_chat_best", lang, number=best.number, text=shorten(best.text, 60), mean=_num(best.stat.mean))
            )
            lines.append(
                t("sv_chat_worst", lang, number=worst.number, text=shorten(worst.text, 60), mean=_num(worst.stat.mean))
            )
    for choice in report.choices:
        top = max(choice.options, key=lambda o: o[1], default=None)
        if top is not None and top[1]:
            lines.append(
                t("sv_chat_choice", lang, text=shorten(choice.text, 50), option=top[0], percent=f"{top[2]:.2f}")
            )
    typed = sum(len(r.answers) for r in report.texts)
    if report.texts:
        lines.append(t("sv_chat_texts", lang, n=typed))
    lines.append(t("sv_chat_files", lang, campaign=report.campaign_id))
    return "\n".join(lines)
