"""Candidate retrieval (blocking) in the database, then scoring in Python (lib/identity.py).

Blocking keeps ``$match`` fast on a million identities: three indexed conditions, OR-ed into
one query that PostgreSQL answers with a bitmap OR of index scans —

- the same birth date, or day and month swapped (index ``birth_date, search_name``);
- the same sound of birth name (or of the used name given) and of first name, any year
  (index ``name_key, given_key``): catches a mistyped year;
- the same sound of name within a year of the birth date (index ``name_key, birth_date``):
  catches a mistyped day or month together with a mistyped or changed first name;

the last two keep only rows sharing the month or the day of the birth date (a one-digit typo
leaves one of them intact): on a million identities a common name such as MARTIN has hundreds
of rows per first name, and scoring them all cost most of the $match time (docs/benchmarks.md);

plus the INS matricule and local identifiers when given. At most ``MAX_CANDIDATES`` rows are
scored; merged identities are never candidates (their survivor is).

Scoring compares the strict traits and the supporting evidence the rows carry (phone, address,
postcode, town, and the candidates' local identifiers in the systems the query names): the
estimated Fellegi–Sunter weights of ``lib/identity.py``. Supporting evidence never makes a pair
``certain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q

from parcours.lib.identity import (
    GRADE_ORDER,
    NOT,
    Identity,
    Match,
    compare,
    given_key,
    name_key,
    strict_only,
    swapped,
)

from .models import Patient, PatientIdentifier

MAX_CANDIDATES = 400
MATCH_FIELDS = (
    "id",
    "birth_name",
    "birth_given_names",
    "birth_date",
    "sex",
    "birthplace_insee",
    "used_name",
    "used_first_name",
    "ins_nir",
    "ins_kind",
    "phone",
    "address_line",
    "postcode",
    "town",
)


@dataclass
class Scored:
    # A Patient, or a _Row that carries only the compared fields (MATCH_FIELDS) by name.
    patient: Any
    match: Match


class _Row:
    """A candidate's compared fields, lighter than a model instance (hundreds per call)."""

    __slots__ = MATCH_FIELDS

    def __init__(self, *values):
        for name, value in zip(MATCH_FIELDS, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self):
        return self.id


def identity_of(p, identifiers: tuple[str, ...] = ()) -> Identity:
    """The compared traits of a patient (model instance or candidate row); ``identifiers``:
    its local identifiers as "system|value", when known."""
    return Identity(
        birth_name=p.birth_name,
        given_names=p.birth_given_names,
        birth_date=p.birth_date,
        sex=p.sex,
        birthplace=p.birthplace_insee,
        used_name=p.used_name,
        used_first_name=p.used_first_name,
        ins=p.ins_nir,
        ins_kind=p.ins_kind,
        phone=p.phone or "",
        address=p.address_line or "",
        postcode=p.postcode or "",
        town=p.town or "",
        identifiers=identifiers,
    )


def candidate_condition(query: Identity, identifiers: Sequence[tuple[str, str]] = ()) -> Q:
    cond = Q(pk__in=[])
    d = query.birth_date
    if d is not None:
        cond |= Q(birth_date__in=[x for x in (d, swapped(d)) if x])
    keys = {k for k in (name_key(query.birth_name), name_key(query.used_name)) if k}
    gkey = given_key(query.given_names)
    near = Q(birth_date__month=d.month) | Q(birth_date__day=d.day) if d is not None else Q()
    if keys and gkey:
        cond |= Q(name_key__in=keys, given_key=gkey) & near
    if keys and d is not None:
        cond |= (
            Q(
                name_key__in=keys,
                birth_date__gte=date(d.year - 1, 1, 1),
                birth_date__lte=date(d.year + 1, 12, 31),
            )
            & near
        )
    if query.ins:
        cond |= Q(ins_nir=query.ins)
    for system, value in identifiers:
        cond |= Q(
            Exists(
                PatientIdentifier.objects.filter(patient=OuterRef("pk"), system=system, value=value)
            )
        )
    return cond


def find_matches(
    query: Identity,
    *,
    identifiers: Sequence[tuple[str, str]] = (),
    exclude_id: int | None = None,
    minimum: str = "possible",
    queryset=None,
) -> list[Scored]:
    """Identities that may be ``query``, best first, graded at least ``minimum``.

    ``identifiers``: the query's local identifiers as (system, value) pairs — a candidate
    retrieval condition and, compared within their systems, supporting evidence. Returns
    ``Scored(patient, match)`` rows; ``patient`` carries only ``MATCH_FIELDS``."""
    pairs: list[tuple[str, str]] = list(identifiers) or [
        (i.rsplit("|", 1)[0], i.rsplit("|", 1)[-1]) for i in query.identifiers
    ]
    identifiers = pairs
    if identifiers and not query.identifiers:
        query = replace(query, identifiers=tuple(f"{s}|{v}" for s, v in identifiers))
    qs = (
        (queryset if queryset is not None else Patient.objects.all())
        .filter(merged_into__isnull=True)
        .filter(candidate_condition(query, identifiers))
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    rows = [_Row(*values) for values in qs.values_list(*MATCH_FIELDS)[:MAX_CANDIDATES]]
    known: set[int] = set()
    theirs: dict[int, list[str]] = {}
    if identifiers and rows:
        wanted = set(identifiers)
        for pid, system, value in PatientIdentifier.objects.filter(
            system__in={s for s, _ in identifiers}, patient__in=[r.pk for r in rows]
        ).values_list("patient_id", "system", "value"):
            theirs.setdefault(pid, []).append(f"{system}|{value}")
            if (system, value) in wanted:
                known.add(pid)
    floor = GRADE_ORDER[minimum]
    results = []
    for row in rows:
        row_identity = identity_of(row, tuple(theirs.get(row.pk, ())))
        m = compare(query, row_identity)
        if (
            row.pk in known
            and m.grade != NOT
            and GRADE_ORDER[compare(strict_only(query), strict_only(row_identity)).grade] >= 2
        ):
            # The same local number of the same sending system, and strict traits that agree
            # on their own (probable without any supporting evidence).
            m = Match(1.0, "certain", ["même identifiant local", *m.reasons], m.parts, m.levels)
        if GRADE_ORDER[m.grade] >= floor:
            results.append(Scored(row, m))
    results.sort(key=lambda s: (-GRADE_ORDER[s.match.grade], -s.match.score, s.patient.pk))
    return results
