"""Live push fan-out between server processes.

Notifications are rows first; this module only *wakes* open event streams so that they read
their new rows at once. The payload is the list of user ids concerned, never health data.

Backends (``settings.PUSH_BACKEND``):
- ``postgres``: PostgreSQL LISTEN/NOTIFY on channel ``parcours_push`` — every web process holds
  one listening connection;
- ``redis``: Redis pub/sub on the same channel name, when ``REDIS_URL`` is set;
- ``local``: in-process wake-ups plus polling the table every ``PUSH_POLL_SECONDS`` — the only
  choice on SQLite, and still correct across processes (the rows are the truth).

A stream that reconnects sends the id of the last event it saw (SSE ``Last-Event-ID``) and
replays everything after it, so a wake-up lost while disconnected loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)
CHANNEL = "parcours_push"

_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()
_redis_client = None


def publish(user_ids: list[int]) -> None:
    """Wake the streams of these users, in this process and in every other one."""
    if not user_ids:
        return
    payload = ",".join(str(i) for i in user_ids)
    backend = settings.PUSH_BACKEND
    try:
        if backend == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])
        elif backend == "redis":
            global _redis_client
            if _redis_client is None:
                import redis  # noqa: PLC0415 — the backend the settings choose

                _redis_client = redis.Redis.from_url(settings.REDIS_URL)
            _redis_client.publish(CHANNEL, payload)
    except Exception:  # the rows are committed: streams will still find them when they poll
        logger.exception("live push failed; streams will catch up on their next poll")
    # Same-process streams are woken directly in every backend.
    for loop, hub in list(_hubs.items()):
        if not loop.is_closed():
            loop.call_soon_threadsafe(hub.wake, list(user_ids))


class Subscription:
    def __init__(self, hub: Hub, user_id: int):
        self.hub = hub
        self.user_id = user_id
        self.event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait for a wake-up; True if woken, False on timeout (re-read the rows anyway)."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.event.clear()

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub:
    """The subscriptions of one event loop (one server process), and its listener task."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.subscriptions: dict[int, set[Subscription]] = defaultdict(set)
        self.listener: asyncio.Task | None = None

    def subscribe(self, user_id: int) -> Subscription:
        sub = Subscription(self, user_id)
        self.subscriptions[user_id].add(sub)
        if self.listener is None or self.listener.done():
            backend = settings.PUSH_BACKEND
            if backend == "postgres":
                self.listener = self.loop.create_task(self._listen_postgres())
            elif backend == "redis":
                self.listener = self.loop.create_task(self._listen_redis())
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self.subscriptions.get(sub.user_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscriptions[sub.user_id]

    def wake(self, user_ids: list[int] | None) -> None:
        targets = self.subscriptions.keys() if user_ids is None else user_ids
        for uid in list(targets):
            for sub in list(self.subscriptions.get(uid, ())):
                sub.event.set()

    def _dispatch(self, payload: str) -> None:
        try:
            self.wake([int(x) for x in payload.split(",") if x])
        except ValueError:
            logger.warning("ignored malformed push payload %r", payload)

    async def _listen_postgres(self) -> None:
        import psycopg  # noqa: PLC0415 — the backend the settings choose

        db = connection.settings_dict  # the test database's name during tests
        params = {
            "dbname": db["NAME"],
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
        }
        params = {k: v for k, v in params.items() if v}
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(autocommit=True, **params)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.wake(None)  # (re)connected: everyone re-reads what they may have missed
                    async for note in conn.notifies():
                        self._dispatch(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("LISTEN connection lost; reconnecting")
                await asyncio.sleep(1)

    async def _listen_redis(self) -> None:
        import redis.asyncio as aioredis  # noqa: PLC0415 — the backend the settings choose

        while True:
            try:
                client = aioredis.Redis.from_url(settings.REDIS_URL)
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.wake(None)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            data = message["data"]
                            self._dispatch(data.decode() if isinstance(data, bytes) else data)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Redis subscription lost; reconnecting")
                await asyncio.sleep(1)


def subscribe(user_id: int) -> Subscription:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub(loop)
    return hub.subscribe(user_id)


def poll_seconds() -> float:
    """How long a stream waits before re-reading its rows when nothing woke it."""
    if settings.PUSH_BACKEND == "local":
        return settings.PUSH_POLL_SECONDS
    return settings.PUSH_KEEPALIVE_SECONDS
