"""Outbox delivery: how fast the real DeliveryWorker empties a broadcast to 10,000 Telegram + 10,000 LINE people.

Each run is a fresh process (`python -m benchmarks.bench_delivery run '<json>'`), so its peak RSS is its own: it
creates a fresh SQLite database, queues the rows with `storage.outbox`, then runs `scheduler.delivery.
DeliveryWorker` with the real `TelegramChannel` and `LineChannel` senders until every row is sent. The fake APIs
run in another process (`benchmarks.fakes_server`) and answer after 20 ms; afterwards the benchmark asks them who
got what: every recipient must have received the message exactly once.

"No cap": the fakes enforce no limit, and the worker gets a `RateLimiter` whose shared buckets (`telegram`,
`line:push`, `line:multicast`) are pre-created with a very high rate, in this benchmark process only. The capped
run uses the product's default limits against a fake Telegram that allows 30 messages/s and answers 429 beyond.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ROOT,
    FakesProcess,
    ForeignLoad,
    fmt,
    machine_line,
    markdown_table,
    median,
    package_profile,
    plot_path,
    python_env,
    verdict,
    write_section,
)

QUICK = os.environ.get("PHUANKRU_BENCH_QUICK") == "1"
RECIPIENTS = 2000 if QUICK else 10_000  # per platform
BIG_RECIPIENTS = 5000 if QUICK else 25_000  # per platform: the 50,000-recipient broadcast
RSS_TARGET_MB = 300.0
CAPPED_RECIPIENTS = 150 if QUICK else 600
SWEEP_RECIPIENTS = 1000 if QUICK else 2000  # per platform, in the concurrency sweep
CONCURRENCIES = (8, 16, 32, 64)
BATCH_SIZE = 200  # the worker's default
REPEATS = 1 if QUICK else 3  # runs of the best concurrency, for the median
FAKE_LATENCY_S = 0.02
CAP_PER_S = 30.0
PROFILE_RECIPIENTS = 500 if QUICK else 1000
TARGET_S = 30.0
TEXT = "ประกาศ สพป.: ประชุมผู้บริหารสถานศึกษา วันจันทร์ที่ 12 เวลา 09.00 น. ณ ห้องประชุมใหญ่"
RUN_TIMEOUT_S = 300.0


def telegram_chat(k: int) -> str:
    return str(500_000_000 + k)


def line_user(k: int) -> str:
    return f"U{k:032x}"


# --- one run, in its own process -----------------------------------------------------------------


def _rss_mb() -> float:
    """This process's peak resident set size, in MiB.

    /proc's VmHWM belongs to this program alone; `getrusage` is the fallback, but on Linux its ru_maxrss also
    counts the parent's memory that the child had at fork, before exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def worker_default(name: str) -> int:
    """A default of `DeliveryWorker` as the product ships it (the capped run uses the defaults)."""
    import inspect

    from scheduler.delivery import DeliveryWorker

    return int(inspect.signature(DeliveryWorker).parameters[name].default)


def product_line_pool() -> int:
    """How many connections the product's LINE client may open (line-bot-sdk's default is 5 per CPU)."""
    from bot.channels.line import LineChannel
    from core.clock import SystemClock

    channel = LineChannel(
        channel_secret="bench", access_token="bench", api_base_url="http://127.0.0.1:9", clock=SystemClock()
    )
    return int(channel._configuration.connection_pool_maxsize)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads: aiosqlite's too
    return usage.ru_utime + usage.ru_stime


async def _run(config: dict[str, Any]) -> dict[str, Any]:
    from bot.channels.line import LineChannel
    from bot.channels.telegram import TelegramChannel
    from core.clock import SystemClock
    from core.model import Channel, OutMessage, Target
    from scheduler.delivery import ChannelSender, DeliveryWorker
    from scheduler.ratelimit import Rate, RateKey, RateLimiter
    from storage import outbox
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.outbox import Recipient

    clock = SystemClock()
    db = Database(f"sqlite+aiosqlite:///{config['db_path']}")
    await upgrade(db)
    message = [OutMessage(text=TEXT)]
    n_telegram, n_line = int(config["telegram"]), int(config["line"])
    enqueue_started = time.monotonic()
    async with db.sessions() as session, session.begin():
        now = clock.now()
        if n_telegram:
            people = [Recipient(telegram_chat(k)) for k in range(n_telegram)]
            await outbox.enqueue_many(session, Channel.TELEGRAM, people, message, now=now)
        if n_line and config["line_mode"] == "multicast":
            people = [Recipient(line_user(k)) for k in range(n_line)]
            await outbox.enqueue_many(session, Channel.LINE, people, message, now=now)
        elif n_line:
            for k in range(n_line):
                outbox.enqueue(session, Target(Channel.LINE, "user", line_user(k)), message, now=now)
    async with db.sessions() as session:
        rows = sum((await outbox.count_by_state(session)).values())
    enqueue_s = time.monotonic() - enqueue_started

    senders: dict[Channel, ChannelSender] = {}
    telegram = line = None
    if n_telegram:
        telegram = TelegramChannel(
            token=config["telegram_token"], api_base_url=config["telegram_url"], webhook_secret=None
        )
        await telegram.start()
        senders[Channel.TELEGRAM] = telegram
    if n_line:
        line = LineChannel(
            channel_secret="bench", access_token=config["line_token"], api_base_url=config["line_url"], clock=clock
        )
        await line.start()
        senders[Channel.LINE] = line
    limiter = RateLimiter(clock)
    if config["no_cap"]:
        unlimited = Rate(1e9, burst=1e9)
        for name in ("telegram", "line:push", "line:multicast", "line:reply"):
            limiter.bucket(RateKey(name, unlimited))
    worker = DeliveryWorker(
        db, senders, clock, limiter=limiter, concurrency=int(config["concurrency"]), batch_size=int(config["batch"])
    )
    rss_before = _rss_mb()
    stop = asyncio.Event()
    progress: list[tuple[float, int, int]] = []  # (seconds, Telegram rows done, LINE rows done)
    profiler = None
    if config.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu_started = _cpu_s()
    started = time.monotonic()
    task = asyncio.create_task(worker.run(stop))
    final = ("sent", "failed", "blocked")

    def finished(channel: str) -> int:
        return sum(n for (c, outcome), n in worker.stats.by_outcome.items() if c == channel and outcome in final)

    while not task.done() and time.monotonic() - started < RUN_TIMEOUT_S:
        tg, ln = finished("telegram"), finished("line")
        progress.append((time.monotonic() - started, tg, ln))
        if tg + ln >= rows:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    wall = time.monotonic() - started
    cpu = _cpu_s() - cpu_started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(config["profile"])
    progress.append((wall, finished("telegram"), finished("line")))
    async with db.sessions() as session:
        states = await outbox.count_by_state(session)
    for sender in (telegram, line):
        if sender is not None:
            await sender.close()
    await db.dispose()
    return {
        "rows": rows,
        "enqueue_s": enqueue_s,
        "wall_s": wall,
        "cpu_s": cpu,
        "started_at": started,
        "outcomes": {f"{c}:{o}": n for (c, o), n in worker.stats.by_outcome.items()},
        "states": states,
        "rss_before_mb": rss_before,
        "rss_peak_mb": _rss_mb(),
        "progress": progress,
    }


def run_main(config_json: str) -> None:
    result = asyncio.run(_run(json.loads(config_json)))
    sys.stdout.write(json.dumps(result) + "\n")


# --- the benchmark -------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    config: dict[str, Any]
    result: dict[str, Any]
    fakes: dict[str, Any]
    fakes_cpu_s: float
    lost: int = 0
    doubled: int = 0
    strays: int = 0

    @property
    def recipients(self) -> int:
        return int(self.config["telegram"]) + int(self.config["line"])

    @property
    def wall(self) -> float:
        return float(self.result["wall_s"])

    @property
    def rate(self) -> float:
        return self.recipients / self.wall if self.wall else 0.0

    @property
    def cpu_ms_per_msg(self) -> float:
        return 1000 * float(self.result["cpu_s"]) / self.recipients

    def phase_rates(self) -> tuple[float, float]:
        """(Telegram, LINE) recipients/s over the time each platform's lane took (the lanes run side by side)."""
        n_tg, n_line = int(self.config["telegram"]), int(self.config["line"])
        progress = self.result["progress"]
        rows_line = int(self.result["rows"]) - n_tg
        tg_rate = line_rate = float("nan")
        if n_tg:
            tg_done = next((t for t, tg, _ in progress if tg >= n_tg), self.wall)
            tg_rate = n_tg / tg_done
        if n_line:
            line_done = next((t for t, _, ln in progress if ln >= rows_line), self.wall)
            line_rate = n_line / max(1e-3, line_done)
        return tg_rate, line_rate


def execute(fakes: FakesProcess, workdir: Path, label: str, **options: Any) -> Run:
    urls = fakes.configure(latency_s=FAKE_LATENCY_S, telegram_rate_limit_per_s=options.pop("telegram_cap", None))
    db_path = workdir / f"delivery-{time.monotonic_ns()}.db"
    config: dict[str, Any] = {
        "db_path": str(db_path),
        "telegram": RECIPIENTS,
        "line": RECIPIENTS,
        "line_mode": "push",
        "concurrency": worker_default("concurrency"),
        "batch": worker_default("batch_size"),
        "no_cap": True,
        "telegram_url": urls["telegram"],
        "telegram_token": urls["telegram_token"],
        "line_url": urls["line"],
        "line_token": urls["line_token"],
    } | options
    fakes_cpu = fakes.cpu_seconds()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_delivery", "run", json.dumps(config)],
        cwd=ROOT,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S + 120,
    )
    fakes_cpu = fakes.cpu_seconds() - fakes_cpu
    if done.returncode != 0:
        raise RuntimeError(f"delivery run {label} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    stats = fakes.stats()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    run = Run(label, config, result, stats, fakes_cpu)
    check_exactly_once(run)
    print(describe(run), flush=True)
    return run


def check_exactly_once(run: Run) -> None:
    """Every recipient got the message exactly once, by the fakes' own records."""
    expected_tg = {telegram_chat(k) for k in range(int(run.config["telegram"]))}
    expected_line = {line_user(k) for k in range(int(run.config["line"]))}
    sent_tg: dict[str, int] = run.fakes.get("telegram", {}).get("sent", {})
    sent_line: dict[str, int] = run.fakes.get("line", {}).get("delivered", {})
    run.lost = len(expected_tg - sent_tg.keys()) + len(expected_line - sent_line.keys())
    run.doubled = sum(1 for n in sent_tg.values() if n > 1) + sum(1 for n in sent_line.values() if n > 1)
    run.strays = len((sent_tg.keys() - expected_tg) | (sent_line.keys() - expected_line))


def describe(run: Run) -> str:
    r = run.result
    tg, line = run.phase_rates()
    return (
        f"  {run.label}: {run.recipients:,} recipients ({r['rows']:,} rows) in {run.wall:.1f} s = "
        f"{fmt(run.rate)} msg/s (Telegram {fmt(tg)}/s, LINE {fmt(line)}/s), "
        f"{run.cpu_ms_per_msg:.2f} CPU ms/msg, peak RSS {r['rss_peak_mb']:.0f} MB, "
        f"lost {run.lost}, doubled {run.doubled}"
    )


def plot(runs: list[Run], capped: Run | None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_runs, ax_cap) = plt.subplots(1, 2, figsize=(12, 4.8))
    for run in runs:
        per_row_line = int(run.config["line"]) / max(1, int(run.result["rows"]) - int(run.config["telegram"]))
        xs = [t for t, _, _ in run.result["progress"]]
        ys = [tg + ln * per_row_line for _, tg, ln in run.result["progress"]]
        ax_runs.plot(xs, ys, label=f"{run.label} ({run.wall:.1f} s)")
    ax_runs.axvline(TARGET_S, color="grey", linestyle="--", linewidth=0.8)
    ax_runs.set(
        xlabel="seconds since the worker started",
        ylabel="recipients done",
        title=f"{RECIPIENTS:,} Telegram then {RECIPIENTS:,} LINE, no cap, 20 ms fakes",
    )
    ax_runs.grid(True, alpha=0.3)
    ax_runs.legend(fontsize=7)
    if capped is not None:
        times = sorted(capped.fakes.get("telegram", {}).get("sent_times", []))
        start = float(capped.result["started_at"])
        buckets: dict[int, int] = {}
        for t in times:
            buckets[int(t - start)] = buckets.get(int(t - start), 0) + 1
        xs_cap = sorted(buckets)
        ax_cap.bar(xs_cap, [buckets[x] for x in xs_cap], width=0.9, label="messages accepted in that second")
        ax_cap.axhline(CAP_PER_S, color="red", linestyle="--", linewidth=0.8, label="the fake's limit (30/s)")
        ax_cap.set(
            xlabel="seconds since the worker started",
            ylabel="messages/s",
            title=f"Capped at 30/s: {capped.recipients} Telegram recipients",
        )
        ax_cap.legend(fontsize=7)
        ax_cap.grid(True, alpha=0.3)
    fig.tight_layout()
    path = plot_path("delivery")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


HEADERS = [
    "run",
    "concurrency",
    "recipients (rows)",
    "queue s",
    "deliver s",
    "msg/s",
    "Telegram /s",
    "LINE /s",
    "CPU ms/msg",
    "fakes CPU s",
    "peak RSS MB",
    "lost",
    "doubled",
]


def row(run: Run) -> list[str]:
    r = run.result
    tg, line = run.phase_rates()
    return [
        run.label,
        str(run.config["concurrency"]),
        f"{run.recipients:,} ({r['rows']:,})",
        f"{r['enqueue_s']:.1f}",
        f"{run.wall:.1f}",
        fmt(run.rate),
        fmt(tg),
        f"{int(r['rows']) - int(run.config['telegram'])} calls"
        if run.config["line_mode"] == "multicast"
        else fmt(line),
        f"{run.cpu_ms_per_msg:.2f}",
        f"{run.fakes_cpu_s:.1f}",
        f"{r['rss_peak_mb']:.0f}",
        str(run.lost),
        str(run.doubled),
    ]


@dataclass
class Results:
    sweep: list[Run]
    best: list[Run]  # one LINE push per person
    broadcast: list[Run]  # as a broadcast queues them: LINE multicast rows of 500
    big: Run  # a 50,000-recipient broadcast
    capped: Run
    profiled: Run
    profile: list[tuple[str, float]]
    elapsed_s: float = 0.0
    machine_load: str = ""


def report(res: Results) -> str:
    best_conc = int(res.best[0].config["concurrency"])
    best_wall = median([r.wall for r in res.best])
    best_rate = median([r.rate for r in res.best])
    bc_wall = median([r.wall for r in res.broadcast])
    bc_rate = median([r.rate for r in res.broadcast])
    big = res.big
    big_rss = float(big.result["rss_peak_mb"])
    ideal = RECIPIENTS * FAKE_LATENCY_S / best_conc
    capped = res.capped
    capped_pct = 100 * capped.rate / CAP_PER_S
    tg_fakes = capped.fakes.get("telegram", {})
    every = [*res.sweep, *res.best, *res.broadcast, big, capped, res.profiled]
    no_loss = all(r.lost == 0 and r.doubled == 0 and r.strays == 0 for r in every)
    targets = markdown_table(
        ["target", "measured", "verdict"],
        [
            [
                f"{RECIPIENTS:,} Telegram + {RECIPIENTS:,} LINE recipients of a broadcast in under 30 s "
                "(20 ms latency, no cap)",
                f"{bc_wall:.1f} s, median of {len(res.broadcast)} at concurrency {best_conc} ({fmt(bc_rate)} msg/s)",
                verdict(bc_wall < TARGET_S),
            ],
            [
                "for reference, not a target: the same people, one LINE push each (how replies and reminders go)",
                f"{best_wall:.1f} s, median of {len(res.best)} ({fmt(best_rate)} msg/s)",
                "—",
            ],
            [
                f"a broadcast to {2 * BIG_RECIPIENTS:,} recipients: peak RSS under {RSS_TARGET_MB:.0f} MB",
                f"{big_rss:.0f} MB; delivered in {big.wall:.1f} s ({fmt(big.rate)} msg/s)",
                verdict(big_rss < RSS_TARGET_MB and big.lost == 0 and big.doubled == 0),
            ],
            [
                "capped at 30 msg/s: at least 90% of that rate",
                f"{capped.rate:.1f} msg/s = {capped_pct:.0f}% of 30",
                verdict(capped_pct >= 90),
            ],
            [
                "capped: no message lost",
                f"lost {capped.lost}, sent twice {capped.doubled} ({tg_fakes.get('refused_429', 0)} answers were 429)",
                verdict(capped.lost == 0 and capped.doubled == 0),
            ],
        ],
    )
    method = f"""\
**Method.** Each run is a fresh process with a fresh SQLite database. It queues one message (a Thai text) to
Telegram chats with `outbox.enqueue_many` (one row per person) and to LINE users either as a broadcast queues them
(`enqueue_many`: multicast rows of 500 people, the "broadcast" runs) or with `outbox.enqueue` and
`Target(Channel.LINE, "user", id)` (one push row per person, the "push" runs), then runs
`DeliveryWorker(db, senders, SystemClock(), concurrency=…, batch_size={BATCH_SIZE})` with the real
`TelegramChannel` and `LineChannel` until every row has an outcome. The fake APIs run in another process and answer
each call after {FAKE_LATENCY_S * 1000:.0f} ms. "No cap": the fakes limit nothing, and the worker's `RateLimiter` has
its shared buckets (`telegram`, `line:push`, `line:multicast`) pre-created at a very high rate (per-chat buckets
are untouched; each person gets one message). "deliver s" runs from the worker's start until the last outcome is
recorded; msg/s = recipients / deliver s. The worker runs one lane per platform, side by side; "Telegram /s" and
"LINE /s" are each platform's recipients over the time its lane took. "CPU ms/msg" is the run process's user +
system CPU during delivery (all threads) per recipient; "fakes CPU s" shows the fakes had CPU to spare. Peak RSS is
the run process's own high-water mark (`VmHWM`, queueing included; `getrusage`'s `ru_maxrss` would also count
the parent's memory inherited at fork). "lost"/"doubled" come from the fakes' own records: each recipient
must appear exactly once. The sweep uses {SWEEP_RECIPIENTS:,} + {SWEEP_RECIPIENTS:,} recipients, once per
concurrency; the best concurrency then runs {REPEATS} times with {RECIPIENTS:,} + {RECIPIENTS:,} each way, and once as a
broadcast to {BIG_RECIPIENTS:,} + {BIG_RECIPIENTS:,}. For scale: at {FAKE_LATENCY_S * 1000:.0f} ms per call,
{best_conc} calls in flight per lane would need {ideal:.1f} s for {RECIPIENTS:,} calls. The whole benchmark took
{res.elapsed_s / 60:.1f} minutes."""
    capped_text = f"""\
A fake Telegram that admits {CAP_PER_S:.0f} messages in any 1-second window and answers 429 with `retry_after`
beyond; {capped.recipients} recipients; the product's own limits (`GLOBAL_RATE` 30/s with burst 1, 1/s per chat)
and the worker's defaults (concurrency {capped.config["concurrency"]}, batch {capped.config["batch"]}). Achieved
{capped.rate:.1f} msg/s ({capped_pct:.0f}% of 30) over {capped.wall:.1f} s, where {capped.recipients / CAP_PER_S:.0f} s
is the floor. The fake answered 429 {tg_fakes.get("refused_429", 0)} times and the worker retried
{capped.result["outcomes"].get("telegram:retried", 0)} times; lost {capped.lost}, sent twice {capped.doubled}; final
outbox states {capped.result["states"]}."""
    parts = [
        "## Outbox delivery",
        machine_line() + " " + res.machine_load,
        method,
        "### Targets",
        "The issues: a broadcast's fan-out against the local fakes with 20 ms latency and no cap, 10,000 recipients "
        "per platform in under 30 s and peak RSS under 300 MB at 50,000 recipients; with the fake enforcing 30 "
        "messages/s, at least 90% of that rate with no message lost.",
        targets,
        f"### Concurrency sweep (no cap, push, {SWEEP_RECIPIENTS:,} + {SWEEP_RECIPIENTS:,})",
        markdown_table(HEADERS, [row(r) for r in res.sweep]),
        f"### Best concurrency ({best_conc}): {RECIPIENTS:,} + {RECIPIENTS:,} as a broadcast and as pushes, "
        f"and a {2 * BIG_RECIPIENTS:,}-recipient broadcast",
        markdown_table(HEADERS, [row(r) for r in [*res.broadcast, *res.best, big]]),
        f"LINE's column for the broadcast runs counts multicast calls of up to 500 people "
        f"({RECIPIENTS // 500} for {RECIPIENTS:,}).",
        "### Rate-limited (Telegram, 30 msg/s)",
        capped_text,
    ]
    if res.profile:
        profiled = res.profiled
        parts += [
            "### Where the worker's time goes",
            f"cProfile over a run of {int(profiled.config['telegram']):,} Telegram + "
            f"{int(profiled.config['line']):,} LINE push recipients at concurrency "
            f"{profiled.config['concurrency']} (profiling slows it to {fmt(profiled.rate)} msg/s); each function's "
            "own time, summed by package:",
            markdown_table(["package", "share of profiled time"], [[k, f"{v:.1f}%"] for k, v in res.profile]),
        ]
    parts += ["### Findings", "\n".join(f"- {f}" for f in findings(res))]
    parts += [
        "Every run: "
        + ("each recipient got the message exactly once." if no_loss else "**some messages were lost or doubled**."),
        "![delivery progress and capped rate](perf/delivery.png)",
    ]
    return "\n\n".join(parts)


def findings(res: Results) -> list[str]:
    """What the numbers say about the bottlenecks, in words that follow the numbers of this run."""
    best_conc = int(res.best[0].config["concurrency"])
    tg = median([r.phase_rates()[0] for r in res.best])
    line = median([r.phase_rates()[1] for r in res.best])
    cpu_share = median([float(r.result["cpu_s"]) / r.wall for r in res.best])
    capped_pool = "the LINE client's connection cap, " if product_line_pool() < best_conc else ""
    waiting = (
        "close to a full core: the worker is CPU-bound in its one process"
        if cpu_share >= 0.8
        else f"well below a full core: the worker mostly waits ({capped_pool}the tail of each batch, and on a busy "
        "machine for a CPU)"
    )
    out = [
        f"At concurrency {best_conc} the run process used {100 * cpu_share:.0f}% of one core "
        f"({median([r.cpu_ms_per_msg for r in res.best]):.2f} CPU ms per message), {waiting}; the fakes used "
        f"{median([r.fakes_cpu_s for r in res.best]):.1f} CPU s per run, so they are not the limit."
    ]
    import importlib.util

    sniffio = (
        " On top of that, httpcore runs `import sniffio` inside every request; `sniffio` is not installed here, so "
        "each request pays a failed import that searches `sys.path` (the profile's import machinery and `posix.stat`)."
        if importlib.util.find_spec("sniffio") is None
        else ""
    )
    sweep = sorted(res.sweep, key=lambda r: int(r.config["concurrency"]))
    peak = max(sweep, key=lambda r: r.phase_rates()[0])
    sweep_tg = ", ".join(
        f"{r.config['concurrency']}: {fmt(r.phase_rates()[0])}/s at {r.cpu_ms_per_msg:.2f} CPU ms/msg" for r in sweep
    )
    more = (
        f"it peaks at concurrency {peak.config['concurrency']}, and more connections cost more CPU per message"
        if int(peak.config["concurrency"]) < int(sweep[-1].config["concurrency"])
        else "more concurrency still helps, at a rising CPU cost per message"
    )
    out.append(
        f"Telegram ({fmt(tg)}/s at concurrency {best_conc}; sweep {sweep_tg}): {more}. python-telegram-bot sends "
        "through httpx, and httpcore's pool walks every connection (checking each socket) for every request." + sniffio
    )
    pool = product_line_pool()
    cap = (
        f"the product's LINE client opens at most {pool} connections (line-bot-sdk's default, 5 per CPU), so at "
        f"{FAKE_LATENCY_S * 1000:.0f} ms a call it cannot pass {pool / FAKE_LATENCY_S:,.0f} calls/s whatever the "
        "worker's concurrency"
        if pool < best_conc
        else f"the product's LINE client allows {pool} connections, no fewer than the worker's concurrency"
    )
    out.append(
        f"LINE push ({fmt(line)}/s): {cap}; line-bot-sdk builds pydantic models for each call. A broadcast sends "
        f"LINE multicasts of 500 people per call, so its LINE half is {RECIPIENTS // 500} calls: "
        f"{median([r.wall for r in res.broadcast]):.1f} s in all, the Telegram lane being the longer one."
    )
    return out


def main() -> None:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="phuankru-bench-delivery-"))
    fakes = FakesProcess(workdir)
    monitor = ForeignLoad().start()
    try:
        sweep = [
            execute(
                fakes,
                workdir,
                f"sweep, concurrency {c}",
                concurrency=c,
                telegram=SWEEP_RECIPIENTS,
                line=SWEEP_RECIPIENTS,
            )
            for c in CONCURRENCIES
        ]
        best_conc = int(max(sweep, key=lambda r: r.rate).config["concurrency"])
        best = [execute(fakes, workdir, f"push, run {i + 1}", concurrency=best_conc) for i in range(REPEATS)]
        broadcast = [
            execute(fakes, workdir, f"broadcast, run {i + 1}", concurrency=best_conc, line_mode="multicast")
            for i in range(REPEATS)
        ]
        big = execute(
            fakes,
            workdir,
            f"broadcast to {2 * BIG_RECIPIENTS:,}",
            concurrency=best_conc,
            line_mode="multicast",
            telegram=BIG_RECIPIENTS,
            line=BIG_RECIPIENTS,
        )
        capped = execute(
            fakes,
            workdir,
            "capped 30/s",
            telegram=CAPPED_RECIPIENTS,
            line=0,
            no_cap=False,
            telegram_cap=CAP_PER_S,
        )
        print(
            f"  capped: {capped.rate:.1f} msg/s = {100 * capped.rate / CAP_PER_S:.0f}% of 30, "
            f"{capped.fakes.get('telegram', {}).get('refused_429', 0)} × 429",
            flush=True,
        )
        profile_path = workdir / "delivery.prof"
        profiled = execute(
            fakes,
            workdir,
            "profiled",
            telegram=PROFILE_RECIPIENTS,
            line=PROFILE_RECIPIENTS,
            concurrency=best_conc,
            profile=str(profile_path),
        )
        profile = package_profile(profile_path)
        print("  profile: " + ", ".join(f"{k} {v:.0f}%" for k, v in profile[:6]), flush=True)
    finally:
        monitor.stop()
        fakes.close()
    results = Results(
        sweep, best, broadcast, big, capped, profiled, profile, time.monotonic() - started, monitor.sentence()
    )
    plot([*broadcast, *best, big], capped)
    write_section("delivery", report(results))
    print("report: docs/PERFORMANCE.md (section delivery), plot: docs/perf/delivery.png")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        run_main(sys.argv[2])
    else:
        main()
