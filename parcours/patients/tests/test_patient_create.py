from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.patients.models import CareLink, IdentityLink, Patient
from parcours.patients.services import patient_create


def _nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


def test_traits_are_stored_in_ins_form(territory):
    p = patient_create(
        actor=territory.gp,
        birth_name="Lefèvre-Noël",
        birth_given_names="Zoé  Anaïs",
        birth_date=date(1990, 2, 1),
        sex="F",
    ).patient
    assert p.birth_name == "LEFEVRE-NOEL" and p.birth_given_names == "ZOE ANAIS"
    assert p.identity_status == "PROV"
    assert AuditEvent.objects.filter(object_type="patient", action="create").exists()


def test_same_traits_find_the_existing_identity_instead_of_a_duplicate(territory):
    first = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
    )
    again = patient_create(
        actor=territory.gp2,
        birth_name="MARTIN",
        birth_given_names="louise",
        birth_date=date(1948, 3, 12),
        sex="F",
    )
    assert first.created and not again.created
    assert again.patient == first.patient
    assert Patient.objects.count() == 1
    # Finding the identity lets gp2 use it, not see its data (issue 12).
    assert not CareLink.objects.filter(patient=first.patient, user=territory.gp2).exists()
    assert IdentityLink.objects.filter(patient=first.patient, user=territory.gp2).exists()


def test_nir_is_checked_against_the_traits(territory):
    with pytest.raises(ValidationError) as exc:
        patient_create(
            actor=territory.gp,
            birth_name="Martin",
            birth_given_names="Louise",
            birth_date=date(1948, 3, 12),
            sex="F",
            ins_nir=_nir("1480353130001"),
        )
    assert "sexe" in exc.value.message_dict["ins_nir"][0]
    assert Patient.objects.count() == 0


def test_same_nir_and_same_traits_find_the_existing_identity(territory):
    nir = _nir("2480353130001")
    a = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
        ins_nir=nir,
    ).patient
    b = patient_create(
        actor=territory.gp2,
        birth_name="MARTIN",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
        ins_nir=nir,
    ).patient
    assert a == b


def test_same_nir_with_other_traits_is_refused_and_writes_nothing(territory):
    nir = _nir("2480353130001")
    a = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
        ins_nir=nir,
    ).patient
    with pytest.raises(ValidationError) as exc:
        patient_create(
            actor=territory.gp2,
            birth_name="Martin-Durand",
            birth_given_names="Louise",
            birth_date=date(1948, 3, 12),
            sex="F",
            ins_nir=nir,
        )
    assert "traits diffèrent" in exc.value.message_dict["ins_nir"][0]
    a.refresh_from_db()
    assert a.birth_name == "MARTIN" and Patient.objects.count() == 1
    assert not IdentityLink.objects.filter(user=territory.gp2).exists()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("birth_name", "Martin2", "Seules les lettres"),
        ("birth_date", date(2999, 1, 1), "pas plausible"),
        ("birthplace_insee", "123", "5 caractères"),
    ],
)
def test_bad_traits_are_refused_in_french(territory, field, value, message):
    args = dict(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
    )
    args[field] = value
    with pytest.raises(ValidationError) as exc:
        patient_create(**args)
    assert message in exc.value.message_dict[field][0]


def test_patient_form_shows_errors_and_creates_nothing(territory, client):
    client.force_login(territory.gp)
    response = client.post(
        reverse("patients:create"),
        {
            "birth_name": "Martin",
            "birth_given_names": "Louise",
            "birth_date": "1948-03-12",
            "sex": "F",
            "ins_nir": "248035313000199",
        },
    )
    assert response.status_code == 400
    assert "clé du matricule INS est incorrecte" in response.content.decode()
    assert Patient.objects.count() == 0


def test_patient_form_then_referral(territory, client):
    client.force_login(territory.gp)
    response = client.post(
        reverse("patients:create") + "?next=referral",
        {
            "birth_name": "Martin",
            "birth_given_names": "Louise",
            "birth_date": "1948-03-12",
            "sex": "F",
            "next": "referral",
        },
    )
    patient = Patient.objects.get()
    assert response["Location"] == reverse("referrals:new") + f"?patient={patient.pk}"
