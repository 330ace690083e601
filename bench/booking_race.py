"""Benchmark — many GPs racing for the same few slots, through the real booking page.

Each round opens 20 fresh slots on a demo agenda, then ``--clients`` logged-in GPs (default
200) wait at a barrier and all POST /agendas/creneaux/<id>/reserver/ at once, ten clients per
slot. Expected: exactly 20 bookings (HTTP 302), every other client told « Ce créneau est déjà
pris. » (HTTP 400), and no two live appointments overlapping on the agenda in the database.
Latency is measured per POST, from send to answer.

    .venv/bin/python bench/booking_race.py [--clients 200] [--slots 20] [--rounds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _common import (  # noqa: E402
    csrf_from,
    login,
    pct,
    print_machine,
    recreate_database,
    servers,
    setup_django,
)

DB = "parcours_bench_booking"
GPS = ["medecin.ville", "medecin.ville2"]
TAKEN = "Ce créneau est déjà pris."


def open_slots(n: int, round_no: int) -> tuple[list[int], dict[str, int]]:
    """``n`` fresh open slots of 15 minutes on a bench agenda, and a patient per GP."""
    from django.utils import timezone

    from parcours.directory.models import HospitalService
    from parcours.patients.models import CareLink
    from parcours.scheduling.models import Act, Schedule, Slot

    service = HospitalService.objects.get(hospital__name="CH de Laval", name="Cardiologie")
    schedule, _ = Schedule.objects.get_or_create(
        name="Agenda du banc d'essai",
        kind=Schedule.Kind.SERVICE,
        organisation=service.hospital,
        service=service,
    )
    act, _ = Act.objects.get_or_create(schedule=schedule, name="Consultation", duration_minutes=15)
    start = (timezone.now() + timedelta(days=30 + round_no)).replace(
        minute=0, second=0, microsecond=0
    )
    slots = Slot.objects.bulk_create(
        Slot(
            schedule=schedule,
            act=act,
            start=start + timedelta(minutes=15 * i),
            end=start + timedelta(minutes=15 * (i + 1)),
        )
        for i in range(n)
    )
    patients = {
        gp: CareLink.objects.filter(user__username=gp).values_list("patient_id", flat=True).first()
        for gp in GPS
    }
    return [s.pk for s in slots], patients


def check_database(slot_ids: list[int]) -> tuple[int, int]:
    """Live appointments on these slots, and overlapping live pairs on the agenda."""
    from django.db import connection

    from parcours.scheduling.models import Appointment

    live = Appointment.objects.filter(slot_id__in=slot_ids).exclude(status="cancelled").count()
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM scheduling_appointment x
                          JOIN scheduling_appointment y ON x.id < y.id
                           AND x.schedule_id = y.schedule_id
                           AND tstzrange(x.start, x."end") && tstzrange(y.start, y."end")
                          WHERE x.status <> 'cancelled' AND y.status <> 'cancelled'""")
        overlaps = cursor.fetchone()[0]
    return live, overlaps


class Client:
    def __init__(self, base: str, n: int):
        self.http = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.gp = GPS[n % len(GPS)]
        self.n = n

    async def prepare(self, slot_id: int, patient_id: int) -> None:
        self.url = f"/agendas/creneaux/{slot_id}/reserver/?patient={patient_id}"
        r = await self.http.get(self.url)
        r.raise_for_status()
        self.token = csrf_from(r.text)

    async def book(self, start: asyncio.Event) -> tuple[str, float]:
        await start.wait()
        t0 = time.perf_counter()
        r = await self.http.post(
            self.url,
            data={"csrfmiddlewaretoken": self.token, "note": "banc d'essai"},
            headers={"Referer": str(self.http.base_url) + self.url},
        )
        elapsed = (time.perf_counter() - t0) * 1000
        if r.status_code == 302:
            return "booked", elapsed
        if r.status_code == 400 and TAKEN in r.text:
            return "taken", elapsed
        return f"HTTP {r.status_code}", elapsed


async def race(
    base: str, clients: list[Client], slot_ids: list[int], patients: dict[str, int]
) -> list[tuple[str, float]]:
    await asyncio.gather(
        *(c.prepare(slot_ids[i % len(slot_ids)], patients[c.gp]) for i, c in enumerate(clients))
    )
    start = asyncio.Event()
    tasks = [asyncio.create_task(c.book(start)) for c in clients]
    await asyncio.sleep(0.2)  # every request is ready to go
    start.set()
    return await asyncio.gather(*tasks)


async def main_async(args, base: str) -> None:
    clients = [Client(base, n) for n in range(args.clients)]
    for batch in range(0, len(clients), 20):  # Argon2 logins: a few at a time
        await asyncio.gather(*(login(c.http, c.gp) for c in clients[batch : batch + 20]))
    latencies: list[float] = []
    for round_no in range(args.rounds):
        slot_ids, patients = await asyncio.to_thread(open_slots, args.slots, round_no)
        results = await race(base, clients, slot_ids, patients)
        outcomes = [o for o, _ in results]
        latencies += [ms for _, ms in results]
        live, overlaps = await asyncio.to_thread(check_database, slot_ids)
        others = sorted({o for o in outcomes if o not in ("booked", "taken")})
        print(
            f"round {round_no + 1}: booked={outcomes.count('booked')} "
            f"taken={outcomes.count('taken')} other={others or 0} | database: "
            f"live appointments={live} overlaps={overlaps} | latency ms "
            f"p50={pct([ms for _, ms in results], 50):.0f} "
            f"p95={pct([ms for _, ms in results], 95):.0f} "
            f"p99={pct([ms for _, ms in results], 99):.0f} "
            f"max={max(ms for _, ms in results):.0f}",
            flush=True,
        )
    print(
        f"all rounds ({len(latencies)} bookings attempted): p50={pct(latencies, 50):.0f} ms "
        f"p95={pct(latencies, 95):.0f} ms p99={pct(latencies, 99):.0f} ms",
        flush=True,
    )
    for c in clients:
        await c.http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    print_machine()
    recreate_database(DB)
    setup_django(DB)
    with servers({"db": DB, "workers": args.workers, "name": "booking", "DB_POOL_MAX": "40"}) as (
        server,
    ):
        asyncio.run(main_async(args, server.url))


if __name__ == "__main__":
    main()
