"""The registries through which the apps above patients contribute to it (docs/architecture.md,
layers): a registration lost at start-up would silently change who sees a patient (fewer care
relationships) or empty the patient page, so the expected entries are pinned here."""

from parcours.patients.access import CARE_RELATIONSHIP_SOURCES
from parcours.patients.selectors import PATIENT_PAGE_PARTS
from parcours.proximity.access import consultation_queryset_for
from parcours.referrals.access import referral_queryset_for
from parcours.referrals.selectors import REFERRAL_PAGE_PARTS
from parcours.scheduling.access import appointment_care_queryset_for


def test_care_relationships_come_from_requests_and_appointments():
    assert CARE_RELATIONSHIP_SOURCES == {
        "referrals": referral_queryset_for,
        "scheduling": appointment_care_queryset_for,
        "proximity": consultation_queryset_for,
    }


def test_the_patient_page_has_its_four_contributed_parts():
    assert set(PATIENT_PAGE_PARTS) == {"referrals", "scheduling", "labs", "messaging"}


def test_the_request_page_has_its_booking_part():
    assert set(REFERRAL_PAGE_PARTS) == {"booking"}


def test_an_appointment_opens_the_patient_data_and_a_request_too(territory, patient, make_referral):
    from parcours.patients.access import can_see_patient_data

    # The desk sees the request, hence the patient's data; the pneumologist does not.
    make_referral()
    assert can_see_patient_data(territory.desk, patient)
    assert not can_see_patient_data(territory.pneumo, patient)
