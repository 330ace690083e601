"""Benchmark — secure message sent → recipient's open page notified.

Two ``parcours serve --workers 1`` processes share one PostgreSQL database
(parcours_bench_mail). The recipient (medecin.hopital) has a page open on server B, i.e. its
SSE stream /notifications/flux/; the sender (medecin.ville) sends messages through the compose
form on server A (encrypt, sign, deliver, notify, commit), one at a time, each about a patient
and with a small PDF attached. Server A publishes the wake-up on commit (PostgreSQL NOTIFY,
or Redis with ``--redis``); server B's stream reads the new row and sends the event.

Latency = event received by the recipient − POST sent by the sender (the whole send included).

    .venv/bin/python bench/message_push.py [--n 300] [--gap 0.05] [--redis]
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

DB = "parcours_bench_mail"
REDIS_URL = "redis://127.0.0.1:6379/0"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 20_000


def facts() -> dict:
    from parcours.accounts.models import User
    from parcours.patients.models import CareLink

    return {
        "to": User.objects.get(username="medecin.hopital").pk,
        "patient": CareLink.objects.filter(user__username="medecin.ville")
        .values_list("patient_id", flat=True)
        .first(),
    }


async def listen(client: httpx.AsyncClient, events: asyncio.Queue, ready: asyncio.Event):
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
                if json.loads(line[5:]).get("kind") == "message":
                    events.put_nowait(now)
            elif not line:
                event = None


async def drive(send_url: str, page_url: str, f: dict, n: int, gap: float) -> dict:
    gp = httpx.AsyncClient(base_url=send_url, timeout=30, follow_redirects=False)
    doctor = httpx.AsyncClient(base_url=page_url, timeout=30)
    await login(gp, "medecin.ville")
    await login(doctor, "medecin.hopital")
    compose = f"/messagerie/nouveau/?patient={f['patient']}"
    token = csrf_from((await gp.get(compose)).text)
    headers = {"Referer": f"{send_url}{compose}", "X-CSRFToken": token}
    events: asyncio.Queue = asyncio.Queue()
    ready = asyncio.Event()
    listener = asyncio.create_task(listen(doctor, events, ready))
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.sleep(0.5)
    while not events.empty():
        events.get_nowait()
    total, post, errors, lost = [], [], 0, 0
    rnd = random.Random(7)
    for i in range(n):
        t0 = time.perf_counter()
        r = await gp.post(
            compose,
            headers=headers,
            data={
                "csrfmiddlewaretoken": token,
                "patient": f["patient"],
                "to": [f["to"]],
                "subject": f"Banc d'essai {i}",
                "body": "Latence de notification d'un message.",
            },
            files={"files": ("cr.pdf", PDF, "application/pdf")},
        )
        t1 = time.perf_counter()
        if r.status_code != 302:
            errors += 1
            continue
        try:
            seen = await asyncio.wait_for(events.get(), 10)
        except TimeoutError:
            lost += 1
            continue
        total.append((seen - t0) * 1000)
        post.append((t1 - t0) * 1000)
        await asyncio.sleep(gap * (0.5 + rnd.random()))
    listener.cancel()
    try:
        await listener
    except (asyncio.CancelledError, httpx.HTTPError):
        pass
    await gp.aclose()
    await doctor.aclose()
    return {"total": total, "post": post, "errors": errors, "lost": lost}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--redis", action="store_true")
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
        {"db": DB, "workers": 1, "name": f"mail-a-{backend}", **env},
        {"db": DB, "workers": 1, "name": f"mail-b-{backend}", **env},
    ) as (a, b):
        out = asyncio.run(drive(a.url, b.url, f, args.n, args.gap))
    print(
        f"backend {backend}: {len(out['total'])} messages notified, {out['lost']} lost, "
        f"{out['errors']} errors"
    )
    for name, key in (("sent -> page notified", "total"), ("send round trip", "post")):
        v = out[key]
        if v:
            print(
                f"  {name:<22} p50 {pct(v, 50):7.1f}  p95 {pct(v, 95):7.1f}  "
                f"p99 {pct(v, 99):7.1f}  max {max(v):7.1f} ms"
            )
    print("target: p95 < 300 ms (sent -> page notified)")


if __name__ == "__main__":
    main()
