"""Lab results over FHIR: DiagnosticReport (one per report of a file) and Observation (one per
result). Read and search only; results arrive as files (``import-lab``, the upload page)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet

from parcours.labs.access import lab_report_queryset_for
from parcours.labs.models import LabReport, LabResult
from parcours.lib.labs.model import FLAG_LABELS

from . import codes
from .mappers import Ctx, _clean, coding, day, instant, reference
from .search import SearchParam, any_of, date_param, id_param, reference_param, token

LOINC = "http://loinc.org"
LAB_CODE = f"{codes.CANONICAL}/CodeSystem/lab-code"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_STATUS = {
    "F": "final",
    "P": "preliminary",
    "C": "corrected",
    "X": "cancelled",
    "D": "entered-in-error",
    "I": "registered",
    "R": "registered",
}
# HL7 v2 table 0078 flags → v3 ObservationInterpretation (the codes are the same letters;
# "<" / ">" are v3's "off scale low / high"): HH, LL, AA stay the critical codes.
FLAG_CODES = {
    "H": "High",
    "L": "Low",
    "HH": "Critical high",
    "LL": "Critical low",
    "N": "Normal",
    "A": "Abnormal",
    "AA": "Critical abnormal",
    "<": "Off scale low",
    ">": "Off scale high",
}
# HL7 v2 coding systems (table 0396) of coded values → FHIR system URIs.
VALUE_SYSTEMS = {
    "LN": LOINC,
    "LOINC": LOINC,
    "SCT": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
    "SNOMED": "http://snomed.info/sct",
    "UCUM": "http://unitsofmeasure.org",
}
COMPARATORS = {"<", "<=", ">", ">="}


def _number(value: str):
    try:
        number = Decimal(value.replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _quantity(value: str, unit: str, comparator: str = "") -> dict | None:
    number = _number(value)
    if number is None:
        return None
    return _clean({"value": float(number), "comparator": comparator, "unit": unit})


def value_x(r: LabResult) -> dict:
    """The Observation's ``value[x]`` matching the stored value (issue 12, kind 4):

    - a coded value (HL7 CWE/CE) → ``valueCodeableConcept`` (the coding kept, the text shown);
    - SN with ":" or "/" → ``valueRatio``; with "-" → ``valueRange``;
    - a number, with its comparator ("<5", SN ``<^5``) → ``valueQuantity`` (Quantity.comparator);
    - anything else (text, "2+") → ``valueString``.
    Returns a dict of one key (or none when the result has no value).
    """
    if r.value_code:
        system = VALUE_SYSTEMS.get(r.value_code_system.upper(), "")
        return {
            "valueCodeableConcept": _clean(
                {"coding": [coding(system, r.value_code, r.value)], "text": r.value}
            )
        }
    if r.number and r.separator in (":", "/") and r.number2:
        first, second = _quantity(r.number, ""), _quantity(r.number2, "")
        if first and second:
            return {"valueRatio": {"numerator": first, "denominator": second}}
    if r.number and r.separator == "-" and r.number2:
        low, high = _quantity(r.number, r.unit), _quantity(r.number2, r.unit)
        if low and high:
            return {"valueRange": {"low": low, "high": high}}
    if not r.separator:
        comparator = r.comparator if r.comparator in COMPARATORS else ""
        quantity = _quantity(r.number or r.value, r.unit, comparator)
        if quantity is None and not r.number and r.value[:1] in "<>":
            # "<5" or ">=90" written in the value itself (HPRIM): the comparator is kept.
            sign = r.value[:2] if r.value[:2] in COMPARATORS else r.value[:1]
            quantity = _quantity(r.value[len(sign) :], r.unit, sign)
        if quantity is not None:
            return {"valueQuantity": quantity}
    return {"valueString": r.value} if r.value else {}


def _reference_range(r: LabResult) -> list[dict]:
    """low/high as quantities when numeric (negative bounds included), else the text."""
    low, high = _quantity(r.low, r.unit), _quantity(r.high, r.unit)
    if (low or not r.low) and (high or not r.high) and (low or high):
        return [_clean({"low": low, "high": high, "text": r.range_text})]
    text = r.range_text or (f"{r.low} – {r.high}" if r.low or r.high else "")
    return [{"text": text}] if text else []


def _interpretation(r: LabResult) -> list[dict]:
    flag = r.flag.upper()
    if flag not in FLAG_CODES:
        return []
    return [
        {
            "coding": [coding(INTERPRETATION, flag, FLAG_CODES[flag])],
            "text": FLAG_LABELS.get(flag, flag),
        }
    ]


def observation(r: LabResult, ctx: Ctx) -> dict:
    report = r.report
    if r.code_system.upper() in ("LN", "LOINC") and r.code:
        code = {"coding": [coding(LOINC, r.code, r.label)], "text": r.label}
    elif r.code:
        code = {"coding": [coding(LAB_CODE, r.code, r.label)], "text": r.label}
    else:
        code = {"text": r.label}
    return _clean(
        {
            "resourceType": "Observation",
            "id": str(r.pk),
            "status": OBS_STATUS.get(r.status.upper(), "final" if not r.status else "unknown"),
            "category": [{"coding": [coding(OBS_CATEGORY, "laboratory", "Laboratory")]}],
            "code": code,
            "subject": reference("Patient", report.patient_id) if report.patient_id else None,
            "effectiveDateTime": instant(r.observed_at)
            if r.observed_at
            else day(report.report_date),
            "issued": instant(report.created_at),
            "performer": [{"display": report.lab_name}] if report.lab_name else [],
            **value_x(r),
            "interpretation": _interpretation(r),
            "referenceRange": _reference_range(r),
            "note": [{"text": r.comment}] if r.comment else [],
            "derivedFrom": [],
        }
    )


def diagnostic_report(rep: LabReport, ctx: Ctx) -> dict:
    results = list(rep.results.all())
    preliminary = any(r.status.upper() == "P" for r in results)
    return _clean(
        {
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
        }
    )


def reports_for(user) -> QuerySet:
    return lab_report_queryset_for(user).prefetch_related("results")


def results_for(user) -> QuerySet:
    return LabResult.objects.filter(
        report__in=lab_report_queryset_for(user).values("pk")
    ).select_related("report")


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

    return SearchParam(
        "token",
        "analysis code: LOINC (http://loinc.org|2823-3), the lab's code, or the label",
        apply,
    )


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
