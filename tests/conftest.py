"""Shared fixtures: every storage and flow test runs on SQLite and on a throwaway PostgreSQL cluster."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from storage.db import Database
from storage.migrate import upgrade
from tests.harness import webhook_crashes
from tests.pg import PostgresCluster, find_pg_bindir

REQUIRE_PG = os.environ.get("PHUANKRU_REQUIRE_PG") == "1"
BACKENDS = ["sqlite", "postgresql"]


# --- no network: a test that tries to leave this machine fails -----------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return
        try:
            if ipaddress.ip_address(host.split("%")[0]).is_loopback:
                return
        except ValueError:
            pass
        raise RuntimeError(f"test tried to reach {host}: tests must only talk to local fakes")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# --- parallel runs (pytest-xdist, `make test`) ------------------------------------------------------------------

# The longest tests (each 20 s to minutes; the scale-out proof alone takes two), queued first when the suite runs on
# several workers, so that none of them starts last and keeps one worker busy while the others are idle. Only the
# order changes; a run in one process (a developer's `pytest tests/test_x.py`) keeps the order of the files.
LONGEST_FIRST = (
    "tests/test_scaleout.py::test_three_replicas_on_one_postgresql_do_everything_exactly_once",
    "tests/test_survey_load.py::",
    "tests/test_delivery.py::test_two_workers_on_one_database_never_send_a_row_twice",
    "tests/test_fuzz_conversations.py::",
    "tests/test_faults.py::",
    "tests/test_wait_beside_serve.py::",
    "tests/test_sandbox_browser.py::",
)


def _rank(item: pytest.Item) -> int:
    return next((k for k, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the same on every worker, as xdist requires
        items.sort(key=_rank)  # stable: the rest keep their order


# --- PostgreSQL ----------------------------------------------------------------------------------


def start_pg_cluster() -> PostgresCluster:
    """A new cluster, or a skip (a failure under PHUANKRU_REQUIRE_PG=1) when PostgreSQL is not installed."""
    bindir = find_pg_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries not found (install Debian's postgresql or set PHUANKRU_PG_BIN)"
        if REQUIRE_PG:
            pytest.fail(f"PHUANKRU_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)
    cluster = PostgresCluster(bindir)
    cluster.start()
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = start_pg_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/phuankru-test.db"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.url(cluster.create_database())


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The database URL, its schema at the latest migration (for tests that run the CLI in its own process)."""
    db = Database(database_url)
    await upgrade(db)
    await db.dispose()
    return database_url


@pytest.fixture
def no_webhook_crashes() -> Iterator[None]:
    """Fails the test if a webhook met an unexpected error meanwhile (a 400 alone does not tell a crash)."""
    before = webhook_crashes()
    yield
    assert webhook_crashes() == before, "a webhook met an unexpected error (logged as webhook.unexpected_error)"
