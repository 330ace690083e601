"""Benchmark 3 — the pathway desk's inbox (/demandes/cellule/) with many open requests.

Seeds a dedicated database (parcours_bench_inbox: demo territory, then synthetic open requests
for CH de Laval added with bulk_create), and at each size (100, 1,000, 20,000 open requests of
the desk's hospital by default):

- counts the SQL queries of the inbox page, its live fragment and its last page, in process
  with the Django test Client and CaptureQueriesContext (must not grow with the size);
- times the page and its live fragment against ``parcours serve --workers 1``: one logged-in
  client, sequential GETs on loopback. "Server time" is what Django spent on the request, read
  from the Server-Timing header that bench/settings_timing.py adds (benchmark-only middleware);
  "HTTP" is what the client saw (plus uvicorn, loopback and the client's own CPU).

Use ``--without-open-index`` to measure the inbox as it was before migration referrals 0002.

    .venv/bin/python bench/inbox.py [--sizes 100,1000,20000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _common import login, pct, print_machine, recreate_database, servers, setup_django  # noqa: E402

DB = "parcours_bench_inbox"
DESK = "cellule.laval"
OPEN = ("submitted", "assigned", "info_requested")


def open_count(hospital) -> int:
    from parcours.referrals.models import Referral

    return Referral.objects.filter(hospital=hospital, status__in=OPEN).count()


def top_up(target: int, rnd: random.Random) -> None:
    """Add synthetic open requests for CH de Laval until it has ``target`` open ones."""
    from django.db import transaction
    from django.utils import timezone

    from parcours.accounts.models import Role, User
    from parcours.directory.models import HospitalService, Organisation
    from parcours.patients.models import Patient
    from parcours.referrals.models import Referral

    laval = Organisation.objects.get(name="CH de Laval")
    missing = target - open_count(laval)
    if missing <= 0:
        return
    services = list(HospitalService.objects.filter(hospital=laval))
    gps = list(
        User.objects.filter(memberships__role=Role.GP)
        .select_related()
        .prefetch_related("memberships")
    )
    doctors = list(
        User.objects.filter(memberships__role=Role.HOSPITAL_DOCTOR, memberships__organisation=laval)
    )
    with transaction.atomic():
        # About one patient for every ten requests, synthetic identities only.
        new_patients = [
            Patient(
                birth_name=f"SYNTHESE{i:06d}",
                birth_given_names="BANC",
                birth_date=date(1930, 1, 1) + timedelta(days=rnd.randint(0, 30000)),
                sex=rnd.choice("MF"),
                search_name=f"synthese{i:06d} banc",
                created_by=gps[0],
            )
            for i in range(Patient.objects.count(), Patient.objects.count() + max(1, missing // 10))
        ]
        patients = Patient.objects.bulk_create(new_patients, batch_size=2000)
        now = timezone.now()
        rows = []
        for i in range(missing):
            gp = gps[i % len(gps)]
            start = now - timedelta(minutes=rnd.randint(0, 72 * 60))
            status = rnd.choices(OPEN, weights=(6, 3, 1))[0]
            service = rnd.choice(services)
            rows.append(
                Referral(
                    patient=patients[i % len(patients)],
                    author=gp,
                    author_organisation_id=gp.memberships.all()[0].organisation_id,
                    service=service,
                    hospital=laval,
                    kind=rnd.choice(["ADVICE", "ADMISSION", "CONSULTATION", "EXAM"]),
                    question="Question clinique synthétique (banc d'essai).",
                    status=status,
                    assigned_to=rnd.choice(doctors) if status != "submitted" else None,
                    submitted_at=start,
                    due_at=start + timedelta(hours=48),
                    at_risk_at=start + timedelta(hours=36),
                )
            )
        Referral.objects.bulk_create(rows, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE referrals_referral; ANALYZE patients_patient")


def count_queries(pages: int) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parcours.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=DESK))
    counts = {}
    for name, url in (
        ("page", "/demandes/cellule/"),
        ("fragment", "/demandes/cellule/?fragment=1"),
        ("last page", f"/demandes/cellule/?page={pages}"),
    ):
        client.get(url)  # warm: session, caches
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def inbox_sql_plan() -> str:
    """EXPLAIN ANALYZE of the first page's row query, as the view runs it."""
    from django.db import connection

    from parcours.accounts.models import User
    from parcours.referrals.selectors import referral_inbox

    qs = referral_inbox(user=User.objects.get(username=DESK))[:50]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING ON) " + sql, params)
        return "\n".join(r[0] for r in cursor.fetchall())


async def time_http(base: str, n: int) -> dict:
    out: dict = {}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await login(client, DESK)
        for name, url in (
            ("page", "/demandes/cellule/"),
            ("fragment", "/demandes/cellule/?fragment=1"),
        ):
            for _ in range(10):  # warm-up
                await client.get(url)
            lat, server, errors = [], [], 0
            for _ in range(n):
                t0 = time.perf_counter()
                r = await client.get(url)
                if r.status_code == 200:
                    lat.append((time.perf_counter() - t0) * 1000)
                    server.append(float(r.headers["server-timing"].split("dur=")[1]))
                else:  # e.g. the shared PostgreSQL out of connections: count, go on
                    errors += 1
            out[name] = lat
            out[f"{name} server"] = server
            out[f"{name} errors"] = errors
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,20000")
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per size and URL")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep the database (sizes already reached are not re-seeded)",
    )
    parser.add_argument("--plan", action="store_true", help="print EXPLAIN ANALYZE at each size")
    parser.add_argument(
        "--without-open-index",
        action="store_true",
        help="drop referral_inbox_open (migration referrals 0002) to measure "
        "the inbox as it was before it",
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    print_machine()
    if not args.reuse_db:
        recreate_database(DB)
    setup_django(DB)
    from django.db import connection

    from parcours.directory.models import Organisation

    if args.without_open_index:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS referral_inbox_open")

    laval = Organisation.objects.get(name="CH de Laval")
    if open_count(laval) > sizes[0]:
        raise SystemExit(f"{open_count(laval)} open requests already; drop --reuse-db")
    rnd = random.Random(20000)
    rows = []
    for size in sizes:
        t0 = time.monotonic()
        top_up(size, rnd)
        seeded = time.monotonic() - t0
        n_open = open_count(laval)
        queries = count_queries(pages=max(1, -(-n_open // 50)))
        # Server time from bench/settings_timing.py's Server-Timing header.
        with servers(
            {
                "db": DB,
                "workers": 1,
                "name": "inbox",
                "DJANGO_SETTINGS_MODULE": "settings_timing",
                "PYTHONPATH": str(Path(__file__).resolve().parent),
            }
        ) as (srv,):
            lat = asyncio.run(time_http(srv.url, args.requests))
        rows.append((n_open, queries, lat))
        print(
            f"{n_open} open requests (seeded in {seeded:.1f}s): queries {queries}; "
            + "; ".join(
                f"{k} p50 {pct(v, 50):.1f} ms p95 {pct(v, 95):.1f} ms p99 {pct(v, 99):.1f} ms"
                for k, v in lat.items()
                if "errors" not in k
            )
            + f" ({lat['page errors'] + lat['fragment errors']} errors)",
            flush=True,
        )
        if args.plan:
            print(inbox_sql_plan())
        else:
            plan = inbox_sql_plan().splitlines()
            print(
                "  first-page row query: "
                + plan[-1].strip()
                + "; "
                + (
                    "partial index"
                    if "referral_inbox_open" in "\n".join(plan)
                    else "no ordered index (sort)"
                ),
                flush=True,
            )
    print(
        f"\n{'open requests':>14}{'queries page/frag/last':>24}   server time page "
        f"p50/p95  fragment p50/p95   HTTP page p50/p95  (ms, {args.requests} GETs each)"
    )
    for n_open, q, lat in rows:
        print(
            f"{n_open:>14}{q['page']:>12}/{q['fragment']}/{q['last page']:<9}"
            f"{pct(lat['page server'], 50):>16.1f}/{pct(lat['page server'], 95):<6.1f}"
            f"{pct(lat['fragment server'], 50):>12.1f}/{pct(lat['fragment server'], 95):<6.1f}"
            f"{pct(lat['page'], 50):>14.1f}/{pct(lat['page'], 95):.1f}"
        )
    print(
        "target: server time p95 < 150 ms at 20,000 open requests; same query count at every size"
    )


if __name__ == "__main__":
    main()
