"""Sending, reading, filing and verifying secure messages (services)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from parcours.lib import crypto
from parcours.messaging.models import Attachment, MailboxEntry, Message
from parcours.messaging.services import (
    FileIn,
    attachment_read,
    keys_rotate,
    message_open,
    message_send,
    thread_mark_read,
    thread_move,
)
from parcours.notifications.models import Notification
from parcours.patients.access import patient_queryset_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_message_reaches_each_recipient_encrypted_and_signed(territory, patient):
    t = territory
    m = message_send(
        sender=t.gp,
        subject="Mme Dupont, INR",
        body="INR à 4,2 ce matin.",
        to=[t.doctor],
        cc=[t.head],
        patient=patient,
        files=[FileIn(name="inr.pdf", content_type="application/pdf", data=PDF)],
    )
    boxes = {(e.user_id, e.box, e.role) for e in m.entries.all()}
    assert boxes == {
        (t.gp.pk, "sent", "from"),
        (t.doctor.pk, "inbox", "to"),
        (t.head.pk, "inbox", "cc"),
    }
    # Nothing in clear in the database or on disk.
    assert "INR" not in m.body_enc and "Dupont" not in m.thread.subject_enc
    att = m.attachments.get()
    with att.file.open("rb") as fh:
        assert b"%PDF" not in fh.read()
    opened = message_open(Message.objects.get(pk=m.pk))
    assert (opened.subject, opened.body, opened.state) == (
        "Mme Dupont, INR",
        "INR à 4,2 ce matin.",
        "valid",
    )
    assert attachment_read(att) == PDF
    # Recipients are told, and now care for the patient.
    assert Notification.objects.filter(user=t.doctor, kind="message").count() == 1
    assert patient_queryset_for(t.doctor).filter(pk=patient.pk).exists()


def test_a_tampered_body_shows_as_tampered(territory):
    t = territory
    m = message_send(sender=t.gp, subject="Objet", body="Texte d'origine", to=[t.doctor])
    Message.objects.filter(pk=m.pk).update(body_enc=crypto.encrypt("Texte modifié"))
    assert message_open(Message.objects.get(pk=m.pk)).state == "tampered"


def test_an_added_recipient_breaks_the_signature(territory):
    t = territory
    m = message_send(sender=t.gp, subject="Objet", body="Texte", to=[t.doctor])
    MailboxEntry.objects.create(
        message=m, thread=m.thread, user=t.gp2, role="to", box="inbox", sent_at=m.sent_at
    )
    assert message_open(Message.objects.get(pk=m.pk)).state == "tampered"


def test_a_corrupted_ciphertext_is_unreadable(territory):
    t = territory
    m = message_send(sender=t.gp, subject="Objet", body="Texte", to=[t.doctor])
    Message.objects.filter(pk=m.pk).update(body_enc=m.body_enc[:-4] + "AAAA")
    assert message_open(Message.objects.get(pk=m.pk)).state == "unreadable"


def test_a_swapped_attachment_is_refused(territory):
    t = territory
    m = message_send(
        sender=t.gp,
        subject="Objet",
        body="Texte",
        to=[t.doctor],
        files=[FileIn(name="a.pdf", content_type="application/pdf", data=PDF)],
    )
    att = m.attachments.get()
    att.file.storage.delete(att.file.name)
    from django.core.files.base import ContentFile

    att.file.storage.save(att.file.name, ContentFile(crypto.encrypt(PDF + b"x").encode()))
    assert attachment_read(Attachment.objects.get(pk=att.pk)) is None


def test_a_reply_stays_in_the_thread_and_read_receipts_are_kept(territory):
    t = territory
    first = message_send(sender=t.gp, subject="Question", body="Avis ?", to=[t.doctor])
    thread_mark_read(user=t.doctor, thread=first.thread)
    entry = MailboxEntry.objects.get(user=t.doctor, message=first)
    assert entry.read_at is not None
    reply = message_send(sender=t.doctor, body="Oui.", to=[t.gp], reply_to=first.thread)
    assert reply.thread_id == first.thread_id
    assert message_open(reply).subject == "Question"


def test_filing_a_thread_moves_only_my_copy(territory):
    t = territory
    m = message_send(sender=t.gp, subject="Objet", body="Texte", to=[t.doctor])
    thread_move(user=t.doctor, thread=m.thread, box="archive")
    assert MailboxEntry.objects.get(user=t.doctor).box == "archive"
    assert MailboxEntry.objects.get(user=t.gp).box == "sent"
    thread_move(user=t.doctor, thread=m.thread, box="inbox")
    assert MailboxEntry.objects.get(user=t.doctor).box == "inbox"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"to": []}, "destinataire"),
        ({"subject": " "}, "objet"),
        ({"body": " "}, "vide"),
        ({"external": ["pas-une-adresse"]}, "n'est pas valide"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(territory, kwargs, message):
    args = {"sender": territory.gp, "subject": "Objet", "body": "Texte", "to": [territory.doctor]}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        message_send(**args)
    assert not Message.objects.exists()


def test_keys_rotate_to_a_new_key_and_old_keys_can_go(territory, settings):
    t = territory
    old = settings.MESSAGING_KEYS[0]
    m = message_send(
        sender=t.gp,
        subject="Objet",
        body="Secret",
        to=[t.doctor],
        files=[FileIn(name="a.pdf", content_type="application/pdf", data=PDF)],
    )
    new = crypto.derive_key("rotation", "test")
    settings.MESSAGING_KEYS = [new, old]
    counts = keys_rotate()
    assert counts == {"threads": 1, "messages": 1, "attachments": 1, "keys": 1}
    settings.MESSAGING_KEYS = [new]
    m = Message.objects.get(pk=m.pk)
    assert message_open(m).state == "valid" and message_open(m).body == "Secret"
    assert attachment_read(m.attachments.get()) == PDF


def test_search_finds_whole_words_without_clear_text(territory, patient):
    from parcours.messaging.selectors import mailbox_entries

    t = territory
    message_send(
        sender=t.gp,
        subject="Anticoagulant",
        body="Relais par héparine",
        to=[t.doctor],
        patient=patient,
    )
    message_send(sender=t.gp, subject="Autre", body="Rien à voir", to=[t.doctor])
    assert mailbox_entries(t.doctor, q="HEPARINE").count() == 1
    assert mailbox_entries(t.doctor, q="dupont").count() == 1  # the patient's name
    assert mailbox_entries(t.doctor, q="héparine autre").count() == 0
    assert mailbox_entries(t.gp2, q="heparine").count() == 0
    assert "heparine" not in Message.objects.first().search_tokens
    assert connection.vendor in {"sqlite", "postgresql"}


def test_rotate_keys_command_reports_what_it_rewrote(territory, settings):
    from io import StringIO

    from django.core.management import call_command

    message_send(sender=territory.gp, subject="Objet", body="Texte", to=[territory.doctor])
    settings.MESSAGING_KEYS = [crypto.derive_key("new", "test"), *settings.MESSAGING_KEYS]
    out = StringIO()
    call_command("rotate-keys", stdout=out)
    assert "1 message(s)" in out.getvalue()


def test_a_message_that_rolls_back_leaves_no_attachment_on_disk(territory, settings, monkeypatch):
    from parcours.messaging import services

    def fail(**kwargs):
        raise RuntimeError("relay refused")

    monkeypatch.setattr(services, "notify", fail)  # the last step of the action fails
    with pytest.raises(RuntimeError):
        message_send(
            sender=territory.gp,
            subject="CR",
            body="x",
            to=[territory.doctor],
            files=[FileIn(name="cr.pdf", content_type="application/pdf", data=b"%PDF-1.4 x")],
        )
    written = (
        [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
        if settings.MEDIA_ROOT.exists()
        else []
    )
    assert written == [] and not Message.objects.exists()
