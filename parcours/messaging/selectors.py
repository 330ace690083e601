"""Reading the mailbox: lists, counts, search; letter rates for the indicators."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from parcours.directory.keys import fold
from parcours.directory.models import Organisation, Practitioner
from parcours.directory.mssante import is_secure_address
from parcours.directory.selectors import key_contains_all, words_match
from parcours.lib import crypto

from .access import can_declare_letter, letter_queryset_for, thread_queryset_for
from .forms import professionals
from .models import DischargeLetter, Folder, MailboxEntry, Thread


def mailbox_entries(
    user, *, box: str | None = None, folder=None, q: str = "", unread: bool = False
) -> QuerySet[MailboxEntry]:
    """The user's copies, newest first. Search matches whole words (accents and case
    ignored) of the subject, the text, the sender and the patient, through blind tokens."""
    qs = MailboxEntry.objects.filter(user=user)
    if folder is not None:
        qs = qs.filter(folder=folder)
    elif box:
        qs = qs.filter(box=box, folder__isnull=True)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    for token in crypto.search_tokens(q or ""):
        qs = qs.filter(message__search_tokens__contains=f" {token} ")
    return qs.select_related("message__sender", "message__thread__patient").order_by(
        "-sent_at", "-id"
    )


def unread_count(user) -> int:
    return MailboxEntry.objects.filter(
        user=user, read_at__isnull=True, box=MailboxEntry.Box.INBOX
    ).count()


def letter_rates(*, services=None, since=None, until=None) -> list[dict]:
    """Per service: letters due, sent, sent within 48 h, late (sent late or still unsent
    past due), acknowledged, and the rates over the letters due."""

    now = timezone.now()
    qs = DischargeLetter.objects.all()
    if services is not None:
        qs = qs.filter(service__in=services)
    if since is not None:
        qs = qs.filter(discharged_at__gte=since)
    if until is not None:
        qs = qs.filter(discharged_at__lt=until)
    rows = (
        qs.values("service_id", "service__name", "service__hospital__name")
        .annotate(
            total=Count("id"),
            sent=Count("id", filter=Q(sent_at__isnull=False)),
            on_time=Count(  # type: ignore[no-redef]  # a values() column here
                "id", filter=Q(sent_at__lte=F("due_at"))
            ),
            late=Count(
                "id", filter=Q(sent_at__gt=F("due_at")) | Q(sent_at__isnull=True, due_at__lt=now)
            ),
            pending=Count("id", filter=Q(sent_at__isnull=True, due_at__gte=now)),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
        )
        .order_by("service__hospital__name", "service__name")
    )
    out = []
    for r in rows:
        closed = r["total"] - r["pending"]
        r["on_time_rate"] = round(100 * r["on_time"] / closed, 1) if closed else None
        r["ack_rate"] = round(100 * r["acknowledged"] / r["sent"], 1) if r["sent"] else None
        out.append(r)
    return out


# --- recipient search (issue 14: the compose page's picker) -----------------------------------

RECIPIENTS_MAX = 10  # results per search: the picker is a short list, not a directory dump
RECIPIENT_QUERY_MIN = 2


def recipient_search(user, q: str, *, limit: int = RECIPIENTS_MAX) -> list[dict]:
    """Who ``user`` may write to, for a query ``q`` (two characters at least): first the
    Parcours users (name, organisation, service; never ``user`` herself), then directory
    practitioners with a secure-messaging (MSSanté) address, matched by name, structure or
    address. Each result is a dict: ``type`` ("user" with ``id``, or "external" with
    ``address``), ``label`` and ``detail``. At most ``limit`` results; none for a shorter
    query."""

    # Control characters (a NUL byte: PostgreSQL refuses it in text) never match anyone.
    q = "".join(c if c.isprintable() else " " for c in (q or "")).strip()[:100]
    if len(fold(q).replace(" ", "")) < RECIPIENT_QUERY_MIN:
        return []
    results: list[dict] = []
    taken: set[str] = set()
    # Parcours users: a territory's professionals, few enough to compare folded in Python.
    users = professionals(exclude=user).prefetch_related(
        "memberships__organisation", "memberships__service"
    )
    for u in users:
        places = [
            f"{m.service.name}, {m.organisation.name}" if m.service_id else m.organisation.name
            for m in u.memberships.all()
        ]
        if words_match(q, u.first_name, u.last_name, u.email, *places):
            results.append(
                {
                    "type": "user",
                    "id": u.pk,
                    "label": u.display_name,
                    "detail": " · ".join(dict.fromkeys(p.strip() for p in places)),
                }
            )
            taken.add(u.email.lower())
            if len(results) >= limit:
                return results
    # Directory practitioners reachable by secure messaging, not already Parcours users.
    members = get_user_model().objects.filter(is_active=True, memberships__isnull=False)
    reachable = (
        Practitioner.objects.filter(active=True)
        .exclude(mssante="")
        .exclude(user_id__in=members.values("pk"))
    )
    found = list(key_contains_all(reachable, q).order_by("search_key", "pk")[:limit])
    if "@" in q or "." in q:
        # An address being typed (the column has no index: only then).
        found += list(reachable.filter(mssante__istartswith=q).order_by("mssante")[:limit])
    if len(found) < limit:
        orgs = key_contains_all(Organisation.objects.filter(active=True), q).values_list(
            "pk", flat=True
        )[:20]
        found += list(
            reachable.filter(roles__organisation_id__in=list(orgs), roles__active=True)
            .distinct()
            .order_by("search_key", "pk")[:limit]
        )
    seen: set[int] = set()
    for p in found:
        address = p.mssante.lower()
        if p.pk in seen or address in taken or not is_secure_address(address):
            continue
        seen.add(p.pk)
        taken.add(address)
        results.append(
            {
                "type": "external",
                "address": address,
                "label": f"{p.first_name.title()} {p.last_name.upper()}".strip(),
                "detail": " · ".join(x for x in [p.specialty or p.profession, address] if x),
            }
        )
        if len(results) >= limit:
            break
    return results


@dataclass(frozen=True)
class PatientThread:
    """A thread about the patient, its subject decrypted, for the patient page."""

    pk: int
    subject: str
    last_message_at: object


def patient_page_mail(*, user, patient) -> dict:
    """The patient page's part (patients.selectors.PATIENT_PAGE_PARTS): the patient's
    discharge letters this user may see, the threads about them this user took part in (subject
    decrypted here, « — » when it cannot be), and whether this user may declare a letter."""
    threads = []
    for t in thread_queryset_for(user).filter(patient=patient).order_by("-last_message_at")[:20]:
        try:
            subject = crypto.decrypt(t.subject_enc).decode()
        except crypto.InvalidToken:
            subject = "—"
        threads.append(PatientThread(pk=t.pk, subject=subject, last_message_at=t.last_message_at))
    letters = list(letter_queryset_for(user).filter(patient=patient).select_related("service")[:20])
    return {
        "patient_threads": threads,
        "discharge_letters": letters,
        "can_declare_letter": can_declare_letter(user),
    }


def folder_list(user) -> QuerySet[Folder]:
    """The user's own mail folders (not evaluated)."""
    return Folder.objects.filter(owner=user)


def folder_get(user, raw_id: str) -> Folder | None:
    """The user's folder whose id is ``raw_id`` (as sent by the browser), or None when the id
    is not a number, does not exist or is someone else's folder."""
    return folder_list(user).filter(pk=raw_id).first() if raw_id.isdigit() else None


def has_received_letters(user) -> bool:
    """True if a discharge letter was ever addressed to ``user``. One query."""
    return DischargeLetter.objects.filter(recipient=user).exists()


def thread_letter(thread: Thread) -> DischargeLetter | None:
    """The discharge letter a conversation carries, if any. One query."""
    return DischargeLetter.objects.filter(message__thread=thread).first()


def thread_box(user, thread: Thread) -> str:
    """Where the conversation sits for ``user`` as a recipient (a ``MailboxEntry.Box`` value),
    or "sent" when they only wrote in it. One query."""
    return (
        MailboxEntry.objects.filter(user=user, thread=thread)
        .exclude(role=MailboxEntry.Role.FROM)
        .values_list("box", flat=True)
        .first()
        or "sent"
    )


LETTER_STATES = ("", "todo", "late", "unacknowledged")


def letters_followed(user, *, services_ids, state: str = "") -> QuerySet[DischargeLetter]:
    """The discharge letters ``user`` follows: those of the services in ``services_ids`` (the
    hospital side, ``access.letter_services_for``) or, when empty, those addressed to them;
    filtered by ``state`` ("" all, "todo" not sent, "late" not sent past due,
    "unacknowledged" sent, reception not confirmed); newest first as the model orders them."""
    qs = (
        letter_queryset_for(user).filter(service_id__in=services_ids)
        if services_ids
        else DischargeLetter.objects.filter(recipient=user)
    )
    now = timezone.now()
    if state == "todo":
        qs = qs.filter(sent_at__isnull=True)
    elif state == "late":
        qs = qs.filter(sent_at__isnull=True, due_at__lt=now)
    elif state == "unacknowledged":
        qs = qs.filter(sent_at__isnull=False, acknowledged_at__isnull=True)
    return qs.select_related("patient", "service", "recipient")
