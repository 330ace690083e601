"""The synthetic view of a patient's hospital record: items pushed by a hospital (FHIR
transaction Bundle or ``parcours import-summary``), each dated and attributed to its source.

The FHIR layer (``fhir/summary.py``) turns a Bundle into plain item dicts and resolves the
patient; this service writes them all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils import timezone

from parcours.audit.services import audit_log
from parcours.lib.actions import action

from .models import (
    HospitalRecordItem,
    HospitalSummaryImport,
    Patient,
    PatientIdentifier,
)
from .services import patient_identifier_add, patient_resolve


@action
def hospital_summary_import(
    *,
    actor,
    source,
    patient: Patient,
    items: list[dict],
    identifiers: Sequence[tuple[str, str]] = (),
    channel: str = "api",
    bundle_id: str = "",
) -> HospitalSummaryImport:
    """Store the items of one summary. Re-sending an item (same source, kind and id in the
    sender's system) updates it instead of duplicating it. The sender's local numbers of the
    patient are attached to the identity. Sending a summary records no care link for the
    sender: a hospital that identified the patient by INS and traits could otherwise push an
    invented item and read every result and letter of a patient it never treated (issue 12,
    "Matching never grants access"); its access comes from the request, appointment or
    message that brought the patient."""
    patient = patient_resolve(patient)
    for system, value in identifiers:
        patient_identifier_add(
            actor=actor,
            patient=patient,
            system=system,
            value=value,
            kind=PatientIdentifier.Kind.IPP
            if source.kind == "hospital"
            else PatientIdentifier.Kind.NETWORK,
            organisation=source,
        )
    received = HospitalSummaryImport.objects.create(
        patient=patient,
        source=source,
        by=actor,
        at=timezone.now(),
        channel=channel,
        bundle_id=bundle_id[:100],
        item_count=len(items),
    )
    for item in items:
        HospitalRecordItem.objects.update_or_create(
            source=source,
            kind=item["kind"],
            external_id=item["external_id"][:100],
            defaults={
                "patient": patient,
                "received": received,
                "title": item["title"][:300],
                "detail": item.get("detail", "")[:500],
                "status": item.get("status", "")[:40],
                "date": item["date"],
                "end": item.get("end"),
                "resource": item.get("resource", {}),
            },
        )
    audit_log(
        user=actor,
        action="import",
        obj=received,
        patient_id=patient.pk,
        detail=f"synthèse hospitalière {source.name} : {len(items)} élément(s) ({channel})",
    )
    return received


def record_items_for(patient: Patient) -> dict[str, list[HospitalRecordItem]]:
    """The items of the patient page, by kind, newest first (one query)."""
    grouped: dict[str, list[HospitalRecordItem]] = {k: [] for k in HospitalRecordItem.Kind.values}
    items: QuerySet = HospitalRecordItem.objects.filter(patient=patient).select_related("source")
    for item in items.order_by("-date", "-id"):
        grouped[item.kind].append(item)
    return grouped
