"""Reads of the Service Médical de Proximité: the waiting list, the supervision dashboard, an
intern's portfolio and the steering figures (issue 18). Callers pass querysets already narrowed
by access.py; every function here returns plain values or querysets, writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from statistics import median

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import Consultation, Episode, StaffMember
from .services import OPEN

S = Episode.Status
R = Consultation.Review


def waitlist(
    *, episodes: QuerySet[Episode], status: str = S.WAITLIST, overdue_only: bool = False
) -> QuerySet[Episode]:
    """The episodes in ``status`` (default: waiting), highest priority first, then the longest
    waiting (the index ``proximity_waitlist_idx``). ``overdue_only``: past their due date."""
    qs = episodes.filter(status=status).select_related("patient", "site")
    if overdue_only:
        qs = qs.filter(due_at__lt=timezone.now())
    return qs.order_by("-priority", "registered_at", "id")


def waitlist_counts(*, episodes: QuerySet[Episode]) -> dict:
    """Counts for the registry header, in one aggregate query: {status: n} for every status,
    plus "overdue" (waiting past their due date)."""
    now = timezone.now()
    return episodes.aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in S.values},
        overdue=Count("id", filter=Q(status=S.WAITLIST, due_at__lt=now)),
    )


def review_queue(*, supervisor, review: str = R.PENDING) -> QuerySet[Consultation]:
    """The consultations this supervisor has to review in state ``review``, oldest first."""
    return (
        Consultation.objects.filter(supervisor=supervisor, review=review)
        .select_related("doctor", "patient", "site")
        .order_by("start", "id")
    )


def supervision_dashboard(*, supervisor, since: datetime) -> dict:
    """The supervisor's dashboard since ``since`` (aware datetime): per intern the number of
    consultations, pending, to discuss, reviewed, and the mean and maximum delay to review in
    hours; plus totals. Two aggregate queries whatever the number of consultations."""
    delay = ExpressionWrapper(F("reviewed_at") - F("start"), output_field=DurationField())
    rows = (
        Consultation.objects.filter(supervisor=supervisor, start__gte=since)
        .values("doctor_id", "doctor__first_name", "doctor__last_name", "doctor__title")
        .annotate(
            total=Count("id"),
            pending=Count("id", filter=Q(review=R.PENDING)),
            to_discuss=Count("id", filter=Q(review=R.TO_DISCUSS)),
            reviewed=Count("id", filter=Q(review=R.REVIEWED)),
            mean_delay=Avg(delay, filter=Q(reviewed_at__isnull=False)),
        )
        .order_by("doctor__last_name", "doctor_id")
    )
    interns = []
    for r in rows:
        mean = r["mean_delay"]
        interns.append(
            {
                "doctor_id": r["doctor_id"],
                "name": f"{r['doctor__title']} {r['doctor__first_name']} "
                f"{r['doctor__last_name'].upper()}".strip(),
                "total": r["total"],
                "pending": r["pending"],
                "to_discuss": r["to_discuss"],
                "reviewed": r["reviewed"],
                "mean_delay_hours": _hours(mean),
            }
        )
    oldest = (
        Consultation.objects.filter(supervisor=supervisor, review=R.PENDING)
        .order_by("start")
        .values_list("start", flat=True)
        .first()
    )
    return {
        "interns": interns,
        "pending": sum(i["pending"] for i in interns),
        "to_discuss": sum(i["to_discuss"] for i in interns),
        "oldest_pending_hours": _hours(timezone.now() - oldest) if oldest else None,
    }


def _hours(value: timedelta | None) -> float | None:
    if value is None:
        return None
    return round(value.total_seconds() / 3600, 1)


def portfolio(*, intern, since: date) -> dict:
    """An intern's semester portfolio: their consultations since ``since`` (a local date),
    with the review of each, and the counts by review state and by month."""
    qs = Consultation.objects.filter(doctor=intern, start__date__gte=since)
    by_month = (
        qs.annotate(month=TruncMonth("start"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return {
        "consultations": qs.select_related("patient", "reviewed_by", "site").order_by("-start"),
        "by_review": {r["review"]: r["n"] for r in qs.values("review").annotate(n=Count("id"))},
        "by_month": list(by_month),
        "avoided_emergency": qs.filter(avoided_emergency=True).count(),
    }


def interns_of(*, supervisor) -> QuerySet[StaffMember]:
    """The staff rows of the interns this user supervises."""
    return StaffMember.objects.filter(supervisor=supervisor, kind=StaffMember.Kind.INTERN)


# --- steering figures ---------------------------------------------------------------------------

TARGET_PATIENTS = 10_000  # seed 001: about 10,000 people without a treating doctor in Laval


def indicators(*, organisation_ids: set[int], since: date) -> dict:
    """The SMP's figures against the 10,000-patient target (issue 18, « Indicators »).

    Takes the SMPs and the first day counted (local date). Returns a dict: ``registered``
    (episodes ever), ``waiting`` (now), ``waiting_by_priority`` [{priority, n, median_days,
    overdue}], ``declared`` (patients whose treating doctor is an SMP doctor, episode open),
    ``consultations_by_month`` [{month, site, doctor_kind, n}], ``intern_share`` (percent of
    consultations since ``since``), ``review_delay_hours`` (mean), ``handovers`` (finished by
    hand-over since ``since``) and ``handover_delay_days`` (median, sign-up → hand-over),
    ``avoided_emergency`` (consultations recorded as such)."""
    now = timezone.now()
    episodes = Episode.objects.filter(organisation_id__in=organisation_ids)
    waiting = list(episodes.filter(status=S.WAITLIST).values("priority", "registered_at", "due_at"))
    by_priority: dict[int, list] = {}
    for w in waiting:
        by_priority.setdefault(w["priority"], []).append(w)
    waiting_rows = [
        {
            "priority": p,
            "n": len(rows),
            "median_days": round(median((now - r["registered_at"]).days for r in rows), 1),
            "overdue": sum(1 for r in rows if r["due_at"] < now),
        }
        for p, rows in sorted(by_priority.items(), reverse=True)
    ]
    start = datetime.combine(since, datetime.min.time(), timezone.get_current_timezone())
    consultations = Consultation.objects.filter(
        episode__organisation_id__in=organisation_ids, start__gte=start
    )
    by_month = list(
        consultations.annotate(month=TruncMonth("start"))
        .values("month", "site__name", "doctor_kind")
        .annotate(n=Count("id"))
        .order_by("month", "site__name", "doctor_kind")
    )
    totals = consultations.aggregate(
        n=Count("id"),
        interns=Count("id", filter=Q(doctor_kind=StaffMember.Kind.INTERN)),
        avoided=Count("id", filter=Q(avoided_emergency=True)),
        review_delay=Avg(
            ExpressionWrapper(F("reviewed_at") - F("start"), output_field=DurationField()),
            filter=Q(reviewed_at__isnull=False),
        ),
    )
    handed: list[tuple[datetime, datetime]] = list(
        episodes.filter(
            status=S.FINISHED, handover_to__isnull=False, finished_at__gte=start
        ).values_list("registered_at", "finished_at")  # type: ignore[arg-type]  # finished_at set
    )
    return {
        "target": TARGET_PATIENTS,
        "registered": episodes.count(),
        "open": episodes.filter(status__in=OPEN).count(),
        "waiting": len(waiting),
        "waiting_by_priority": waiting_rows,
        "declared": episodes.filter(status__in=OPEN, declared_doctor__isnull=False).count(),
        "consultations": totals["n"],
        "consultations_by_month": by_month,
        "intern_share": round(100 * totals["interns"] / totals["n"], 1) if totals["n"] else 0,
        "review_delay_hours": _hours(totals["review_delay"]),
        "avoided_emergency": totals["avoided"],
        "handovers": len(handed),
        "handover_delay_days": round(median((b - a).days for a, b in handed), 1)
        if handed
        else None,
    }
