"""Lab results over FHIR: DiagnosticReport (one per report of a file) and Observation (one per
result). Read and search only; results arrive as files (``import-lab``, the upload page)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet

from parcours.labs.access import lab_report_queryset_for
from parcours.labs.models import LabReport, LabResult

from . import codes
from .mappers import Ctx, _clean, coding, day, instant, reference
from .search import SearchParam, any_of, date_param, id_param, reference_param, token

LOINC = "http://loinc.org"
LAB_CODE = f"{codes.CANONICAL}/CodeSystem/lab-code"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_STATUS = {"F": "final", "P": "preliminary", "C": "corrected", "X": "cancelled",
              "D": "entered-in-error", "I": "registered", "R": "registered"}
FLAG_CODES = {"H": "H", "L": "L", "HH": "HH", "LL": "LL", "N": "N", "A": "A", "AA": "AA",
              "<": "L", ">": "H"}


def _number(value: str):
    try:
        number = Decimal(value.replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _quantity(value: str, unit: str) -> dict | None:
    number = _number(value)
    if number is None:
        return None
    return _clean({"value": float(number), "unit": unit})


def observation(r: LabResult, ctx: Ctx) -> dict:
    report = r.report
    if r.code_system.upper() in ("LN", "LOINC") and r.code:
        code = {"coding": [coding(LOINC, r.code, r.label)], "text": r.label}
    elif r.code:
        code = {"coding": [coding(LAB_CODE, r.code, r.label)], "text": r.label}
    else:
        code = {"text": r.label}
    value = _quantity(r.value, r.unit)
    ranges = []
    low, high = _quantity(r.low, r.unit), _quantity(r.high, r.unit)
    if low or high:
        ranges.append(_clean({"low": low, "high": high}))
    elif r.range_text:
        ranges.append({"text": r.range_text})
    return _clean({
        "resourceType": "Observation",
        "id": str(r.pk),
        "status": OBS_STATUS.get(r.status.upper(), "final" if not r.status else "unknown"),
        "category": [{"coding": [coding(OBS_CATEGORY, "laboratory", "Laboratory")]}],
        "code": code,
        "subject": reference("Patient", report.patient_id) if report.patient_id else None,
        "effectiveDateTime": instant(r.observed_at) if r.observed_at else day(report.report_date),
        "issued": instant(report.created_at),
        "performer": [{"display": report.lab_name}] if report.lab_name else [],
        "valueQuantity": value,
        "valueString": None if value is not None or not r.value else r.value,
        "interpretation": [{"coding": [coding(INTERPRETATION, FLAG_CODES[r.flag])]}]
        if r.flag in FLAG_CODES else [],
        "referenceRange": ranges,
        "note": [{"text": r.comment}] if r.comment else [],
        "derivedFrom": [],
    })


def diagnostic_report(rep: LabReport, ctx: Ctx) -> dict:
    results = list(rep.results.all())
    preliminary = any(r.status.upper() == "P" for r in results)
    return _clean({
        "resourceType": "DiagnosticReport",
        "id": str(rep.pk),
        "status": "preliminary" if preliminary else "final",
        "category": [{"coding": [coding(V2_0074, "LAB", "Laboratory")]}],
        "code": {"text": "Compte rendu de biologie"},
        "subject": reference("Patient", rep.patient_id) if rep.patient_id else None,
        "effectiveDateTime": day(rep.report_date),
        "issued": instant(rep.created_at),
        "performer": [{"display": rep.lab_name}] if rep.lab_name else [],
        "result": [reference("Observation", r.pk, r.label) for r in results],
        "conclusion": rep.text,
    })


def reports_for(user) -> QuerySet:
    return lab_report_queryset_for(user).prefetch_related("results")


def results_for(user) -> QuerySet:
    return LabResult.objects.filter(
        report__in=lab_report_queryset_for(user).values("pk")).select_related("report")


def _code_param() -> SearchParam:
    def apply(qs, values, modifier):
        def one(value):
            system, code = token(value)
            if system == LOINC:
                return Q(code=code, code_system__in=["LN", "LOINC"])
            if system == LAB_CODE or not system:
                return Q(code=code) | Q(label__iexact=code) if not system else Q(code=code)
            return Q(pk__in=[])
        return qs.filter(any_of(values, one))
    return SearchParam("token", "analysis code: LOINC (http://loinc.org|2823-3), the lab's "
                       "code, or the label", apply)


REPORT_SEARCH = {
    "_id": id_param(),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
    "subject": reference_param("patient_id", "Patient", "Patient/id"),
    "date": date_param("report_date", "report date (eq, lt, le, gt, ge)", is_date=True),
}

OBSERVATION_SEARCH = {
    "_id": id_param(),
    "patient": reference_param("report__patient_id", "Patient", "Patient/id"),
    "subject": reference_param("report__patient_id", "Patient", "Patient/id"),
    "code": _code_param(),
    "date": date_param("observed_at", "date of the result (eq, lt, le, gt, ge)"),
}
