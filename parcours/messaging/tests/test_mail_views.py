"""The mailbox pages, by role: who sees which thread, attachment and folder."""

import pytest
from django.urls import reverse

from conftest import pdf_upload
from parcours.audit.models import AuditEvent
from parcours.messaging.models import MailboxEntry, Message
from parcours.messaging.services import FileIn, message_send

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def sent(territory, patient):
    return message_send(
        sender=territory.gp,
        subject="Mme Dupont : INR",
        body="INR 4,2",
        to=[territory.doctor],
        patient=patient,
        files=[FileIn(name="inr.pdf", content_type="application/pdf", data=PDF)],
    )


def test_compose_sends_with_attachment_and_lands_in_the_thread(territory, login):
    client = login(territory.gp)
    response = client.post(
        reverse("messaging:compose"),
        {
            "to": [territory.doctor.pk],
            "subject": "Question",
            "body": "Bonjour",
            "files": [pdf_upload()],
        },
    )
    message = Message.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("messaging:thread", args=[message.thread_id])
    assert message.attachments.count() == 1


def test_compose_refuses_a_non_pdf_attachment_in_french(territory, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(territory.gp)
    response = client.post(
        reverse("messaging:compose"),
        {
            "to": [territory.doctor.pk],
            "subject": "Question",
            "body": "Bonjour",
            "files": [SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 50)],
        },
    )
    assert response.status_code == 400
    assert "est pas accepté" in response.content.decode()
    assert not Message.objects.exists()


def test_compose_without_recipient_says_so(territory, login):
    response = login(territory.gp).post(
        reverse("messaging:compose"), {"subject": "Objet", "body": "Texte"}
    )
    assert response.status_code == 400
    assert "au moins un destinataire" in response.content.decode()


@pytest.mark.parametrize(
    "who, status",
    [("gp", 200), ("doctor", 200), ("gp2", 404), ("desk", 404), ("admin", 404), ("nobody", 404)],
)
def test_only_participants_open_a_thread(territory, sent, login, who, status):
    response = login(getattr(territory, who)).get(
        reverse("messaging:thread", args=[sent.thread_id])
    )
    assert response.status_code == status
    if status == 200:
        assert "INR 4,2" in response.content.decode()
        assert "Signé" in response.content.decode()


@pytest.mark.parametrize(
    "who, status", [("gp", 200), ("doctor", 200), ("gp2", 404), ("nobody", 404)]
)
def test_only_participants_download_an_attachment(territory, sent, login, who, status):
    att = sent.attachments.get()
    response = login(getattr(territory, who)).get(reverse("messaging:attachment", args=[att.pk]))
    assert response.status_code == status
    if status == 200:
        assert response.content == PDF


def test_anonymous_is_sent_to_login(client, sent):
    response = client.get(reverse("messaging:thread", args=[sent.thread_id]))
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_opening_marks_read_and_is_audited(territory, sent, login):
    login(territory.doctor).get(reverse("messaging:thread", args=[sent.thread_id]))
    assert MailboxEntry.objects.get(user=territory.doctor).read_at is not None
    assert AuditEvent.objects.filter(
        user=territory.doctor, action="read", object_type="thread"
    ).exists()
    # The sender sees the read receipt.
    page = login(territory.gp).get(reverse("messaging:thread", args=[sent.thread_id]))
    assert "lu le" in page.content.decode()


def test_a_tampered_message_is_flagged_on_the_page(territory, sent, login):
    from parcours.lib import crypto

    Message.objects.filter(pk=sent.pk).update(body_enc=crypto.encrypt("INR 1,0"))
    page = login(territory.doctor).get(reverse("messaging:thread", args=[sent.thread_id]))
    assert "message altéré" in page.content.decode()


def test_reply_goes_to_the_other_participants(territory, sent, login):
    client = login(territory.doctor)
    response = client.post(
        reverse("messaging:thread", args=[sent.thread_id]),
        {"body": "Arrêtez le Préviscan ce soir."},
    )
    assert response.status_code == 302
    reply = Message.objects.latest("id")
    assert reply.thread_id == sent.thread_id
    assert MailboxEntry.objects.filter(message=reply, user=territory.gp, box="inbox").exists()


def test_mailbox_lists_boxes_folders_and_search(
    territory, sent, login, django_assert_max_num_queries
):
    client = login(territory.doctor)
    for i in range(5):
        message_send(sender=territory.gp, subject=f"Objet {i}", body="x", to=[territory.doctor])
    with django_assert_max_num_queries(15):
        page = client.get(reverse("messaging:mailbox"))
    assert page.status_code == 200 and "Mme Dupont : INR" in page.content.decode()
    client.post(reverse("messaging:folder_create"), {"name": "Anticoagulants"})
    folder = territory.doctor.mail_folders.get()
    client.post(
        reverse("messaging:thread_file", args=[sent.thread_id]), {"to": f"folder:{folder.pk}"}
    )
    inbox = client.get(reverse("messaging:mailbox")).content.decode()
    assert "Mme Dupont : INR" not in inbox
    filed = client.get(reverse("messaging:mailbox") + f"?folder={folder.pk}").content.decode()
    assert "Mme Dupont : INR" in filed
    found = client.get(reverse("messaging:mailbox") + "?q=inr").content.decode()
    assert "Mme Dupont : INR" in found and "Objet 1" not in found


def test_someone_elses_folder_is_not_found(territory, login):
    from parcours.messaging.services import folder_create

    folder = folder_create(owner=territory.gp, name="Perso")
    assert (
        login(territory.gp2).get(reverse("messaging:mailbox") + f"?folder={folder.pk}").status_code
        == 404
    )


def test_patient_page_lists_my_threads_about_the_patient(territory, sent, patient, login):
    page = login(territory.doctor).get(reverse("patients:detail", args=[patient.pk]))
    assert "Mme Dupont : INR" in page.content.decode()


def test_an_attachment_downloads_with_an_rfc6266_name_and_its_real_type(territory, login):
    message = message_send(
        sender=territory.gp,
        subject="CR",
        body="x",
        to=[territory.doctor],
        files=[FileIn(name="Compte rendu d’hôpital.exe", content_type="application/pdf", data=PDF)],
    )
    att = message.attachments.get()
    assert att.name == "Compte rendu d’hôpital.pdf"
    response = login(territory.doctor).get(reverse("messaging:attachment", args=[att.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Compte%20rendu%20d%E2%80%99h%C3%B4pital.pdf"
    )
