"""Indicators of the referral pathway: per service and month, requests by kind, median time
to answer and the share answered within the due time."""

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median

from django.db.models import QuerySet
from django.db.models.functions import TruncMonth

from parcours.referrals.models import Referral
from parcours.referrals.workflow import Kind


@dataclass
class ServiceMonth:
    service: str
    month: object
    by_kind: dict = field(default_factory=lambda: {k: 0 for k in Kind.values})
    total: int = 0
    answered: int = 0
    on_time: int = 0
    hours: list = field(default_factory=list)

    @property
    def median_hours(self):
        return round(median(self.hours), 1) if self.hours else None

    @property
    def on_time_rate(self):
        return round(100 * self.on_time / self.answered) if self.answered else None


def referral_indicators(referrals: QuerySet[Referral], *, months: int = 12) -> list[ServiceMonth]:
    """Aggregate in one query (values only), grouped in Python by service and month."""
    rows = (referrals.annotate(month=TruncMonth("submitted_at"))
            .values_list("service__hospital__name", "service__name", "month", "kind",
                         "submitted_at", "answered_at", "due_at")
            .order_by("-month", "service__hospital__name", "service__name"))
    groups: dict[tuple, ServiceMonth] = {}
    months_seen: list = []
    for hospital, service, month, kind, submitted, answered, due in rows.iterator():
        if month not in months_seen:
            if len(months_seen) >= months:
                break
            months_seen.append(month)
        key = (month, hospital, service)
        g = groups.get(key)
        if g is None:
            g = groups[key] = ServiceMonth(service=f"{hospital} — {service}", month=month)
        g.by_kind[kind] += 1
        g.total += 1
        if answered:
            g.answered += 1
            g.hours.append((answered - submitted).total_seconds() / 3600)
            if answered <= due:
                g.on_time += 1
    return list(groups.values())


def totals(groups: list[ServiceMonth]) -> dict:
    out = defaultdict(int)
    hours = []
    for g in groups:
        out["total"] += g.total
        out["answered"] += g.answered
        out["on_time"] += g.on_time
        hours.extend(g.hours)
    out["median_hours"] = round(median(hours), 1) if hours else None
    out["on_time_rate"] = round(100 * out["on_time"] / out["answered"]) if out["answered"] \
        else None
    return dict(out)
