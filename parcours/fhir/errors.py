"""Errors of the API, rendered as OperationOutcome with the matching HTTP status.

``FhirError`` is raised anywhere in the FHIR layer; ``from_service_error`` is the one place a
service's refusal (``lib.errors.ServiceError`` or a Django ``ValidationError``) becomes one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from parcours.lib.errors import CONFLICT, FORBIDDEN, error_kind

# HTTP status → OperationOutcome.issue.code (http://hl7.org/fhir/issue-type)
ISSUE_CODES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "business-rule",
    500: "exception",
}


class FhirError(Exception):
    """Raised anywhere in the FHIR layer; the view turns it into an OperationOutcome."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str | None = None,
        expression: list[str] | None = None,
        issues: list[dict] | None = None,
        headers: dict | None = None,
    ):
        super().__init__(diagnostics)
        self.status = status
        self.headers = headers or {}
        if issues is None:
            issue: dict[str, Any] = {
                "severity": "error",
                "code": code or ISSUE_CODES.get(status, "processing"),
                "diagnostics": diagnostics,
            }
            if expression:
                issue["expression"] = expression
            issues = [issue]
        self.issues = issues


def outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


# The status of a refusal by its kind (lib.errors); an "invalid" one takes the caller's status.
KIND_STATUS = {CONFLICT: 409, FORBIDDEN: 403}


def from_service_error(
    exc: ValidationError,
    *,
    field_paths: dict[str, str] | None = None,
    expression: list[str] | None = None,
    status: int = 422,
) -> FhirError:
    """The one mapping of a service refusal to an OperationOutcome.

    Takes a ``lib.errors.ServiceError`` (or any Django ``ValidationError``), ``field_paths``
    (service field name → FHIRPath of the element it came from), ``expression`` (the element
    for a message that names no mapped field) and ``status``, the status of bad input (422 by
    default; 409 where the caller knows a refusal means the state changed). Returns a
    FhirError: 409 "conflict" for a Conflict (or code "taken"), 403 "forbidden" without
    expression for a Forbidden (or code "forbidden"), else ``status``; one issue per message.
    """
    status = KIND_STATUS.get(error_kind(exc), status)
    code = "business-rule" if status == 422 else ISSUE_CODES.get(status, "processing")
    paths = field_paths or {}

    def issue(message: str, field: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
        where = [paths[field]] if field in paths else expression
        if where and status != 403:
            item["expression"] = where
        return item

    if hasattr(exc, "error_dict"):
        issues = [
            issue(message, field)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        issues = [issue(message, None) for message in exc.messages]
    return FhirError(status, "; ".join(i["diagnostics"] for i in issues), issues=issues)
