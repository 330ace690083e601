"""Real server processes for the tests that cross process boundaries (live push, browser).

Each server is ``uvicorn parcours.asgi:application`` in a subprocess, pointed at the test
database pytest-django created (read from the live connection, so every xdist worker uses its
own), on a free port. Use them with ``transactional_db``: the test's rows must be committed for
another process to see them. ``ServerPool`` kills every process it started when it exits, even
when the test failed, so no server outlives its test and blocks the database flush or drop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings

START_TIMEOUT = 20.0
STOP_GRACE = 3.0
REPO_ROOT = Path(__file__).resolve().parents[3]
RESULTS_DIR = REPO_ROOT / "var" / "test-results"


def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# The live tests need LISTEN/NOTIFY and a database that several processes share; the SQLite
# run skips them (CI checks separately that the PostgreSQL run happened and ran them).
postgres_only = pytest.mark.skipif(
    not is_postgres(),
    reason="needs PostgreSQL (server processes sharing the test database, LISTEN/NOTIFY); "
    "set DATABASE_URL=postgresql://… to run it",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test process is connected to (the test database)."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    userinfo = f"{auth}@" if auth else ""
    return f"postgresql://{userinfo}{host}{port}/{quote(db['NAME'], safe='')}"


def session_cookies(user) -> dict[str, str]:
    """Cookies of a logged-in session for ``user`` (sessions live in the shared database)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def redis_available(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


class Server:
    def __init__(self, name: str, process: subprocess.Popen, port: int, log_path: Path, log_file):
        self.name = name
        self.log_file = log_file
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def terminate(self) -> None:
        # The server runs in its own process group (its id is the server's pid): signal only
        # that group, so nothing else on the machine is touched.
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait_or_kill(self, timeout: float) -> None:
        try:
            self.process.wait(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)
        finally:
            self.log_file.close()


class ServerPool:
    """Starts server processes on the test database; stops them all on exit."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.servers: list[Server] = []

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        """SIGTERM to all at once, then SIGKILL whatever is still there after a grace period."""
        for server in self.servers:
            server.terminate()
        deadline = time.monotonic() + STOP_GRACE
        servers, self.servers = self.servers, []
        errors = []
        for server in servers:
            try:
                server.wait_or_kill(deadline - time.monotonic())
            except Exception as exc:  # reap the others first, then report
                errors.append(exc)
        if errors:
            raise errors[0]

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"TEST_DATABASE_NAME", "PUSH_BACKEND", "REDIS_URL"}
        }
        env.update(
            {
                "DATABASE_URL": database_url(),
                "PARCOURS_TESTING": "1",
                "PARCOURS_VAR_DIR": str(self.workdir / "var"),
                "MEDIA_ROOT": str(self.workdir / "media"),
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                # Streams re-read their rows only this often when nothing wakes them: far longer
                # than any wait in the tests, so an event seen in time was pushed, not polled.
                "PUSH_KEEPALIVE_SECONDS": "120",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra or {})
        return env

    def start(
        self,
        *names: str,
        env: dict[str, str] | None = None,
        per_server_env: dict[str, dict[str, str]] | None = None,
    ) -> list[Server]:
        """Start one server per name (in parallel) and wait until each answers /healthz."""

        def spawn(name: str) -> Server:
            server_env = self.environment({**(env or {}), **(per_server_env or {}).get(name, {})})
            server = self._spawn(name, server_env)
            self.servers.append(server)
            return server

        started = [spawn(name) for name in names]
        for i, server in enumerate(started):
            for _attempt in range(3):
                if self._wait_ready(server):
                    break
                # Another process took the free port between our probe and uvicorn's bind.
                server.wait_or_kill(0)
                self.servers.remove(server)
                server = started[i] = spawn(server.name)
            else:
                pytest.fail(f"server {server.name}: no free port found")
        return started

    def _spawn(self, name: str, env: dict[str, str]) -> Server:
        port = free_port()
        log_path = self.workdir / f"server-{name}-{port}.log"
        log_file = open(log_path, "wb")  # closed once the process has ended
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "parcours.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--timeout-graceful-shutdown",
                "1",
                "--no-access-log",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return Server(name, process, port, log_path, log_file)

    def _wait_ready(self, server: Server) -> bool:
        """True once the server answers; False if it lost the race for its port."""
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if server.process.poll() is not None:
                    log = server.log_tail()
                    if "address already in use" in log.lower():
                        return False
                    pytest.fail(
                        f"server {server.name} exited with {server.process.returncode}:\n{log}"
                    )
                try:
                    if client.get(f"{server.url}/healthz").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(0.05)  # polling interval of the readiness probe, under a deadline
        pytest.fail(
            f"server {server.name} not ready after {START_TIMEOUT:.0f} s:\n{server.log_tail()}"
        )


def wait_until(predicate, *, timeout: float, interval: float = 0.05, message: str) -> None:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed (then fail)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            pytest.fail(f"{message} (waited {timeout:.0f} s)")
        time.sleep(interval)
