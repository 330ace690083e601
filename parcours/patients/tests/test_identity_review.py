"""Creation flags near duplicates; the review queue per role; merge keeps everything and
can be undone; status rules; the patient page per role."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.patients.models import CareLink, DuplicateCandidate, Patient, PatientIdentifier
from parcours.patients.services import (
    patient_create,
    patient_identifier_add,
    patient_merge,
    patient_set_status,
)


def _nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


def _pair(territory):
    a = patient_create(
        actor=territory.gp,
        birth_name="Dupont",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
        birthplace_insee="53130",
    ).patient
    result = patient_create(
        actor=territory.gp2,
        birth_name="Dupond",
        birth_given_names="Marie",
        birth_date=date(1950, 3, 4),
        sex="F",
    )
    return a, result


def test_creation_flags_a_probable_duplicate_instead_of_hiding_it(territory):
    a, result = _pair(territory)
    assert result.created and result.patient != a
    (pair,) = result.candidates
    assert pair.grade == "probable" and pair.state == "open"
    assert {pair.low_id, pair.high_id} == {a.pk, result.patient.pk}


def test_exact_traits_still_reuse_the_identity(territory):
    a, _ = _pair(territory)
    again = patient_create(
        actor=territory.gp2,
        birth_name="DUPONT",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
    )
    assert not again.created and again.patient == a


def test_a_given_name_less_is_a_new_identity_flagged_for_review(territory):
    a, _ = _pair(territory)
    again = patient_create(
        actor=territory.gp2,
        birth_name="DUPONT",
        birth_given_names="Marie",
        birth_date=date(1950, 4, 3),
        sex="F",
    )
    assert again.created and again.patient.birth_given_names == "MARIE"
    assert any({c.low_id, c.high_id} == {a.pk, again.patient.pk} for c in again.candidates)


@pytest.mark.parametrize(
    "who,status",
    [("cell", 200), ("admin", 404), ("desk", 404), ("gp", 404), ("doctor", 404), ("nobody", 404)],
)
def test_review_queue_per_role(territory, login, who, status):
    a, result = _pair(territory)
    pair = result.candidates[0]
    client = login(getattr(territory, who))
    assert client.get(reverse("patients:duplicates")).status_code == (
        200 if who in ("cell", "desk") else 404
    )
    # A desk sees only pairs where it may see one identity: none here.
    assert client.get(reverse("patients:duplicate", args=[pair.pk])).status_code == status


def test_a_desk_sees_pairs_of_its_patients(territory, login, make_referral):
    a, result = _pair(territory)
    from parcours.referrals.services import referral_submit

    referral_submit(
        author=territory.gp2,
        patient=result.patient,
        service=territory.cardio,
        kind="ADVICE",
        question="Avis ?",
    )
    client = login(territory.desk)
    page = client.get(reverse("patients:duplicates")).content.decode()
    assert "DUPOND" in page
    assert (
        client.get(reverse("patients:duplicate", args=[result.candidates[0].pk])).status_code == 200
    )
    assert (
        login(territory.desk_beta)
        .get(reverse("patients:duplicate", args=[result.candidates[0].pk]))
        .status_code
        == 404
    )


def test_merge_keeps_identifiers_and_history_and_undo_restores(territory, login):
    a, result = _pair(territory)
    b = result.patient
    from parcours.referrals.services import referral_submit

    ref = referral_submit(
        author=territory.gp2, patient=b, service=territory.cardio, kind="ADVICE", question="Avis ?"
    )
    patient_identifier_add(
        actor=territory.cell,
        patient=a,
        system="urn:ipp:alpha",
        value="A1",
        organisation=territory.alpha,
    )
    patient_identifier_add(
        actor=territory.cell,
        patient=b,
        system="urn:ipp:beta",
        value="B7",
        organisation=territory.beta,
    )
    client = login(territory.cell)
    response = client.post(
        reverse("patients:duplicate", args=[result.candidates[0].pk]),
        {"action": "merge", "survivor": a.pk, "reason": "même personne", "confirm": "on"},
    )
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.merged_into == a
    assert set(a.local_identifiers.values_list("value", flat=True)) == {"A1", "B7"}
    ref.refresh_from_db()
    assert ref.patient == a
    assert CareLink.objects.filter(patient=a, user=territory.gp2).exists()
    assert AuditEvent.objects.filter(action="merge", patient_id=b.pk).exists()
    # The merged identity redirects to the survivor, on the page and in FHIR.
    page = login(territory.gp2).get(reverse("patients:detail", args=[b.pk]))
    assert page.status_code == 302 and page["Location"] == reverse("patients:detail", args=[a.pk])
    # Undo puts everything back.
    merge = (
        a.pk
        and __import__(
            "parcours.patients.models", fromlist=["PatientMerge"]
        ).PatientMerge.objects.get()
    )
    client = login(territory.cell)
    assert client.post(reverse("patients:merge-undo", args=[merge.pk])).status_code == 302
    b.refresh_from_db()
    ref.refresh_from_db()
    assert b.merged_into is None and ref.patient == b
    assert PatientIdentifier.objects.get(value="B7").patient == b
    assert not CareLink.objects.filter(patient=a, user=territory.gp2).exists()
    assert DuplicateCandidate.objects.get().state == "open"
    assert AuditEvent.objects.filter(action="unmerge").count() == 2


def test_separate_takes_the_pair_out_of_the_queue(territory, login):
    _, result = _pair(territory)
    client = login(territory.cell)
    client.post(
        reverse("patients:duplicate", args=[result.candidates[0].pk]), {"action": "separate"}
    )
    # Without a reason: refused, said next to the reason field, nothing else complains.
    assert DuplicateCandidate.objects.get().state == "open"
    page = client.post(
        reverse("patients:duplicate", args=[DuplicateCandidate.objects.get().pk]),
        {"action": "separate", "reason": "court"},
    ).content.decode()
    assert "personnes distinctes (10 caractères au moins)" in page
    assert "Choisissez l&#x27;identité à conserver" not in page
    client.post(
        reverse("patients:duplicate", args=[DuplicateCandidate.objects.get().pk]),
        {"action": "separate", "reason": "Jumelles : INS différents vérifiés"},
    )
    assert DuplicateCandidate.objects.get().state == "separate"
    assert "DUPOND" not in client.get(reverse("patients:duplicates")).content.decode()


def test_merging_two_different_nir_is_refused(territory):
    a = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
        ins_nir=_nir("2480353130001"),
    ).patient
    b = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louisa",
        birth_date=date(1948, 3, 12),
        sex="F",
        ins_nir=_nir("2480353130002"),
    ).patient
    with pytest.raises(ValidationError) as exc:
        patient_merge(
            actor=territory.cell,
            survivor=a,
            merged=b,
            reason="même personne selon la CNI",
            confirmed=True,
        )
    assert "matricules INS différents" in exc.value.messages[0]


def test_status_rules(territory):
    p = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
    ).patient
    with pytest.raises(ValidationError) as exc:
        patient_set_status(actor=territory.gp, patient=p, status="VALI")
    assert "document" in exc.value.message_dict
    p = patient_set_status(actor=territory.gp, patient=p, status="VALI", document="CNI")
    assert p.status_changed_by == territory.gp and p.status_document == "CNI"
    with pytest.raises(ValidationError):  # no INS retrieved: cannot qualify
        patient_set_status(actor=territory.gp, patient=p, status="QUAL", insi=True)
    with pytest.raises(ValidationError):  # only identitovigilance downgrades
        patient_set_status(actor=territory.gp, patient=p, status="PROV", reason="doute")
    p = patient_set_status(actor=territory.cell, patient=p, status="PROV", reason="doute")
    assert list(p.status_changes.values_list("to_status", flat=True)) == ["PROV", "VALI"]


def test_a_nia_cannot_be_qualified(territory):
    # Sent with the FR Core INS-NIA system, the matricule is stored as a NIA.
    p = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Louise",
        birth_date=date(1948, 3, 12),
        sex="F",
        ins_nir=_nir("2480353130001"),
        ins_system="urn:oid:1.2.250.1.213.1.4.9",
    ).patient
    assert p.ins_kind == "NIA"
    p = patient_set_status(actor=territory.gp, patient=p, status="RECUP", insi=True)
    with pytest.raises(ValidationError):
        patient_set_status(actor=territory.gp, patient=p, status="QUAL", document="CNI")


@pytest.mark.parametrize(
    "who,status",
    [("gp", 200), ("gp2", 404), ("desk", 404), ("doctor", 404), ("admin", 404), ("nobody", 404)],
)
def test_patient_page_per_role(territory, patient, login, who, status):
    patient_identifier_add(
        actor=territory.gp,
        patient=patient,
        system="urn:ipp:alpha",
        value="IPP-77",
        organisation=territory.alpha,
    )
    response = login(getattr(territory, who)).get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "IPP-77" in page and "CH Alpha" in page and "Provisoire" in page
        assert "Synthèse du dossier hospitalier" in page
        assert AuditEvent.objects.filter(action="read", patient_id=patient.pk).exists()


def test_status_form_on_the_patient_page(territory, patient, login):
    client = login(territory.gp)
    response = client.post(
        reverse("patients:detail", args=[patient.pk]), {"status": "VALI", "document": "PASSEPORT"}
    )
    assert response.status_code == 302
    assert Patient.objects.get(pk=patient.pk).identity_status == "VALI"


@pytest.mark.parametrize("who,status", [("cell", 302), ("admin", 404), ("desk", 404), ("gp", 404)])
def test_on_demand_scan_per_role(territory, login, who, status):
    a, result = _pair(territory)
    DuplicateCandidate.objects.all().delete()
    response = login(getattr(territory, who)).post(reverse("patients:scan", args=[a.pk]))
    assert response.status_code == status
    assert DuplicateCandidate.objects.exists() == (status == 302)


def test_the_cell_scans_by_number_from_the_queue(territory, login):
    a, _ = _pair(territory)
    DuplicateCandidate.objects.all().delete()
    client = login(territory.cell)
    assert (
        'action="/patients/doublons/rechercher/"'
        in client.get(reverse("patients:duplicates")).content.decode()
    )
    assert client.post(reverse("patients:scan-number"), {"pk": a.pk}).status_code == 302
    assert DuplicateCandidate.objects.count() == 1
