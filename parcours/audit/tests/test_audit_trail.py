import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.audit.services import audit_seal, audit_verify


def test_reading_a_referral_is_audited_with_who_and_what(territory, make_referral, client):
    referral = make_referral()
    client.force_login(territory.desk)
    client.get(reverse("referrals:detail", args=[referral.pk]))
    event = AuditEvent.objects.filter(action="read", object_type="referral").latest("id")
    assert event.user == territory.desk and event.object_id == str(referral.pk)
    assert event.patient_id == referral.patient_id and event.ip == "127.0.0.1"


def test_a_real_actions_rows_are_sealed_and_verify(territory, make_referral):
    make_referral()
    make_referral()
    assert audit_seal()["sealed"] >= 3
    report = audit_verify()
    assert report.intact and report.sealed == report.rows >= 3
    call_command("audit_verify")


def test_database_refuses_updates_of_audit_rows(territory, make_referral):
    make_referral()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(detail="changed")


@pytest.mark.skipif(
    "__import__('django.db').db.connection.vendor != 'postgresql'",
    reason="SQLite test databases keep only the UPDATE guard (see migration)",
)
def test_database_refuses_deletion_of_audit_rows(territory, make_referral):
    make_referral()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_admin_shows_the_trail_read_only(territory, make_referral, client):
    make_referral()
    territory.admin.is_superuser = True
    territory.admin.save()
    client.force_login(territory.admin)
    event = AuditEvent.objects.first()
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    response = client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403


def test_lists_showing_patients_are_audited(territory, make_referral, client):
    referral = make_referral()
    client.force_login(territory.desk)
    client.get(reverse("referrals:inbox"))
    event = AuditEvent.objects.filter(object_type="referral_list").latest("id")
    assert event.user == territory.desk and str(referral.pk) in event.detail


def test_an_actions_audit_rows_are_appended_at_its_end_and_sealed(territory, make_referral):
    from parcours.referrals.services import referral_assign

    referral = make_referral()
    before = AuditEvent.objects.count()
    referral_assign(actor=territory.desk, referral=referral, doctor=territory.doctor)
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert [r.action for r in rows] == ["update"]
    audit_seal()
    assert audit_verify().intact


def test_a_failed_action_leaves_no_audit_row(territory, make_referral):
    from django.core.exceptions import ValidationError

    from parcours.referrals.services import referral_assign

    referral = make_referral()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        referral_assign(actor=territory.desk, referral=referral, doctor=territory.pneumo)
    assert AuditEvent.objects.count() == before
