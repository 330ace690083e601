"""Stopping ``parcours demo`` stops its worker too (issue 14, bug 13).

uvicorn captures SIGTERM/SIGINT, shuts down, then raises the signal again; before the fix the
default action then killed the demo process before its ``finally`` could stop the worker, which
kept running. Each test starts the real command on the PostgreSQL test database (already
migrated; the ``territory`` personas include ``admin``, so the demo loader skips), finds its
worker child, signals the demo and checks that no child survives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from parcours.core.tests.servers import REPO_ROOT, ServerPool, free_port, postgres_only, wait_until

pytestmark = [pytest.mark.postgres, postgres_only]

START_TIMEOUT = 60.0  # migrate (no-op) + checks + uvicorn on a loaded CI machine
STOP_TIMEOUT = 15.0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(c) for c in path.read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def demo(transactional_db, territory, tmp_path):
    """The ``parcours demo`` process (own session, so the test may signal its whole group as
    a terminal would) once it answers, with its worker's pid; killed whatever happens."""
    pool = ServerPool(tmp_path)
    port = free_port()
    log = open(tmp_path / "demo.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "parcours.cli", "demo", "--port", str(port)],
        cwd=REPO_ROOT,
        env=pool.environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    workers: list[int] = []
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: _up(url) or process.poll() is not None,
            timeout=START_TIMEOUT,
            message="the demo did not answer",
        )
        assert process.poll() is None, (tmp_path / "demo.log").read_text()[-3000:]
        wait_until(
            lambda: bool(_children(process.pid)),
            timeout=STOP_TIMEOUT,
            message="the demo started no worker",
        )
        workers = _children(process.pid)
        assert all(_alive(w) for w in workers)
        yield process, workers
    finally:
        for pid in [process.pid, *workers]:
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        process.wait(timeout=STOP_TIMEOUT)
        log.close()


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c", "sighup"])
def test_stopping_the_demo_stops_its_worker(demo, how):
    process, workers = demo
    if how == "sigterm":  # a service manager, `kill <pid>`: the demo process only
        os.kill(process.pid, signal.SIGTERM)
    elif how == "sighup":  # the terminal closed
        os.kill(process.pid, signal.SIGHUP)
    else:  # Ctrl-C in a terminal: the whole foreground process group
        os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=STOP_TIMEOUT)
    wait_until(
        lambda: not any(_alive(w) for w in workers),
        timeout=STOP_TIMEOUT,
        message="the worker survived the demo",
    )


def test_a_killed_demo_takes_its_worker_along(demo):
    """Even SIGKILL, which no handler sees: the worker asked the kernel (PR_SET_PDEATHSIG)."""
    process, workers = demo
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)
    wait_until(
        lambda: not any(_alive(w) for w in workers),
        timeout=STOP_TIMEOUT,
        message="the worker survived the demo",
    )
