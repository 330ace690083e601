"""Directory search latency over an imported national directory (issue 4).

    .venv/bin/python bench/make_annuaire.py 2000000 var/bench/annuaire_2M.txt
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/parcours_bench_dir \\
        .venv/bin/parcours import-annuaire var/bench/annuaire_2M.txt
    .venv/bin/python bench/directory_search.py [--db parcours_bench_dir] [--n 200]

Runs the page's selector (``practitioner_search``) and the FHIR Practitioner search queryset
with queries drawn from the imported names themselves (exact, accent-free lower case, one
letter changed, first-name + name, specialty + postcode, town, organisation), and prints
p50/p95/max per kind in milliseconds. In-process: what is measured is the database work plus
the ORM, not HTTP.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import setup_django  # noqa: E402


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="parcours_bench_dir")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    setup_django(args.db, DB_POOL="0")
    from django.http import QueryDict

    from parcours.directory.models import Organisation, Practitioner
    from parcours.directory.selectors import practitioner_search
    from parcours.fhir.resources import PRACTITIONER

    rng = random.Random(4)
    total = Practitioner.objects.count()
    max_id = Practitioner.objects.order_by("-pk").values_list("pk", flat=True).first()
    sample = []
    while len(sample) < args.n:
        p = (
            Practitioner.objects.filter(pk__gte=rng.randrange(1, max_id))
            .order_by("pk")
            .prefetch_related("roles__organisation")
            .first()
        )
        if p and p.roles.all():
            sample.append(p)

    def typo(word: str) -> str:
        i = rng.randrange(1, max(2, len(word) - 1))
        return word[:i] + rng.choice("AEIOURST") + word[i + 1 :]

    from parcours.directory.keys import fold

    kinds = {
        "name exact": lambda p: dict(query=p.last_name),
        "name lower, no accents": lambda p: dict(query=fold(p.last_name).lower()),
        "first + last name": lambda p: dict(query=f"{p.first_name} {p.last_name}"),
        "name with a typo": lambda p: dict(query=typo(fold(p.last_name))),
        "specialty + postcode": lambda p: dict(
            specialty=p.specialty or "Médecine générale",
            place=p.roles.all()[0].organisation.postcode,
        ),
        "town": lambda p: dict(place=p.roles.all()[0].organisation.town),
        "organisation": lambda p: dict(organisation=p.roles.all()[0].organisation.name),
    }
    print(
        f"{total} practitioners, {Organisation.objects.count()} organisations; "
        f"{args.n} queries per kind"
    )
    results = {}
    for kind, make in kinds.items():
        times, found = [], 0
        for p in sample:
            criteria = make(p)
            t0 = time.perf_counter()
            rows = practitioner_search(limit=50, **criteria)
            times.append((time.perf_counter() - t0) * 1000)
            found += any(r.pk == p.pk for r in rows)
        results[kind] = times
        print(
            f"page  {kind:26s} p50 {statistics.median(times):7.1f}  p95 {pct(times, 0.95):7.1f}"
            f"  max {max(times):7.1f} ms   target found {found}/{len(sample)}"
        )
    fhir_kinds = {
        "name=": lambda p: f"name={fold(p.last_name).lower()}&_count=20",
        "phonetic= (typo)": lambda p: f"phonetic={typo(fold(p.last_name))}&_count=20&_total=none",
        "address-postalcode=": lambda p: (
            f"address-postalcode={p.roles.all()[0].organisation.postcode}&_count=20"
        ),
    }
    for kind, make in fhir_kinds.items():
        times = []
        for p in sample:
            query = QueryDict(make(p))
            t0 = time.perf_counter()
            PRACTITIONER.search_page(None, query)  # what the API view runs
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"fhir  {kind:26s} p50 {statistics.median(times):7.1f}  p95 {pct(times, 0.95):7.1f}"
            f"  max {max(times):7.1f} ms"
        )


if __name__ == "__main__":
    main()
