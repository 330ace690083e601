"""Benchmark — networks' shared record (issue 17), in-process on PostgreSQL.

Seeds three care networks coordinated by one user, a 200-item form (10 sections of 20 items:
every item type, conditions, a repeating group) and one patient with a record in each
network, then times through Django's test client:

- the fill page of the 200-item form (definition → field tree → template);
- saving a response (``response_save``: validation of the whole form, revision, audit),
  while loading 500 responses across the three records (sequential, one client);
- the record page of each network once the patient has 500 responses.

    .venv/bin/python bench/records_forms.py [--rounds 60] [--responses 500]

Not measured here: saving at 16 concurrent clients (issue 17 asks p99 < 150 ms): that needs
the HTTP harness of bench/submit.py, not written yet.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import pct, print_machine, recreate_database, setup_django  # noqa: E402

DB = "parcours_bench_records"


def big_form() -> list[dict]:
    """Ten sections of twenty items of every type (200 answerable or display items)."""
    kinds = ["string", "text", "integer", "decimal", "date", "boolean", "choice", "multichoice"]
    options = [{"code": f"o{i}", "display": f"Option {i}", "score": i} for i in range(5)]
    sections = []
    for s in range(10):
        items: list[dict] = []
        for i in range(19):
            kind = kinds[i % len(kinds)]
            item: dict = {"linkId": f"s{s}_q{i}", "text": f"Question {s}.{i}", "type": kind}
            if kind in ("choice", "multichoice"):
                item["options"] = options
            if kind in ("integer", "decimal"):
                item.update({"min": 0, "max": 1000, "unit": "mg"})
            if i == 18:
                item["enableWhen"] = [{"question": f"s{s}_q5", "operator": "=", "answer": True}]
            items.append(item)
        items.append(
            {
                "linkId": f"s{s}_rows",
                "text": "Lignes",
                "type": "group",
                "repeats": True,
                "items": [{"linkId": f"s{s}_row_a", "text": "Nom", "type": "string"}],
            }
        )
        sections.append(
            {"linkId": f"s{s}", "text": f"Section {s}", "type": "group", "items": items}
        )
    return sections


def answers() -> dict:
    out = {}
    for s in range(10):
        out[f"s{s}"] = {
            f"s{s}_q0": "texte",
            f"s{s}_q2": "12",
            f"s{s}_q4": "2026-03-02",
            f"s{s}_q5": "true",
            f"s{s}_q6": "o2",
            f"s{s}_q7": ["o1", "o3"],
            f"s{s}_q18": "7",
            f"s{s}_rows": [{f"s{s}_row_a": "A"}, {f"s{s}_row_a": "B"}],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--responses", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    args = parser.parse_args()
    if not args.keep:
        recreate_database(DB, demo=False)
    setup_django(DB, ALLOWED_HOSTS="testserver")
    from django.test import Client
    from django.utils import timezone

    from parcours.accounts.models import User
    from parcours.directory.models import Organisation
    from parcours.patients.services import patient_create
    from parcours.records.models import Member, Profile
    from parcours.records.services import (
        draft_save,
        form_create,
        network_create,
        record_open,
        response_save,
        rights_set,
        version_publish,
    )

    print_machine()
    admin = User.objects.create(username="bench.admin", is_superuser=True)
    coord = User.objects.create(username="bench.coord", first_name="Bench", last_name="Coord")
    patient = patient_create(
        actor=coord,
        birth_name="BENCH",
        birth_given_names="PATIENTE",
        birth_date=date(1940, 1, 1),
        sex="F",
    ).patient
    setups = []
    for n in range(3):
        org = Organisation.objects.create(name=f"Réseau banc {n}", kind="network")
        network = network_create(
            actor=admin,
            organisation=org,
            code=f"banc-{n}",
            profiles=[("coordination", "Coordination", True)],
        )
        profile = Profile.objects.get(network=network)
        Member.objects.create(network=network, user=coord, profile=profile, since=timezone.now())
        form = form_create(actor=coord, network=network, title=f"Formulaire 200 questions {n}")
        version = form.versions.get()
        draft_save(actor=coord, version=version, definition=big_form())
        version_publish(actor=coord, version=version)
        rights_set(
            actor=coord, form=form, levels={(f"s{s}", profile.pk): "write" for s in range(10)}
        )
        record = record_open(
            actor=coord, network=network, patient=patient, method="oral", scope="banc"
        )
        setups.append((network, form, version, record))

    client = Client()
    client.force_login(coord)
    _network, form, version, record = setups[0]
    fill_url = f"/reseaux/dossiers/{record.pk}/saisir/{form.pk}/"
    timings = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        response = client.get(fill_url)
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    print(f"fill page, 200 items: p50 {pct(timings, 50):.1f} ms, p95 {pct(timings, 95):.1f} ms")

    saves = []
    for i in range(args.responses):
        _network, _form, version, record = setups[i % 3]
        t0 = time.perf_counter()
        response_save(actor=coord, record=record, version=version, answers=answers())
        saves.append((time.perf_counter() - t0) * 1000)
    print(
        f"response_save (200-item form, sequential): p50 {pct(saves, 50):.1f} ms, "
        f"p99 {pct(saves, 99):.1f} ms"
    )

    pages = []
    for _ in range(max(1, args.rounds // 3)):
        for _network, _form, _version, record in setups:
            t0 = time.perf_counter()
            response = client.get(f"/reseaux/dossiers/{record.pk}/")
            pages.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
    print(
        f"record page ({args.responses} responses over 3 networks): p50 {pct(pages, 50):.1f} ms, "
        f"p95 {pct(pages, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
