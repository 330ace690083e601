"""Who sees what in the mailbox.

- A thread, its messages and attachments: the users with a mailbox entry in that thread (its
  sender and recipients). Nobody else, not even an administrator: mail is correspondence.
- A discharge letter: its recipient (the treating doctor), the doctors of its service and the
  pathway desk of its hospital, and professionals who may see the patient.
Everything else: the same 404 as for a missing object.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids
from parcours.directory.models import HospitalService
from parcours.patients.access import patient_queryset_for

from .models import Attachment, DischargeLetter, MailboxEntry, Message, Thread


def thread_queryset_for(user) -> QuerySet[Thread]:
    if not user.is_authenticated:
        return Thread.objects.none()
    return Thread.objects.filter(pk__in=MailboxEntry.objects.filter(user=user).values("thread_id"))


def access_thread(user, thread_id) -> Thread:
    try:
        return thread_queryset_for(user).select_related("patient").get(pk=thread_id)
    except (Thread.DoesNotExist, ValueError, TypeError):
        raise Http404("Message introuvable") from None


def messages_visible_in(user, thread: Thread) -> QuerySet[Message]:
    """The messages of a thread this user took part in (a later recipient does not see what
    was said before they were added)."""
    return thread.messages.filter(entries__user=user).distinct()


def access_attachment(user, attachment_id) -> Attachment:
    try:
        att = Attachment.objects.select_related("message__thread").get(pk=attachment_id)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("Pièce jointe introuvable") from None
    if (
        user.is_authenticated
        and MailboxEntry.objects.filter(message_id=att.message_id, user=user).exists()
    ):
        return att
    letter = DischargeLetter.objects.filter(message_id=att.message_id).first()
    if letter is not None and letter_queryset_for(user).filter(pk=letter.pk).exists():
        return att
    raise Http404("Pièce jointe introuvable")


def letter_services_for(user) -> set[int]:
    """The services whose letters this user writes or follows (doctors; desks: all the
    services of their hospitals)."""

    ids = set(doctor_service_ids(user))
    hospitals = desk_hospital_ids(user)
    if hospitals:
        ids |= set(
            HospitalService.objects.filter(hospital_id__in=hospitals).values_list("pk", flat=True)
        )
    return ids


def letter_queryset_for(user) -> QuerySet[DischargeLetter]:
    if not user.is_authenticated:
        return DischargeLetter.objects.none()
    condition = (
        Q(recipient=user)
        | Q(service_id__in=letter_services_for(user))
        | Q(patient__in=patient_queryset_for(user).values("pk"))
    )
    return DischargeLetter.objects.filter(condition)


def access_letter(user, letter_id) -> DischargeLetter:
    try:
        return (
            letter_queryset_for(user)
            .select_related(
                "patient", "service__hospital", "recipient", "author", "message__thread"
            )
            .get(pk=letter_id)
        )
    except (DischargeLetter.DoesNotExist, ValueError, TypeError):
        raise Http404("Lettre introuvable") from None


def can_write_letter(user, letter: DischargeLetter) -> bool:
    return letter.service_id in doctor_service_ids(user)


def can_declare_letter(user) -> bool:
    return bool(letter_services_for(user))
