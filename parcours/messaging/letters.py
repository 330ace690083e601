"""Discharge letters (lettre de liaison de sortie): declared at discharge, due 48 h later,
sent through the mailbox to the treating doctor, acknowledged by them; late ones escalated.

States are derived from the dates, not stored: pending → (late) → sent on time / sent late →
acknowledged. Each step is a dated field written once, under a row lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Role, User
from parcours.accounts.selectors import desk_users, service_doctors
from parcours.audit.services import audit_log
from parcours.lib.actions import action
from parcours.lib.errors import ServiceError
from parcours.notifications.services import notify
from parcours.patients.models import CareLink
from parcours.referrals.models import Referral

from .models import DischargeLetter, Message
from .services import FileIn, message_send


def _url(letter: DischargeLetter) -> str:
    return reverse("messaging:letter", args=[letter.pk])


def _title(letter: DischargeLetter, what: str) -> str:
    # No patient name: titles also go out by e-mail.
    return _("Lettre de liaison n° %(n)s (%(service)s) : %(what)s") % {
        "n": letter.pk,
        "service": letter.service.name,
        "what": what,
    }


@action
def letter_declare(
    *, actor, patient, service, recipient, discharged_at: datetime, admitted_on=None
) -> DischargeLetter:
    """A stay ended: the letter to the treating doctor is now due within 48 h."""
    now = timezone.now()
    if discharged_at > now + timedelta(hours=1):
        raise ServiceError(_("La date de sortie ne peut pas être dans le futur."))
    if discharged_at < now - timedelta(days=365):
        raise ServiceError(_("La date de sortie date de plus d'un an."))
    if admitted_on is not None and admitted_on > timezone.localtime(discharged_at).date():
        raise ServiceError(_("L'entrée ne peut pas suivre la sortie."))
    if not recipient.has_role(Role.GP) or not recipient.is_active:
        raise ServiceError(_("Le destinataire doit être un médecin de ville actif."))
    due = discharged_at + timedelta(hours=settings.DISCHARGE_LETTER_HOURS)
    letter = DischargeLetter.objects.create(
        patient=patient,
        service=service,
        recipient=recipient,
        declared_by=actor,
        admitted_on=admitted_on,
        discharged_at=discharged_at,
        due_at=due,
        alert_at=due - timedelta(hours=settings.DISCHARGE_LETTER_ALERT_HOURS),
    )
    audit_log(
        user=actor,
        action="create",
        obj=letter,
        patient_id=patient.pk,
        detail="sortie déclarée, lettre de liaison attendue",
    )
    return letter


@action
def letter_send(
    *, actor, letter: DischargeLetter, body: str, files: Sequence[FileIn] = ()
) -> DischargeLetter:
    """The hospital doctor writes or uploads the letter; it leaves at once, signed, to the
    treating doctor's mailbox, filed on the patient."""
    if not body.strip() and not files:
        raise ServiceError(_("Rédigez la lettre ou joignez-la en PDF."))
    locked = (
        DischargeLetter.objects.select_for_update()
        .select_related("patient", "service", "recipient")
        .get(pk=letter.pk)
    )
    if locked.sent_at is not None:
        raise ServiceError(_("Cette lettre a déjà été envoyée."))
    stay = (
        _("séjour du %(a)s au %(d)s")
        % {
            "a": f"{locked.admitted_on:%d/%m/%Y}",
            "d": f"{timezone.localtime(locked.discharged_at):%d/%m/%Y}",
        }
        if locked.admitted_on
        else _("sortie du %(d)s") % {"d": f"{timezone.localtime(locked.discharged_at):%d/%m/%Y}"}
    )
    subject = _("Lettre de liaison — %(service)s — %(stay)s") % {
        "service": locked.service.name,
        "stay": stay,
    }
    message = message_send(
        sender=actor,
        subject=subject,
        body=body or " ",
        to=[locked.recipient],
        files=list(files),
        patient=locked.patient,
        kind=Message.Kind.LETTER,
        notify_url_name="messaging:thread",
    )
    now = message.sent_at
    locked.message, locked.sent_at, locked.author = message, now, actor
    locked.save(update_fields=["message", "sent_at", "author"])
    audit_log(
        user=actor,
        action="update",
        obj=locked,
        patient_id=locked.patient_id,
        detail="lettre de liaison envoyée" + ("" if now <= locked.due_at else " (hors délai)"),
    )
    return locked


@action
def letter_declare_and_send(
    *,
    actor,
    patient,
    service,
    recipient,
    discharged_at: datetime,
    admitted_on=None,
    body: str = "",
    files: Sequence[FileIn] = (),
) -> DischargeLetter:
    """Declare a discharge (``letter_declare``) and, when a text or a file is given, send the
    letter at once (``letter_send``): both or neither. Returns the letter; raises what they
    raise (ServiceError, French)."""
    letter = letter_declare(
        actor=actor,
        patient=patient,
        service=service,
        recipient=recipient,
        discharged_at=discharged_at,
        admitted_on=admitted_on,
    )
    if body.strip() or files:
        letter = letter_send(actor=actor, letter=letter, body=body, files=files)
    return letter


@action
def letter_acknowledge(*, actor, letter: DischargeLetter) -> DischargeLetter:
    locked = DischargeLetter.objects.select_for_update().get(pk=letter.pk)
    if locked.recipient_id != actor.pk:
        raise ServiceError(_("Seul le médecin destinataire accuse réception."))
    if locked.sent_at is None:
        raise ServiceError(_("Cette lettre n'a pas encore été envoyée."))
    if locked.acknowledged_at is None:
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["acknowledged_at"])
        audit_log(
            user=actor,
            action="update",
            obj=locked,
            patient_id=locked.patient_id,
            detail="réception de la lettre de liaison",
        )
        if locked.author_id:
            notify(
                users=[locked.author],
                kind="letter_ack",
                title=_title(locked, _("reçue par le médecin traitant")),
                url=_url(locked),
                exclude=actor,
            )
    return locked


@action
def letters_escalate_due(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Like requests: the service's doctors are alerted when a letter is at risk; when it is
    late, also the service head and the hospital's pathway desk. Each alert once."""

    now = now or timezone.now()
    counts = {"at_risk": 0, "overdue": 0}
    overdue = list(
        DischargeLetter.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(sent_at__isnull=True, due_at__lte=now, overdue_notified_at__isnull=True)
        .select_related("service__head")[:batch]
    )
    for letter in overdue:
        letter.overdue_notified_at = now
        letter.at_risk_notified_at = letter.at_risk_notified_at or now
        letter.save(update_fields=["overdue_notified_at", "at_risk_notified_at"])
        notify(
            users=[
                *service_doctors(letter.service_id),
                letter.service.head,
                *desk_users(letter.service.hospital_id),
                letter.declared_by,
            ],
            kind="letter_overdue",
            title=_title(letter, _("délai de 48 h dépassé")),
            url=_url(letter),
        )
        counts["overdue"] += 1
    at_risk = list(
        DischargeLetter.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            sent_at__isnull=True,
            alert_at__lte=now,
            due_at__gt=now,
            at_risk_notified_at__isnull=True,
        )
        .select_related("service")[:batch]
    )
    for letter in at_risk:
        letter.at_risk_notified_at = now
        letter.save(update_fields=["at_risk_notified_at"])
        notify(
            users=[*service_doctors(letter.service_id), letter.declared_by],
            kind="letter_at_risk",
            title=_title(
                letter,
                _("à envoyer avant le %(d)s")
                % {"d": f"{timezone.localtime(letter.due_at):%d/%m/%Y %H:%M}"},
            ),
            url=_url(letter),
        )
        counts["at_risk"] += 1
    return counts


def treating_doctor_guess(patient):
    """The declared treating doctor (médecin traitant); else the GP who most recently sent a
    request for this patient; else a GP with a care link."""

    if patient.treating_doctor_id and patient.treating_doctor.is_active:
        return patient.treating_doctor

    last = (
        Referral.objects.filter(patient=patient)
        .order_by("-id")
        .values_list("author_id", flat=True)
        .first()
    )
    if last:
        return User.objects.filter(pk=last).first()
    return User.objects.filter(
        pk__in=CareLink.objects.filter(patient=patient).values("user_id"), memberships__role=Role.GP
    ).first()
