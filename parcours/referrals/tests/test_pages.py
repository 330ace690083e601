"""The referral pages as a person uses them: forms, French errors, one transaction."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from conftest import pdf_upload
from parcours.referrals.models import Referral


def test_gp_submits_a_request_through_the_form(territory, patient, client):
    client.force_login(territory.gp)
    url = reverse("referrals:new") + f"?patient={patient.pk}"
    page = client.get(url)
    assert "Envoyer la demande" in page.content.decode()
    response = client.post(
        url,
        {
            "kind": "CONSULTATION",
            "service": territory.cardio.pk,
            "question": "Palpitations",
            "context": "HTA",
            "wished_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "wished_until": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "files": [pdf_upload()],
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.attachments.count() == 1 and referral.wished_until


def test_missing_question_is_explained_in_french_and_nothing_is_written(territory, patient, client):
    client.force_login(territory.gp)
    response = client.post(
        reverse("referrals:new") + f"?patient={patient.pk}",
        {"kind": "ADVICE", "service": territory.cardio.pk, "question": ""},
    )
    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.content.decode()
    assert Referral.objects.count() == 0


def test_wrong_file_type_is_refused_on_the_form(territory, patient, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(territory.gp)
    response = client.post(
        reverse("referrals:new") + f"?patient={patient.pk}",
        {
            "kind": "ADVICE",
            "service": territory.cardio.pk,
            "question": "?",
            "files": [SimpleUploadedFile("notes.pdf", b"just text, not a pdf")],
        },
    )
    assert response.status_code == 400
    assert "seuls les PDF, JPEG et PNG" in response.content.decode()
    assert Referral.objects.count() == 0


def test_window_in_the_past_is_refused(territory, patient, client):
    client.force_login(territory.gp)
    response = client.post(
        reverse("referrals:new") + f"?patient={patient.pk}",
        {
            "kind": "EXAM",
            "service": territory.cardio.pk,
            "question": "?",
            "wished_until": (timezone.localdate() - timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "déjà passée" in response.content.decode()


def test_whole_pathway_through_the_pages(territory, make_referral, client):
    referral = make_referral()
    url = reverse("referrals:detail", args=[referral.pk])

    def act(user, action, data):
        client.force_login(user)
        return client.post(reverse("referrals:action", args=[referral.pk, action]), data)

    assert act(territory.desk, "assign", {"doctor": territory.doctor.pk}).status_code == 302
    assert act(territory.doctor, "message", {"body": "Dernière créatinine ?"}).status_code == 302
    assert act(territory.gp, "message", {"body": "92 µmol/L"}).status_code == 302
    response = act(
        territory.doctor,
        "answer",
        {
            "answer_kind": "appointment",
            "text": "Consultation proposée",
            "proposed_at": (timezone.localtime() + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    client.force_login(territory.gp)
    body = client.get(url).content.decode()
    assert "Consultation proposée" in body and "92 µmol/L" in body
    assert "Confirmer la prise en charge" in body
    assert act(territory.gp, "take_in_charge", {"note": ""}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "taken_in_charge"


def test_action_with_missing_reason_reopens_the_form_with_the_error(
    territory, make_referral, client
):
    referral = make_referral()
    client.force_login(territory.desk)
    response = client.post(
        reverse("referrals:action", args=[referral.pk, "decline"]), {"decline-reason": ""}
    )
    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "submitted"


def test_action_not_allowed_in_this_state_is_explained(territory, make_referral, client):
    referral = make_referral()
    client.force_login(territory.gp)
    client.post(
        reverse("referrals:action", args=[referral.pk, "cancel"]),
        {"cancel-reason": "Plus nécessaire"},
    )
    response = client.post(
        reverse("referrals:action", args=[referral.pk, "cancel"]),
        {"cancel-reason": "encore"},
        follow=True,
    )
    assert "clôturée" in response.content.decode()
    assert referral.events.filter(action="cancelled").count() == 1


def test_inbox_filters_and_sorts_by_time_left(territory, make_referral, client):
    late = make_referral()
    Referral.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    soon = make_referral(kind="EXAM")
    client.force_login(territory.desk)
    body = client.get(reverse("referrals:inbox")).content.decode()
    assert body.index(late.reference) < body.index(soon.reference)
    body = client.get(reverse("referrals:inbox") + "?kind=EXAM").content.decode()
    assert soon.reference in body and late.reference not in body


def test_inbox_query_count_does_not_grow_with_the_number_of_requests(
    territory, make_referral, client, django_assert_max_num_queries
):
    for _ in range(3):
        make_referral()
    client.force_login(territory.desk)
    client.get(reverse("referrals:inbox"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("referrals:inbox"))
    for _ in range(20):
        make_referral()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("referrals:inbox"))
    assert len(many) == len(few)


def test_attachment_is_served_only_through_the_access_check(territory, make_referral, client):
    referral = make_referral(files=[pdf_upload()])
    attachment = referral.attachments.get()
    client.force_login(territory.doctor)
    response = client.get(reverse("referrals:attachment", args=[referral.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Cache-Control"] == "private, no-store"


def test_answered_request_says_whether_the_delay_was_kept(territory, make_referral, client):
    from parcours.referrals.services import referral_answer

    referral = make_referral()
    referral_answer(actor=territory.doctor, referral=referral, answer_kind="advice", text="ok")
    client.force_login(territory.gp)
    body = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Répondue dans les délais" in body
