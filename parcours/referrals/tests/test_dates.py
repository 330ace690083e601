"""Issue 14, bug 12: dates in the past or absurdly far are refused, on the form and via FHIR
(both go through the service layer)."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.referrals.models import Referral
from parcours.referrals.services import referral_answer


def _new(client, territory, patient, **dates):
    client.force_login(territory.gp)
    data = {"kind": "CONSULTATION", "service": territory.cardio.pk, "question": "Souffle ?"}
    data.update({k: v.isoformat() for k, v in dates.items()})
    return client.post(reverse("referrals:new") + f"?patient={patient.pk}", data)


def test_wished_window_in_year_9999_is_refused_on_the_form(territory, patient, client):
    response = _new(client, territory, patient, wished_until=date(9999, 12, 31))
    assert response.status_code == 400
    assert "plus de deux ans" in response.content.decode()
    assert not Referral.objects.exists()


def test_wished_start_in_the_past_is_refused(territory, patient, client):
    response = _new(
        client, territory, patient, wished_from=timezone.localdate() - timedelta(days=1)
    )
    assert response.status_code == 400
    assert "déjà passée" in response.content.decode()


def test_a_window_within_two_years_is_accepted(territory, patient, client):
    today = timezone.localdate()
    response = _new(
        client, territory, patient, wished_from=today, wished_until=today + timedelta(days=700)
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "when,message",
    [
        (datetime(9999, 12, 31, 10, 0), "plus de deux ans"),
        (None, "déjà passée"),
    ],
)
def test_planned_admission_date_is_checked(when, message, territory, make_referral):
    referral = make_referral(kind="ADMISSION")
    proposed = timezone.make_aware(when) if when else timezone.now() - timedelta(hours=2)
    with pytest.raises(ValidationError) as exc:
        referral_answer(
            actor=territory.doctor,
            referral=referral,
            answer_kind="admission",
            text="Entrée programmée",
            proposed_at=proposed,
        )
    assert message in str(exc.value.message_dict["proposed_at"])
    referral.refresh_from_db()
    assert referral.status == "submitted"


def test_answer_form_shows_the_far_date_error(territory, make_referral, client):
    referral = make_referral(kind="ADMISSION")
    client.force_login(territory.doctor)
    response = client.post(
        reverse("referrals:action", args=[referral.pk, "answer"]),
        {
            "answer_kind": "admission",
            "text": "Entrée programmée",
            "proposed_at": "9999-12-31T10:00",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "plus de deux ans" in body and "Entrée programmée" in body


# The API goes through the same service: the same refusal, as an OperationOutcome.
from parcours.fhir.tests.conftest import api, service_request_body, token_for  # noqa: E402,F401


def test_fhir_service_request_in_year_9999_is_refused(api, territory, patient):  # noqa: F811
    body = service_request_body(
        patient.pk,
        territory.cardio.pk,
        kind="EXAM",
        occurrencePeriod={"start": timezone.localdate().isoformat(), "end": "9999-12-31"},
    )
    response = api(territory.gp).post("ServiceRequest", body)
    assert response.status_code == 422, response.json_body
    texts = " ".join(i.get("diagnostics", "") for i in response.json_body["issue"])
    assert "plus de deux ans" in texts
    assert not Referral.objects.exists()
