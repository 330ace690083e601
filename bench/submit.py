"""Benchmark 1 — submitting a request on PostgreSQL with concurrent clients.

Drives the real web path: each client logs in once (session), reads the referral form for its
CSRF token, then POSTs /demandes/nouvelle/?patient=ID in a loop (patient access check, referral,
timeline event, audit row in the hash chain, desk notification + live push). Side by side in the
same run and against the same server, the baseline: a bare Django view that inserts one row
(bench/bench_views.py, mounted by bench/settings_bench.py). Phases alternate
(bare, submit, bare, submit…) so drift hits both equally.

    .venv/bin/python bench/submit.py [--clients 16] [--workers 2] [--seconds 15] [--rounds 2]

With ``--new-patient`` each submission is preceded by creating a new patient through the
patient form (two POSTs, timed together as one operation).

Closed loop: every client sends its next request as soon as the previous one answered, so
latency ≈ clients / throughput once the server is saturated (Little's law).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _common import (  # noqa: E402
    HOST,
    cpu_delta,
    cpu_snapshot,
    csrf_from,
    login,
    pct,
    print_machine,
    recreate_database,
    servers,
    setup_django,
)

DB = "parcours_bench_submit"
GPS = ["medecin.ville", "medecin.ville2"]


def seed() -> dict:
    """Patients each GP may refer, the service to address, and the bare-insert table."""
    from bench_views import TABLE_SQL
    from django.db import connection

    from parcours.directory.models import HospitalService
    from parcours.patients.models import CareLink

    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL)
    service = HospitalService.objects.get(hospital__name="CH de Laval", name="Cardiologie")
    patients = {
        gp: list(CareLink.objects.filter(user__username=gp).values_list("patient_id", flat=True))
        for gp in GPS
    }
    return {"service": service.pk, "patients": patients}


class Client:
    def __init__(self, base: str, n: int, facts: dict):
        self.http = httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False)
        self.n = n
        self.gp = GPS[n % len(GPS)]
        self.patients = itertools.cycle(facts["patients"][self.gp])
        self.service = facts["service"]
        self.token = ""
        self.rnd = random.Random(n)

    async def start(self) -> None:
        await login(self.http, self.gp)
        r = await self.http.get(f"/demandes/nouvelle/?patient={next(self.patients)}")
        r.raise_for_status()
        self.token = csrf_from(r.text)
        self.headers = {
            "Referer": f"{self.http.base_url}/demandes/nouvelle/",
            "X-CSRFToken": self.token,
        }

    async def bare(self) -> bool:
        r = await self.http.post(
            "/bench/insert/", data={"csrfmiddlewaretoken": self.token}, headers=self.headers
        )
        return r.status_code == 200

    async def submit(self, patient_id: int | None = None) -> bool:
        pid = patient_id or next(self.patients)
        r = await self.http.post(
            f"/demandes/nouvelle/?patient={pid}",
            data={
                "csrfmiddlewaretoken": self.token,
                "patient": pid,
                "service": self.service,
                "kind": "ADVICE",
                "question": "Avis sur un souffle systolique (banc d'essai).",
                "context": "Données synthétiques.",
            },
            headers=self.headers,
        )
        return r.status_code == 302 and "/demandes/" in r.headers.get("location", "")

    async def new_patient_then_submit(self) -> bool:
        # Synthetic identity: a name made of letters only, unique per request.
        tag = "".join(self.rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(10))
        r = await self.http.post(
            "/patients/nouveau/?next=referral",
            data={
                "csrfmiddlewaretoken": self.token,
                "next": "referral",
                "birth_name": f"BANC{tag}",
                "birth_given_names": "ESSAI",
                "birth_date": f"19{self.rnd.randint(30, 99)}-0{self.rnd.randint(1, 9)}-1"
                f"{self.rnd.randint(0, 9)}",
                "sex": self.rnd.choice("MF"),
                "birthplace_insee": "53130",
            },
            headers=self.headers,
        )
        location = r.headers.get("location", "")
        if r.status_code != 302 or "patient=" not in location:
            return False
        return await self.submit(int(location.rsplit("patient=", 1)[1]))


async def phase(
    clients: list[Client], op: str, seconds: float, max_requests: int, pgids: tuple[int, ...] = ()
) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    budget = itertools.count()

    async def loop(c: Client):
        nonlocal errors
        fn = getattr(c, op)
        while time.monotonic() < deadline and next(budget) < max_requests:
            t0 = time.perf_counter()
            try:
                ok = await fn()
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - t0) * 1000)
            else:
                errors += 1

    started = time.monotonic()
    cpu = cpu_snapshot(list(pgids))
    await asyncio.gather(*(loop(c) for c in clients))
    return {
        "op": op,
        "elapsed": time.monotonic() - started,
        "latencies": latencies,
        "errors": errors,
        "cpu": cpu_delta(cpu, cpu_snapshot(list(pgids))),
    }


def merge(results: list[dict]) -> dict:
    lat = [x for r in results for x in r["latencies"]]
    elapsed = sum(r["elapsed"] for r in results)
    cpu = {
        k: sum(r["cpu"][k] for r in results) * 1000 / max(1, len(lat)) for k in results[0]["cpu"]
    }
    return {
        "n": len(lat),
        "errors": sum(r["errors"] for r in results),
        "cpu_ms": cpu,
        "cpu_share": sum(r["cpu"]["machine"] for r in results) / elapsed if elapsed else 0,
        "rps": len(lat) / elapsed if elapsed else 0.0,
        "p50": pct(lat, 50) if lat else float("nan"),
        "p99": pct(lat, 99) if lat else float("nan"),
    }


async def drive(base: str, facts: dict, args, pgid: int) -> dict:
    clients = [Client(base, n, facts) for n in range(args.clients)]
    # Logins are Argon2-bound: a few at a time, once per client.
    sem = asyncio.Semaphore(4)

    async def start(c):
        async with sem:
            await c.start()

    await asyncio.gather(*(start(c) for c in clients))
    ops = ["bare", "new_patient_then_submit" if args.new_patient else "submit"]
    for op in ops:  # warm-up: connections, imports, template caches
        await phase(clients, op, args.warmup, 10_000)
    results: dict[str, list[dict]] = {op: [] for op in ops}
    for _ in range(args.rounds):
        for op in ops:
            results[op].append(await phase(clients, op, args.seconds, args.max_requests, (pgid,)))
    for c in clients:
        await c.http.aclose()
    return {op: merge(rs) for op, rs in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seconds", type=float, default=15, help="per phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--max-requests", type=int, default=20_000, help="per phase")
    parser.add_argument(
        "--new-patient",
        action="store_true",
        help="create a patient before each submission (two POSTs)",
    )
    parser.add_argument("--reuse-db", action="store_true", help="skip drop/migrate/load_demo")
    parser.add_argument(
        "--no-pool",
        action="store_true",
        help="serve without the psycopg connection pool (DB_POOL=0)",
    )
    args = parser.parse_args()

    print_machine()
    if not args.reuse_db:
        recreate_database(DB)
    setup_django(DB)
    facts = seed()
    env = {}
    if args.no_pool:
        env["DB_POOL"] = "0"
    with servers({"db": DB, "workers": args.workers, "name": "submit", **env}) as (srv,):
        out = asyncio.run(drive(srv.url, facts, args, srv.proc.pid))
    bare = out["bare"]
    sub = next(v for k, v in out.items() if k != "bare")
    label = "new patient + submit" if args.new_patient else "submit request"
    print(
        f"server: parcours serve --workers {args.workers} on {HOST}"
        f"{' (no connection pool)' if args.no_pool else ' (psycopg pool)'}; "
        f"clients={args.clients}; "
        f"{args.rounds} x {args.seconds:g}s per operation"
    )
    print(f"{'operation':<22}{'ok':>7}{'err':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, r in (("bare insert", bare), (label, sub)):
        print(
            f"{name:<22}{r['n']:>7}{r['errors']:>5}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
        )
    print(
        "CPU per request, ms (machine total = all processes incl. others' work; "
        "cores busy on average):"
    )
    print(f"{'operation':<22}{'server':>8}{'postgres':>9}{'loadgen':>9}{'machine':>9}{'cores':>7}")
    for name, r in (("bare insert", bare), (label, sub)):
        c = r["cpu_ms"]
        print(
            f"{name:<22}{c['server']:>8.1f}{c['postgres']:>9.1f}{c['loadgen']:>9.1f}"
            f"{c['machine']:>9.1f}{r['cpu_share']:>7.2f}"
        )
    ratio = sub["rps"] / bare["rps"] if bare["rps"] else 0
    print(
        f"submit / bare throughput: {ratio:.0%} (target >= 25%); "
        f"submit p99 {sub['p99']:.0f} ms (target < 100 ms)"
    )


if __name__ == "__main__":
    main()
