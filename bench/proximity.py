"""Benchmark — the Service Médical de Proximité (issue 18) on PostgreSQL.

Seeds a dedicated database (parcours_bench_proximity: migrations only, then one SMP built with
bulk_create: 10,000 waiting patients with random criteria and sign-up dates over a year, and a
year of consultations — 1,700 a month, one in five by one of two interns supervised by the
coordinating doctor), then, in process with the Django test Client (view + templates +
database, no HTTP server):

- the registry page (/smp/: the waiting list of 10,000 sorted by priority then waiting time,
  first page and page 100) as the assistant;
- the supervision page (/smp/supervision/: review queue and the year's dashboard) as the
  coordinating doctor;

each ``--requests`` times after a warm-up, reporting p50/p95/max in ms (the query counts are
pinned by the tests: proximity/tests/test_registry.py).
Target (issue 18): p95 < 100 ms for both.

    .venv/bin/python bench/proximity.py [--waiting 10000] [--requests 100]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import pct, print_machine, recreate_database, setup_django  # noqa: E402

DB = "parcours_bench_proximity"


def seed(waiting: int, per_month: int, rnd: random.Random) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from parcours.accounts.models import Membership, Role, User
    from parcours.directory.models import Organisation
    from parcours.patients.models import Patient
    from parcours.proximity.models import Consultation, Episode, Site, StaffMember
    from parcours.proximity.services import due_delay, priority_score

    now = timezone.now()
    with transaction.atomic():
        org = Organisation.objects.create(name="SMP banc", kind="practice", finess="530000000")
        site = Site.objects.create(organisation=org, name="SMP banc")
        people = {}
        for username, role, kind in (
            ("bench.accueil", Role.PROXIMITY_ASSISTANT, StaffMember.Kind.ASSISTANT),
            ("bench.coord", Role.PROXIMITY_COORDINATOR, StaffMember.Kind.COORDINATOR),
            ("bench.retraite", Role.RETIRED_GP, StaffMember.Kind.RETIRED_GP),
            ("bench.interne1", Role.INTERN, StaffMember.Kind.INTERN),
            ("bench.interne2", Role.INTERN, StaffMember.Kind.INTERN),
        ):
            user = User.objects.create_user(username, password="demo", last_name=username)
            Membership.objects.create(user=user, organisation=org, role=role)
            people[username] = user
            StaffMember.objects.create(
                user=user,
                organisation=org,
                site=site,
                kind=kind,
                supervisor=people["bench.coord"] if kind == StaffMember.Kind.INTERN else None,
            )
        total = waiting + 12 * per_month // 3  # plus the patients already followed
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    birth_name=f"SYNTHESE{i:06d}",
                    birth_given_names="BANC",
                    birth_date=date(1930, 1, 1) + timedelta(days=rnd.randint(0, 30000)),
                    sex=rnd.choice("MF"),
                    search_name=f"synthese{i:06d} banc",
                    created_by=people["bench.accueil"],
                )
                for i in range(total)
            ],
            batch_size=2000,
        )
        episodes = []
        for i, patient in enumerate(patients):
            criteria = {
                "ald": rnd.random() < 0.3,
                "age_70": rnd.random() < 0.25,
                "css_ame": rnd.random() < 0.15,
                "recent_discharge": rnd.random() < 0.05,
            }
            registered = now - timedelta(minutes=rnd.randint(0, 365 * 24 * 60))
            p = priority_score(criteria)
            episodes.append(
                Episode(
                    patient=patient,
                    organisation=org,
                    site=site,
                    status="waitlist" if i < waiting else "active",
                    source="patient",
                    reason="doctor_left",
                    priority=p,
                    registered_at=registered,
                    registered_by=people["bench.accueil"],
                    due_at=registered + due_delay(p),
                    **criteria,
                )
            )
        episodes = Episode.objects.bulk_create(episodes, batch_size=2000)
        active = episodes[waiting:]
        rows = []
        for _ in range(12 * per_month):
            start = now - timedelta(minutes=rnd.randint(60, 365 * 24 * 60))
            intern = rnd.random() < 0.2
            episode = rnd.choice(active)
            reviewed = intern and start < now - timedelta(days=2)
            rows.append(
                Consultation(
                    episode=episode,
                    patient_id=episode.patient_id,
                    site=site,
                    doctor=people[rnd.choice(["bench.interne1", "bench.interne2"])]
                    if intern
                    else people["bench.retraite"],
                    doctor_kind="intern" if intern else "retired_gp",
                    supervisor=people["bench.coord"] if intern else None,
                    start=start,
                    reason="Consultation synthétique",
                    intern_consent=intern,
                    review=("reviewed" if reviewed else "pending") if intern else "not_needed",
                    reviewed_by=people["bench.coord"] if reviewed else None,
                    reviewed_at=start + timedelta(hours=rnd.randint(2, 48)) if reviewed else None,
                )
            )
        Consultation.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE proximity_episode; ANALYZE proximity_consultation; ANALYZE patients_patient"
        )


def measure(username: str, url: str, requests: int) -> dict:
    from django.test import Client

    from parcours.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return {
        "url": url,
        "p50": pct(times, 50),
        "p95": pct(times, 95),
        "max": max(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--per-month", type=int, default=1_700)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    print_machine()
    recreate_database(DB, demo=False)
    setup_django(DB)
    t0 = time.perf_counter()
    seed(args.waiting, args.per_month, random.Random(18))
    print(f"seeded in {time.perf_counter() - t0:.1f} s")
    for username, url in (
        ("bench.accueil", "/smp/"),
        ("bench.accueil", "/smp/?page=100"),
        ("bench.accueil", "/smp/?status=waitlist&overdue=on"),
        ("bench.coord", "/smp/supervision/"),
    ):
        r = measure(username, url, args.requests)
        print(
            f"{r['url']:<40} p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  max {r['max']:6.1f} ms"
        )


if __name__ == "__main__":
    main()
