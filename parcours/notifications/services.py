"""Creating notifications: the row, then the live push once the transaction commits."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.lib.actions import action

from .broker import publish
from .models import Notification


def notify(
    *,
    users: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    referral=None,
    exclude=None,
) -> list[Notification]:
    """Notify each user once (the actor of the change excluded). Call inside the transaction
    of the change: the rows commit with it, and the push goes out only after commit."""
    seen: set[int] = set()
    rows = []
    exclude_id = getattr(exclude, "pk", None)
    for user in users:
        if user is None or user.pk in seen or user.pk == exclude_id or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                user=user,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
                referral=referral,
                email_wanted=bool(user.email and user.email_notifications),
            )
        )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    user_ids = sorted(seen)
    transaction.on_commit(lambda: publish(user_ids))
    return created


@action
def notification_mark_read(*, user, notification_ids: Iterable[int] | None = None) -> int:
    """Mark read the user's unread notifications (those of ``notification_ids``, or all of
    them when None). Returns how many were marked; one UPDATE."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


def notifications_read_on_open(*, user, path: str, referral_id: int | None = None) -> int:
    """The user opened the page at ``path`` (with its query string): mark read their unread
    notifications leading there (their ``url`` is that path, with or without the query
    string), and, when ``referral_id`` is given (the request's page), every unread one about
    that request. Returns how many were marked read; one UPDATE, no row read.

    Not an ``@action``: it runs on every page view (ReadOnOpenMiddleware), and one UPDATE in
    autocommit is atomic on its own; a transaction around it would add two round trips to
    every page (measured: the on-call page went from 12 to 14 statements)."""

    bare = path.split("?", 1)[0]
    condition = Q(url=path) | Q(url=bare)
    if referral_id is not None:
        condition |= Q(referral_id=referral_id)
    marked = Notification.objects.filter(condition, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return marked


@action
def emergency_access_notify(*, access) -> list[Notification]:
    """Tell the patient's treating professionals (the declared treating doctor and those
    with a care link) that someone opened a « bris de glace » access to their patient. The
    title carries no patient name nor reason (it may leave by e-mail): the patient page shows
    who, when and why. Registered in ``patients.services.EMERGENCY_ACCESS_HOOKS``."""

    patient = access.patient
    ids = set(patient.care_links.values_list("user_id", flat=True))
    if patient.treating_doctor_id:
        ids.add(patient.treating_doctor_id)
    ids.discard(access.user_id)
    who = access.user.get_full_name() or access.user.username
    return notify(
        users=User.objects.filter(pk__in=ids),
        kind="emergency_access",
        title=_("Accès en urgence (bris de glace) à l'un de vos patients par %(who)s")
        % {"who": who},
        url=reverse("patients:detail", args=[patient.pk]),
    )
