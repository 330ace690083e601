"""Benchmark — importing many HPRIM Net files into PostgreSQL (files per second).

Builds ``--files`` synthetic HPRIM Net reports (25 results each) for 500 invented patients,
half of whom the platform knows by their INS (certain match: the report is attached), the rest
unknown (the report waits for identification), then imports them one by one through
``labs.services.lab_import_file`` — the same function as the upload page and ``import-lab``:
parse, identity matching, one transaction per file, audit rows. A second pass imports the same
files again (idempotency: nothing written).

    .venv/bin/python bench/lab_import.py [--files 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_machine, recreate_database, setup_django  # noqa: E402

DB = "parcours_bench_labs"
FAMILIES = [
    "MARTINEAU",
    "BERNIER",
    "THOMASSIN",
    "PETITJEAN",
    "ROBINET",
    "RICHARDOT",
    "DURANDEAU",
    "DUBOSQ",
    "MOREL",
    "LAURENCIN",
    "SIMONNET",
    "MICHELON",
]
GIVEN = ["ANNE", "PAUL", "LOUISE", "JEAN", "CLAIRE", "LUC", "EMMA", "HUGO"]
# The prescriber is named by an (invented) ADELI number, found in the directory: the reports go
# to them, not to whoever imports (issue 12).
ADELI = "531012345"


def nir(sex: str, born: date, order: int) -> str:
    body = f"{1 if sex == 'M' else 2}{born.year % 100:02d}{born.month:02d}53130{order:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def people(n: int) -> list[tuple]:
    rnd = random.Random(3)
    out = []
    for i in range(n):
        sex = rnd.choice("FM")
        born = date(1930, 1, 1) + timedelta(days=rnd.randrange(30000))
        suffix = "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(d)] for d in str(i))
        out.append(
            (
                f"{FAMILIES[i % len(FAMILIES)]}-{suffix}",
                GIVEN[i % len(GIVEN)],
                born,
                sex,
                nir(sex, born, i % 1000),
            )
        )
    return out


def file_for(person: tuple, i: int) -> bytes:
    family, given, born, sex, ins = person
    lines = [
        f"{i:010d}",
        family,
        given,
        "",
        "",
        "53000LAVAL",
        born.strftime("%d/%m/%Y"),
        ins,
        f"LB-{i}",
        "21/11/2026",
        "LABO53    Laboratoire fictif",
        f"{ADELI} Dr Fictif",
        "",
        "****LAB****",
    ]
    lines += [
        f"RES|Analyse {k}|A{k}|N|{k}.{i % 10}|g/L|1.0|9.0|{'H' if k % 5 == 0 else 'N'}|F|||||"
        for k in range(25)
    ]
    lines.append("****FIN****")
    return "\r\n".join(lines).encode("latin-1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--db", default=DB, help="benchmark database (parcours_bench*)")
    args = parser.parse_args()
    print_machine()
    recreate_database(args.db, demo=False)
    setup_django(args.db, DB_POOL="0")
    from parcours.accounts.models import Membership, Role, User
    from parcours.directory.models import Organisation, Practitioner
    from parcours.labs.models import LabReport, LabResult
    from parcours.labs.services import lab_import_file
    from parcours.patients.services import patient_create

    gp = User.objects.create(username="gp.bench", last_name="Fictif")
    Membership.objects.create(
        user=gp, organisation=Organisation.objects.create(name="MSP banc", kind="msp"), role=Role.GP
    )
    Practitioner.objects.create(
        user=gp, adeli=ADELI, national_id="0" + ADELI, last_name="Fictif", first_name="Banc"
    )
    population = people(500)
    for person in population[::2]:
        family, given, born, sex, ins = person
        patient_create(
            actor=gp,
            birth_name=family,
            birth_given_names=given,
            birth_date=born,
            sex=sex,
            ins_nir=ins,
        )
    files = [file_for(population[i % len(population)], i) for i in range(args.files)]
    size = sum(len(f) for f in files)
    for label in ("first import", "same files again"):
        t0 = time.perf_counter()
        matched = pending = 0
        for i, data in enumerate(files):
            outcome = lab_import_file(data=data, file_name=f"f{i}.hpm")
            matched += outcome.matched
            pending += outcome.pending
        delivered = LabReport.objects.filter(prescriber=gp).count()
        dt = time.perf_counter() - t0
        print(
            f"{label}: {len(files)} files ({size / 1e6:.1f} MB) in {dt:.1f} s → "
            f"{len(files) / dt:,.0f} files/s; attached {matched}, waiting {pending}; "
            f"reports in database {LabReport.objects.count()}, results "
            f"{LabResult.objects.count()}, to the prescriber {delivered}",
            flush=True,
        )


if __name__ == "__main__":
    main()
