"""What the benchmarks share: the machine description, statistics, the report file, and the fakes process.

Every benchmark rewrites only its own section of docs/PERFORMANCE.md (between `<!-- NAME:start -->` and
`<!-- NAME:end -->`), so each can run alone. Servers and load generators run as separate processes: on a
2-core machine a load generator sharing an event loop with the server it measures would measure itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.pg import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REPORT = DOCS / "PERFORMANCE.md"
PERF_DIR = DOCS / "perf"

REPORT_HEADER = """# PhuanKru performance

This file is written by `make bench` (`.venv/bin/python -m benchmarks`); do not edit it by hand. Each benchmark
rewrites only its own section, so `.venv/bin/python -m benchmarks bench_ingest` (or `bench_delivery`) refreshes one.
Figures are medians over several runs on the machine named in each section; compare the ratios against the
baselines measured in the same run rather than absolute numbers between machines or runs.
"""


# --- the machine ---------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    memory = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return (
        f"Measured {now} on {os.cpu_count()} cores ({cpu_model()}){memory}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; code: {source_version()}."
    )


def source_version() -> str:
    """The commit measured (PHUANKRU_BENCH_COMMIT when running from an exported copy), and whether it was edited."""
    explicit = os.environ.get("PHUANKRU_BENCH_COMMIT")
    if explicit:
        return explicit
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


# --- statistics ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation, as numpy's default does."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def fmt(value: float, digits: int = 0) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _builtin_name(name: str) -> str:
    method = re.match(r"<method '(\w+)' of '([\w.]+)' objects>", name)
    if method:
        label = f"{method.group(2)}.{method.group(1)}"
    else:
        builtin = re.match(r"<built-in method ([\w.]+)>", name)
        label = builtin.group(1) if builtin else name
    if label == "select.epoll.poll":
        return "idle: waiting in epoll"
    return f"C: {label}"


def package_profile(path: Path, top: int = 10) -> list[tuple[str, float]]:
    """Share of the profiled time (cProfile's own time per function) by package."""
    shares: Counter[str] = Counter()
    stats: Any = pstats.Stats(str(path))
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        site = re.search(r"site-packages/([^/]+)", filename)
        if site:
            key = site.group(1).removesuffix(".py")
        elif filename.startswith(str(ROOT)):
            key = "PhuanKru " + Path(filename).relative_to(ROOT).parts[0] + "/"
        elif filename.startswith("<frozen importlib"):
            key = "import machinery (imports at run time)"
        elif filename == "~":
            key = _builtin_name(name)
        else:
            std = re.search(r"python3\.\d+/([^/]+)", filename)
            key = "stdlib " + (std.group(1).removesuffix(".py") if std else "(other)")
        shares[key] += own
    total = sum(shares.values()) or 1.0
    return [(k, 100 * v / total) for k, v in shares.most_common(top)]


# --- the report ----------------------------------------------------------------------------------


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between this benchmark's markers in docs/PERFORMANCE.md."""
    DOCS.mkdir(parents=True, exist_ok=True)
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else REPORT_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    found = pattern.search(text)
    text = pattern.sub(lambda _m: block, text) if found else text.rstrip() + "\n\n" + block + "\n"
    REPORT.write_text(text, encoding="utf-8")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plot_path(name: str) -> Path:
    PERF_DIR.mkdir(parents=True, exist_ok=True)
    return PERF_DIR / f"{name}.png"


# --- processes -----------------------------------------------------------------------------------


def python_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: the repo importable, no stray PhuanKru settings."""
    from tests.procs import phuankru_env

    env = phuankru_env(**extra)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a running process has used so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ForeignLoad:
    """Measures how much CPU processes other than this benchmark (and its children) used while it ran.

    This machine may be shared (tests, browsers): the report says so, since it depresses absolute figures.
    """

    def __init__(self, interval_s: float = 1.0) -> None:
        import threading

        self.interval_s = interval_s
        self.foreign_cpu_s = 0.0
        self.started = time.monotonic()
        self.elapsed_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.markers: list[str] = []  # command-line fragments of daemons we started (a PostgreSQL cluster's folder)
        self._cmdlines: dict[int, str] = {}

    def also_ours(self, marker: str) -> None:
        self.markers.append(marker)

    def _cmdline(self, pid: int) -> str:
        if pid not in self._cmdlines:
            try:
                self._cmdlines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                self._cmdlines[pid] = ""
        return self._cmdlines[pid]

    @staticmethod
    def _sample() -> dict[int, tuple[int, float]]:
        """pid -> (parent pid, CPU seconds so far) for every process."""
        tick = os.sysconf("SC_CLK_TCK")
        out: dict[int, tuple[int, float]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            out[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
        return out

    def _ours(self, sample: dict[int, tuple[int, float]]) -> set[int]:
        ours = {os.getpid()}
        if self.markers:
            ours |= {pid for pid in sample if any(m in self._cmdline(pid) for m in self.markers)}
        changed = True
        while changed:
            changed = False
            for pid, (parent, _) in sample.items():
                if parent in ours and pid not in ours:
                    ours.add(pid)
                    changed = True
        return ours

    def _run(self) -> None:
        before = self._sample()
        while not self._stop.wait(self.interval_s):
            now = self._sample()
            ours = self._ours(now) | self._ours(before)
            for pid, (_, cpu) in now.items():
                if pid in before and pid not in ours:
                    self.foreign_cpu_s += max(0.0, cpu - before[pid][1])
            before = now

    def start(self) -> ForeignLoad:
        self.started = time.monotonic()
        if Path("/proc/self/stat").exists():
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.elapsed_s = time.monotonic() - self.started

    @property
    def cores_used(self) -> float:
        """Average number of cores other processes kept busy."""
        return self.foreign_cpu_s / self.elapsed_s if self.elapsed_s else 0.0

    def sentence(self) -> str:
        cores = self.cores_used
        text = f"Other processes on the machine used {cores:.2f} of its {os.cpu_count()} cores on average meanwhile"
        if cores >= 0.25:
            return text + " (**a shared, busy machine: absolute figures are depressed; the ratios hold better**)."
        return text + " (a quiet machine)."


def stop_process(proc: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class FakesProcess:
    """The fake LINE and Telegram APIs in a process of their own, steered over a loopback control port."""

    def __init__(self, log_dir: Path) -> None:
        self.control_port = free_port()
        self._log = (log_dir / "fakes.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fakes_server", "--port", str(self.control_port)],
            cwd=ROOT,
            env=python_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_http(f"{self.control_url}/health", proc=self.proc)

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    def _call(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.control_url}{path}", data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def configure(
        self,
        *,
        latency_s: float = 0.0,
        line_rate_limit_per_s: float | None = None,
        telegram_rate_limit_per_s: float | None = None,
    ) -> dict[str, str]:
        """Fresh fakes (nothing recorded); returns their base URLs and tokens."""
        return dict(
            self._call(
                "/configure",
                {
                    "line": {"latency_s": latency_s, "rate_limit_per_s": line_rate_limit_per_s},
                    "telegram": {"latency_s": latency_s, "rate_limit_per_s": telegram_rate_limit_per_s},
                },
            )
        )

    def stats(self) -> dict[str, Any]:
        return dict(self._call("/stats"))

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.proc.pid)

    def close(self) -> None:
        stop_process(self.proc, timeout=5)
        self._log.close()


async def serve_until_signalled(app: Any, port: int) -> None:
    """Serve an aiohttp application on 127.0.0.1:`port` until SIGTERM or SIGINT (a benchmark's helper process);
    the application's cleanup hooks run on the way out."""
    import asyncio
    import signal

    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
