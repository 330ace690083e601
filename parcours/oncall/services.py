"""Writes on the on-call rosters: one ``@action`` per user click.

Each action locks the rows it changes (``select_for_update``) so that two doctors taking the
same open shift, or a swap answered while the manager reassigns the shift, queue on the shift
row and the second one sees the new holder (a ``Conflict``); writes a ``RosterEvent`` history
row and an audit row; notifies the people concerned on commit (notifications outbox).
Rules: PDSA rota of at least three months sent at least 45 days ahead to the departmental
council of the medical order (Code de la santé publique, art. R6315-2).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.audit.services import audit_log
from parcours.directory.models import Practitioner
from parcours.lib.actions import action
from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.notifications.services import notify

from .access import can_manage, is_member, practitioner_of
from .models import (
    Override,
    PersonalFeed,
    Roster,
    RosterEvent,
    RosterPeriod,
    Shift,
    Swap,
    new_token,
)
from .selectors import NOTICE_DAYS, day_start, fmt, occurrences, roster_problems

# PDSA: the rota covers at least three months and reaches the council 45 days before it starts
# (CSP art. R6315-2).
PDSA_MIN_MONTHS = 3
PDSA_NOTICE_DAYS = NOTICE_DAYS
# A generation covers at most a year: a typo in a date must not write ten years of shifts.
MAX_GENERATION_DAYS = 370


def _event(roster: Roster, act: str, actor, *, shift=None, src=None, dst=None, detail="") -> None:
    RosterEvent.objects.create(
        roster=roster,
        shift=shift,
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=act,
        from_practitioner=src,
        to_practitioner=dst,
        detail=detail,
    )
    audit_log(
        user=actor,
        action="create" if act in ("generated", "override") else "update",
        obj=shift or roster,
        detail=f"oncall.{act} {detail}".strip(),
    )


def _url(roster: Roster) -> str:
    return reverse("oncall:roster", args=[roster.pk])


def _users(*practitioners: Practitioner | None) -> list[User]:
    return [p.user for p in practitioners if p is not None and p.user is not None]


def _managers(roster: Roster) -> list[User]:
    users = list(roster.managers.all())
    service = roster.service
    if service is not None and service.head is not None:
        users.append(service.head)
    return users


def _require_manager(actor, roster: Roster) -> None:
    if not can_manage(actor, roster):
        raise Forbidden(
            _("Seuls les responsables du tableau peuvent faire cela."), code="forbidden"
        )


def _shift_text(shift: Shift) -> str:
    return f"{shift.label or _('garde')} {fmt(shift.start)} – {fmt(shift.end)}"


# --- generation and assignment -----------------------------------------------------------------


@action
def shifts_generate(*, actor, roster: Roster, start: date, end: date) -> int:
    """Create the shifts of ``roster``'s periods from ``start`` to ``end`` (local days
    included), assigned in turn to the doctors of the rota (rolling rotation, continuing after
    the last shift already assigned). Re-runnable: an occurrence whose start already has a shift
    is skipped. Returns how many shifts were created.

    Raises Forbidden (not a manager), Invalid (dates in the wrong order, more than a year, no
    period defined, an occurrence overlapping another shift while overlaps are not allowed).
    """
    _require_manager(actor, roster)
    if end < start:
        raise Invalid(_("La date de fin précède la date de début."), field="end")
    if (end - start).days > MAX_GENERATION_DAYS:
        raise Invalid(_("Générez au plus un an de gardes à la fois."), field="end")
    roster = Roster.objects.select_for_update().get(pk=roster.pk)
    templates = list(roster.templates.all())
    if not templates:
        raise Invalid(_("Ce tableau n'a aucune période de garde définie."))
    wanted = occurrences(templates, start, end)
    lo, hi = day_start(start), day_start(end + timedelta(days=2))
    existing = list(roster.shifts.filter(start__lt=hi, end__gt=lo - timedelta(days=1)))
    taken_starts = {s.start for s in existing}
    new = [(t, a, b) for t, a, b in wanted if a not in taken_starts]
    if not roster.allow_overlap:
        spans = sorted([(s.start, s.end) for s in existing] + [(a, b) for _t, a, b in new])
        for (a1, b1), (a2, _b2) in zip(spans, spans[1:], strict=False):
            if a2 < b1:
                raise Invalid(
                    _(
                        "Les gardes du %(a)s et du %(b)s se chevauchent : corrigez les "
                        "périodes ou autorisez les chevauchements."
                    )
                    % {"a": fmt(a1), "b": fmt(a2)}
                )
    members = [m.practitioner for m in roster.members.select_related("practitioner")]
    turn = 0
    if members:
        last = (
            roster.shifts.filter(start__lt=new[0][1] if new else lo, practitioner__isnull=False)
            .order_by("-start")
            .values_list("practitioner_id", flat=True)
            .first()
        )
        ids = [p.pk for p in members]
        if last in ids:
            turn = ids.index(last) + 1
    rows = []
    for i, (t, a, b) in enumerate(new):
        who = members[(turn + i) % len(members)] if members else None
        rows.append(
            Shift(roster=roster, template=t, label=t.label, start=a, end=b, practitioner=who)
        )
    Shift.objects.bulk_create(rows)
    if rows:
        _event(
            roster,
            RosterEvent.Action.GENERATED,
            actor,
            detail=_("%(n)d garde(s) du %(a)s au %(b)s")
            % {"n": len(rows), "a": start.strftime("%d/%m/%Y"), "b": end.strftime("%d/%m/%Y")},
        )
        counts: dict[int, int] = {}
        for r in rows:
            if r.practitioner is not None and r.practitioner.user_id:
                counts[r.practitioner.user_id] = counts.get(r.practitioner.user_id, 0) + 1
        for m in members:
            if m.user_id in counts:
                notify(
                    users=[m.user],
                    kind="oncall_assigned",
                    title=_("%(n)d garde(s) attribuée(s) : %(roster)s")
                    % {"n": counts[m.user_id], "roster": roster.name},
                    url=_url(roster),
                    exclude=actor,
                )
    return len(rows)


@action
def shift_assign(*, actor, shift: Shift, practitioner: Practitioner | None) -> Shift:
    """Give ``shift`` to ``practitioner`` (a doctor of the rota), or leave it open (None).
    Returns the shift. Raises Forbidden (not a manager), Invalid (not a doctor of the rota).
    Notifies the previous and the new holder."""
    roster = shift.roster
    _require_manager(actor, roster)
    if practitioner is not None and not is_member(practitioner, roster):
        raise Invalid(_("Ce médecin ne fait pas partie du tableau."), field="practitioner")
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("practitioner")
        .get(pk=shift.pk)
    )
    before = shift.practitioner
    shift.practitioner = practitioner
    shift.offered = False
    shift.save(update_fields=["practitioner", "offered"])
    _event(roster, RosterEvent.Action.ASSIGNED, actor, shift=shift, src=before, dst=practitioner)
    _tell_change(roster, shift, before, practitioner, actor)
    return shift


def _tell_change(roster, shift, before, after, actor) -> None:
    if before is not None and before != after:
        notify(
            users=_users(before),
            kind="oncall_changed",
            title=_("Vous n'êtes plus de garde : %(s)s") % {"s": _shift_text(shift)},
            body=roster.name,
            url=_url(roster),
            exclude=actor,
        )
    if after is not None and before != after:
        notify(
            users=_users(after),
            kind="oncall_changed",
            title=_("Vous êtes de garde : %(s)s") % {"s": _shift_text(shift)},
            body=roster.name,
            url=_url(roster),
            exclude=actor,
        )


@action
def shift_offer(*, actor, shift: Shift) -> Shift:
    """The holder offers ``shift`` to the other doctors of the rota (cover offer): any of them
    may take it. Returns the shift. Raises Forbidden (not the holder), Conflict (already
    offered, or the shift is over)."""
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("practitioner", "roster")
        .get(pk=shift.pk)
    )
    me = practitioner_of(actor)
    if me is None or shift.practitioner_id != me.pk:
        raise Forbidden(_("Seul le médecin de garde peut proposer sa garde."), code="forbidden")
    if shift.end <= timezone.now():
        raise Conflict(_("Cette garde est terminée."), code="conflict")
    if shift.offered:
        raise Conflict(_("Cette garde est déjà proposée."), code="conflict")
    shift.offered = True
    shift.save(update_fields=["offered"])
    roster = shift.roster
    _event(roster, RosterEvent.Action.OFFERED, actor, shift=shift, src=me)
    others = [
        m.practitioner
        for m in roster.members.select_related("practitioner__user")
        if m.practitioner_id != me.pk
    ]
    notify(
        users=_users(*others),
        kind="oncall_offered",
        title=_("Garde à reprendre : %(s)s") % {"s": _shift_text(shift)},
        body=roster.name,
        url=_url(roster),
        exclude=actor,
    )
    return shift


@action
def shift_take(*, actor, shift: Shift) -> Shift:
    """A doctor of the rota takes an open or offered shift. Returns the shift.

    The shift row is locked: of two doctors clicking at once, the second gets a Conflict
    ("already taken"). Raises Forbidden (not a doctor of the rota), Conflict (taken meanwhile,
    not open, over, or already theirs)."""
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("practitioner", "roster")
        .get(pk=shift.pk)
    )
    roster = shift.roster
    me = practitioner_of(actor)
    if not is_member(me, roster):
        raise Forbidden(
            _("Seuls les médecins du tableau peuvent prendre une garde."), code="forbidden"
        )
    if shift.end <= timezone.now():
        raise Conflict(_("Cette garde est terminée."), code="conflict")
    if shift.practitioner_id == me.pk:  # type: ignore[union-attr]
        raise Conflict(_("Cette garde est déjà la vôtre."), code="conflict")
    if shift.practitioner_id is not None and not shift.offered:
        raise Conflict(_("Cette garde a déjà été prise."), code="taken")
    before = shift.practitioner
    shift.practitioner = me
    shift.offered = False
    shift.save(update_fields=["practitioner", "offered"])
    _event(roster, RosterEvent.Action.TAKEN, actor, shift=shift, src=before, dst=me)
    notify(
        users=[*_users(before), *_managers(roster)],
        kind="oncall_taken",
        title=_("%(who)s reprend la garde %(s)s") % {"who": me, "s": _shift_text(shift)},
        body=roster.name,
        url=_url(roster),
        exclude=actor,
    )
    return shift


# --- overrides ---------------------------------------------------------------------------------


@action
def override_create(
    *,
    actor,
    roster: Roster,
    practitioner: Practitioner,
    start: datetime,
    end: datetime,
    reason: str = "",
) -> Override:
    """Put ``practitioner`` on call for ``roster`` from ``start`` to ``end`` (aware datetimes)
    above the shifts (a replacement). Returns the override. Raises Forbidden (not a manager),
    Invalid (end before start, in the past, inactive doctor, overlapping another replacement
    while overlaps are not allowed). Notifies the replacing doctor and those replaced."""
    _require_manager(actor, roster)
    if end <= start:
        raise Invalid(_("La fin du remplacement doit suivre son début."), field="end")
    if end <= timezone.now():
        raise Invalid(_("Ce remplacement est déjà terminé."), field="end")
    if not practitioner.active:
        raise Invalid(_("Ce médecin n'est plus actif dans l'annuaire."), field="practitioner")
    roster = Roster.objects.select_for_update().get(pk=roster.pk)
    clash = roster.overrides.filter(start__lt=end, end__gt=start, cancelled_at__isnull=True).first()
    if clash is not None and not roster.allow_overlap:
        raise Invalid(
            _("Un remplacement couvre déjà %(a)s – %(b)s.")
            % {"a": fmt(clash.start), "b": fmt(clash.end)},
            field="start",
        )
    override = Override.objects.create(
        roster=roster,
        practitioner=practitioner,
        start=start,
        end=end,
        reason=reason.strip(),
        created_by=actor,
    )
    replaced = {
        s.practitioner
        for s in roster.shifts.filter(start__lt=end, end__gt=start, practitioner__isnull=False)
        .exclude(practitioner=practitioner)
        .select_related("practitioner__user")
    }
    _event(
        roster,
        RosterEvent.Action.OVERRIDE,
        actor,
        dst=practitioner,
        detail=f"{fmt(start)} – {fmt(end)} {reason}".strip(),
    )
    when = f"{fmt(start)} – {fmt(end)}"
    notify(
        users=_users(practitioner),
        kind="oncall_override",
        title=_("Vous remplacez %(when)s : %(roster)s") % {"when": when, "roster": roster.name},
        url=_url(roster),
        exclude=actor,
    )
    notify(
        users=_users(*replaced),
        kind="oncall_override",
        title=_("%(who)s vous remplace %(when)s") % {"who": practitioner, "when": when},
        body=roster.name,
        url=_url(roster),
        exclude=actor,
    )
    return override


@action
def override_cancel(*, actor, override: Override) -> Override:
    """Cancel a replacement (kept in the history, no longer applies). Returns it. Raises
    Forbidden (not a manager), Conflict (already cancelled)."""
    roster = override.roster
    _require_manager(actor, roster)
    override = Override.objects.select_for_update().get(pk=override.pk)
    if override.cancelled_at is not None:
        raise Conflict(_("Ce remplacement est déjà annulé."), code="conflict")
    override.cancelled_at = timezone.now()
    override.save(update_fields=["cancelled_at"])
    _event(
        roster,
        RosterEvent.Action.OVERRIDE_CANCELLED,
        actor,
        src=override.practitioner,
        detail=f"{fmt(override.start)} – {fmt(override.end)}",
    )
    notify(
        users=_users(override.practitioner),
        kind="oncall_override",
        title=_("Remplacement annulé : %(when)s") % {"when": fmt(override.start)},
        body=roster.name,
        url=_url(roster),
        exclude=actor,
    )
    return override


# --- swaps -------------------------------------------------------------------------------------


@action
def swap_ask(
    *,
    actor,
    shift: Shift,
    target: Practitioner,
    counter_shift: Shift | None = None,
    message: str = "",
) -> Swap:
    """The holder of ``shift`` asks ``target`` (a doctor of the rota) to take it, optionally
    giving ``counter_shift`` (one of the target's shifts of the same roster) in return.
    Returns the swap. Raises Forbidden (not the holder), Invalid (target not in the rota, or
    the counter shift not the target's), Conflict (a swap of this shift is already waiting)."""
    shift = Shift.objects.select_for_update(of=("self",)).select_related("roster").get(pk=shift.pk)
    roster = shift.roster
    me = practitioner_of(actor)
    if me is None or shift.practitioner_id != me.pk:
        raise Forbidden(_("Seul le médecin de garde peut demander un échange."), code="forbidden")
    if shift.end <= timezone.now():
        raise Conflict(_("Cette garde est terminée."), code="conflict")
    if target.pk == me.pk or not is_member(target, roster):
        raise Invalid(_("Choisissez un autre médecin du tableau."), field="target")
    if counter_shift is not None and (
        counter_shift.roster_id != roster.pk or counter_shift.practitioner_id != target.pk
    ):
        raise Invalid(
            _("La garde proposée en échange n'est pas celle de ce médecin."), field="counter_shift"
        )
    if shift.swaps.filter(state=Swap.State.ASKED).exists():
        raise Conflict(_("Un échange de cette garde attend déjà une réponse."), code="conflict")
    swap = Swap.objects.create(
        shift=shift,
        counter_shift=counter_shift,
        requester=me,
        target=target,
        message=message.strip(),
    )
    _event(
        roster,
        RosterEvent.Action.SWAP_ASKED,
        actor,
        shift=shift,
        src=me,
        dst=target,
        detail=message,
    )
    notify(
        users=_users(target),
        kind="oncall_swap",
        title=_("%(who)s vous propose un échange : %(s)s") % {"who": me, "s": _shift_text(shift)},
        body=message,
        url=reverse("oncall:mine"),
        exclude=actor,
    )
    return swap


@action
def swap_answer(*, actor, swap: Swap, accept: bool) -> Swap:
    """The doctor asked accepts (the shifts change hands) or refuses ``swap``. Returns it.

    Both shifts are locked; if either changed holder since the request (a manager reassigned
    it, it was taken), the swap cannot apply: Conflict. Raises Forbidden (not the doctor asked),
    Conflict (already answered or cancelled, shifts changed). Notifies the requester and the
    roster's managers."""
    swap = (
        Swap.objects.select_for_update(of=("self",))
        .select_related("requester", "target")
        .get(pk=swap.pk)
    )
    me = practitioner_of(actor)
    if me is None or me.pk != swap.target_id:
        raise Forbidden(_("Seul le médecin sollicité peut répondre."), code="forbidden")
    if swap.state != Swap.State.ASKED:
        raise Conflict(_("Cet échange a déjà reçu une réponse ou a été annulé."), code="conflict")
    ids = [swap.shift_id] + ([swap.counter_shift_id] if swap.counter_shift_id else [])
    locked = {s.pk: s for s in Shift.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    shift = locked[swap.shift_id]
    roster = Roster.objects.get(pk=shift.roster_id)
    counter = locked.get(swap.counter_shift_id) if swap.counter_shift_id else None
    swap.decided_at = timezone.now()
    if accept:
        if shift.practitioner_id != swap.requester_id or (
            counter is not None and counter.practitioner_id != swap.target_id
        ):
            raise Conflict(
                _("Les gardes ont changé depuis la demande : l'échange ne peut plus se faire."),
                code="conflict",
            )
        if shift.end <= timezone.now():
            raise Conflict(_("Cette garde est terminée."), code="conflict")
        shift.practitioner = swap.target
        shift.offered = False
        shift.save(update_fields=["practitioner", "offered"])
        if counter is not None:
            counter.practitioner = swap.requester
            counter.offered = False
            counter.save(update_fields=["practitioner", "offered"])
        swap.state = Swap.State.ACCEPTED
        swap.save(update_fields=["state", "decided_at"])
        _event(
            roster,
            RosterEvent.Action.SWAP_ACCEPTED,
            actor,
            shift=shift,
            src=swap.requester,
            dst=swap.target,
        )
        if counter is not None:
            _event(
                roster,
                RosterEvent.Action.SWAP_ACCEPTED,
                actor,
                shift=counter,
                src=swap.target,
                dst=swap.requester,
            )
        title = _("Échange accepté par %(who)s : %(s)s") % {"who": me, "s": _shift_text(shift)}
    else:
        swap.state = Swap.State.REFUSED
        swap.save(update_fields=["state", "decided_at"])
        _event(
            roster,
            RosterEvent.Action.SWAP_REFUSED,
            actor,
            shift=shift,
            src=swap.requester,
            dst=swap.target,
        )
        title = _("Échange refusé par %(who)s : %(s)s") % {"who": me, "s": _shift_text(shift)}
    notify(
        users=[*_users(swap.requester), *(_managers(roster) if accept else [])],
        kind="oncall_swap",
        title=title,
        body=roster.name,
        url=_url(roster),
        exclude=actor,
    )
    return swap


@action
def swap_cancel(*, actor, swap: Swap) -> Swap:
    """The requester withdraws a swap still waiting. Returns it. Raises Forbidden (not the
    requester), Conflict (already answered)."""
    swap = (
        Swap.objects.select_for_update(of=("self",)).select_related("shift__roster").get(pk=swap.pk)
    )
    me = practitioner_of(actor)
    if me is None or me.pk != swap.requester_id:
        raise Forbidden(_("Seul le demandeur peut annuler l'échange."), code="forbidden")
    if swap.state != Swap.State.ASKED:
        raise Conflict(_("Cet échange a déjà reçu une réponse."), code="conflict")
    swap.state = Swap.State.CANCELLED
    swap.decided_at = timezone.now()
    swap.save(update_fields=["state", "decided_at"])
    _event(
        swap.shift.roster,
        RosterEvent.Action.SWAP_CANCELLED,
        actor,
        shift=swap.shift,
        src=me,
        dst=swap.target,
    )
    return swap


# --- publication -------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover — 28 exists in every month


@action
def period_submit(*, actor, roster: Roster, start: date, end: date) -> RosterPeriod:
    """Publish ``roster`` from ``start`` to ``end`` (local days included): for a PDSA sector,
    sent to the departmental council of the medical order (state "submitted"); a hospital line
    is published at once. Returns the period; ``late`` says the 45-day notice was missed.

    Raises Forbidden (not a manager); Invalid: dates in the wrong order, a PDSA period shorter
    than three months (CSP art. R6315-2), a period overlapping one already sent, a roster with
    gaps, open shifts or overlaps not allowed (the messages list the first ones)."""
    _require_manager(actor, roster)
    if end < start:
        raise Invalid(_("La date de fin précède la date de début."), field="end")
    roster = Roster.objects.select_for_update().get(pk=roster.pk)
    if roster.kind == Roster.Kind.SECTOR and end < add_months(start, PDSA_MIN_MONTHS) - timedelta(
        days=1
    ):
        raise Invalid(
            _(
                "Un tableau de permanence des soins couvre au moins trois mois "
                "(Code de la santé publique, art. R6315-2)."
            ),
            field="end",
        )
    if roster.periods.filter(start__lte=end, end__gte=start).exists():
        raise Invalid(_("Une période déjà transmise ou publiée recouvre ces dates."), field="start")
    problems = roster_problems(roster, start, end)
    if problems:
        more = len(problems) - 5
        text = " ".join(problems[:5])
        if more > 0:
            text += " " + _("… et %(n)d autre(s) problème(s).") % {"n": more}
        raise Invalid(_("Le tableau n'est pas complet : %(p)s") % {"p": text})
    now = timezone.now()
    late = (
        start - timezone.localdate()
    ).days < PDSA_NOTICE_DAYS and roster.kind == Roster.Kind.SECTOR
    sector = roster.kind == Roster.Kind.SECTOR
    period = RosterPeriod.objects.create(
        roster=roster,
        start=start,
        end=end,
        state=RosterPeriod.State.SUBMITTED if sector else RosterPeriod.State.PUBLISHED,
        late=late,
        submitted_at=now,
        submitted_by=actor,
        validated_at=None if sector else now,
        validated_by=None if sector else actor,
    )
    detail = f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"
    if late:
        detail += " " + _("(moins de 45 jours avant le début)")
    _event(
        roster,
        RosterEvent.Action.SUBMITTED if sector else RosterEvent.Action.PUBLISHED,
        actor,
        detail=detail,
    )
    if not sector:
        _tell_published(roster, period, actor)
    return period


def _tell_published(roster: Roster, period: RosterPeriod, actor) -> None:
    members = [m.practitioner for m in roster.members.select_related("practitioner__user")]
    notify(
        users=_users(*members),
        kind="oncall_published",
        title=_("Tableau publié : %(r)s, du %(a)s au %(b)s")
        % {"r": roster.name, "a": f"{period.start:%d/%m/%Y}", "b": f"{period.end:%d/%m/%Y}"},
        url=_url(roster),
        exclude=actor,
    )


@action
def period_validate(*, actor, period: RosterPeriod) -> RosterPeriod:
    """Record the council's validation of a submitted PDSA period: it is published. Returns
    it. Raises Forbidden (not a manager), Conflict (not waiting for validation)."""
    roster = period.roster
    _require_manager(actor, roster)
    period = RosterPeriod.objects.select_for_update().get(pk=period.pk)
    if period.state != RosterPeriod.State.SUBMITTED:
        raise Conflict(_("Cette période est déjà publiée."), code="conflict")
    period.state = RosterPeriod.State.PUBLISHED
    period.validated_at = timezone.now()
    period.validated_by = actor
    period.save(update_fields=["state", "validated_at", "validated_by"])
    _event(
        roster,
        RosterEvent.Action.PUBLISHED,
        actor,
        detail=_("validé par le conseil de l'ordre : %(a)s – %(b)s")
        % {"a": f"{period.start:%d/%m/%Y}", "b": f"{period.end:%d/%m/%Y}"},
    )
    _tell_published(roster, period, actor)
    return period


# --- iCalendar feeds ---------------------------------------------------------------------------


@action
def roster_feed_renew(*, actor, roster: Roster) -> Roster:
    """Give ``roster`` a new iCalendar token: the old feed URL stops working. Returns the
    roster. Raises Forbidden (not a manager)."""
    _require_manager(actor, roster)
    roster = Roster.objects.select_for_update().get(pk=roster.pk)
    roster.ical_token = new_token()
    roster.save(update_fields=["ical_token"])
    _event(roster, RosterEvent.Action.FEED_RENEWED, actor)
    return roster


@action
def personal_feed_renew(*, actor) -> PersonalFeed:
    """Create or renew ``actor``'s own iCalendar feed token (the old URL stops working).
    Returns the feed row."""
    feed = PersonalFeed.objects.select_for_update().filter(user=actor).first()
    if feed is None:
        feed = PersonalFeed.objects.create(user=actor)
    else:
        feed.token = new_token()
        feed.save(update_fields=["token"])
    audit_log(user=actor, action="update", obj=feed, detail="oncall.personal_feed_renew")
    return feed


# --- hand-over (worker) ------------------------------------------------------------------------


def handover_notify_due(*, now: datetime | None = None, ahead_minutes: int = 60) -> int:
    """Worker job: tell the doctor who answers a shift starting within ``ahead_minutes`` (the
    override's doctor if one covers its start, else the holder), and the one handing over
    (who answered just before), once per shift. Returns how many shifts were announced.
    Each shift is its own action: a failure leaves the others announced."""
    now = now or timezone.now()
    due = list(
        Shift.objects.filter(
            handover_notified_at__isnull=True,
            start__gt=now - timedelta(minutes=5),
            start__lte=now + timedelta(minutes=ahead_minutes),
            roster__active=True,
        ).values_list("pk", flat=True)
    )
    done = 0
    for pk in due:
        done += _handover_one(shift_id=pk, now=now)
    return done


@action
def _handover_one(*, shift_id: int, now: datetime) -> int:
    # SKIP LOCKED: two workers never announce the same shift twice.
    shift = (
        Shift.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=shift_id, handover_notified_at__isnull=True)
        .select_related("roster", "practitioner__user")
        .first()
    )
    if shift is None:
        return 0
    roster = shift.roster

    def answering(at: datetime, fallback: Practitioner | None) -> Practitioner | None:
        o = (
            roster.overrides.filter(start__lte=at, end__gt=at, cancelled_at__isnull=True)
            .select_related("practitioner__user")
            .order_by("-created_at", "-pk")
            .first()
        )
        return o.practitioner if o else fallback

    incoming = answering(shift.start, shift.practitioner)
    previous = (
        roster.shifts.filter(start__lt=shift.start, end__gte=shift.start)
        .select_related("practitioner__user")
        .order_by("-start")
        .first()
    )
    outgoing = answering(
        shift.start - timedelta(minutes=1), previous.practitioner if previous else None
    )
    shift.handover_notified_at = now
    shift.save(update_fields=["handover_notified_at"])
    text = _shift_text(shift)
    notify(
        users=_users(incoming),
        kind="oncall_handover",
        title=_("Relève : vous prenez la garde %(s)s") % {"s": text},
        body=_("Médecin précédent : %(who)s") % {"who": outgoing or "—"},
        url=_url(roster),
    )
    if outgoing is not None and outgoing != incoming:
        notify(
            users=_users(outgoing),
            kind="oncall_handover",
            title=_("Relève : %(who)s prend la garde %(s)s") % {"who": incoming or "—", "s": text},
            body=roster.name,
            url=_url(roster),
        )
    if incoming is None:
        notify(
            users=_managers(roster),
            kind="oncall_handover",
            title=_("Garde sans médecin : %(s)s") % {"s": text},
            body=roster.name,
            url=_url(roster),
        )
    return 1
