"""``python -m modelfleet.common.db.wait``: the init container that holds pods until the schema
is at the packaged Alembic head, against the real PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from modelfleet.common.db.migrate import upgrade
from modelfleet.common.db.wait import wait_for_schema

from ..conftest import DEFAULT_PG

pytestmark = pytest.mark.integration

WAIT = [sys.executable, "-m", "modelfleet.common.db.wait"]


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty PostgreSQL database of its own: never migrated."""
    admin_url = make_url(os.environ.get("MODELFLEET_TEST_DATABASE_URL", DEFAULT_PG))
    name = f"modelfleet_wait_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unavailable on CI: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (taken from the OS, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_wait(
    url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MODELFLEET_DATABASE_URL": url,
        "MODELFLEET_LOG_JSON": "false",
        **(env or {}),
    }
    return subprocess.run(
        [*WAIT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def attempts(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": not ready: " in line]


def test_unmigrated_database_keeps_waiting_then_times_out_naming_it(fresh_database: str) -> None:
    result = run_wait(
        fresh_database, "--interval", "0.3", env={"MODELFLEET_SCHEMA_WAIT_TIMEOUT": "1.5"}
    )
    assert result.returncode == 1, result.stderr
    lines = attempts(result.stderr)
    assert len(lines) >= 3, result.stderr
    assert all("database not migrated" in line for line in lines), result.stderr
    assert "gave up after 1.5s: database not migrated" in result.stderr.splitlines()[-1]


def test_migrated_database_is_ready_at_once(fresh_database: str) -> None:
    upgrade(fresh_database)
    started = time.monotonic()
    result = run_wait(fresh_database, "--timeout", "30")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 15
    assert "attempt 1: schema ready at head 0002" in result.stderr
    assert not attempts(result.stderr)


def test_older_revision_waits_for_the_head(fresh_database: str) -> None:
    upgrade(fresh_database, "0001")
    reason = wait_for_schema(fresh_database, timeout=0, interval=0)
    assert reason is not None
    assert reason.startswith("schema at revision 0001, not yet at head 0002")


def test_a_revision_newer_than_the_package_counts_as_ready(fresh_database: str) -> None:
    upgrade(fresh_database)
    engine = create_engine(fresh_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_a_newer_image'"))
    engine.dispose()
    assert wait_for_schema(fresh_database, timeout=0, interval=0) is None


def test_it_starts_the_pod_once_the_migrations_job_has_run(fresh_database: str) -> None:
    env = {**os.environ, "MODELFLEET_DATABASE_URL": fresh_database, "MODELFLEET_LOG_JSON": "false"}
    proc = subprocess.Popen(
        [*WAIT, "--timeout", "60", "--interval", "0.2"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # bounded by --timeout: the process ends and the pipe closes
            seen.append(line)
            if ": not ready: database not migrated" in line:
                break
        assert attempts("".join(seen)), "".join(seen)
        upgrade(fresh_database)
        assert proc.wait(timeout=30) == 0
        assert "schema ready at head 0002" in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()


def test_unreachable_database_times_out_naming_the_connection_problem() -> None:
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{closed_port()}/postgres"
    result = run_wait(url, "--timeout", "1", "--interval", "0.2")
    assert result.returncode == 1, result.stderr
    lines = attempts(result.stderr)
    assert len(lines) >= 2, result.stderr
    assert all("database not reachable" in line for line in lines), result.stderr
    last = result.stderr.splitlines()[-1]
    assert "gave up after 1s: database not reachable" in last
    assert "Connection refused" in last
