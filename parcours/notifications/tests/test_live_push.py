"""Live push across server processes, and replay after a reconnection (issue 2).

Two real server processes, A and B, share the PostgreSQL test database. A GP's request is
submitted through A's web page, or by the test process itself (a third process); the pathway
desk's event stream, open on B, must receive the notification within a bounded wait — far
shorter than the streams' re-read period, so it can only have come through the fan-out
(LISTEN/NOTIFY, or Redis pub/sub). A stream that reconnects with ``Last-Event-ID`` must then
receive, in order, every notification created while it was away.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from django.db import connection

from conftest import pdf_upload
from parcours.core.tests.servers import (
    Server,
    ServerPool,
    postgres_only,
    redis_available,
    session_cookies,
    wait_until,
)
from parcours.notifications.broker import CHANNEL
from parcours.referrals.models import Referral

pytestmark = [pytest.mark.postgres, postgres_only]

EVENT_TIMEOUT = 10.0  # seconds; the servers re-read their rows only every 120 s
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Event:
    id: int
    type: str
    data: dict


class EventStream:
    """A minimal SSE client on top of an httpx streaming response."""

    def __init__(self, base_url: str, cookies: dict, last_event_id: int | None = None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.client = httpx.Client(
            base_url=base_url, cookies=cookies, timeout=httpx.Timeout(5.0, read=EVENT_TIMEOUT)
        )
        self._cm = self.client.stream("GET", "/notifications/flux/", headers=headers)
        try:
            self.response = self._cm.__enter__()
            assert self.response.status_code == 200, self.response.status_code
            assert self.response.headers["content-type"].startswith("text/event-stream")
        except BaseException:
            self.client.close()
            raise
        self._lines = self.response.iter_lines()
        self.retry_seen = False

    def close(self) -> None:
        try:
            self._cm.__exit__(None, None, None)
        finally:
            self.client.close()

    def _next_block(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for line in self._lines:
            if not line:
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                continue  # keepalive comment
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        raise AssertionError("the event stream ended")

    def wait_subscribed(self) -> None:
        """The server yields ``retry:`` once its subscription exists: wait for it."""
        while not self.retry_seen:
            block = self._next_block()
            if "retry" in block:
                self.retry_seen = True
            elif "event" in block:
                raise AssertionError(f"unexpected event before retry: {block}")

    def next_event(self, *, within: float = EVENT_TIMEOUT) -> Event:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                block = self._next_block()
            except httpx.ReadTimeout:
                break
            if "retry" in block:
                self.retry_seen = True
            if "data" in block:
                return Event(
                    id=int(block["id"]),
                    type=block.get("event", "message"),
                    data=json.loads(block["data"]),
                )
        raise AssertionError(f"no event received within {within:.0f} s")


def _listener_ready(backend: str, redis_client_name: str):
    """A predicate: server B is listening on the push channel."""
    if backend == "postgres":

        def ready() -> bool:
            # The test database is this worker's own: a LISTEN on it can only be server B's
            # (server A has no open stream, so no listener).
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query = %s",
                    [f"LISTEN {CHANNEL}"],
                )
                return cursor.fetchone()[0] >= 1

        return ready

    import redis

    def redis_ready() -> bool:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            return any(
                c.get("name") == redis_client_name and "subscribe" in c.get("cmd", "")
                for c in client.client_list()
            )
        finally:
            client.close()

    return redis_ready


@dataclass
class ServerPair:
    backend: str
    a: Server
    b: Server
    ready: Callable[[], bool]  # B listens on the push channel


@pytest.fixture(scope="module", params=["postgres", "redis"])
def server_pair(request, django_db_setup, tmp_path_factory):
    """Servers A and B on the test database, sharing one push backend.

    Started once per backend for the module: they keep no state between tests (every request
    reads the database), and each test's rows are flushed by transactional_db.
    """
    backend = request.param
    env = {"PUSH_BACKEND": backend}
    per_server = {}
    redis_name = ""
    if backend == "redis":
        if not redis_available(REDIS_URL):
            reason = f"Redis does not answer on {REDIS_URL}"
            if os.environ.get("PARCOURS_REQUIRE_REDIS") == "1":
                pytest.fail(reason + " (PARCOURS_REQUIRE_REDIS=1, as CI sets)")
            pytest.skip(reason)
        # A client name per server lets the test see when B has subscribed (Redis channels
        # are shared by every xdist worker, so counting subscribers would not do).
        tag = uuid.uuid4().hex[:8]
        redis_name = f"parcours-test-{tag}-B"
        env["REDIS_URL"] = REDIS_URL
        per_server = {
            name: {"REDIS_URL": f"{REDIS_URL}?client_name=parcours-test-{tag}-{name}"}
            for name in ("A", "B")
        }
    with ServerPool(tmp_path_factory.mktemp(f"servers-{backend}")) as pool:
        server_a, server_b = pool.start("A", "B", env=env, per_server_env=per_server)
        yield ServerPair(backend, server_a, server_b, _listener_ready(backend, redis_name))


@pytest.fixture
def push(server_pair, transactional_db, settings):
    """The server pair, with this test process publishing through the same backend."""
    settings.PUSH_BACKEND = server_pair.backend
    if server_pair.backend == "redis":
        settings.REDIS_URL = REDIS_URL
    return server_pair


def _submit_through_web(server, cookies: dict, patient, service, question: str) -> Referral:
    """The GP's form, posted to a server process: the real view, form and service."""
    with httpx.Client(base_url=server.url, cookies=cookies, timeout=10) as client:
        page = client.get(f"/demandes/nouvelle/?patient={patient.pk}")
        assert page.status_code == 200, page.text[:500]
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, "no CSRF token on the form"
        token = found.group(1)
        upload = pdf_upload()
        response = client.post(
            "/demandes/nouvelle/",
            data={
                "csrfmiddlewaretoken": token,
                "patient": str(patient.pk),
                "kind": "ADVICE",
                "service": str(service.pk),
                "question": question,
                "context": "",
            },
            files={"files": (upload.name, upload.read(), "application/pdf")},
        )
    assert response.status_code == 302, response.text[:2000]
    location = re.search(r"/demandes/(\d+)/", response.headers["location"])
    assert location, response.headers["location"]
    pk = int(location.group(1))
    return Referral.objects.get(pk=pk)


def _open_stream(server, cookies, ready, last_event_id=None) -> EventStream:
    stream = EventStream(server.url, cookies, last_event_id=last_event_id)
    stream.wait_subscribed()
    wait_until(
        ready,
        timeout=EVENT_TIMEOUT,
        message=f"server {server.name} never listened on the push channel",
    )
    return stream


def test_request_submitted_through_server_a_reaches_the_desk_stream_on_server_b(
    push, territory, patient, make_referral
):
    server_a, server_b, ready = push.a, push.b, push.ready
    desk_cookies = session_cookies(territory.desk)
    gp_cookies = session_cookies(territory.gp)

    stream = _open_stream(server_b, desk_cookies, ready)
    try:
        # 1. Through server A's web page.
        started = time.monotonic()
        via_web = _submit_through_web(
            server_a, gp_cookies, patient, territory.cardio, "Dyspnée d'effort récente : avis ?"
        )
        event = stream.next_event()
        latency = time.monotonic() - started
        assert event.type == "notification"
        assert event.data["kind"] == "referral_submitted"
        assert event.data["referral"] == via_web.pk
        assert via_web.reference in event.data["title"]
        assert event.data["unread"] == 1
        assert latency < EVENT_TIMEOUT

        # 2. From a third process: this test process calls the service directly.
        direct = make_referral(question="Palpitations : holter ?")
        event2 = stream.next_event()
        assert event2.data["referral"] == direct.pk
        assert event2.id > event.id
        assert event2.data["unread"] == 2
    finally:
        stream.close()


def test_reconnected_stream_receives_the_events_it_missed(push, territory, patient, make_referral):
    server_a, server_b, ready = push.a, push.b, push.ready
    desk_cookies = session_cookies(territory.desk)
    gp_cookies = session_cookies(territory.gp)

    stream = _open_stream(server_b, desk_cookies, ready)
    try:
        first = _submit_through_web(
            server_a, gp_cookies, patient, territory.cardio, "Souffle diastolique : avis ?"
        )
        seen = stream.next_event()
        assert seen.data["referral"] == first.pk
    finally:
        stream.close()  # the page goes away (network cut, laptop lid closed…)

    # While no stream is open for the desk: one request through A, one from this process.
    missed = [
        _submit_through_web(
            server_a, gp_cookies, patient, territory.cardio, "Douleur thoracique atypique : avis ?"
        ),
        make_referral(question="Malaise à l'effort : épreuve d'effort ?"),
    ]

    # The browser reconnects with the id of the last event it saw.
    stream = _open_stream(server_b, desk_cookies, ready, last_event_id=seen.id)
    try:
        replayed = [stream.next_event(), stream.next_event()]
        assert [e.data["referral"] for e in replayed] == [r.pk for r in missed]
        assert all(e.id > seen.id for e in replayed)
        assert replayed[0].id < replayed[1].id

        # And the reconnected stream is live again.
        after = _submit_through_web(
            server_a,
            gp_cookies,
            patient,
            territory.cardio,
            "Œdèmes des membres inférieurs : avis ?",
        )
        live = stream.next_event()
        assert live.data["referral"] == after.pk
        assert live.id > replayed[1].id
    finally:
        stream.close()
