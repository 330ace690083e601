"""Reads for the lab pages: the review candidates of a waiting report."""

from __future__ import annotations

import dataclasses
from datetime import date

from django.db.models import Q, QuerySet

from parcours.accounts.scopes import is_identity_cell
from parcours.lib.identity import swapped
from parcours.lib.text import ins_form, search_key
from parcours.patients.access import patient_queryset_for
from parcours.patients.matching import find_matches
from parcours.patients.models import Patient

from .access import lab_report_queryset_for
from .models import LabReport
from .services import report_traits

SEARCH_LIMIT = 20


def reviewable_patients(user) -> QuerySet[Patient]:
    """The identities a reviewer may attach a report to: every live identity for the
    regional identitovigilance cell, the ones they may see for a pathway desk."""
    qs = Patient.objects.all() if is_identity_cell(user) else patient_queryset_for(user)
    return qs.filter(merged_into__isnull=True)


def lab_report_candidates(user, report: LabReport) -> list:
    """Identities close to the file's traits (scored by ``find_matches``), best first."""
    query = report_traits(report)
    if len(report.nir) == 15:
        query = dataclasses.replace(query, ins=report.nir, ins_kind=report.ins_kind)
    return find_matches(query, minimum="possible", queryset=reviewable_patients(user))[:10]


def lab_report_search(
    user, *, name: str = "", nir: str = "", birth_date: date | None = None
) -> list[Patient]:
    """Identities by name (birth or used name, then first name, as typed), INS / NIR or
    birth date (also with day and month swapped); every criterion given must hold."""
    qs = reviewable_patients(user)
    if name:
        key = search_key(name)
        qs = qs.filter(Q(search_name__startswith=key) | Q(used_name__startswith=ins_form(name)))
    if nir:
        qs = qs.filter(ins_nir=nir)
    if birth_date is not None:
        qs = qs.filter(birth_date__in=[d for d in (birth_date, swapped(birth_date)) if d])
    return list(qs.order_by("birth_name", "birth_given_names", "pk")[:SEARCH_LIMIT])


def patient_page_lab_reports(*, user, patient) -> dict:
    """The patient page's part (patients.selectors.PATIENT_PAGE_PARTS): the lab reports of
    ``patient`` that ``user`` may read (access.py), at most 20."""
    return {"lab_reports": list(lab_report_queryset_for(user).filter(patient=patient)[:20])}
