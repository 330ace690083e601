"""Audit trail benchmark (issue 13) — audited FHIR reads at 16 concurrent clients, side by side
with the same reads unaudited, in the same run, on PostgreSQL.

    .venv/bin/python bench/audit_reads.py [--clients 16] [--workers 2] [--seconds 10]
        [--rounds 3] [--interface asgi|wsgi] [--async-reads]
    .venv/bin/python bench/audit_reads.py --seal 200000   (sealer and audit_verify throughput)

Two servers on the same database: one as deployed (every read appends an audit row), one
started with PARCOURS_BENCH_AUDIT_OFF=1 (no audit row; the switch exists only in
bench/settings_bench.py, which refuses production). The sealer runs throughout in its own process,
every second, as the worker would (interval shortened so it works during the phases). Reads,
one HTTP request each, half and half: GET Patient/{id} (one audit row) and
Patient?family=<4 letters> (one audit row listing every id returned). Phases alternate
(audited, unaudited, audited…) so drift hits both sides. Closed loop: each client sends its
next request when the previous one answered. Everything on 127.0.0.1; the database is
parcours_bench_audit_reads, dropped and re-created on each run. At the end the trail is
verified (every row sealed, nothing flagged). Results: docs/benchmarks.md, "Audit trail".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fhir_crud as fc  # noqa: E402  (the FHIR benchmark's seeding, servers and report helpers)

fc.DB = "parcours_bench_audit_reads"
ASYNC_READS = False  # --async-reads: AUDIT_ASYNC_READS=1 on the servers

SEALER = """
import os, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings_bench")
django.setup()
from django.db import close_old_connections
from parcours.audit.sealing import audit_seal
sealed = 0
while True:
    close_old_connections()
    sealed += audit_seal().get("sealed", 0)
    time.sleep(1)
"""


def start(port: int, workers: int, interface: str, audit: bool) -> subprocess.Popen:
    """A server like fc.start_server, with the audit switched off when ``audit`` is False."""
    saved = fc.env

    def env(interface: str = "asgi") -> dict:
        e = saved(interface)
        if not audit:
            e["PARCOURS_BENCH_AUDIT_OFF"] = "1"
        e["AUDIT_ASYNC_READS"] = "1" if ASYNC_READS else "0"
        return e

    fc.env = env
    try:
        return fc.start_server(port, workers, interface)
    finally:
        fc.env = saved


async def phase(base: str, seed: dict, clients: int, seconds: float) -> dict:
    lat: dict[str, list[float]] = {}
    errors = 0
    stop = time.monotonic() + seconds
    by_gp: dict[int, list] = {}
    for gp_id, pid, name in seed["patients"]:
        by_gp.setdefault(gp_id, []).append((pid, name))
    gp_ids = sorted(seed["tokens"])

    async def client(i: int):
        nonlocal errors
        gp = gp_ids[i % len(gp_ids)]
        headers = {
            "Authorization": f"Bearer {seed['tokens'][gp]}",
            "Accept": "application/fhir+json",
        }
        rng = random.Random(i)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < stop:
                pid, name = rng.choice(by_gp[gp])
                if rng.random() < 0.5:
                    op, url = "GET Patient/id", f"/fhir/Patient/{pid}"
                else:
                    op, url = "search Patient?family", f"/fhir/Patient?family={name[:4]}"
                t0 = time.perf_counter()
                response = await http.get(url)
                elapsed = (time.perf_counter() - t0) * 1000
                if response.status_code != 200:
                    errors += 1
                    continue
                lat.setdefault(op, []).append(elapsed)

    t0 = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return {"duration": time.monotonic() - t0, "lat": lat, "errors": errors}


def audit_rows() -> int:
    from parcours.audit.models import AuditEvent

    return AuditEvent.objects.count()


def seal_and_verify(n: int) -> None:
    """--seal N: N audit rows inserted at once, then one sealer run and one verification,
    timed (the cost of sealing a backlog, e.g. the rows of before the redesign)."""
    from django.db import connection

    from parcours.audit.sealing import audit_seal, audit_verify

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, username, action, object_type, object_id, "
            "patient_id, detail, object_ids, ip, channel, prev_hash) "
            "SELECT now(), 'gp0', 'read', 'patient', g::text, g, 'FHIR read', "
            "'[]'::jsonb, '127.0.0.1', 'api', '' FROM generate_series(1, %s) g",
            [n],
        )
    t0 = time.perf_counter()
    result = audit_seal(full=True)
    sealed_in = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = audit_verify()
    verified_in = time.perf_counter() - t0
    print(
        f"sealed {result['sealed']} rows in {sealed_in:.1f} s "
        f"({result['sealed'] / sealed_in:,.0f} rows/s); verified {report.rows} rows and "
        f"{report.checkpoints} checkpoints in {verified_in:.1f} s "
        f"({report.rows / verified_in:,.0f} rows/s): "
        f"{'intact' if report.intact else report.problems[:3]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interface", choices=["asgi", "wsgi"], default="asgi")
    parser.add_argument(
        "--async-reads",
        action="store_true",
        help="AUDIT_ASYNC_READS=1: read audit rows commit without waiting for the WAL flush",
    )
    parser.add_argument(
        "--seal",
        type=int,
        metavar="N",
        help="instead: time sealing and verifying a backlog of N rows",
    )
    args = parser.parse_args()
    global ASYNC_READS
    ASYNC_READS = args.async_reads
    print(fc.machine())
    # The checkpoint copy of the previous run names a database that is about to be dropped.
    (fc.ROOT / "var" / "bench" / fc.DB / "audit-checkpoints.jsonl").unlink(missing_ok=True)
    if args.seal:
        fc.recreate_and_seed(n_patients=2, n_referrals=0)
        seal_and_verify(args.seal)
        return
    seed = fc.recreate_and_seed()
    sides = {"audited": True, "unaudited": False}
    procs = {}
    sealer = subprocess.Popen(
        [str(fc.BIN / "python"), "-c", SEALER],
        env=fc.env(),
        cwd=fc.ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    totals = {side: {"n": 0, "t": 0.0, "lat": {}, "err": 0, "rows": 0} for side in sides}
    try:
        for side, audit in sides.items():
            port = fc.free_port()
            procs[side] = (
                start(port, args.workers, args.interface, audit),
                f"http://127.0.0.1:{port}",
            )
        for side in sides:  # warm-up
            asyncio.run(phase(procs[side][1], seed, args.clients, 2))
        for _ in range(args.rounds):
            for side in sides:
                before = audit_rows()
                r = asyncio.run(phase(procs[side][1], seed, args.clients, args.seconds))
                t = totals[side]
                t["rows"] += audit_rows() - before
                t["t"] += r["duration"]
                t["err"] += r["errors"]
                for op, values in r["lat"].items():
                    t["lat"].setdefault(op, []).extend(values)
                    t["n"] += len(values)
        time.sleep(3)  # let the sealer take the last rows
    finally:
        for proc, _ in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        os.killpg(sealer.pid, signal.SIGTERM)
        sealer.wait(10)
    from parcours.audit.sealing import audit_verify

    report = audit_verify()
    print(f"load average after the run: {os.getloadavg()}")
    print(
        f"\n{args.clients} clients, {args.workers} workers ({args.interface}), "
        f"{args.rounds}×{args.seconds:.0f} s per side, alternating; sealer every 1 s; "
        f"AUDIT_ASYNC_READS={int(args.async_reads)}"
    )
    print(f"{'side':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'n':>7} {'audit rows':>10}")
    rate = {}
    for side in sides:
        t = totals[side]
        everything = [v for values in t["lat"].values() for v in values]
        rate[side] = t["n"] / t["t"]
        print(
            f"{side + ' reads (all)':28} {rate[side]:8.0f} {fc.pct(everything, 50):8.1f} "
            f"{fc.pct(everything, 99):8.1f} {t['n']:7d} {t['rows']:10d}  errors={t['err']}"
        )
        for op, values in sorted(t["lat"].items()):
            print(
                f"  {op:26} {len(values) / t['t']:8.0f} {fc.pct(values, 50):8.1f} "
                f"{fc.pct(values, 99):8.1f} {len(values):7d}"
            )
    print(
        f"\naudited / unaudited: {100 * rate['audited'] / rate['unaudited']:.0f} % (target ≥ 90 %)"
    )
    print(
        f"audit_verify: {'intact' if report.intact else 'NOT intact'}, {report.rows} rows, "
        f"{report.sealed} sealed, {report.pending} pending, {report.checkpoints} checkpoints"
        + ("" if report.intact else f"; {report.problems[:3]}")
    )


if __name__ == "__main__":
    main()
