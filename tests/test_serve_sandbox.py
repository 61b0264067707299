"""`serve` has the sandbox (no login) only when asked for, and then listens on loopback unless told otherwise."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.procs import ServeProcess, phuankru_env, run_cli

pytestmark = pytest.mark.slow


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def reachable(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host, port)) == 0


def event(events: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [e for e in events if e["event"] == name]
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def served(
    tmp_path: Path, *, host: str | None, **env: str
) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, bool]]:
    """Run serve with no channel configured: its log events, the status of two paths, and which of two of this
    machine's addresses answer (a listener on 0.0.0.0 answers on both, one on 127.0.0.1 only there)."""
    environment = phuankru_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/serve.db", **env)
    upgrade = run_cli("db", "upgrade", cwd=tmp_path, env=environment)
    assert upgrade.returncode == 0, upgrade.stderr
    server = ServeProcess(tmp_path, environment, host=host)
    try:
        server.wait_ready()
        statuses = {path: status_of(f"{server.url}{path}") for path in ("/healthz", "/sandbox")}
        answering = {address: reachable(address, server.port) for address in ("127.0.0.1", "127.0.0.2")}
        assert server.terminate() == 0
        events = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    finally:
        server.close()
    return events, statuses, answering


def test_serve_without_channels_has_no_sandbox(tmp_path: Path) -> None:
    events, statuses, answering = served(tmp_path, host=None)
    assert statuses == {"/healthz": 200, "/sandbox": 404}
    assert "sandbox.on" not in [e["event"] for e in events]
    listening = event(events, "serve.listening")
    assert listening["url"].startswith("http://0.0.0.0:"), "serve without the sandbox still listens for webhooks"
    assert answering == {"127.0.0.1": True, "127.0.0.2": True}


def test_the_sandbox_asked_for_listens_on_loopback_and_warns(tmp_path: Path) -> None:
    events, statuses, answering = served(tmp_path, host=None, PHUANKRU_SANDBOX="1")
    assert statuses == {"/healthz": 200, "/sandbox": 200}
    warning = event(events, "sandbox.on")
    assert (warning["level"], warning["loopback_only"]) == ("warning", True)
    listening = event(events, "serve.listening")
    assert listening["url"].startswith("http://127.0.0.1:")
    assert answering == {"127.0.0.1": True, "127.0.0.2": False}


def test_an_explicit_host_is_obeyed_with_the_sandbox(tmp_path: Path) -> None:
    # Another loopback address stands for "the operator's own choice", so the test opens nothing to the network.
    events, statuses, answering = served(tmp_path, host="127.0.0.2", PHUANKRU_SANDBOX="1")
    assert statuses == {"/healthz": 200, "/sandbox": 200}
    assert event(events, "sandbox.on")["level"] == "warning"
    assert answering == {"127.0.0.1": False, "127.0.0.2": True}
