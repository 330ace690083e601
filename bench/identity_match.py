"""`POST /fhir/Patient/$match` latency with one million identities on PostgreSQL.

    .venv/bin/python bench/identity_match.py [--patients 1000000] [--calls 400] [--keep]

Creates a throw-away database (``parcours_bench_dedup_identity``), migrates it, bulk-loads
synthetic identities with COPY (names from bench/identity_dataset.py, blocking keys computed by
the same code as the application; a synthetic address, postcode, town and phone on each, so
that the supporting evidence is loaded too), ANALYZEs, then times ``$match`` calls through the
Django test client (the whole stack: middleware, token authentication, parsing, candidate
query, scoring, access filter, mapping, audit row). Queries are noisy copies of loaded
identities. The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PG_SERVER, PYTHON, ROOT, database_url, server_env  # noqa: E402
from bench.identity_dataset import ERRORS, _corrupt, _person  # noqa: E402

DB = "parcours_bench_dedup_identity"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INSEE = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"


STREETS = [
    f"{kind} {name}"
    for kind in ("RUE", "AVENUE", "CHEMIN", "PLACE", "ALLEE")
    for name in (
        "DES LILAS",
        "VICTOR HUGO",
        "DE LA GARE",
        "DU MOULIN",
        "JEAN JAURES",
        "DES ECOLES",
        "PASTEUR",
        "DE L'EGLISE",
        "DU CHATEAU",
        "DES PRES",
    )
]
TOWNS = [f"COMMUNE {i:03d}" for i in range(300)]


def psql(sql: str, db: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{db}", autocommit=True) as conn:
        conn.execute(sql)


def load(n: int, user_id: int) -> list:
    import psycopg

    from parcours.lib.identity import given_key, name_key
    from parcours.lib.text import ins_form, search_key

    rng = random.Random(11)
    keys: dict[str, tuple[str, str]] = {}
    sample = []
    buf = io.StringIO()
    cols = (
        "birth_name, birth_given_names, birth_date, sex, birthplace_insee, ins_nir, "
        "used_name, used_first_name, identity_status, ins_kind, status_document, phone, "
        "created_at, created_by_id, search_name, name_key, given_key, address_line, "
        "postcode, town"
    )
    start = time.perf_counter()
    with psycopg.connect(database_url(DB)) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY patients_patient ({cols}) FROM STDIN") as copy:
            for i in range(n):
                r = _person(rng, i)
                family, given = ins_form(r.birth_name), ins_form(r.given_names)
                if family not in keys:
                    keys[family] = (name_key(family), "")
                if given not in keys:
                    keys[given] = ("", given_key(given))
                first = given.split(" ")[0]
                town = rng.randrange(len(TOWNS))
                copy.write_row(
                    (
                        family,
                        given,
                        r.birth_date,
                        r.sex,
                        r.birthplace,
                        "",
                        ins_form(r.used_name),
                        "",
                        "PROV",
                        "",
                        "",
                        f"06{rng.randrange(10**8):08d}",
                        "2026-01-01T00:00:00+00:00",
                        user_id,
                        search_key(f"{family} {first}"),
                        keys[family][0],
                        keys[given][1],
                        f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
                        f"{53000 + town:05d}",
                        TOWNS[town],
                    )
                )
                if i % (n // 2000 or 1) == 0:
                    sample.append(r)
                if i and i % 200000 == 0:
                    print(f"  {i} rows, {time.perf_counter() - start:.0f} s", flush=True)
        conn.commit()
        cur.execute("ANALYZE patients_patient")
        conn.commit()
    del buf
    print(f"loaded {n} identities in {time.perf_counter() - start:.0f} s", flush=True)
    return sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the timed calls (cProfile) and print the top functions",
    )
    args = parser.parse_args()
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    try:
        env = server_env(DB, PARCOURS_TESTING="0", DB_POOL="0")
        subprocess.run([PYTHON, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True)
        import os

        os.environ.update(env)
        import django

        django.setup()
        from django.test import Client
        from django.test.utils import setup_test_environment

        from parcours.accounts.models import Membership, Role, User
        from parcours.directory.models import Organisation
        from parcours.fhir.tokens import api_token_create

        setup_test_environment()
        org = Organisation.objects.create(name="MSP Bench", kind="msp")
        user = User.objects.create(username="bench.gp")
        Membership.objects.create(user=user, organisation=org, role=Role.GP)
        token = api_token_create(user=user).secret
        sample = load(args.patients, user.pk)
        rng = random.Random(5)
        client = Client(HTTP_HOST="127.0.0.1")
        timings, grades = [], {}
        import cProfile

        profiler = cProfile.Profile()
        for k in range(args.calls + 20):
            if args.profile and k == 20:
                profiler.enable()
            ref = rng.choice(sample)
            q = _corrupt(rng, ref, rng.choice(ERRORS)) if k % 4 else ref
            body = {
                "resourceType": "Parameters",
                "parameter": [
                    {
                        "name": "resource",
                        "resource": {
                            "resourceType": "Patient",
                            "gender": "female" if q.sex == "F" else "male",
                            "birthDate": q.birth_date,
                            "name": [
                                {
                                    "use": "official",
                                    "family": q.birth_name,
                                    "given": q.given_names.split(),
                                }
                            ],
                            **(
                                {
                                    "extension": [
                                        {
                                            "url": BIRTH_PLACE,
                                            "valueAddress": {
                                                "extension": [
                                                    {
                                                        "url": INSEE,
                                                        "valueCoding": {
                                                            "system": "urn:oid:1.2.250.1.213.2.12",
                                                            "code": q.birthplace,
                                                        },
                                                    }
                                                ]
                                            },
                                        }
                                    ]
                                }
                                if q.birthplace
                                else {}
                            ),
                        },
                    }
                ],
            }
            t0 = time.perf_counter()
            resp = client.post(
                "/fhir/Patient/$match",
                json.dumps(body),
                content_type="application/fhir+json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_ACCEPT="application/fhir+json",
            )
            elapsed = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 200, resp.content[:300]
            if k >= 20:  # warm-up excluded
                timings.append(elapsed)
                for e in json.loads(resp.content).get("entry", []):
                    g = e["search"]["extension"][0]["valueCode"]
                    grades[g] = grades.get(g, 0) + 1
        timings.sort()
        if args.profile:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)

        def pct(p):
            return timings[min(len(timings) - 1, int(p / 100 * len(timings)))]

        print(
            f"\n$match over {args.patients} identities, {len(timings)} calls "
            f"({time.strftime('%Y-%m-%d')}):"
        )
        print(
            f"  p50 {pct(50):.1f} ms · p95 {pct(95):.1f} ms · p99 {pct(99):.1f} ms · "
            f"mean {statistics.mean(timings):.1f} ms"
        )
        print(f"  grades returned (visible or certain): {grades}")
        from django.db import connection

        with connection.cursor() as cur:
            q = sample[0]
            cur.execute(
                "EXPLAIN ANALYZE SELECT id FROM patients_patient WHERE birth_date IN "
                "(%s) OR (name_key = %s AND given_key = %s)",
                [q.birth_date, "M635", "M6"],
            )
            print("\n".join(r[0] for r in cur.fetchall()[:12]))
        connection.close()
    finally:
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
