"""Who sees what of a patient (issue 12, "Matching never grants access"): a role per test —
the GP who created the identity, a second GP who typed the same traits, the pathway desk, a
hospital doctor, the administrator, an account without a role — on the patient page, the lab
results list and FHIR; the care relationships that open the data; « bris de glace »."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditEvent
from parcours.patients.models import CareLink, EmergencyAccess, IdentityLink, Patient
from parcours.patients.services import emergency_access_open, patient_create

TRAITS = dict(
    birth_name="Dupont",
    birth_given_names="Marie Anne",
    birth_date=date(1950, 4, 3),
    sex="F",
    birthplace_insee="53130",
)
RECORD_TITLE = "Hospitalisation confidentielle en cardiologie"
LAB_NAME = "Laboratoire Synthétique du Bocage"


def _nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


@pytest.fixture
def shared(territory):
    """A patient created by ``gp``, with a hospital summary item (from CH Beta) and a lab
    report attached; ``gp2`` then types the same four traits and more."""
    from parcours.labs.models import LabImport, LabReport, LabResult
    from parcours.patients.record import hospital_summary_import

    patient = patient_create(actor=territory.gp, **TRAITS).patient
    hospital_summary_import(
        actor=territory.desk_beta,
        source=territory.beta,
        patient=patient,
        items=[
            {"kind": "stay", "external_id": "S1", "title": RECORD_TITLE, "date": timezone.now()}
        ],
    )
    imp = LabImport.objects.create(
        sha256="0" * 64, file_name="cr.hpr", format="hprim", channel="command"
    )
    report = LabReport.objects.create(
        lab_import=imp,
        patient=patient,
        match=LabReport.Match.MATCHED,
        family="DUPONT",
        given="MARIE",
        birth_date=TRAITS["birth_date"],
        lab_name=LAB_NAME,
        report_date=date(2026, 11, 2),
    )
    LabResult.objects.create(
        report=report,
        position=1,
        label="Potassium",
        value="6.4",
        unit="mmol/L",
        flag="HH",
        abnormal=True,
    )
    found = patient_create(
        actor=territory.gp2,
        birth_name="DUPONT",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
        birthplace_insee="53130",
    )
    assert not found.created and found.patient == patient
    return patient, report


def _page(login, user, patient):
    return login(user).get(reverse("patients:detail", args=[patient.pk]))


# --- the patient page, per role ---------------------------------------------------------------


def test_gp_who_created_the_identity_sees_its_record_and_results(territory, login, shared):
    patient, _ = shared
    body = _page(login, territory.gp, patient).content.decode()
    assert RECORD_TITLE in body and LAB_NAME in body


def test_second_gp_who_typed_the_traits_sees_the_identity_but_none_of_its_data(
    territory, login, shared
):
    patient, _ = shared
    response = _page(login, territory.gp2, patient)
    body = response.content.decode()
    assert response.status_code == 200 and "DUPONT" in body
    assert RECORD_TITLE not in body and LAB_NAME not in body
    assert "aucune relation de soin" in body
    assert not CareLink.objects.filter(patient=patient, user=territory.gp2).exists()
    assert AuditEvent.objects.filter(
        user=territory.gp2,
        action="read",
        patient_id=patient.pk,
        detail__startswith="identité seule",
    ).exists()


def test_second_gp_cannot_change_the_status_nor_add_a_number_without_care(territory, login, shared):
    patient, _ = shared
    client = login(territory.gp2)
    response = client.post(
        reverse("patients:detail", args=[patient.pk]), {"status": "VALI", "document": "CNI"}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("patients:identifier-add", args=[patient.pk]),
        {"organisation": territory.msp2.pk, "kind": "IPP", "value": "X12"},
    )
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.identity_status == "PROV" and not patient.local_identifiers.exists()


@pytest.mark.parametrize("who", ["desk", "doctor", "admin", "nobody", "pneumo"])
def test_others_without_a_care_relationship_get_404(territory, login, shared, who):
    patient, _ = shared
    assert _page(login, getattr(territory, who), patient).status_code == 404


@pytest.mark.parametrize("who", ["desk", "doctor"])
def test_a_request_to_the_hospital_opens_the_data_to_its_desk_and_doctors(
    territory, login, shared, make_referral, who
):
    patient, _ = shared
    make_referral(author=territory.gp2, patient=patient)  # to cardiology, CH Alpha
    body = _page(login, getattr(territory, who), patient).content.decode()
    assert RECORD_TITLE in body and LAB_NAME in body
    # …and the request's author, a care relationship the platform records.
    body = _page(login, territory.gp2, patient).content.decode()
    assert RECORD_TITLE in body and LAB_NAME in body
    assert _page(login, territory.pneumo, patient).status_code == 404


def test_a_gp_who_only_typed_the_traits_cannot_declare_themselves_treating_doctor(
    territory, login, shared
):
    """The one-click declaration would open the data without reason, expiry nor notice: a
    « bris de glace » in disguise. Found by traits is not a care relationship (issue 12)."""
    patient, _ = shared
    patient.treating_doctor = territory.gp
    patient.save(update_fields=["treating_doctor"])
    client = login(territory.gp2)
    page = _page(login, territory.gp2, patient).content.decode()
    assert "Je suis le médecin traitant" not in page
    response = client.post(reverse("patients:treating-doctor", args=[patient.pk]))
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.treating_doctor == territory.gp
    body = _page(login, territory.gp2, patient).content.decode()
    assert RECORD_TITLE not in body and LAB_NAME not in body
    assert not CareLink.objects.filter(patient=patient, user=territory.gp2).exists()
    from django.core.exceptions import ValidationError

    from parcours.patients.services import treating_doctor_declare

    with pytest.raises(ValidationError):
        treating_doctor_declare(actor=territory.gp2, patient=patient)


def test_a_gp_who_follows_the_patient_declares_themselves_treating_doctor_audited(
    territory, login, shared, make_referral
):
    patient, _ = shared
    make_referral(author=territory.gp2, patient=patient)
    client = login(territory.gp2)
    page = _page(login, territory.gp2, patient).content.decode()
    assert "Je suis le médecin traitant" in page
    assert client.post(reverse("patients:treating-doctor", args=[patient.pk])).status_code == 302
    patient.refresh_from_db()
    assert patient.treating_doctor == territory.gp2
    assert RECORD_TITLE in _page(login, territory.gp2, patient).content.decode()
    assert AuditEvent.objects.filter(
        user=territory.gp2, patient_id=patient.pk, detail__startswith="médecin traitant déclaré"
    ).exists()


def test_only_a_gp_declares_themselves_treating_doctor(territory, login, shared, make_referral):
    patient, _ = shared
    make_referral(patient=patient)
    response = login(territory.desk).post(reverse("patients:treating-doctor", args=[patient.pk]))
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.treating_doctor is None


def test_a_message_about_the_patient_opens_the_data_to_its_recipient(territory, shared):
    from parcours.messaging.services import message_send
    from parcours.patients.access import can_see_patient_data

    patient, _ = shared
    assert not can_see_patient_data(territory.doctor, patient)
    message_send(
        sender=territory.gp,
        subject="Mme Dupont",
        body="Pouvez-vous la voir ?",
        to=[territory.doctor],
        patient=patient,
    )
    assert can_see_patient_data(territory.doctor, patient)


def test_a_message_a_gp_only_sent_opens_nothing_to_them(territory, login, shared):
    """``gp2`` found the identity by its traits, wrote « une question » about it to a doctor
    and could then read every result and letter. Now a message from someone who cannot see
    the patient's data opens it to no one: not to its recipient (an accomplice), and not to
    its sender through the recipient's reply."""
    from parcours.messaging.services import message_send
    from parcours.patients.access import can_see_patient_data, has_care_relationship

    patient, report = shared
    sent = message_send(
        sender=territory.gp2,
        subject="Question",
        body="Une question.",
        to=[territory.doctor],
        patient=patient,
    )
    assert not can_see_patient_data(territory.doctor, patient)
    message_send(
        sender=territory.doctor,
        body="Réponse.",
        to=[territory.gp2],
        patient=patient,
        reply_to=sent.thread,
    )
    assert not can_see_patient_data(territory.gp2, patient)
    assert not has_care_relationship(territory.gp2, patient)
    response = login(territory.gp2).get(reverse("labs:detail", args=[report.pk]))
    assert response.status_code == 404
    body = _page(login, territory.gp2, patient).content.decode()
    assert RECORD_TITLE not in body and LAB_NAME not in body


# --- the lab results list and the patient search -------------------------------------------


@pytest.mark.parametrize(
    "who,sees",
    [
        ("gp", True),
        ("gp2", False),
        ("desk", False),
        ("doctor", False),
        ("admin", False),
        ("cell", False),
        ("nobody", False),
    ],
)
def test_lab_results_list_per_role(territory, login, shared, who, sees):
    from parcours.labs.access import lab_report_queryset_for

    _, report = shared
    assert lab_report_queryset_for(getattr(territory, who)).filter(pk=report.pk).exists() == sees
    response = login(getattr(territory, who)).get(reverse("labs:detail", args=[report.pk]))
    assert response.status_code == (200 if sees else 404)


def test_search_finds_the_identity_found_by_traits_only_for_whom_found_it(territory, login, shared):
    url = reverse("patients:search") + "?q=dupont"
    assert "DUPONT" in login(territory.gp2).get(url).content.decode()
    assert "DUPONT" not in login(territory.doctor).get(url).content.decode()


# --- FHIR, per role ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,patient_status,report_status",
    [("gp", 200, 200), ("gp2", 200, 404), ("doctor", 404, 404), ("nobody", 404, 404)],
)
def test_fhir_patient_is_the_identity_and_the_report_needs_care(
    territory, shared, client, who, patient_status, report_status
):
    from parcours.fhir.tokens import api_token_create

    patient, report = shared
    secret = api_token_create(user=getattr(territory, who)).secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(f"/fhir/Patient/{patient.pk}", **headers).status_code == patient_status
    assert client.get(f"/fhir/DiagnosticReport/{report.pk}", **headers).status_code == report_status
    observations = client.get(
        "/fhir/Observation", {"patient": f"Patient/{patient.pk}"}, **headers
    ).json()
    assert (observations["total"] > 0) == (report_status == 200)


# --- the creation never changes a found identity --------------------------------------------


def test_a_nir_typed_on_a_known_identity_is_not_written_onto_it(territory):
    known = patient_create(actor=territory.gp, **TRAITS).patient
    nir = _nir("2500453130001")
    result = patient_create(actor=territory.gp2, ins_nir=nir, **TRAITS)
    known.refresh_from_db()
    assert known.ins_nir == ""  # the found identity is untouched
    # What was typed is kept, on a new identity, and the pair goes to review.
    assert result.created and result.patient.ins_nir == nir
    assert any({c.low_id, c.high_id} == {known.pk, result.patient.pk} for c in result.candidates)
    assert not IdentityLink.objects.filter(user=territory.gp2, patient=known).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"birth_given_names": "Marie Anne Louise"},  # a given name more
        {"birth_name": "Dupont-Martin"},  # a hyphen and a second name
        {"birthplace_insee": "75056"},  # another birthplace
        {"used_name": "Martin"},  # a used name the known identity lacks
    ],
)
def test_a_creation_that_differs_keeps_what_was_typed_and_is_flagged(territory, change):
    known = patient_create(actor=territory.gp, **TRAITS).patient
    typed = {**TRAITS, **change}
    result = patient_create(actor=territory.gp2, **typed)
    assert result.created and result.patient != known
    for field, value in change.items():
        assert (
            getattr(result.patient, field) == value.upper()
            if field != "birthplace_insee"
            else getattr(result.patient, field) == value
        )
    assert any({c.low_id, c.high_id} == {known.pk, result.patient.pk} for c in result.candidates)
    known.refresh_from_db()
    assert known.birth_given_names == "MARIE ANNE" and known.used_name == ""


def test_a_birthplace_left_empty_still_finds_the_identity(territory):
    known = patient_create(actor=territory.gp, **TRAITS).patient
    typed = {**TRAITS, "birthplace_insee": ""}
    again = patient_create(actor=territory.gp2, **typed)
    assert not again.created and again.patient == known


# --- « bris de glace » ------------------------------------------------------------------------


def _break_glass(login, user, patient, reason):
    return login(user).post(reverse("patients:emergency", args=[patient.pk]), {"reason": reason})


def test_bris_de_glace_opens_the_data_for_a_day_and_is_audited_and_shown(territory, login, shared):
    patient, _ = shared
    response = _break_glass(
        login, territory.gp2, patient, "Patiente inconsciente aux urgences, traitement inconnu"
    )
    assert response.status_code == 302
    access = EmergencyAccess.objects.get()
    assert access.expires_at - access.opened_at == timedelta(hours=24)
    assert AuditEvent.objects.filter(
        action="emergency", user=territory.gp2, patient_id=patient.pk
    ).exists()
    body = _page(login, territory.gp2, patient).content.decode()
    assert RECORD_TITLE in body and LAB_NAME in body
    assert AuditEvent.objects.filter(
        action="read", user=territory.gp2, patient_id=patient.pk, detail__contains="bris de glace"
    ).exists()
    # The patient's treating professionals are told (no patient name in the title, which may
    # leave by e-mail) and see on the page who opened it, when and why.
    from parcours.notifications.models import Notification

    told = Notification.objects.get(user=territory.gp, kind="emergency_access")
    assert "bris de glace" in told.title and patient.birth_name not in told.title.upper()
    assert not Notification.objects.filter(user=territory.gp2, kind="emergency_access").exists()
    body = _page(login, territory.gp, patient).content.decode()
    assert "Patiente inconsciente aux urgences" in body and "Gp2" in body
    # A day later the glass is whole again.
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        body = _page(login, territory.gp2, patient).content.decode()
        assert RECORD_TITLE not in body


@pytest.mark.parametrize("reason", ["", "urgence", "vite svp"])
def test_bris_de_glace_needs_a_reason(territory, login, shared, reason):
    patient, _ = shared
    response = _break_glass(login, territory.gp2, patient, reason)
    assert response.status_code == 400
    assert not EmergencyAccess.objects.exists()
    assert RECORD_TITLE not in response.content.decode()


@pytest.mark.parametrize(
    "who,allowed",
    [("gp2", True), ("doctor", True), ("desk", True), ("admin", False), ("nobody", False)],
)
def test_bris_de_glace_per_role(territory, shared, who, allowed):
    from django.core.exceptions import ValidationError

    from parcours.patients.access import can_see_patient_data

    patient, _ = shared
    user = getattr(territory, who)
    if allowed:
        emergency_access_open(
            actor=user, patient=patient, reason="Prise en charge urgente, dossier nécessaire"
        )
        assert can_see_patient_data(user, patient)
    else:
        with pytest.raises(ValidationError):
            emergency_access_open(
                actor=user, patient=patient, reason="Prise en charge urgente, dossier nécessaire"
            )
        assert not can_see_patient_data(user, patient)


def test_bris_de_glace_page_needs_to_see_the_identity(territory, login, shared):
    patient, _ = shared
    response = _break_glass(
        login, territory.doctor, patient, "Prise en charge urgente, dossier nécessaire"
    )
    assert response.status_code == 404 and not EmergencyAccess.objects.exists()
    assert Patient.objects.count() == 1


def test_an_appointment_opens_the_data_but_not_the_administrators_oversight(territory, agenda):
    from parcours.patients.access import can_see_patient_data
    from parcours.scheduling.services import slot_book
    from parcours.scheduling.tests.fixtures import slot_on

    patient = patient_create(actor=territory.gp, **TRAITS).patient
    found = patient_create(actor=territory.gp2, **TRAITS).patient
    assert found == patient and not can_see_patient_data(territory.gp2, patient)
    slot_book(user=territory.gp2, slot=slot_on(agenda.cardio, 9), patient=patient)
    assert can_see_patient_data(territory.gp2, patient)  # booked by them
    assert can_see_patient_data(territory.doctor, patient)  # the schedule's service
    assert can_see_patient_data(territory.desk, patient)  # the schedule's organisation
    assert not can_see_patient_data(territory.admin, patient)
    assert not can_see_patient_data(territory.desk_beta, patient)
