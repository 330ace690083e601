"""The items of a hospital record summary (``POST /fhir`` transaction, fhir/summary.py) read
back as the resources they were sent as: Encounter, Condition, AllergyIntolerance,
MedicationStatement (issue 21: every resource a transaction accepts can be read back).

The resource is returned as the sender wrote it, with our id, the subject pointing at our
Patient and ``meta.source`` the sending organisation; the sender's id is kept as an
identifier. Read like the rest of a patient's data (``patient_queryset_for``: a care
relationship or an open « bris de glace ») and audited.
"""

from __future__ import annotations

import copy

from django.db.models import Q, QuerySet

from parcours.accounts.models import Membership
from parcours.patients.access import patient_queryset_for
from parcours.patients.models import HospitalRecordItem

from . import codes
from .mappers import Ctx, reference
from .search import SearchParam, date_param, id_param, reference_param

KIND_OF_TYPE = {
    "Encounter": HospitalRecordItem.Kind.STAY,
    "Condition": HospitalRecordItem.Kind.PROBLEM,
    "AllergyIntolerance": HospitalRecordItem.Kind.ALLERGY,
    "MedicationStatement": HospitalRecordItem.Kind.TREATMENT,
    "DocumentReference": HospitalRecordItem.Kind.DOCUMENT,
}
TYPE_OF_KIND: dict[str, str] = {str(kind): rtype for rtype, kind in KIND_OF_TYPE.items()}
# Documents share DocumentReference with the discharge letters, stays Encounter with the
# proximity consultations: their ids carry these prefixes.
DOCUMENT_PREFIX = "rec-"
STAY_PREFIX = "sejour-"
PREFIXES: dict[str, str] = {
    str(HospitalRecordItem.Kind.DOCUMENT): DOCUMENT_PREFIX,
    str(HospitalRecordItem.Kind.STAY): STAY_PREFIX,
}


def source_system(source_id: int) -> str:
    """The identifier system of the ids a sending organisation gave its items."""
    return f"{codes.CANONICAL}/sid/record-item/{source_id}"


def resource_id(item: HospitalRecordItem) -> str:
    return f"{PREFIXES.get(item.kind, '')}{item.pk}"


def location(item: HospitalRecordItem) -> str:
    """``Type/id`` of the item, for a transaction-response entry."""
    return f"{TYPE_OF_KIND[item.kind]}/{resource_id(item)}"


def items_for(resource_type: str):
    """user → the items of ``resource_type`` whose patient's data the user may see, and the
    items their own organisations sent (a sender reads back what it wrote, and nothing else
    of the patient: sending records no care link, fhir/summary.py)."""

    def queryset(user) -> QuerySet:
        own = Membership.objects.filter(user=user).values("organisation_id")
        return HospitalRecordItem.objects.filter(
            Q(patient__in=patient_queryset_for(user).values("pk")) | Q(source__in=own),
            kind=KIND_OF_TYPE[resource_type],
        ).select_related("source", "patient")

    return queryset


def record_resource(item: HospitalRecordItem, ctx: Ctx) -> dict:
    """The item as the resource it was sent as (see the module docstring)."""
    resource = copy.deepcopy(item.resource) or {"resourceType": TYPE_OF_KIND[item.kind]}
    resource["id"] = resource_id(item)
    resource["meta"] = {"source": f"{ctx.base}Organization/{item.source_id}"}
    subject = "patient" if resource["resourceType"] == "AllergyIntolerance" else "subject"
    resource[subject] = reference("Patient", item.patient_id, item.patient.display_name)
    theirs = {"system": source_system(item.source_id), "value": item.external_id}
    if theirs not in resource.get("identifier", []):
        resource["identifier"] = [*resource.get("identifier", []), theirs]
    return resource


def record_search(patient_field: str = "patient") -> dict[str, SearchParam]:
    return {
        "_id": id_param(),
        "patient": reference_param(patient_field, "Patient", "Patient/id"),
        "subject": reference_param(patient_field, "Patient", "Patient/id"),
        "date": date_param("date", "the item's date (start of the stay, onset…)"),
    }
