"""Helpers shared by the benchmark scripts: a throw-away PostgreSQL database, server processes,
logged-in HTTP clients and percentiles.

Everything talks to 127.0.0.1 only. Benchmarks are not tests: they are run by hand (see
docs/benchmarks.md) and never collected by pytest (the files are not named test_*).
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
PARCOURS = str(VENV_BIN / "parcours")
PG_SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
HOST = "127.0.0.1"
LOG_DIR = ROOT / "var" / "bench"
PASSWORD = "demo"


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def server_env(db: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmarked process: PostgreSQL, no debug query log."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(db),
            "DEBUG": "0",  # DEBUG=1 keeps every SQL statement in memory: not what production runs
            "LOG_LEVEL": "WARNING",
            "PARCOURS_VAR_DIR": str(ROOT / "var" / "bench" / db),
            # The benchmark settings (bench/settings_bench.py): the product plus the bare floors.
            "DJANGO_SETTINGS_MODULE": "settings_bench",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
        }
    )
    env.pop("REDIS_URL", None)
    env.pop("PUSH_BACKEND", None)
    env.update(extra)
    return env


def setup_django(db: str, **extra: str) -> None:
    """Configure Django in this process against the benchmark database (for seeding/reading)."""
    os.environ.update(server_env(db, **extra))
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
    import django

    django.setup()


def recreate_database(db: str, *, demo: bool = True) -> None:
    """Drop and create ``db``, migrate it and (by default) load the demo territory."""
    import psycopg

    if not re.fullmatch(r"parcours_bench\w*", db):
        raise SystemExit(f"refusing to drop {db!r}: benchmark databases are parcours_bench*")
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    env = server_env(db)
    run = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*run, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    if demo:
        subprocess.run(
            [*run, "load_demo"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One ``parcours serve`` process (its own process group, so its workers stop with it)."""

    def __init__(
        self,
        db: str,
        *,
        port: int | None = None,
        workers: int = 1,
        name: str = "server",
        **env: str,
    ):
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}-{self.port}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                PARCOURS,
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=server_env(db, **env),
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log_path}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@contextmanager
def servers(*specs: dict):
    started: list[Server] = []
    try:
        for spec in specs:
            started.append(Server(**spec))
        for s in started:
            s.wait_ready()
        yield started
    finally:
        for s in started:
            s.stop()


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_from(html: str) -> str:
    m = _CSRF_INPUT.search(html)
    if not m:
        raise RuntimeError("no CSRF token in page")
    return m.group(1)


async def login(client, username: str) -> None:
    """Log in through the real login page (Argon2: slow on purpose, so once per client)."""
    r = await client.get("/connexion/")
    token = csrf_from(r.text)
    r = await client.post(
        "/connexion/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": str(client.base_url) + "/connexion/"},
    )
    if r.status_code != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {r.status_code}")


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    try:
        import psycopg

        with psycopg.connect(database_url("postgres")) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - informative only
        pg = f"unknown ({exc})"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "postgresql": pg,
        "python": platform.python_version(),
    }


def print_machine() -> None:
    m = machine()
    print("machine: " + "; ".join(f"{k}={v}" for k, v in m.items()), flush=True)


def run(coro):
    return asyncio.run(coro)


# --- CPU accounting (approximate: the machine may run other work at the same time) ----------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stats():
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            comm_end = raw.rindex(")")
            fields = raw[comm_end + 2 :].split()
            yield int(entry.name), raw[raw.index("(") + 1 : comm_end], fields


def cpu_snapshot(pgids: list[int]) -> dict[str, float]:
    """CPU seconds so far: the whole machine (busy), the server process groups, PostgreSQL
    (live backends + what the postmaster reaped), and this process (the load generator)."""
    busy = (
        sum(
            int(x)
            for i, x in enumerate(Path("/proc/stat").read_text().splitlines()[0].split()[1:])
            if i not in (3, 4)
        )
        / _TICK
    )
    server = postgres = 0.0
    for _pid, comm, f in _proc_stats():
        utime, stime, cutime, cstime = (int(f[11]), int(f[12]), int(f[13]), int(f[14]))
        if int(f[2]) in pgids:
            server += (utime + stime) / _TICK
        if comm == "postgres":
            postgres += (utime + stime) / _TICK
            if int(f[1]) == 1:  # the postmaster: its reaped backends
                postgres += (cutime + cstime) / _TICK
    usage = os.times()
    return {
        "machine": busy,
        "server": server,
        "postgres": postgres,
        "loadgen": usage.user + usage.system,
    }


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in before}
