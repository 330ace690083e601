"""The error family (lib/errors.py), its form helper (lib/forms.py) and its FHIR mapping."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied, ValidationError

from parcours.fhir.errors import from_service_error
from parcours.lib.errors import Conflict, Forbidden, Invalid, ServiceError, error_kind
from parcours.lib.forms import add_service_error, flash_service_error
from parcours.lib.uploads import UploadError
from parcours.scheduling.services import BookingError


class _Form(forms.Form):
    reason = forms.CharField(required=False)
    note = forms.CharField(required=False)


def _bound():
    form = _Form({"reason": "", "note": ""})
    assert form.is_valid()
    return form


def test_a_service_error_is_a_validation_error_with_message_field_and_code():
    exc = ServiceError("Motif manquant.", field="reason", code="missing")
    assert isinstance(exc, ValidationError)
    assert (exc.message, exc.field, exc.code) == ("Motif manquant.", "reason", "missing")
    assert exc.messages == ["Motif manquant."]
    assert exc.message_dict == {"reason": ["Motif manquant."]}
    assert str(exc) == "Motif manquant."
    assert str(ServiceError("Refusé.")) == "Refusé."


@pytest.mark.parametrize(
    "exc, kind",
    [
        (ServiceError("x"), "invalid"),
        (Invalid("x"), "invalid"),
        (Conflict("x"), "conflict"),
        (Forbidden("x"), "forbidden"),
        (BookingError("x", code="taken"), "conflict"),
        (BookingError("x", code="forbidden"), "forbidden"),
        (BookingError("x", code="urgent_reason"), "invalid"),
        (UploadError("x"), "invalid"),
        (ValidationError("x"), "invalid"),
    ],
)
def test_the_kind_follows_the_class_or_the_code(exc, kind):
    assert error_kind(exc) == kind


def test_app_errors_belong_to_the_family():
    assert issubclass(BookingError, ServiceError)
    assert issubclass(UploadError, ServiceError)
    assert UploadError("Trop gros.").code == "upload"


def test_a_named_field_gets_the_message_when_the_form_has_it():
    form = _bound()
    add_service_error(form, ServiceError("Motif manquant.", field="reason"))
    assert form.errors == {"reason": ["Motif manquant."]}


def test_an_unknown_field_or_none_goes_to_the_whole_form():
    form = _bound()
    add_service_error(form, ServiceError("Ailleurs.", field="prescription"))
    add_service_error(form, ServiceError("Refusé."))
    add_service_error(form, PermissionDenied("Non autorisé."))
    assert form.non_field_errors() == ["Ailleurs.", "Refusé.", "Non autorisé."]


def test_a_fallback_field_takes_what_names_no_field_of_the_form():
    form = _bound()
    add_service_error(form, ValidationError({"other": "Trop court."}), field="reason")
    add_service_error(form, ValidationError({"note": "Trop long."}), field="reason")
    assert form.errors == {"reason": ["Trop court."], "note": ["Trop long."]}


def test_fhir_status_by_kind():
    invalid = from_service_error(ServiceError("Non."), expression=["Task"])
    assert invalid.status == 422
    assert invalid.issues == [
        {
            "severity": "error",
            "code": "business-rule",
            "diagnostics": "Non.",
            "expression": ["Task"],
        }
    ]
    conflict = from_service_error(BookingError("Pris.", code="taken"), expression=["X.slot"])
    assert (conflict.status, conflict.issues[0]["code"]) == (409, "conflict")
    forbidden = from_service_error(Forbidden("Pas vous."), expression=["X"])
    assert forbidden.status == 403
    assert "expression" not in forbidden.issues[0]
    assert from_service_error(ValidationError("Déjà."), status=409).status == 409


def test_fhir_fields_point_at_their_element():
    exc = ValidationError({"reason": "Motif manquant.", "other": "Autre."})
    error = from_service_error(exc, field_paths={"reason": "Task.reasonCode"})
    assert [i.get("expression") for i in error.issues] == [["Task.reasonCode"], None]
    assert str(error) == "Motif manquant.; Autre."


def test_a_formless_refusal_is_one_message_per_text(rf):
    request = rf.post("/")
    request._messages = CookieStorage(request)
    flash_service_error(request, Conflict("Déjà fait."))
    flash_service_error(request, ValidationError({"a": "Un.", "b": "Deux."}))
    assert [str(m) for m in get_messages(request)] == ["Déjà fait.", "Un.", "Deux."]
