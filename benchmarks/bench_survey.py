"""Survey results over 10,000, 100,000 and 1,000,000 answers on SQLite and PostgreSQL (target: the whole report
over 1,000,000 answers under 2 s on both), and 1,000 respondents answering at once through the webhook (target: no
answer lost).

Results baselines, measured in the same run on the same database: the plainest scan, `SELECT count(*)` of the
campaign's answers, and reading every answer of the campaign into Python (what the report would cost without
aggregation in SQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from benchmarks.common import (
    ForeignLoad,
    fmt,
    machine_line,
    markdown_table,
    median,
    plot_path,
    verdict,
    write_section,
)
from handlers.surveys import report as survey_report
from handlers.surveys.definitions import TEMPLATES_DIR, load_definition
from storage import survey_results, surveys
from storage.audiences import Person
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Contact, InboundEvent, School
from storage.survey_models import (
    QuestionType,
    ResponseState,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveySheet,
)
from tests.pg import PostgresCluster, find_pg_bindir

QUICK = os.environ.get("PHUANKRU_BENCH_QUICK") == "1"  # a fast smoke run while working on the benchmark
SIZES = (10_000, 50_000) if QUICK else (10_000, 100_000, 1_000_000)
RUNS = 3 if QUICK else 7
TARGET_ANSWERS = 1_000_000
TARGET_MS = 2000.0
SCHOOLS = 100
INVITED_SHARE = 0.25  # invited people who never started, on top of the respondents (survey_responses rows)
RESPONDENTS = 1_000
LOAD_RUNS = 1 if QUICK else 3
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
SERVE_SQLITE_WORKERS = 1
LOAD_HEADERS = ["processor workers", "all acknowledged (s)", "all handled (s)", "answers/s", "lost", "failed"]

SQLITE, POSTGRES = "SQLite", "PostgreSQL"
COUNT = "baseline: SELECT count(*) of the answers"
READ_ALL = "baseline: every answer read into Python"
AGGREGATE = "SQL aggregation (storage.survey_results.aggregate)"
REPORT = "whole report (build_report)"
BY_SCHOOL = f"whole report, also per school ({SCHOOLS} schools)"
QUERIES = (COUNT, READ_ALL, AGGREGATE, REPORT, BY_SCHOOL)
TRACED_RUNS = 3
ANSWER_TABLES = ("survey_answers", "survey_sheets", "survey_responses")  # the statements whose plans are shown


# --- results over N answers ---------------------------------------------------------------------------


@dataclass
class Measured:
    """One database at one size."""

    answers: int
    sheets: int
    fill_s: float
    ms: dict[str, float]
    statements: list[tuple[str, float]] = field(default_factory=list)  # the report's SQL, median ms each
    python_ms: float = float("nan")  # the report's time outside its SQL statements
    plans: dict[str, str] = field(default_factory=dict)  # statement label -> the database's plan


async def query_plan(db: Database, statement: str, parameters: Any) -> str:
    """The plan of one statement as it ran: SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN (costs off)."""
    async with db.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        if db.backend == "postgresql":
            rows = await driver.fetch("EXPLAIN (COSTS OFF) " + statement, *parameters)
            return "\n".join(str(row[0]) for row in rows)
        cursor = await driver.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(str(row[3]) for row in await cursor.fetchall())


def generate(
    questions: Sequence[SurveyQuestion], wanted: int, rng: random.Random, school_ids: list[int]
) -> tuple[list[tuple[Any, ...]], list[tuple[int, int, int, str | None]]]:
    """Sheets (random ids, as the product makes them) and their answers, until there are `wanted` answers."""
    sheets: list[tuple[Any, ...]] = []
    answers: list[tuple[int, int, int, str | None]] = []
    while len(answers) < wanted:
        sheet_id = rng.getrandbits(62)  # random, as the product makes them (secrets.randbits(62))
        position = rng.choice(["teacher", "teacher", "director", "personnel"])
        sheets.append((sheet_id, True, school_ids[len(sheets) % len(school_ids)], position))
        for question in questions:
            if question.type == QuestionType.LIKERT5.value:
                answers.append((sheet_id, question.id, min(5, max(1, round(rng.gauss(4.0, 0.9)))), None))
            elif question.multiple:
                for value in rng.sample(range(1, len(question.options or []) + 1), 2):
                    answers.append((sheet_id, question.id, value, None))
            elif question.type == QuestionType.CHOICE.value:
                answers.append((sheet_id, question.id, rng.randint(1, len(question.options or [])), None))
            elif rng.random() < 0.05:
                answers.append((sheet_id, question.id, surveys.TEXT_ANSWER, f"ข้อเสนอแนะที่ {len(sheets)}"))
    # The last sheet may lose its last answers: exactly `wanted` answers.
    return sheets, answers[:wanted]


async def bulk(conn: AsyncConnection, table: Any, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert many rows fast: COPY on PostgreSQL (asyncpg), executemany in chunks of 50,000 on SQLite."""
    if conn.dialect.name == "postgresql":
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
        return
    statement = insert(table)
    for start in range(0, len(rows), 50_000):
        await conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in rows[start : start + 50_000]])


async def fill(db: Database, wanted: int) -> tuple[int, int]:
    """The shipped training evaluation (10 likert items, 2 choice questions, one of them with several options, and
    2 typed answers; named, so it splits by school) answered until there are `wanted` answers. Every sheet has its
    respondent (contact, completed response), and a quarter as many people more were invited and never started."""
    rng = random.Random(42)
    spec = load_definition(TEMPLATES_DIR / "training-evaluation.yaml")
    async with db.sessions() as session, session.begin():
        definition = (await surveys.import_definition(session, spec, now=NOW)).definition
        plan = surveys.CampaignPlan(definition=definition, audience=["all"], people=[], groups=[])
        campaign = await surveys.create_campaign(session, plan, now=NOW)
        schools = [School(name=f"โรงเรียนบ้านทดสอบ {i}", code=f"S{i:03d}", created_at=NOW) for i in range(SCHOOLS)]
        session.add_all(schools)
        await session.flush()
        campaign_id, school_ids, questions = campaign.id, [s.id for s in schools], list(definition.questions)
    sheets, answers = generate(questions, wanted, rng, school_ids)
    people = len(sheets) + int(len(sheets) * INVITED_SHARE)
    contacts = [
        (
            i + 1,
            "line" if i % 3 else "telegram",
            f"U{i:010d}",
            f"ครูทดสอบ {i}",
            sheets[i][2] if i < len(sheets) else school_ids[i % len(school_ids)],
            sheets[i][3] if i < len(sheets) else "teacher",
            NOW,
            NOW,
        )
        for i in range(people)
    ]
    done = NOW + timedelta(hours=1)
    responses = [
        (campaign_id, i + 1, "invite", "completed", len(questions), False, sheets[i][0], NOW, NOW, done, 0, done)
        if i < len(sheets)
        else (campaign_id, i + 1, "invite", "invited", 0, False, None, NOW, None, None, 0, NOW)
        for i in range(people)
    ]
    async with db.engine.connect() as conn:
        contact_columns = ["id", "channel", "platform_user_id", "display_name", "school_id", "position"]
        await bulk(conn, Contact.__table__, [*contact_columns, "created_at", "updated_at"], contacts)
        await bulk(
            conn,
            SurveySheet.__table__,
            ["id", "campaign_id", "completed", "school_id", "position"],
            [(s[0], campaign_id, *s[1:]) for s in sheets],
        )
        await bulk(
            conn,
            SurveyResponse.__table__,
            [
                "campaign_id", "contact_id", "via", "state", "current", "editing", "sheet_id",
                "invited_at", "started_at", "completed_at", "reminders", "updated_at",
            ],
            responses,
        )  # fmt: skip
        await bulk(conn, SurveyAnswer.__table__, ["sheet_id", "question_id", "value", "text"], answers)
        await conn.commit()
    # Statistics, as a running database would have them (PostgreSQL's autovacuum also sets the visibility map that
    # index-only scans rely on; SQLite's WAL is checkpointed into the file).
    async with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            await conn.commit()
    return campaign_id, len(sheets)


async def timed_ms(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


def statement_label(sql: str) -> str:
    """A short name for one of the report's SQL statements."""
    s = " ".join(sql.split()).lower()
    head = s.split(" from ", 1)[0]
    if "count(distinct" in head:
        return "respondents of the several-options question (count of distinct sheets)"
    if "survey_answers.text" in head:
        return "typed answers (with the respondent's name)"
    if "survey_answers.question_id, survey_answers.value" in head:
        return "counts per question and level/option"
    if "sum(" in head and "from survey_answers" in s:
        return "n, Σx, Σx² per question"
    if "from survey_responses" in s:
        return "participation (count of survey_responses)"
    if "from survey_sheets" in s:
        return "submitted sheets"
    if "from schools" in s:
        return "school names"
    return "campaign, its definition and questions"


@contextlib.asynccontextmanager
async def traced(db: Database) -> AsyncIterator[list[tuple[str, float, str, Any]]]:
    """The statements run meanwhile: label, wall time (execute and fetch: both drivers buffer the rows), SQL and
    parameters."""
    seen: list[tuple[str, float, str, Any]] = []

    def before(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        spent = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        seen.append((statement_label(statement), spent, statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    event.listen(db.engine.sync_engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)
        event.remove(db.engine.sync_engine, "after_cursor_execute", after)


async def measure_size(url: str, wanted: int, progress: Callable[[str], None]) -> Measured:
    db = Database(url)
    try:
        await upgrade(db)
        started = time.perf_counter()
        campaign, sheets = await fill(db, wanted)
        fill_s = time.perf_counter() - started
        progress(f"    {wanted:,} answers ({sheets:,} sheets) stored in {fill_s:.1f} s")

        async def count_scan() -> None:
            async with db.sessions() as session:
                counted = await session.execute(
                    select(func.count())
                    .select_from(SurveyAnswer)
                    .join(SurveySheet, SurveySheet.id == SurveyAnswer.sheet_id)
                    .where(SurveySheet.campaign_id == campaign)
                )
                assert counted.scalar_one() == wanted

        async def load_all() -> None:
            async with db.sessions() as session:
                rows = await session.execute(
                    select(SurveyAnswer.question_id, SurveyAnswer.value)
                    .join(SurveySheet, SurveySheet.id == SurveyAnswer.sheet_id)
                    .where(SurveySheet.campaign_id == campaign)
                )
                assert len(rows.all()) == wanted

        several: list[int] = []

        async def aggregate() -> None:
            async with db.sessions() as session:
                await survey_results.aggregate(session, campaign, several=several)

        async def report() -> None:
            async with db.sessions() as session:
                built = await survey_report.build_report(session, campaign)
                assert built.overall is not None
                assert built.respondents == sheets

        async def report_by_school() -> None:
            async with db.sessions() as session:
                built = await survey_report.build_report(session, campaign, by="school")
                assert len(built.groups) == SCHOOLS

        async with db.sessions() as session:
            several += (
                await session.scalars(select(SurveyQuestion.id).where(SurveyQuestion.multiple.is_(True)))
            ).all()  # as build_report passes them
        cases: dict[str, Callable[[], Awaitable[None]]] = {
            COUNT: count_scan,
            READ_ALL: load_all,
            AGGREGATE: aggregate,
            REPORT: report,
            BY_SCHOOL: report_by_school,
        }
        ms: dict[str, float] = {}
        for name, work in cases.items():
            await work()  # warm the caches, as a running service would be
            ms[name] = median([await timed_ms(work) for _ in range(RUNS)])
        measured = Measured(wanted, sheets, fill_s, ms)
        progress("    " + ", ".join(f"{name.split(' (')[0]} {fmt(v, 1)} ms" for name, v in ms.items()))
        if wanted == SIZES[-1]:  # where the report's time goes, at the largest size
            per_label: dict[str, list[float]] = defaultdict(list)
            outside: list[float] = []
            for _ in range(TRACED_RUNS):
                async with traced(db) as seen:
                    total = await timed_ms(report)
                totals: dict[str, float] = defaultdict(float)
                for label, spent, statement, parameters in seen:
                    totals[label] += spent
                    if label not in measured.plans and any(t in statement for t in ANSWER_TABLES):
                        measured.plans[label] = await query_plan(db, statement, parameters)
                for label, spent in totals.items():
                    per_label[label].append(spent)
                outside.append(total - sum(totals.values()))
            measured.statements = [(label, median(v)) for label, v in per_label.items()]
            measured.python_ms = median(outside)
        return measured
    finally:
        await db.dispose()


@dataclass
class Backend:
    name: str
    results: list[Measured] = field(default_factory=list)
    skipped: str | None = None

    def at(self, answers: int) -> Measured | None:
        return next((m for m in self.results if m.answers == answers), None)


async def measure_sqlite(folder: Path, progress: Callable[[str], None]) -> Backend:
    backend = Backend(SQLITE)
    for size in SIZES:
        progress(f"  {SQLITE}, {size:,} answers")
        backend.results.append(
            await measure_size(f"sqlite+aiosqlite:///{folder / f'survey-{size}.db'}", size, progress)
        )
    return backend


async def measure_postgres(cluster: PostgresCluster, progress: Callable[[str], None]) -> Backend:
    backend = Backend(POSTGRES)
    for size in SIZES:
        progress(f"  {POSTGRES}, {size:,} answers")
        url = cluster.url(cluster.create_database(f"survey_{size}"))
        backend.results.append(await measure_size(url, size, progress))
    return backend


# --- 1,000 respondents at once ----------------------------------------------------------------------------


async def thousand_at_once(workers: int) -> dict[str, float]:
    """1,000 Telegram respondents at the first question all tap an answer at once, through the webhook."""
    from tests.events import tg_callback
    from tests.harness import running
    from tests.test_survey_flow import FIXTURES

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'load.db'}")
        try:
            await upgrade(db)
            async with running(db) as h:
                spec = load_definition(FIXTURES / "hand-computed.yaml")
                async with h.db.sessions() as session, session.begin():
                    definition = (await surveys.import_definition(session, spec, now=NOW)).definition
                    now = h.clock.now()
                    await session.execute(
                        insert(Contact),
                        [
                            {"channel": "telegram", "platform_user_id": str(700_000 + i), "created_at": now,
                             "updated_at": now}
                            for i in range(RESPONDENTS)
                        ],
                    )  # fmt: skip
                    people = [
                        Person(c.id, c.channel, c.platform_user_id)
                        for c in (await session.execute(select(Contact))).scalars()
                    ]
                    plan = surveys.CampaignPlan(definition=definition, audience=["all"], people=people, groups=[])
                    campaign = await surveys.create_campaign(session, plan, now=now)
                    for response, contact in (
                        await session.execute(select(SurveyResponse, Contact).join(Contact))
                    ).all():
                        await surveys.start(session, response, anonymous=False, contact=contact, now=now)
                h.services.processor.concurrency = workers
                stop = asyncio.Event()
                runner = asyncio.create_task(h.services.processor.run(stop))
                started = time.perf_counter()
                posted = await asyncio.gather(
                    *(
                        h.post_telegram(tg_callback(700_000 + i, f"sv:a:{campaign.id}:0:{1 + i % 5}"))
                        for i in range(RESPONDENTS)
                    )
                )
                acknowledged = time.perf_counter() - started
                await h.services.processor.queue.join()
                handled = time.perf_counter() - started
                stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
                async with h.db.sessions() as session:
                    stored = (await session.execute(select(func.count()).select_from(SurveyAnswer))).scalar_one()
                    moved = (
                        await session.execute(
                            select(func.count()).where(
                                SurveyResponse.state == ResponseState.ANSWERING.value, SurveyResponse.current == 1
                            )
                        )
                    ).scalar_one()
                    failed = (
                        await session.execute(select(func.count()).where(InboundEvent.error.is_not(None)))
                    ).scalar_one()
                assert {r.status for r in posted} == {200}
                return {
                    "acknowledged_s": acknowledged,
                    "handled_s": handled,
                    "lost": RESPONDENTS - min(stored, moved),
                    "failed": failed,
                }
        finally:
            await db.dispose()


# --- the section -----------------------------------------------------------------------------------------


def results_table(backend: Backend) -> str:
    headers = ["query"]
    for m in backend.results:
        headers += [f"{m.answers:,} answers: ms", "× count(*)"]
    rows = []
    for query in QUERIES:
        row = [query]
        for m in backend.results:
            row += [fmt(m.ms[query], 1), fmt(m.ms[query] / m.ms[COUNT], 1) + "×"]
        rows.append(row)
    return markdown_table(headers, rows)


def breakdown_table(backends: list[Backend]) -> str:
    measured = [(b.name, b.results[-1]) for b in backends if b.results and b.results[-1].statements]
    labels: list[str] = []
    for _, m in measured:
        labels += [label for label, _ in m.statements if label not in labels]
    rows = []
    for label in labels:
        rows.append([label] + [fmt(dict(m.statements).get(label, float("nan")), 1) for _, m in measured])
    rows.append(["Python: composing the report, ORM, driver"] + [fmt(m.python_ms, 1) for _, m in measured])
    rows.append(["**whole report** (the same runs, traced)"] + [fmt(sum(v for _, v in m.statements) + m.python_ms, 1)
                                                                for _, m in measured])  # fmt: skip
    return markdown_table(["statement of build_report", *(f"{name}: ms" for name, _ in measured)], rows)


def plot(backends: list[Backend]) -> None:
    measured = [b for b in backends if b.results]
    fig, axes = plt.subplots(1, max(1, len(measured)), figsize=(6 * max(1, len(measured)), 4.2), squeeze=False)
    styles = {COUNT: "x:", READ_ALL: "^--", AGGREGATE: "s-", REPORT: "o-", BY_SCHOOL: "d-"}
    for ax, backend in zip(axes[0], measured, strict=False):
        xs = [m.answers for m in backend.results]
        for query in QUERIES:
            ax.plot(xs, [m.ms[query] for m in backend.results], styles[query], label=query.split(" (")[0])
        ax.axhline(TARGET_MS, color="red", linestyle="--", linewidth=1, label="target: whole report 2 s")
        ax.set(xscale="log", yscale="log", xlabel="answers in the campaign", ylabel=f"ms, median of {RUNS}")
        ax.set_xticks(xs, [f"{x:,}" for x in xs])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"Survey results on {backend.name}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(plot_path("survey"), dpi=100)
    plt.close(fig)


def target_line(backends: list[Backend]) -> str:
    largest = SIZES[-1]
    figures = []
    ok = True
    for backend in backends:
        m = backend.at(largest)
        if m is None:
            ok = False
            figures.append(f"{backend.name} not measured ({backend.skipped or 'failed'})")
        else:
            ok = ok and m.ms[REPORT] < TARGET_MS
            figures.append(f"{backend.name} {fmt(m.ms[REPORT], 1)} ms")
    quick = "" if largest == TARGET_ANSWERS else f" (quick run: measured at {largest:,} answers, not the target size)"
    return (
        f"Target: {TARGET_ANSWERS:,} answers: whole report under {TARGET_MS:,.0f} ms on SQLite and on PostgreSQL"
        f"{quick} — {', '.join(figures)}: {verdict(ok and largest == TARGET_ANSWERS)}."
    )


def observations(backends: list[Backend]) -> list[str]:
    """What the report's time goes to, from the traced statements and their plans at the largest size."""
    notes = []
    for backend in backends:
        if not backend.results or not backend.results[-1].statements:
            continue
        m = backend.results[-1]
        spent = dict(m.statements)
        total = sum(spent.values()) + m.python_ms
        ranked = sorted(m.statements, key=lambda s: -s[1])
        top = "; ".join(f"{label} {fmt(v, 1)} ms ({100 * v / total:.0f} %)" for label, v in ranked[:3])
        text = f"**{backend.name}, {m.answers:,} answers**: {fmt(total, 1)} ms in all, of which {top}."
        reading = [label for label, plan in m.plans.items() if "survey_answers" in plan and label in spent]
        answer_reads = [label for label in reading if "typed" not in label]
        if len(answer_reads) > 1:
            text += (
                f" {len(answer_reads)} statements read the campaign's answers — "
                + "; ".join(f"{label}: {fmt(spent[label], 1)} ms" for label in answer_reads)
                + f" — against {fmt(m.ms[COUNT], 1)} ms for the plainest count of the same rows."
            )
        counts_plan = m.plans.get("counts per question and level/option", "")
        if "TEMP B-TREE FOR GROUP BY" in counts_plan:
            text += (
                " SQLite has no hash aggregation: it finds the answers through the primary key (by sheet id) and "
                "sorts all of them for GROUP BY (`USE TEMP B-TREE FOR GROUP BY`), which is what costs beyond the "
                "count (n, Σx and Σx² are computed from those counts per level, not read a second time)."
            )
        if "Seq Scan on survey_answers" in counts_plan:
            scans = sum("Seq Scan on survey_answers" in plan for plan in m.plans.values())
            text += (
                f" PostgreSQL reads the whole answers table {scans} times (parallel sequential scans, a hash join on "
                "the campaign's submitted sheets, hash aggregation): the cost grows with the answers, but with few "
                "groups the aggregation itself is cheap."
            )
        typed_plan = m.plans.get("typed answers (with the respondent's name)", "")
        if "AUTOMATIC" in typed_plan:
            text += (
                " The typed answers join `survey_responses` on `sheet_id`, which has no index: SQLite builds one "
                "(`AUTOMATIC COVERING INDEX`) for every report."
            )
        text += f" Python around the SQL (ORM, driver, composing the report): {fmt(m.python_ms, 1)} ms."
        notes.append(text)
    return notes


def plans_block(backends: list[Backend]) -> str:
    parts = []
    for backend in backends:
        if backend.results and backend.results[-1].plans:
            for label, plan in backend.results[-1].plans.items():
                parts.append(f"{backend.name} — {label}:\n\n```\n{plan}\n```")
    if not parts:
        return ""
    return (
        f"<details><summary>The plans of the report's statements at {SIZES[-1]:,} answers</summary>\n\n"
        + "\n\n".join(parts)
        + "\n\n</details>"
    )


def results_section(backends: list[Backend], monitor: ForeignLoad) -> str:
    sizes = ", ".join(f"{s:,}" for s in SIZES)
    tables = []
    for backend in backends:
        where = "fresh file, WAL" if backend.name == SQLITE else "throwaway cluster, a fresh database per size"
        if backend.results:
            fills = ", ".join(f"{m.answers:,}: {m.fill_s:.0f} s" for m in backend.results)
            tables.append(
                f"### {backend.name} ({where})\n\n{results_table(backend)}\n\n"
                f"Sheets: {', '.join(f'{m.sheets:,}' for m in backend.results)}; filling took {fills}."
            )
        else:
            tables.append(f"### {backend.name}\n\nNot measured: {backend.skipped}.")
    notes = "\n".join(f"- {n}" for n in observations(backends))
    return f"""{machine_line()} {monitor.sentence()}

Method (results): the shipped training evaluation (10 likert items, 2 choice questions, one with several options
(2 chosen), 2 typed answers (5 % of respondents type one)) answered by enough respondents for {sizes} answers, each
size in a fresh database: a SQLite file (WAL) and a database of a throwaway PostgreSQL 15 cluster (default settings,
fsync off). Every sheet has its person (contact, completed response, random sheet id as the product makes them) and a
quarter as many people more were invited and never started; {SCHOOLS} schools. Rows are loaded with executemany
(SQLite) or COPY (PostgreSQL), then ANALYZE (PostgreSQL: VACUUM ANALYZE, as autovacuum would). Each query {RUNS} times
after a warm-up, median wall time in the service's own process (a session per run, as a request would have).
"× count(*)" is against the plainest scan of the same answers in the same database.

{(chr(10) * 2).join(tables)}

{target_line(backends)}

Where the whole report's time goes at {SIZES[-1]:,} answers (each statement's execute and fetch, median of
{TRACED_RUNS} traced runs; the rest is Python):

{breakdown_table(backends)}

{notes}

{plans_block(backends)}

![survey results](perf/survey.png)"""


def main() -> None:
    started = time.monotonic()

    def progress(line: str) -> None:
        print(line, flush=True)

    backends: list[Backend] = []
    monitor = ForeignLoad().start()
    cluster: PostgresCluster | None = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            backends.append(asyncio.run(measure_sqlite(Path(folder), progress)))
        bindir = find_pg_bindir()
        if bindir is None:
            backends.append(Backend(POSTGRES, skipped="its server binaries (initdb, pg_ctl) are not installed here"))
        else:
            cluster = PostgresCluster(bindir)
            monitor.also_ours(str(cluster.root))
            cluster.start()
            backends.append(asyncio.run(measure_postgres(cluster, progress)))
    finally:
        if cluster is not None:
            cluster.stop()
    plot(backends)
    results_elapsed = time.monotonic() - started

    progress(f"  {RESPONDENTS:,} respondents at once")
    load = {workers: [asyncio.run(thousand_at_once(workers)) for _ in range(LOAD_RUNS)] for workers in (1, 4)}
    monitor.stop()
    load_rows = [
        [
            f"{workers}",
            fmt(median([r["acknowledged_s"] for r in results]), 2),
            fmt(median([r["handled_s"] for r in results]), 1),
            fmt(RESPONDENTS / median([r["handled_s"] for r in results]), 0),
            fmt(sum(r["lost"] for r in results)),
            fmt(sum(r["failed"] for r in results)),
        ]
        for workers, results in load.items()
    ]
    for row in load_rows:
        print(" | ".join(row))

    serve_like = load[SERVE_SQLITE_WORKERS]  # serve runs one event worker on SQLite (bot/services.py)
    lost_serve_like = sum(r["lost"] for r in serve_like)
    lost_with_4 = sum(r["lost"] for r in load[4])
    elapsed = time.monotonic() - started
    body = f"""## Survey results and respondents at once (issue: surveys)

{results_section(backends, monitor)}

Method (respondents at once): {RESPONDENTS:,} Telegram respondents, each at the first question, post their answer
through `POST /webhooks/telegram` at the same moment (aiohttp test server in process, fake Telegram API, SQLite); the
event processor runs N workers; "handled" is until every event is handled (replies queued), median of {LOAD_RUNS}
runs. "Lost" counts respondents whose answer is not stored, "failed" events the processor gave up on (the person was
asked to try again), both summed over the {LOAD_RUNS} runs.

{markdown_table(LOAD_HEADERS, load_rows)}

Target: no answer lost — with {SERVE_SQLITE_WORKERS} worker (as `serve` runs on SQLite), {lost_serve_like} lost in
{LOAD_RUNS} runs: {verdict(lost_serve_like == 0)}. With 4 workers on SQLite, {lost_with_4} lost: the workers contend
for SQLite's single writer through its busy handler; a worker that loses the race repeatedly can wait past the 5 s
busy timeout, and that event fails (the person is asked to send it again). That is why serve runs one event worker on
SQLite and four on PostgreSQL, which locks rows, not the database.

The whole benchmark took {elapsed / 60:.1f} minutes (the results part {results_elapsed / 60:.1f}).
"""
    write_section("survey", body)
    for backend in backends:
        for m in backend.results:
            print(
                f"{backend.name} {m.answers:,}: " + ", ".join(f"{q.split(' (')[0]} {fmt(m.ms[q], 1)}" for q in QUERIES)
            )
    print(target_line(backends))
    print("report: docs/PERFORMANCE.md (section survey), plot: docs/perf/survey.png")


if __name__ == "__main__":
    main()
