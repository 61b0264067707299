"""Audience resolution over 10k and 100k contacts on SQLite (target: 10k under 200 ms).

Baseline in the same run: the plainest query over the same table (`SELECT id FROM contacts WHERE reachable`),
so the ratio shows what the union, the registration filters and the one-person-once ranking cost.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sqlalchemy import insert, select, text

from benchmarks.common import fmt, machine_line, markdown_table, median, plot_path, verdict, write_section
from storage import audiences
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Contact, ContactTag, School

SIZES = (10_000, 100_000)
RUNS = 7
TARGET_MS_10K = 200.0
POSITION_MIX = ["teacher", "teacher", "teacher", "director", "personnel"]
SPECS = {
    "all": ["all"],
    "role:teacher": ["role:teacher"],
    "school + tag + role (union)": ["school:S0007", "tag:science", "role:director"],
}


async def fill(db: Database, n: int) -> None:
    rng = random.Random(42)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    async with db.sessions() as session, session.begin():
        await session.execute(
            insert(School),
            [{"code": f"S{i:04d}", "name": f"โรงเรียนบ้านทดสอบ {i}", "created_at": now} for i in range(300)],
        )
        rows = []
        for i in range(n):
            registered = rng.random() < 0.7
            rows.append(
                {
                    "channel": "line" if i % 3 else "telegram",
                    "platform_user_id": f"U{i:08d}",
                    "display_name": f"ครู {i}",
                    "position": rng.choice(["teacher", "teacher", "teacher", "director", "personnel"])
                    if registered
                    else None,
                    "school_id": rng.randrange(1, 301) if registered else None,
                    "registered_at": now if registered else None,
                    "reachable": rng.random() > 0.05,
                    # One in ten is the same person on both platforms.
                    "person_id": (i - 1) if i % 10 == 1 else None,
                    "last_seen_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for start in range(0, n, 5000):
            await session.execute(insert(Contact), rows[start : start + 5000])
        tagged = [{"contact_id": i, "tag": "science"} for i in range(1, n + 1, 7)]
        for start in range(0, len(tagged), 5000):
            await session.execute(insert(ContactTag), tagged[start : start + 5000])
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


async def timed_ms(work: object) -> float:
    started = time.perf_counter()
    await work  # type: ignore[misc]
    return (time.perf_counter() - started) * 1000


async def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'audience.db'}")
        try:
            await upgrade(db)
            await fill(db, n)
            results: dict[str, float] = {}

            async def baseline() -> None:
                async with db.sessions() as session:
                    (await session.execute(select(Contact.id).where(Contact.reachable.is_(True)))).all()

            results["baseline: SELECT reachable ids"] = median([await timed_ms(baseline()) for _ in range(RUNS)])
            for name, specs in SPECS.items():
                parsed = audiences.parse_all(specs)

                async def run(parsed: list[audiences.AudienceSpec] = parsed) -> None:
                    async with db.sessions() as session:
                        await audiences.resolve(session, parsed)

                await run()  # warm the cache, as a running service would be
                results[name] = median([await timed_ms(run()) for _ in range(RUNS)])
            return results
        finally:
            await db.dispose()


def main() -> None:
    figures = {n: asyncio.run(measure(n)) for n in SIZES}
    names = list(figures[SIZES[0]])
    rows = []
    for name in names:
        row = [name]
        for n in SIZES:
            ms = figures[n][name]
            base = figures[n]["baseline: SELECT reachable ids"]
            row += [fmt(ms, 1), fmt(ms / base, 1) + "×"]
        rows.append(row)
        print(" | ".join(row))
    worst_10k = max(v for k, v in figures[SIZES[0]].items() if not k.startswith("baseline"))
    headers = ["audience"] + [h for n in SIZES for h in (f"{n:,} contacts: ms (median of {RUNS})", "× baseline")]

    fig, axes = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(SIZES)
    for i, n in enumerate(SIZES):
        axes.bar([x + i * width for x in range(len(names))], [figures[n][k] for k in names], width, label=f"{n:,}")
    axes.set_xticks([x + width / 2 for x in range(len(names))], [k.split(":")[0] for k in names], fontsize=8)
    axes.set_ylabel("ms")
    axes.set_yscale("log")
    axes.axhline(TARGET_MS_10K, color="red", linestyle="--", linewidth=1, label="10k target")
    axes.legend()
    axes.set_title("Audience resolution on SQLite")
    fig.tight_layout()
    fig.savefig(plot_path("audience"), dpi=100)
    plt.close(fig)

    body = f"""## Audience resolution (issue: people)

{machine_line()}

Method: a fresh SQLite database (WAL) holding N contacts (70 % registered, 5 % unreachable, one in ten linked
to a second account of the same person, one in seven tagged), 300 schools; each audience resolved with
`storage.audiences.resolve` (one query: union of the specs, then one row per person) {RUNS} times after a warm-up;
median wall time in the service's own process. Baseline: the plainest query over the same table.

{markdown_table(headers, rows)}

Target: 10,000 contacts resolve in under {TARGET_MS_10K:.0f} ms on SQLite — worst audience {fmt(worst_10k, 1)} ms:
{verdict(worst_10k < TARGET_MS_10K)}.

![audience resolution](perf/audience.png)
"""
    write_section("audience", body)


if __name__ == "__main__":
    main()
