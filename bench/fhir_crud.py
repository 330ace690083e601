"""FHIR API benchmark — a CRUD mix on PostgreSQL at 16 concurrent clients, side by side with a
bare Django insert view, against the same server in the same run.

    .venv/bin/python bench/fhir_crud.py [--clients 16] [--workers 2] [--seconds 10]
        [--rounds 2] [--interface asgi|wsgi]

Mix (one HTTP request each): POST Patient, POST ServiceRequest, GET Task/id or Patient/id,
search ServiceRequest?patient= or Patient?family=. Baseline: POST /fhir/_bench/insert (one
ORM insert, no token, no audit; bench/bench_views.py, only in bench/settings_bench.py).
Phases alternate (bare, fhir, bare, fhir…) so drift hits both. Closed loop: each client sends
its next request when the previous one answered. Everything on 127.0.0.1; the database is
parcours_bench_fhir, dropped and re-created on each run. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import signal
import socket
import string
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "parcours_bench_fhir"
CATEGORY = "https://parcours.esante.example/fhir/CodeSystem/referral-category"


POOL = False  # --pool: Django's psycopg connection pool (DATABASE_URL ...?pool=true)


def env(interface: str = "asgi") -> dict:
    e = dict(os.environ)
    # Persistent connections only where threads are long-lived: Django's ASGI handler runs
    # each sync view in a fresh thread, so a kept connection is never reused and leaks until
    # PostgreSQL runs out of slots ("too many clients"). Under WSGI the pool threads keep theirs.
    conn_max_age = "0" if interface == "asgi" or POOL else "60"
    e.update(
        {
            "DATABASE_URL": f"{PG}/{DB}" + ("?pool=true" if POOL else ""),
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": conn_max_age,
            "PARCOURS_VAR_DIR": str(ROOT / "var" / "bench" / DB),
            "DJANGO_SETTINGS_MODULE": "settings_bench",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
        }
    )
    e.pop("PARCOURS_TESTING", None)
    return e


def recreate_and_seed(n_patients: int = 100, n_referrals: int = 200) -> dict:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    os.environ.update(env())
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    from parcours.accounts.models import Membership, Role, User
    from parcours.directory.models import HospitalService, Organisation
    from parcours.fhir.tokens import api_token_create
    from parcours.patients.services import patient_create
    from parcours.referrals.services import referral_submit

    hospital = Organisation.objects.create(name="CH Bench", kind="hospital")
    msp = Organisation.objects.create(name="MSP Bench", kind="msp")
    service = HospitalService.objects.create(
        hospital=hospital, name="Cardiologie", specialty="Cardiologie"
    )
    desk = User.objects.create(username="desk", last_name="Desk")
    Membership.objects.create(user=desk, organisation=hospital, role=Role.PATHWAY_DESK)
    gps = []
    for i in range(2):
        gp = User.objects.create(username=f"gp{i}", last_name=f"Gp{i}", title="Dr")
        Membership.objects.create(user=gp, organisation=msp, role=Role.GP)
        gps.append(gp)
    patients, referrals = [], []
    for i in range(n_patients):
        gp = gps[i % 2]
        p = patient_create(
            actor=gp,
            birth_name=_name(),
            birth_given_names="Seed",
            birth_date=date(1940 + i % 60, 1 + i % 12, 1 + i % 28),
            sex="F",
        ).patient
        patients.append((gp.pk, p.pk, p.birth_name))
    for i in range(n_referrals):
        gp_id, pid, _ = patients[i % n_patients]
        from parcours.patients.models import Patient

        r = referral_submit(
            author=User.objects.get(pk=gp_id),
            patient=Patient.objects.get(pk=pid),
            service=service,
            kind="ADVICE",
            question="Avis ?",
        )
        referrals.append((gp_id, r.pk))
    tokens = {gp.pk: api_token_create(user=gp).secret for gp in gps}
    return {"service": service.pk, "tokens": tokens, "patients": patients, "referrals": referrals}


def _name(n: int = 9) -> str:
    return "".join(random.choices(string.ascii_uppercase, k=n))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, interface: str) -> subprocess.Popen:
    if interface == "asgi":
        cmd = [
            str(BIN / "parcours"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    else:  # uvicorn's WSGI interface: sync Django in a thread pool, no async hop per request
        cmd = [
            str(BIN / "uvicorn"),
            "parcours.wsgi:application",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    proc = subprocess.Popen(
        cmd, env=env(interface), cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/fhir/metadata").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("server did not start")


CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_pgid: int) -> dict[str, float]:
    """CPU seconds used so far by the server processes, all PostgreSQL processes (other
    databases too), this load generator, and the whole machine."""
    out = {"server": 0.0, "postgres": 0.0, "client": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / CLK
        if int(fields[2]) == server_pgid:
            out["server"] += used
        elif name.startswith("postgres"):
            out["postgres"] += used
        elif int(pid) == os.getpid():
            out["client"] += used
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    out["machine"] = (sum(int(x) for x in cpu) - int(cpu[3]) - int(cpu[4])) / CLK
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def phase(base: str, seed: dict, kind: str, clients: int, seconds: float) -> dict:
    lat: dict[str, list[float]] = {}
    codes: dict[int, int] = {}
    errors = 0
    stop = time.monotonic() + seconds
    by_gp: dict[int, list] = {}
    for gp_id, pid, name in seed["patients"]:
        by_gp.setdefault(gp_id, []).append((pid, name))
    refs: dict[int, list] = {}
    for gp_id, rid in seed["referrals"]:
        refs.setdefault(gp_id, []).append(rid)
    gp_ids = sorted(seed["tokens"])

    async def client(i: int):
        nonlocal errors
        gp = gp_ids[i % len(gp_ids)]
        headers = {
            "Authorization": f"Bearer {seed['tokens'][gp]}",
            "Content-Type": "application/fhir+json",
            "Accept": "application/fhir+json",
        }
        rng = random.Random(i)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < stop:
                if kind == "bare":
                    op, req = "bare insert", http.build_request("POST", "/fhir/_bench/insert")
                else:
                    pid, name = rng.choice(by_gp[gp])
                    roll = rng.random()
                    if roll < 0.25:
                        op = "POST Patient"
                        body = {
                            "resourceType": "Patient",
                            "gender": "male",
                            "name": [{"use": "official", "family": _name(), "given": ["Bench"]}],
                            "birthDate": f"19{rng.randint(30, 99)}-0{rng.randint(1, 9)}-1"
                            f"{rng.randint(0, 9)}",
                        }
                        req = http.build_request("POST", "/fhir/Patient", json=body)
                    elif roll < 0.5:
                        op = "POST ServiceRequest"
                        body = {
                            "resourceType": "ServiceRequest",
                            "status": "active",
                            "intent": "order",
                            "category": [{"coding": [{"system": CATEGORY, "code": "ADVICE"}]}],
                            "subject": {"reference": f"Patient/{pid}"},
                            "performer": [{"reference": f"HealthcareService/{seed['service']}"}],
                            "reasonCode": [{"text": "Avis cardiologique ?"}],
                        }
                        req = http.build_request("POST", "/fhir/ServiceRequest", json=body)
                    elif roll < 0.75:
                        if rng.random() < 0.5:
                            op = "GET Task/id"
                            req = http.build_request("GET", f"/fhir/Task/{rng.choice(refs[gp])}")
                        else:
                            op = "GET Patient/id"
                            req = http.build_request("GET", f"/fhir/Patient/{pid}")
                    else:
                        if rng.random() < 0.5:
                            op = "search ServiceRequest?patient"
                            req = http.build_request(
                                "GET", f"/fhir/ServiceRequest?patient=Patient/{pid}&_count=10"
                            )
                        else:
                            op = "search Patient?family"
                            req = http.build_request("GET", f"/fhir/Patient?family={name[:4]}")
                t0 = time.perf_counter()
                response = await http.send(req)
                elapsed = (time.perf_counter() - t0) * 1000
                if response.status_code >= 400:
                    errors += 1
                    codes[response.status_code] = codes.get(response.status_code, 0) + 1
                    continue
                lat.setdefault(op, []).append(elapsed)

    t0 = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    duration = time.monotonic() - t0
    return {"kind": kind, "duration": duration, "lat": lat, "errors": errors, "codes": codes}


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    pg = subprocess.run(
        ["psql", f"{PG}/postgres", "-Atc", "show server_version"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · nproc {os.cpu_count()} · "
        f"{model} · Python {platform.python_version()} · PostgreSQL {pg} (same machine) · "
        f"load average before the run {os.getloadavg()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--interface", choices=["asgi", "wsgi"], default="asgi")
    parser.add_argument(
        "--pool", action="store_true", help="serve with Django's psycopg pool (needs psycopg_pool)"
    )
    args = parser.parse_args()
    global POOL
    POOL = args.pool
    print(machine())
    seed = recreate_and_seed()
    port = free_port()
    server = start_server(port, args.workers, args.interface)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(phase(base, seed, "fhir", args.clients, 2))  # warm-up
        totals: dict[str, dict] = {
            "bare": {"n": 0, "t": 0.0, "lat": {}, "err": 0},
            "fhir": {"n": 0, "t": 0.0, "lat": {}, "err": 0},
        }
        for _ in range(args.rounds):
            for kind in ("bare", "fhir"):
                before = cpu_seconds(server.pid)
                r = asyncio.run(phase(base, seed, kind, args.clients, args.seconds))
                after = cpu_seconds(server.pid)
                t = totals[kind]
                for key in after:
                    t.setdefault("cpu", {}).setdefault(key, 0.0)
                    t["cpu"][key] += after[key] - before[key]
                t["t"] += r["duration"]
                t["err"] += r["errors"]
                for code, n in r["codes"].items():
                    t.setdefault("codes", {})[code] = t.get("codes", {}).get(code, 0) + n
                for op, values in r["lat"].items():
                    t["lat"].setdefault(op, []).extend(values)
                    t["n"] += len(values)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    print(f"load average after the run: {os.getloadavg()}")
    print(
        f"\n{args.clients} clients, {args.workers} workers ({args.interface}"
        f"{', psycopg pool' if args.pool else ''}), "
        f"{args.rounds}×{args.seconds:.0f} s per side"
    )
    print(f"{'operation':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'n':>7}")
    for kind in ("bare", "fhir"):
        t = totals[kind]
        everything = [v for values in t["lat"].values() for v in values]
        label = "bare Django insert" if kind == "bare" else "FHIR CRUD mix (all)"
        print(
            f"{label:32} {t['n'] / t['t']:8.0f} {pct(everything, 50):8.1f} "
            f"{pct(everything, 99):8.1f} {t['n']:7d}  errors={t['err']} {t.get('codes', {})}"
        )
        cpu = t["cpu"]
        others = cpu["machine"] - cpu["server"] - cpu["postgres"] - cpu["client"]
        print(
            f"  CPU per request (ms): server {1000 * cpu['server'] / t['n']:.1f}, "
            f"PostgreSQL {1000 * cpu['postgres'] / t['n']:.1f}, load generator "
            f"{1000 * cpu['client'] / t['n']:.1f}; machine busy "
            f"{100 * cpu['machine'] / t['t'] / os.cpu_count():.0f} % (others: "
            f"{100 * others / t['t'] / os.cpu_count():.0f} %)"
        )
        if kind == "fhir":
            for op, values in sorted(t["lat"].items()):
                print(
                    f"  {op:30} {len(values) / t['t']:8.0f} {pct(values, 50):8.1f} "
                    f"{pct(values, 99):8.1f} {len(values):7d}"
                )


if __name__ == "__main__":
    main()
