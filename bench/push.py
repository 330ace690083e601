"""Benchmark 2 — live notification latency across server processes.

Two separate ``parcours serve --workers 1`` processes on different ports share one PostgreSQL
database (parcours_bench_push). A pathway-desk client (cellule.laval) holds the SSE stream
/notifications/flux/ on server B; a GP (medecin.ville) submits requests to CH de Laval through
the referral form on server A, one at a time. Each submission notifies the desk; server A
publishes the wake-up on commit (PostgreSQL NOTIFY, or Redis with ``--redis``), server B's
listener wakes the stream, which reads the new row and sends the event.

Latency = event received by the SSE client − POST sent to server A. It therefore includes the
submission itself (form, transaction, commit); "after response" = event received − response
of the POST received (negative when the event beats the HTTP response).

    .venv/bin/python bench/push.py [--n 300] [--gap 0.05]
    .venv/bin/python bench/push.py --redis            # REDIS_URL=redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _common import csrf_from, login, pct, print_machine, recreate_database, servers, setup_django  # noqa: E402

DB = "parcours_bench_push"
REDIS_URL = "redis://127.0.0.1:6379/0"


def facts() -> dict:
    from parcours.directory.models import HospitalService
    from parcours.patients.models import CareLink

    service = HospitalService.objects.get(hospital__name="CH de Laval", name="Cardiologie")
    patients = list(
        CareLink.objects.filter(user__username="medecin.ville").values_list("patient_id", flat=True)
    )
    return {"service": service.pk, "patients": patients}


async def listen(
    client: httpx.AsyncClient, seen: dict[int, float], ready: asyncio.Event, stop: asyncio.Event
) -> None:
    """Read the SSE stream; note when each referral's event arrives."""
    async with client.stream(
        "GET", "/notifications/flux/?max=900", timeout=httpx.Timeout(30, read=None)
    ) as r:
        r.raise_for_status()
        event = None
        async for line in r.aiter_lines():
            now = time.perf_counter()
            if line.startswith("retry:"):
                ready.set()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "notification":
                payload = json.loads(line[5:])
                if payload.get("referral"):
                    seen.setdefault(payload["referral"], now)
            elif not line:
                event = None
            if stop.is_set():
                return


async def drive(submit_url: str, stream_url: str, f: dict, n: int, gap: float) -> dict:
    gp = httpx.AsyncClient(base_url=submit_url, timeout=30, follow_redirects=False)
    desk = httpx.AsyncClient(base_url=stream_url, timeout=30)
    await login(gp, "medecin.ville")
    await login(desk, "cellule.laval")
    pid = f["patients"][0]
    token = csrf_from((await gp.get(f"/demandes/nouvelle/?patient={pid}")).text)
    headers = {"Referer": f"{submit_url}/demandes/nouvelle/", "X-CSRFToken": token}
    seen: dict[int, float] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    listener = asyncio.create_task(listen(desk, seen, ready, stop))
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.sleep(0.5)  # the LISTEN / SUBSCRIBE of server B is up
    sent: dict[int, tuple[float, float]] = {}
    rnd = random.Random(7)
    errors = 0
    for i in range(n):
        pid = f["patients"][i % len(f["patients"])]
        t0 = time.perf_counter()
        r = await gp.post(
            f"/demandes/nouvelle/?patient={pid}",
            headers=headers,
            data={
                "csrfmiddlewaretoken": token,
                "patient": pid,
                "service": f["service"],
                "kind": "ADVICE",
                "question": "Latence de notification (banc d'essai).",
                "context": "",
            },
        )
        t1 = time.perf_counter()
        location = r.headers.get("location", "")
        if r.status_code != 302 or not location.rstrip("/").split("/")[-1].isdigit():
            errors += 1
            continue
        sent[int(location.rstrip("/").split("/")[-1])] = (t0, t1)
        # Spread submissions out so each measures one wake-up, not a batch.
        await asyncio.sleep(gap * (0.5 + rnd.random()))
    deadline = time.perf_counter() + 10
    while len([k for k in sent if k in seen]) < len(sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    listener.cancel()
    try:
        await listener
    except (asyncio.CancelledError, httpx.HTTPError):
        pass
    await gp.aclose()
    await desk.aclose()
    total = [(seen[k] - t0) * 1000 for k, (t0, _) in sent.items() if k in seen]
    after = [(seen[k] - t1) * 1000 for k, (_, t1) in sent.items() if k in seen]
    post = [(t1 - t0) * 1000 for (t0, t1) in sent.values()]
    return {
        "sent": len(sent),
        "received": len(total),
        "errors": errors,
        "total": total,
        "after": after,
        "post": post,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=300, help="submissions")
    parser.add_argument("--gap", type=float, default=0.05, help="mean pause between them (s)")
    parser.add_argument("--redis", action="store_true", help=f"push through {REDIS_URL}")
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args()

    print_machine()
    if not args.reuse_db:
        recreate_database(DB)
    setup_django(DB)
    f = facts()
    env = {"REDIS_URL": REDIS_URL} if args.redis else {}
    backend = "redis" if args.redis else "postgres"
    with servers(
        {"db": DB, "workers": 1, "name": f"push-a-{backend}", **env},
        {"db": DB, "workers": 1, "name": f"push-b-{backend}", **env},
    ) as (a, b):
        out = asyncio.run(drive(a.url, b.url, f, args.n, args.gap))
    print(
        f"backend {backend}: submit on :{a.port}, SSE on :{b.port}; "
        f"{out['sent']} submitted, {out['received']} events received, {out['errors']} errors"
    )
    for name, key in (
        ("POST sent -> event", "total"),
        ("POST answered -> event", "after"),
        ("POST round trip", "post"),
    ):
        v = out[key]
        if v:
            print(
                f"  {name:<24} p50 {pct(v, 50):7.1f}  p95 {pct(v, 95):7.1f}  "
                f"p99 {pct(v, 99):7.1f}  max {max(v):7.1f} ms"
            )
    print("target: p95 < 300 ms (POST sent -> event)")


if __name__ == "__main__":
    main()
