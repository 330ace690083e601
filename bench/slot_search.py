"""Benchmark — free-slot search across 500 agendas over 6 months, on PostgreSQL.

Seeds ``--schedules`` agendas (services and imaging devices of the demo hospitals and imaging
centre) with weekday rules over 26 weeks (about 1,000 slots each, a third of them already
booked, some reserved to a partner practice or to urgent requests), then times the selector
behind the search page (``scheduling.selectors.slot_search``, as the GP medecin.ville) and the
whole page through Django's test client, for typical searches.

    .venv/bin/python bench/slot_search.py [--schedules 500] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import pct, print_machine, recreate_database, setup_django  # noqa: E402

DB = "parcours_bench_slots"


def seed(n: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from parcours.directory.models import HospitalService, Organisation
    from parcours.scheduling.models import Act, AvailabilityRule, Pool, Schedule, Slot
    from parcours.scheduling.services import slots_generate

    rnd = random.Random(5)
    services = list(HospitalService.objects.all())
    imaging = Organisation.objects.get(kind="imaging")
    partner = Organisation.objects.filter(kind="msp").first()
    devices = [d for d, _ in Schedule.Device.choices]
    t0 = time.perf_counter()
    for i in range(n):
        if i % 3 == 0:
            device = devices[i % len(devices)]
            s = Schedule.objects.create(
                name=f"Équipement {i}",
                kind="device",
                device=device,
                organisation=imaging,
                horizon_weeks=26,
            )
        else:
            service = services[i % len(services)]
            s = Schedule.objects.create(
                name=f"Consultations {i}",
                kind="service",
                organisation=service.hospital,
                service=service,
                horizon_weeks=26,
            )
        act = Act.objects.create(
            schedule=s,
            name=rnd.choice(["Consultation", "Échographie", "Scanner", "IRM", "Bilan"]),
            duration_minutes=30,
        )
        for weekday in range(5):
            pool = Pool.PARTNER if weekday == 1 else Pool.URGENT if weekday == 2 else Pool.OPEN
            AvailabilityRule.objects.create(
                schedule=s,
                act=act,
                weekday=weekday,
                start_time=clock(8, 30),
                end_time=clock(12, 30),
                pool=pool,
                partner=partner if pool == Pool.PARTNER else None,
            )
        slots_generate(schedule=s)
    # A third of the slots already taken.
    Slot.objects.filter(
        id__in=Slot.objects.order_by("?").values("id")[: Slot.objects.count() // 3]
    ).update(status="busy")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scheduling_slot")
    print(
        f"seeded {n} agendas, {Slot.objects.count()} slots "
        f"({Slot.objects.filter(status='free').count()} free) in "
        f"{time.perf_counter() - t0:.0f} s; now {timezone.now():%Y-%m-%d}",
        flush=True,
    )


def measure(queries: int) -> None:
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from parcours.accounts.models import User
    from parcours.scheduling.models import Schedule
    from parcours.scheduling.selectors import slot_search

    settings.ALLOWED_HOSTS = ["*"]
    gp = User.objects.get(username="medecin.ville")
    rnd = random.Random(7)
    schedule_ids = list(Schedule.objects.values_list("pk", flat=True))
    tz = timezone.get_current_timezone()
    today = timezone.localdate()

    def window(days: int):
        start = today + timedelta(days=rnd.randint(0, 150))
        return (
            datetime.combine(start, datetime.min.time(), tz),
            datetime.combine(start + timedelta(days=days), datetime.min.time(), tz),
        )

    cases = {
        "soonest, no filter": lambda: {},
        "one agenda": lambda: {"schedule": Schedule.objects.get(pk=rnd.choice(schedule_ids))},
        "device = MRI": lambda: {"device": "mri"},
        "act name 'IRM', 2-week window": lambda: dict(
            zip(("start_from", "start_to"), window(14), strict=True), act_name="IRM"
        ),
        "urgent pool, 3 months": lambda: dict(
            zip(("start_from", "start_to"), window(90), strict=True), pool="urgent"
        ),
        "window 6 months ahead": lambda: {"start_from": window(1)[0] + timedelta(days=30)},
    }
    for name, build in cases.items():
        times = []
        for _ in range(queries // len(cases)):
            kwargs = build()
            t0 = time.perf_counter()
            rows = slot_search(user=gp, limit=120, **kwargs)
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"selector | {name:32s} | p50 {pct(times, 50):6.1f} ms | p95 "
            f"{pct(times, 95):6.1f} ms | last: {len(rows)} slots",
            flush=True,
        )
    client = Client()
    client.force_login(gp)
    pages = []
    for _ in range(queries // 2):
        params = rnd.choice(
            [
                {},
                {"device": "ct"},
                {"act": "Scanner"},
                {"schedule": rnd.choice(schedule_ids)},
                {
                    "start": (today + timedelta(days=rnd.randint(0, 150))).isoformat(),
                    "pool": "open",
                },
            ]
        )
        t0 = time.perf_counter()
        response = client.get("/agendas/", params)
        pages.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    print(
        f"page     | {'GET /agendas/ (mixed filters)':32s} | p50 {pct(pages, 50):6.1f} ms | "
        f"p95 {pct(pages, 95):6.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    args = parser.parse_args()
    print_machine()
    if not args.reuse:
        recreate_database(DB)
    setup_django(DB)
    if not args.reuse:
        seed(args.schedules)
    measure(args.queries)


if __name__ == "__main__":
    main()
