"""The referral pathway through its services: every step, its history, notifications, audit."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import pdf_upload
from parcours.audit.models import AuditEvent
from parcours.notifications.models import Notification
from parcours.referrals import services as rs
from parcours.referrals.models import Referral, ReferralAttachment
from parcours.referrals.workflow import TRANSITIONS, Action, Clock, Status


def test_submit_sets_the_48_hour_clock_and_alerts_the_desk(territory, make_referral):
    before = timezone.now()
    r = make_referral(files=[pdf_upload()])
    assert r.status == Status.SUBMITTED
    assert r.hospital == territory.alpha
    assert timedelta(hours=47, minutes=59) < r.due_at - before < timedelta(hours=48, minutes=1)
    assert r.clock() == Clock.ON_TIME
    assert r.events.get().action == Action.SUBMITTED
    assert Notification.objects.filter(user=territory.desk, referral=r).exists()
    assert not Notification.objects.filter(user=territory.desk_beta).exists()
    assert r.attachments.get().content_type == "application/pdf"
    assert AuditEvent.objects.filter(
        object_type="referral", object_id=str(r.pk), action="create"
    ).exists()


def test_delay_per_kind_overrides_the_service_default(territory, make_referral):
    from parcours.directory.models import ServiceDelay

    ServiceDelay.objects.create(service=territory.cardio, kind="ADMISSION", hours=24)
    r = make_referral(kind="ADMISSION")
    assert abs((r.due_at - r.submitted_at) - timedelta(hours=24)) < timedelta(seconds=1)


def test_full_pathway_assign_answer_take_in_charge(territory, make_referral):
    r = make_referral()
    rs.referral_assign(actor=territory.desk, referral=r, doctor=territory.doctor)
    r.refresh_from_db()
    assert r.status == Status.ASSIGNED and r.assigned_to == territory.doctor
    rs.referral_answer(
        actor=territory.doctor,
        referral=r,
        answer_kind="advice",
        text="Échographie cardiaque conseillée.",
    )
    r.refresh_from_db()
    assert r.status == Status.ANSWERED and r.answered_on_time
    rs.referral_take_in_charge(actor=territory.gp, referral=r)
    r.refresh_from_db()
    assert r.status == Status.TAKEN_IN_CHARGE and r.closed_at
    actions = list(r.events.values_list("action", flat=True))
    assert actions == ["submitted", "assigned", "answered", "taken_in_charge"]
    kinds = set(Notification.objects.filter(user=territory.gp).values_list("kind", flat=True))
    assert {"referral_assigned", "referral_answered"} <= kinds


def test_information_request_pauses_the_clock(territory, make_referral):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = make_referral()
    due = r.due_at
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        rs.referral_request_info(actor=territory.desk, referral=r, question="Dernier ECG ?")
    r.refresh_from_db()
    assert r.clock() == Clock.PAUSED
    with time_machine.travel(start + timedelta(hours=11), tick=False):
        rs.referral_provide_info(
            actor=territory.gp, referral=r, body="ECG joint.", files=[pdf_upload()]
        )
    r.refresh_from_db()
    assert r.status == Status.RECEIVED
    assert r.due_at == due + timedelta(hours=10)


def test_redirect_moves_the_request_to_another_hospital_desk(territory, make_referral):
    r = make_referral()
    rs.referral_redirect(
        actor=territory.desk,
        referral=r,
        service=territory.beta_cardio,
        reason="Plus proche du domicile",
    )
    r.refresh_from_db()
    assert r.hospital == territory.beta and r.status == Status.SUBMITTED
    assert Notification.objects.filter(user=territory.desk_beta, referral=r).exists()


def test_illegal_move_is_refused_and_changes_nothing(territory, make_referral):
    r = make_referral()
    rs.referral_cancel(actor=territory.gp, referral=r, reason="Plus nécessaire")
    count = r.events.count()
    with pytest.raises(ValidationError):
        rs.referral_answer(actor=territory.doctor, referral=r, answer_kind="advice", text="x")
    r.refresh_from_db()
    assert r.status == Status.CANCELLED and r.events.count() == count


def test_gp_cannot_answer_and_doctor_of_other_service_cannot_act(territory, make_referral):
    r = make_referral()
    with pytest.raises(PermissionDenied):
        rs.referral_answer(actor=territory.gp, referral=r, answer_kind="advice", text="x")
    with pytest.raises(PermissionDenied):
        rs.referral_answer(actor=territory.pneumo, referral=r, answer_kind="advice", text="x")
    with pytest.raises(PermissionDenied):
        rs.referral_assign(actor=territory.desk_beta, referral=r, doctor=territory.doctor)


def test_assigning_a_doctor_of_another_service_is_refused(territory, make_referral):
    r = make_referral()
    with pytest.raises(ValidationError):
        rs.referral_assign(actor=territory.desk, referral=r, doctor=territory.pneumo)


def test_reasons_are_required(territory, make_referral):
    r = make_referral()
    for fn in (rs.referral_cancel, rs.referral_decline):
        with pytest.raises(ValidationError):
            fn(actor=territory.desk, referral=r, reason="  ")


def test_answer_with_proposed_date_requires_a_future_date(territory, make_referral):
    r = make_referral(kind="CONSULTATION")
    with pytest.raises(ValidationError) as exc:
        rs.referral_answer(
            actor=territory.doctor, referral=r, answer_kind="appointment", text="RDV"
        )
    assert "proposed_at" in exc.value.message_dict
    rs.referral_answer(
        actor=territory.doctor,
        referral=r,
        answer_kind="appointment",
        text="RDV",
        proposed_at=timezone.now() + timedelta(days=3),
    )
    r.refresh_from_db()
    assert r.answer_date is not None


def test_bad_upload_writes_nothing(territory, patient):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from parcours.lib.uploads import UploadError

    exe = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(UploadError):
        rs.referral_submit(
            author=territory.gp,
            patient=patient,
            service=territory.cardio,
            kind="ADVICE",
            question="?",
            files=[pdf_upload(), exe],
        )
    assert Referral.objects.count() == 0
    assert ReferralAttachment.objects.count() == 0
    assert Notification.objects.count() == 0


def test_too_large_upload_is_refused(territory, patient, settings):
    from parcours.lib.uploads import UploadError

    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(UploadError, match="taille maximale"):
        rs.referral_submit(
            author=territory.gp,
            patient=patient,
            service=territory.cardio,
            kind="ADVICE",
            question="?",
            files=[pdf_upload(size=2000)],
        )


def test_every_status_has_an_entry_in_the_transition_table():
    assert set(TRANSITIONS) == set(Status.values)


def test_desk_acknowledges_and_the_gp_is_told(territory, make_referral):
    r = make_referral()
    rs.referral_acknowledge(actor=territory.desk, referral=r)
    r.refresh_from_db()
    assert r.status == Status.RECEIVED and r.clock() == Clock.ON_TIME
    assert Notification.objects.filter(user=territory.gp, kind="referral_received").exists()
    with pytest.raises(PermissionDenied):  # once only
        rs.referral_acknowledge(actor=territory.desk, referral=r)
    with pytest.raises(PermissionDenied):
        rs.referral_acknowledge(actor=territory.gp, referral=make_referral())


def test_information_provided_returns_to_the_desk_that_asked(territory, make_referral):
    r = make_referral()
    rs.referral_request_info(actor=territory.desk, referral=r, question="Poids ?")
    rs.referral_provide_info(actor=territory.gp, referral=r, body="72 kg")
    r.refresh_from_db()
    assert r.status == Status.RECEIVED
