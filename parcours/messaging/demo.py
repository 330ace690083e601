"""Demo mailbox: conversations about patients, and three months of discharge letters
(on time, late, acknowledged, one due soon and one overdue) for the indicators."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from parcours.lib import crypto
from parcours.notifications.models import Notification

from .letters import letter_acknowledge, letter_declare, letter_send
from .models import DischargeLetter, MailboxEntry, Message, Thread
from .services import message_digest, message_send, thread_mark_read

LETTER_TEXT = (
    "Cher confrère,\n\nVotre patient(e) a été hospitalisé(e) dans notre service. "
    "Motif : {reason}.\n\nÉvolution favorable. Traitement de sortie : {treatment}.\n"
    "Suivi : consultation dans un mois ; bilan biologique à J8.\n\nBien confraternellement."
)
REASONS = [
    ("décompensation cardiaque", "furosémide 40 mg, bisoprolol 2,5 mg"),
    ("fibrillation atriale rapide", "apixaban 5 mg x2, bisoprolol 5 mg"),
    ("pneumopathie", "amoxicilline-acide clavulanique 7 jours"),
    ("chute avec malaise", "arrêt de l'hydrochlorothiazide"),
]


def load_messaging_demo(*, services, users, patients, seed: int = 11) -> dict[str, int]:
    rnd = random.Random(seed)
    now = timezone.now()
    gp1, gp2 = users["medecin.ville"], users["medecin.ville2"]
    cardio_doc, pneumo_doc = users["medecin.hopital"], users["pneumo.laval"]

    # Conversations.
    m = message_send(
        sender=gp1,
        subject="INR instable sous fluindione",
        body="Bonjour,\nINR à 4,6 ce matin, pas de saignement. Je suspends une "
        "prise et contrôle à 48 h ; faut-il envisager un relais par AOD ?",
        to=[cardio_doc],
        patient=patients[1],
    )
    thread_mark_read(user=cardio_doc, thread=m.thread)
    message_send(
        sender=cardio_doc,
        body="Oui, relais par apixaban possible si la clairance "
        "le permet. Je vous propose de la voir en "
        "consultation la semaine prochaine.",
        to=[gp1],
        reply_to=m.thread,
    )
    message_send(
        sender=pneumo_doc,
        subject="Résultats EFR",
        body="Les EFR montrent un trouble ventilatoire obstructif modéré. "
        "Compte rendu complet à suivre.",
        to=[gp2],
        cc=[gp1],
        patient=patients[2],
    )
    message_send(
        sender=users["cellule.laval"],
        subject="Lignes directes des services",
        body="Bonjour, la ligne senior de cardiologie change d'horaires à partir "
        "du 1er du mois : 8h30–18h30.",
        to=[gp1, gp2],
    )

    conversations_done = (
        Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    )
    # Discharge letters: a history for the indicators.
    cardio, pneumo = services[("laval", "Cardiologie")], services[("laval", "Pneumologie")]
    count = 0
    for service, doctor in ((cardio, cardio_doc), (pneumo, pneumo_doc)):
        for _i in range(14):
            patient = rnd.choice(patients)
            gp = rnd.choice([gp1, gp2])
            discharged = now - timedelta(days=rnd.randint(3, 85), hours=rnd.randint(0, 12))
            letter = letter_declare(
                actor=doctor,
                patient=patient,
                service=service,
                recipient=gp,
                discharged_at=discharged,
                admitted_on=(discharged - timedelta(days=rnd.randint(2, 9))).date(),
            )
            reason, treatment = rnd.choice(REASONS)
            letter = letter_send(
                actor=doctor,
                letter=letter,
                body=LETTER_TEXT.format(reason=reason, treatment=treatment),
            )
            message_id = letter.message_id
            if message_id is None:  # letter_send always attaches its message
                raise RuntimeError("a sent letter has no message")
            took = timedelta(hours=rnd.choice([6, 18, 30, 40, 47, 60, 80]))
            sent = discharged + took
            DischargeLetter.objects.filter(pk=letter.pk).update(sent_at=sent)
            Message.objects.filter(pk=message_id).update(sent_at=sent)
            MailboxEntry.objects.filter(message_id=message_id).update(sent_at=sent)
            Thread.objects.filter(messages__pk=message_id).update(
                created_at=sent, last_message_at=sent
            )
            if rnd.random() < 0.7:
                letter_acknowledge(actor=gp, letter=letter)
                DischargeLetter.objects.filter(pk=letter.pk).update(
                    acknowledged_at=sent + timedelta(hours=rnd.randint(2, 30))
                )
                MailboxEntry.objects.filter(message_id=message_id, user=gp).update(
                    read_at=sent + timedelta(hours=2)
                )
            count += 1
    # The signature covers sent_at: re-sign the back-dated letters (demo history only).
    _resign(Message.objects.filter(kind=Message.Kind.LETTER))
    # Still to write: one due soon, one already late (the worker escalates it).
    letter_declare(
        actor=cardio_doc,
        patient=patients[3],
        service=cardio,
        recipient=gp1,
        discharged_at=now - timedelta(hours=30),
        admitted_on=(now - timedelta(days=5)).date(),
    )
    letter_declare(
        actor=users["cellule.laval"],
        patient=patients[4],
        service=pneumo,
        recipient=gp2,
        discharged_at=now - timedelta(hours=60),
        admitted_on=(now - timedelta(days=8)).date(),
    )
    # The history is old news; the conversations above stay unread.
    Notification.objects.filter(id__gt=conversations_done).update(read_at=now, emailed_at=now)
    return {"letters": count + 2}


def _resign(messages) -> None:

    for m in messages.select_related("thread", "signing_key").prefetch_related(
        "attachments", "entries"
    ):
        body = crypto.decrypt(m.body_enc).decode()
        subject = crypto.decrypt(m.thread.subject_enc).decode()
        entries = list(m.entries.all())
        digest = message_digest(
            message=m,
            subject=subject,
            body=body,
            attachments=[a.sha256 for a in m.attachments.all()],
            to=[e.user_id for e in entries if e.role == "to"],
            cc=[e.user_id for e in entries if e.role == "cc"],
        )
        m.signature = crypto.sign(crypto.decrypt(m.signing_key.private_enc), digest)
        m.save(update_fields=["signature"])
