"""Queueing a broadcast to 50,000 contacts on SQLite (target: under 5 s, peak RSS under 300 MB).

Measured in a child process per run so that the peak RSS is the broadcast's own, not the benchmark's.
Baseline in the same run: a bare bulk INSERT of the same number of outbox-like rows, the floor of the job.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from benchmarks.common import fmt, machine_line, markdown_table, median, plot_path, verdict, write_section
from core.model import OutMessage
from storage import broadcasts
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Contact

RUNS = 3
CONTACTS = 50_000
TARGET_S = 5.0
TARGET_RSS_MB = 300.0
TEXT = "ขอเชิญครูทุกท่านร่วมกิจกรรม “พบเพื่อนครู” ออนไลน์ วันศุกร์ที่ 5 ธันวาคม 2569 เวลา 13:30 น. " * 3


async def _fill(db: Database, now: datetime) -> None:
    rows = [
        {
            "channel": "telegram" if i % 2 else "line",
            "platform_user_id": f"P{i:07d}",
            "created_at": now,
            "updated_at": now,
            "registered_at": now,
            "position": "teacher",
        }
        for i in range(CONTACTS)
    ]
    async with db.sessions() as session, session.begin():
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Contact), rows[start : start + 5000])


async def _one_run(path: str, mode: str) -> dict[str, float]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    try:
        await upgrade(db)
        await _fill(db, now)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        async with db.sessions() as session, session.begin():
            if mode == "broadcast":
                await broadcasts.create(
                    session, author="bench", author_contact_id=None, audience_texts=["all"],
                    content=OutMessage(text=TEXT), now=now,
                )  # fmt: skip
            else:
                rows = [
                    {"channel": "telegram", "target_kind": "user", "target": f"P{i}", "payload": {"messages": []},
                     "state": "pending", "attempts": 0, "next_attempt_at": now, "idempotency_key": f"k{i}",
                     "created_at": now}
                    for i in range(CONTACTS)
                ]  # fmt: skip
                for start in range(0, len(rows), 1000):
                    await session.execute(
                        text(
                            "INSERT INTO outbox (channel, target_kind, target, payload, state, attempts, "
                            "next_attempt_at, idempotency_key, created_at) VALUES (:channel, :target_kind, :target, "
                            "'{}', :state, :attempts, :next_attempt_at, :idempotency_key, :created_at)"
                        ),
                        [{**r, "next_attempt_at": now.replace(tzinfo=None), "created_at": now.replace(tzinfo=None)}
                         for r in rows[start : start + 1000]],
                    )  # fmt: skip
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"seconds": seconds, "peak_rss_mb": peak, "rss_growth_mb": peak - rss_before}
    finally:
        await db.dispose()


def child(mode: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(_one_run(str(Path(tmp) / "b.db"), mode))))


def _run_child(mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", f"from benchmarks.bench_broadcast import child; child({mode!r})"],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    results: dict[str, list[dict[str, float]]] = {"broadcast": [], "baseline": []}
    for _ in range(RUNS):
        for mode in results:
            results[mode].append(_run_child(mode))
    b_s = median([r["seconds"] for r in results["broadcast"]])
    base_s = median([r["seconds"] for r in results["baseline"]])
    b_rss = max(r["peak_rss_mb"] for r in results["broadcast"])
    base_rss = max(r["peak_rss_mb"] for r in results["baseline"])
    rows = [
        [
            "broadcast to `all`: audience, outbox, multicast, recipients",
            fmt(b_s, 2),
            fmt(b_s / base_s, 1) + "×",
            fmt(b_rss),
        ],
        ["baseline: bare INSERT of as many outbox rows", fmt(base_s, 2), "1.0×", fmt(base_rss)],
    ]
    for row in rows:
        print(" | ".join(row))
    plot(b_s, base_s, b_rss, base_rss)
    body = f"""## Broadcast queueing (issue: announcements)

{machine_line()}

Method: a fresh SQLite database with {CONTACTS:,} reachable contacts (half LINE, half Telegram); one broadcast to
`all` created and queued in one transaction (`storage.broadcasts.create`): audience query, 25,000 Telegram outbox
rows, 50 LINE multicast rows of 500, 50,000 recipient rows. Each run in its own process (peak RSS is the whole
process, Python and the libraries included); median of {RUNS} runs.

{markdown_table(["what", "seconds", "× baseline", "peak RSS MB"], rows)}

Targets: under {TARGET_S:.0f} s — {verdict(b_s < TARGET_S)};
peak RSS under {TARGET_RSS_MB:.0f} MB — {verdict(b_rss < TARGET_RSS_MB)}.

![broadcast queueing](perf/broadcast.png)
"""
    write_section("broadcast", body)


def plot(b_s: float, base_s: float, b_rss: float, base_rss: float) -> None:
    """Seconds and peak RSS beside their targets, the broadcast next to its baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["broadcast to all", "baseline: bare INSERT"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    left.barh(labels, [b_s, base_s], color=["#4E79A7", "#BAB0AC"])
    left.axvline(TARGET_S, color="red", linestyle="--", linewidth=1, label=f"target ({TARGET_S:.0f} s)")
    left.set_xlabel(f"seconds, median of {RUNS}")
    left.invert_yaxis()
    left.legend(loc="lower right", fontsize=8)
    right.barh(labels, [b_rss, base_rss], color=["#4E79A7", "#BAB0AC"])
    right.axvline(TARGET_RSS_MB, color="red", linestyle="--", linewidth=1, label=f"target ({TARGET_RSS_MB:.0f} MB)")
    right.set_xlabel("peak RSS, MB")
    right.invert_yaxis()
    right.set_yticks([])
    right.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Queueing one broadcast to {CONTACTS:,} contacts (SQLite)")
    fig.tight_layout()
    fig.savefig(plot_path("broadcast"), dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
