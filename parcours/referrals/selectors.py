"""Reads on referrals: the lists each role works from."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids
from parcours.lib.text import search_key

from .access import referral_queryset_for
from .models import Referral
from .workflow import CLOSED, OPEN, TO_HANDLE, Status

LIST_RELATED = ("patient", "service__hospital", "author", "assigned_to")


# What waits for the GP herself: a question from the hospital, then an answer not yet read.
WAITS_FOR_GP = Q(status=Status.INFO_REQUESTED) | Q(
    status=Status.ANSWERED, answer_read_at__isnull=True
)

# Parts of the request page that other apps contribute, by context name: each is a callable
# ``(*, user, referral) -> object`` whose result the template reads under that name. The apps
# above referrals register theirs in their AppConfig.ready (scheduling: "booking", the request's
# appointments and proposed slots), so that referrals imports none of them (docs/architecture.md,
# layers).
REFERRAL_PAGE_PARTS: dict[str, Callable[..., object]] = {}


def referral_page_parts(*, user, referral) -> dict[str, object]:
    """The contributed parts of ``referral``'s page for ``user``: {context name: value}."""
    return {name: part(user=user, referral=referral) for name, part in REFERRAL_PAGE_PARTS.items()}


def referral_list_for_author(
    *,
    user,
    status: str = "",
    kind: str = "",
    open_only: bool = False,
    patient_query: str = "",
    birth_date: date | None = None,
) -> QuerySet[Referral]:
    """The GP's own requests, what waits for her first (« complément demandé », then answers
    not yet read), then the most recent. ``patient_query`` matches the patient's birth or used
    name whatever the case and accents; ``birth_date`` the exact date. Each row carries
    ``waiting`` (0 complement asked, 1 unread answer, 2 nothing to do)."""
    qs = Referral.objects.filter(author=user).select_related(*LIST_RELATED)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.filter(status__in=OPEN)
    # The same key as the patients' search (patients.selectors.patient_search).
    for word in search_key(patient_query or "").split():
        qs = qs.filter(
            Q(patient__search_name__contains=word) | Q(patient__used_name__icontains=word)
        )
    if birth_date:
        qs = qs.filter(patient__birth_date=birth_date)
    qs = qs.annotate(
        waiting=Case(
            When(status=Status.INFO_REQUESTED, then=Value(0)),
            When(status=Status.ANSWERED, answer_read_at__isnull=True, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )
    return qs.order_by("waiting", "-submitted_at", "-id")


def referral_waiting_count(*, user) -> int:
    """How many of this GP's requests wait for her (complement asked or answer unread)."""
    return Referral.objects.filter(WAITS_FOR_GP, author=user).count()


def referral_inbox(
    *,
    user,
    service_id: int | None = None,
    kind: str = "",
    status: str = "",
    include_closed: bool = False,
) -> QuerySet[Referral]:
    """The pathway desk's inbox: requests addressed to its hospitals, by time left.

    Served by the (hospital, status, due_at) index; callers paginate, so the page costs a
    constant number of queries whatever the number of open requests.
    """
    qs = Referral.objects.filter(hospital_id__in=desk_hospital_ids(user))
    if service_id:
        qs = qs.filter(service_id=service_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    elif not include_closed:
        qs = qs.filter(status__in=TO_HANDLE)
    return qs.select_related(*LIST_RELATED).order_by("due_at", "id")


def referral_queue(*, user, mine_only: bool = False) -> QuerySet[Referral]:
    """A hospital doctor's queue: requests of their services awaiting an answer."""
    qs = Referral.objects.filter(service_id__in=doctor_service_ids(user), status__in=TO_HANDLE)
    if mine_only:
        qs = qs.filter(assigned_to=user)
    return qs.select_related(*LIST_RELATED).order_by("due_at", "id")


def referral_get_timeline(referral: Referral):
    return referral.events.select_related("actor").order_by("at", "id")


def referral_get_thread(referral: Referral):
    return referral.messages.select_related("author").prefetch_related("attachments")


def referral_list_for_patient(*, user, patient) -> QuerySet[Referral]:
    return (
        referral_queryset_for(user)
        .filter(patient=patient)
        .select_related(*LIST_RELATED)
        .order_by("-submitted_at")
    )


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # "done", "current", "skipped" (not needed on this request) or "todo"
    at: datetime | None = None
    note: str = ""


def referral_progress(referral: Referral, timeline) -> list[Step]:
    """The request's progress as five steps (envoyée → prise en compte → attribuée → répondue
    → clôturée), read from its status and its history rows (``timeline``, already loaded for
    the page: no query). A step the request went past without taking it (answered straight
    from « envoyée ») is "skipped"; « complément demandé » is a note on the current step; a
    closed request names how it closed (pris en charge, refusée, annulée)."""
    reached_at: dict[str, datetime] = {}
    for event in timeline:
        if event.to_status and event.to_status not in reached_at:
            reached_at[event.to_status] = event.at
    order = [Status.SUBMITTED, Status.RECEIVED, Status.ASSIGNED, Status.ANSWERED, "closed"]
    labels: list = [
        _("Envoyée"),
        _("Prise en compte"),
        _("Attribuée"),
        _("Répondue"),
        _("Clôturée"),
    ]
    status = referral.status
    note = ""
    if status in CLOSED:
        current = 4
        labels[4] = Status(status).label
    elif status == Status.INFO_REQUESTED:
        current = 2 if referral.assigned_to_id else (1 if Status.RECEIVED in reached_at else 0)
        note = _("complément demandé au médecin de ville")
    else:
        current = order.index(status)
    closed_at = referral.closed_at
    steps = []
    for index, key in enumerate(order):
        at = closed_at if key == "closed" else reached_at.get(key)
        if key == Status.SUBMITTED:
            at = at or referral.submitted_at
        if index == current:
            state = "current"
        elif index < current:
            state = "done" if at else "skipped"
        else:
            state = "todo"
        steps.append(
            Step(
                key=str(key),
                label=str(labels[index]),
                state=state,
                at=at if state in ("done", "current") else None,
                note=note if index == current else "",
            )
        )
    return steps


def lost_input(form) -> list[tuple[str, str]]:
    """The texts a person typed in a form that could not be sent, as (label, text) pairs
    (empty list if nothing was typed): given back on the page so nothing typed is lost."""
    kept = []
    for name, field in form.fields.items():
        value = form.data.get(form.add_prefix(name), "")
        if (
            isinstance(value, str)
            and value.strip()
            and field.widget.__class__.__name__ in ("Textarea", "TextInput")
        ):
            kept.append((str(field.label), value))
    return kept


def patient_page_referrals(*, user, patient) -> dict:
    """The patient page's part (patients.selectors.PATIENT_PAGE_PARTS): the requests about
    ``patient`` that ``user`` may see, newest first."""
    return {"referrals": referral_list_for_patient(user=user, patient=patient)}
