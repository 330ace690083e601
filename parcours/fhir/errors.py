"""Errors of the API, rendered as OperationOutcome with the matching HTTP status."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

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


def from_validation_error(
    exc: ValidationError, *, field_paths: dict[str, str], status: int = 422
) -> FhirError:
    """A service's ValidationError, one issue per field, each pointing at the FHIR element the
    field came from (``field_paths`` maps service field names to FHIRPath expressions)."""
    issues = []
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            for message in messages:
                issue: dict[str, Any] = {
                    "severity": "error",
                    "code": "business-rule"
                    if status == 422
                    else ISSUE_CODES.get(status, "processing"),
                    "diagnostics": message,
                }
                if field in field_paths:
                    issue["expression"] = [field_paths[field]]
                issues.append(issue)
    else:
        issues = [
            {"severity": "error", "code": "business-rule", "diagnostics": message}
            for message in exc.messages
        ]
    return FhirError(status, "; ".join(i["diagnostics"] for i in issues), issues=issues)
