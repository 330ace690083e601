"""Merge asks for the identity to keep, a reason and a confirmation (page and service); the
identity status page shows its errors next to the form and explains the allowed moves
(RNIV)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.patients.models import DuplicateCandidate, Patient, PatientMerge
from parcours.patients.services import patient_create, patient_merge, patient_merge_undo


@pytest.fixture
def pair(territory):
    a = patient_create(
        actor=territory.gp,
        birth_name="Dupont",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
        birthplace_insee="53130",
    ).patient
    b = patient_create(
        actor=territory.gp2,
        birth_name="Dupond",
        birth_given_names="Marie",
        birth_date=date(1950, 3, 4),
        sex="F",
    ).patient
    return a, b, DuplicateCandidate.objects.get()


@pytest.mark.parametrize(
    "reason,confirmed,field",
    [
        ("", True, "reason"),
        ("doublon", True, "reason"),
        ("même personne selon la CNI", False, "confirm"),
    ],
)
def test_merge_service_refuses_without_reason_or_confirmation(
    territory, pair, reason, confirmed, field
):
    a, b, _ = pair
    with pytest.raises(ValidationError) as exc:
        patient_merge(
            actor=territory.cell, survivor=a, merged=b, reason=reason, confirmed=confirmed
        )
    assert field in exc.value.message_dict
    b.refresh_from_db()
    assert b.merged_into is None and not PatientMerge.objects.exists()


def test_merge_page_shows_traits_side_by_side_and_the_choice(territory, login, pair):
    a, b, candidate = pair
    body = (
        login(territory.cell)
        .get(reverse("patients:duplicate", args=[candidate.pk]))
        .content.decode()
    )
    assert "DUPONT" in body and "DUPOND" in body and "MARIE ANNE" in body
    assert 'name="survivor"' in body and 'name="confirm"' in body
    assert "checked" not in body.split('name="survivor"')[1][:80]  # no identity pre-chosen


def test_merge_choice_tells_the_two_identities_apart_by_every_given_name(territory, login):
    """Two identities differing only by a further given name read « BERNARD PAUL » twice in
    the survivor choice: the reviewer could not tell which one they keep."""
    a = patient_create(
        actor=territory.gp,
        birth_name="Bernard",
        birth_given_names="Paul Andre",
        birth_date=date(1956, 7, 2),
        sex="M",
    ).patient
    b = patient_create(
        actor=territory.gp2,
        birth_name="Bernard",
        birth_given_names="Paul Andre Jean",
        birth_date=date(1956, 7, 2),
        sex="M",
    ).patient
    assert a != b
    candidate = DuplicateCandidate.objects.get()
    body = (
        login(territory.cell)
        .get(reverse("patients:duplicate", args=[candidate.pk]))
        .content.decode()
    )
    choices = body.split('name="survivor"')[1:]
    labels = [c.split("</label>")[0] for c in choices]
    assert any("PAUL ANDRE JEAN" in c for c in labels)
    assert any("PAUL ANDRE" in c and "JEAN" not in c for c in labels)
    assert all("02/07/1956" in c and "sans INS" in c for c in labels)


@pytest.mark.parametrize(
    "data,message",
    [
        ({"reason": "même personne selon la CNI", "confirm": "on"}, "Choisissez l&#x27;identité"),
        ({"survivor": "low", "confirm": "on"}, "Indiquez le motif de la fusion"),
        ({"survivor": "low", "reason": "même personne selon la CNI"}, "Confirmez la fusion"),
    ],
)
def test_merge_page_refuses_and_says_why_on_the_same_page(territory, login, pair, data, message):
    a, b, candidate = pair
    if data.get("survivor") == "low":
        data = {**data, "survivor": str(candidate.low_id)}
    response = login(territory.cell).post(
        reverse("patients:duplicate", args=[candidate.pk]), {"action": "merge", **data}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Patient.objects.filter(merged_into__isnull=False).exists()


def test_merge_page_merges_with_everything_and_undo_stays(territory, login, pair):
    a, b, candidate = pair
    response = login(territory.cell).post(
        reverse("patients:duplicate", args=[candidate.pk]),
        {
            "action": "merge",
            "survivor": str(a.pk),
            "reason": "même personne selon la CNI",
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.merged_into == a
    merge = PatientMerge.objects.get()
    assert merge.reason == "même personne selon la CNI"
    patient_merge_undo(actor=territory.cell, merge=merge, reason="erreur")
    b.refresh_from_db()
    assert b.merged_into is None


def test_status_error_is_shown_next_to_the_status_form(territory, login, pair):
    a, _, _ = pair
    response = login(territory.gp).post(reverse("patients:detail", args=[a.pk]), {"status": "VALI"})
    body = response.content.decode()
    assert response.status_code == 400
    form_part = body[body.index('id="identity-status"') :]
    assert "haut niveau de confiance" in form_part.split("</form>")[0]
    assert "<details open>" in form_part


def test_status_page_explains_the_allowed_moves_and_their_evidence(territory, login, pair):
    a, _, _ = pair
    body = login(territory.gp).get(reverse("patients:detail", args=[a.pk])).content.decode()
    part = body[body.index('id="identity-status"') :]
    assert "Validée (VALI)" in part and "Récupérée (RECUP)" in part
    assert "Qualifiée (QUAL)</strong>" not in part  # not from PROV directly
    assert "téléservice INSi" in part and "RNIV" in part


def test_a_refused_status_move_names_both_statuses_and_the_allowed_ones(territory, pair):
    """« Passage de « Provisoire » à « QUAL » » mixed a label and a code and did not say
    what to do: VALI or RECUP come before QUAL (RNIV)."""
    a, _b, _ = pair
    from parcours.patients.services import patient_set_status

    with pytest.raises(ValidationError) as exc:
        patient_set_status(actor=territory.gp, patient=a, status="QUAL", insi=True)
    message = exc.value.message_dict["status"][0]
    assert "« Provisoire » à « Qualifiée »" in message
    assert "« Validée »" in message and "« Récupérée »" in message
