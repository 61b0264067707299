"""A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, a free loopback port, stopped after.

Each pytest process (each pytest-xdist worker too) starts its own cluster: its own folder from `mkdtemp` and its
own port from the OS, so parallel workers (and other suites running on the machine) never share one.

PostgreSQL refuses to run as root, so as root the server programs run as the `postgres` user that Debian's
package creates (see docs/MACHINE_NOTES.md of the project).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def find_pg_bindir() -> Path | None:
    """Where initdb and pg_ctl are: $PHUANKRU_PG_BIN, Debian's /usr/lib/postgresql/N/bin, or the PATH."""
    explicit = os.environ.get("PHUANKRU_PG_BIN")
    if explicit:
        return Path(explicit) if (Path(explicit) / "initdb").exists() else None
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="phuankru-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.logfile = self.root / "server.log"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self.socket_dir.mkdir(parents=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        # `free_port` only asked the OS for a port that was free a moment ago: another process (a parallel test
        # worker, say) may take it before the server binds it. Then the start fails, and a new port is tried.
        for attempt in range(3):
            try:
                self.resume()
                return
            except subprocess.CalledProcessError:
                if attempt == 2 or "could not bind" not in self._log_text():
                    raise
                self.port = free_port()

    def _log_text(self) -> str:
        try:
            return self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def resume(self) -> None:
        """Start (or start again after `halt`) the server on the same port and data."""
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            # fsync=off is safe for a throwaway cluster: the OS keeps what a killed server wrote. Commits are
            # still written at commit (synchronous_commit stays on), so an immediate stop loses nothing.
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.logfile), "-w", "-t", "60", "start")

    def halt(self) -> None:
        """Stop the server at once, as a crash or an operator would; `resume` brings it back."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.halt()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql+asyncpg://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qc", f'CREATE DATABASE "{name}"')
        return name
