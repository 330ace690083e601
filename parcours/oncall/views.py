"""Pages of the on-call rosters: who is on call now, a roster with its overrides, my shifts,
swaps, history, exports (CSV, print, iCalendar). Views parse, check access, call one service,
render."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.audit.services import audit_log
from parcours.directory.models import HospitalService
from parcours.lib.forms import add_service_error, flash_service_error

from . import services
from .access import (
    access_roster,
    access_roster_manage,
    access_shift,
    access_swap,
    can_manage,
    is_member,
    practitioner_of,
    visible_rosters,
)
from .forms import AssignForm, OverrideForm, RangeForm, SwapForm
from .ical import practitioner_calendar, roster_calendar
from .models import Override, PersonalFeed, Roster, RosterPeriod, Swap
from .selectors import (
    day_start,
    fmt,
    my_overrides,
    my_shifts,
    next_submission,
    on_call_now,
    override_list,
    roster_history,
    roster_search,
    shift_rows,
)

DAYS_SHOWN = 14


# A date typed in the address outside these bounds is the default, not an error (days
# near year 1 or 9999 overflow when the pages add or subtract weeks).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _day(value: str | None, default: date) -> date:
    try:
        day = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if FIRST_DAY <= day <= LAST_DAY else default


@login_required
def index(request):
    """ "Qui est de garde maintenant": every roster (search, kind filter) with who answers now
    and the number to call, and the hospital services' senior lines with the doctor on call."""
    rosters = visible_rosters(request.user).select_related("service__hospital")
    kind = request.GET.get("type", "")
    if kind in Roster.Kind.values:
        rosters = rosters.filter(kind=kind)
    q = request.GET.get("q", "")
    rosters = roster_search(rosters, q)
    now_rows = on_call_now(rosters)
    by_service = {r.roster.service_id: r for r in now_rows if r.roster.service_id}
    lines = []
    if kind != Roster.Kind.SECTOR:
        services_qs = HospitalService.objects.exclude(senior_line="").select_related("hospital")
        if q:
            services_qs = services_qs.filter(name__icontains=q) | services_qs.filter(
                hospital__name__icontains=q
            )
        lines = [(s, by_service.get(s.pk)) for s in services_qs.order_by("hospital__name", "name")]
    return render(
        request,
        "oncall/index.html",
        {
            "rows": now_rows,
            "lines": lines,
            "q": q,
            "kind": kind,
            "kinds": Roster.Kind.choices,
            "now": timezone.now(),
        },
    )


def _roster_context(request, roster: Roster, **forms) -> dict:
    start = _day(request.GET.get("du"), timezone.localdate())
    lo = day_start(start)
    hi = day_start(start + timedelta(days=DAYS_SHOWN))
    manager = can_manage(request.user, roster)
    me = practitioner_of(request.user)
    member = is_member(me, roster)
    rows = shift_rows(roster, lo, hi)
    today = timezone.localdate()
    ctx = {
        "roster": roster,
        "rows": rows,
        "overrides": override_list(roster, lo, hi),
        "now_row": on_call_now([roster])[0],
        "start": start,
        "prev": start - timedelta(days=DAYS_SHOWN),
        "next": start + timedelta(days=DAYS_SHOWN),
        "end_shown": start + timedelta(days=DAYS_SHOWN - 1),
        "manager": manager,
        "me": me,
        "member": member,
        "now": timezone.now(),
        "periods": list(roster.periods.select_related("submitted_by", "validated_by")[:12]),
        "members": [m.practitioner for m in roster.members.select_related("practitioner")],
        "next_due": next_submission(roster, today),
        "templates": list(roster.templates.all()),
        "pending_swaps": list(
            Swap.objects.filter(shift__roster=roster, state=Swap.State.ASKED).values_list(
                "shift_id", flat=True
            )
        ),
    }
    if manager:
        quarter = services.add_months(today + timedelta(days=45), 3) - timedelta(days=1)
        ctx["generate_form"] = forms.get("generate_form") or RangeForm(
            prefix="gen", initial={"start": today, "end": quarter}
        )
        ctx["publish_form"] = forms.get("publish_form") or RangeForm(
            prefix="pub", initial={"start": today + timedelta(days=45), "end": quarter}
        )
        ctx["override_form"] = forms.get("override_form") or OverrideForm(prefix="ovr")
        ctx["assign_form"] = AssignForm(roster=roster)
        ctx["feed_url"] = request.build_absolute_uri(
            reverse("oncall:ical", args=[roster.pk, roster.ical_token])
        )
    return ctx


@login_required
def roster_detail(request, roster_id):
    """A roster over 14 days (``?du=YYYY-MM-DD``): each shift with its holder and the
    replacements over it, the doctor on call now; the actions the user may take."""
    roster = access_roster(request.user, roster_id)
    return render(request, "oncall/roster.html", _roster_context(request, roster))


@login_required
def roster_history_page(request, roster_id):
    roster = access_roster(request.user, roster_id)
    return render(
        request, "oncall/history.html", {"roster": roster, "events": roster_history(roster)}
    )


@login_required
@require_POST
def roster_generate(request, roster_id):
    roster = access_roster_manage(request.user, roster_id)
    form = RangeForm(request.POST, prefix="gen")
    if form.is_valid():
        try:
            n = services.shifts_generate(
                actor=request.user,
                roster=roster,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="start")
        else:
            messages.success(request, _("%(n)d garde(s) créée(s).") % {"n": n})
            return redirect("oncall:roster", roster_id=roster.pk)
    return render(
        request, "oncall/roster.html", _roster_context(request, roster, generate_form=form)
    )


@login_required
@require_POST
def roster_override(request, roster_id):
    roster = access_roster_manage(request.user, roster_id)
    form = OverrideForm(request.POST, prefix="ovr")
    if form.is_valid():
        try:
            services.override_create(
                actor=request.user,
                roster=roster,
                practitioner=form.cleaned_data["practitioner"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="start")
        else:
            messages.success(request, _("Remplacement enregistré."))
            return redirect("oncall:roster", roster_id=roster.pk)
    return render(
        request, "oncall/roster.html", _roster_context(request, roster, override_form=form)
    )


@login_required
@require_POST
def override_cancel(request, override_id):
    override = get_object_or_404(Override.objects.select_related("roster"), pk=override_id)
    roster = access_roster_manage(request.user, override.roster_id)
    try:
        services.override_cancel(actor=request.user, override=override)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Remplacement annulé."))
    return redirect("oncall:roster", roster_id=roster.pk)


@login_required
@require_POST
def roster_publish(request, roster_id):
    roster = access_roster_manage(request.user, roster_id)
    form = RangeForm(request.POST, prefix="pub")
    if form.is_valid():
        try:
            period = services.period_submit(
                actor=request.user,
                roster=roster,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="start")
        else:
            if period.state == RosterPeriod.State.SUBMITTED:
                messages.success(request, _("Tableau transmis au conseil de l'ordre."))
            else:
                messages.success(request, _("Tableau publié."))
            if period.late:
                messages.warning(
                    request,
                    _(
                        "Attention : le tableau doit parvenir au conseil de l'ordre au moins "
                        "45 jours avant son début (CSP, art. R6315-2)."
                    ),
                )
            return redirect("oncall:roster", roster_id=roster.pk)
    return render(
        request, "oncall/roster.html", _roster_context(request, roster, publish_form=form)
    )


@login_required
@require_POST
def period_validate(request, period_id):
    period = get_object_or_404(RosterPeriod, pk=period_id)
    roster = access_roster_manage(request.user, period.roster_id)
    try:
        services.period_validate(actor=request.user, period=period)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Validation du conseil enregistrée : tableau publié."))
    return redirect("oncall:roster", roster_id=roster.pk)


@login_required
@require_POST
def roster_feed_renew(request, roster_id):
    roster = access_roster_manage(request.user, roster_id)
    services.roster_feed_renew(actor=request.user, roster=roster)
    messages.success(request, _("Nouveau lien iCalendar : l'ancien ne fonctionne plus."))
    return redirect("oncall:roster", roster_id=roster.pk)


@login_required
@require_POST
def shift_take(request, shift_id):
    shift = access_shift(request.user, shift_id)
    try:
        services.shift_take(actor=request.user, shift=shift)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Vous avez pris la garde."))
    return redirect("oncall:roster", roster_id=shift.roster_id)


@login_required
@require_POST
def shift_offer(request, shift_id):
    shift = access_shift(request.user, shift_id)
    try:
        services.shift_offer(actor=request.user, shift=shift)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Garde proposée aux médecins du tableau."))
    return redirect("oncall:roster", roster_id=shift.roster_id)


@login_required
@require_POST
def shift_assign(request, shift_id):
    shift = access_shift(request.user, shift_id)
    roster = access_roster_manage(request.user, shift.roster_id)
    form = AssignForm(request.POST, roster=roster)
    if not form.is_valid():
        messages.error(request, _("Choisissez un médecin du tableau."))
    else:
        try:
            services.shift_assign(
                actor=request.user, shift=shift, practitioner=form.cleaned_data["practitioner"]
            )
        except ValidationError as exc:
            flash_service_error(request, exc)
        else:
            messages.success(request, _("Garde attribuée."))
    return redirect("oncall:roster", roster_id=roster.pk)


@login_required
def shift_swap(request, shift_id):
    """Ask another doctor of the rota to take my shift (optionally giving one of theirs)."""
    shift = access_shift(request.user, shift_id)
    me = practitioner_of(request.user)
    if me is None or shift.practitioner_id != me.pk:
        raise Http404("Garde introuvable")
    form = SwapForm(request.POST or None, shift=shift)
    if request.method == "POST" and form.is_valid():
        try:
            services.swap_ask(
                actor=request.user,
                shift=shift,
                target=form.cleaned_data["target"],
                counter_shift=form.cleaned_data["counter_shift"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="target")
        else:
            messages.success(request, _("Demande d'échange envoyée."))
            return redirect("oncall:mine")
    return render(request, "oncall/swap.html", {"shift": shift, "form": form})


@login_required
@require_POST
def swap_answer(request, swap_id, decision):
    swap = access_swap(request.user, swap_id)
    if decision not in ("accepter", "refuser"):
        raise Http404("Réponse inconnue")
    try:
        services.swap_answer(actor=request.user, swap=swap, accept=decision == "accepter")
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(
            request,
            _("Échange accepté : la garde est à vous.")
            if decision == "accepter"
            else _("Échange refusé."),
        )
    return redirect("oncall:mine")


@login_required
@require_POST
def swap_cancel(request, swap_id):
    swap = access_swap(request.user, swap_id)
    try:
        services.swap_cancel(actor=request.user, swap=swap)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Demande d'échange annulée."))
    return redirect("oncall:mine")


@login_required
def mine(request):
    """My coming shifts and replacements, the swaps asked of me and by me, my calendar feed."""
    me = practitioner_of(request.user)
    now = timezone.now()
    ctx: dict = {"me": me, "now": now}
    if me is not None:
        hi = now + timedelta(days=120)
        ctx["shifts"] = my_shifts(me, now, hi)
        ctx["overrides"] = my_overrides(me, now, hi)
        swaps = Swap.objects.select_related(
            "shift__roster", "counter_shift", "requester", "target"
        ).order_by("-created_at")
        ctx["asked_of_me"] = list(swaps.filter(target=me, state=Swap.State.ASKED))
        ctx["my_requests"] = list(swaps.filter(requester=me)[:20])
    feed = PersonalFeed.objects.filter(user=request.user).first()
    if feed is not None:
        ctx["feed_url"] = request.build_absolute_uri(reverse("oncall:mine-ical", args=[feed.token]))
    return render(request, "oncall/mine.html", ctx)


@login_required
@require_POST
def mine_feed_renew(request):
    services.personal_feed_renew(actor=request.user)
    messages.success(
        request, _("Lien de votre agenda de gardes créé : l'ancien ne fonctionne plus.")
    )
    return redirect("oncall:mine")


def _range(request) -> tuple[date, date]:
    today = timezone.localdate()
    start = _day(request.GET.get("du"), today)
    end = _day(request.GET.get("au"), services.add_months(start, 3) - timedelta(days=1))
    if end < start or (end - start).days > 400:
        end = services.add_months(start, 3) - timedelta(days=1)
    return start, end


# Spreadsheet formula injection (OWASP "CSV injection"): a cell starting with one of these is
# read as a formula by Excel/LibreOffice; names come from an external directory import.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


@login_required
def roster_export(request, roster_id):
    """CSV of the roster (``?du=&au=``, default three months) for the medical council, the
    SAMU and the CPAM (fee payment): each shift, its holder and who actually answered."""
    roster = access_roster(request.user, roster_id)
    start, end = _range(request)
    rows = shift_rows(roster, day_start(start), day_start(end + timedelta(days=1)))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="garde-{roster.pk}-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _("Tableau"),
            _("Période"),
            _("Début"),
            _("Fin"),
            _("Titulaire"),
            _("RPPS titulaire"),
            _("Garde assurée par"),
            _("RPPS"),
            _("Téléphone"),
        ]
    )
    phone = roster.phone or (roster.service.senior_line if roster.service_id else "")
    for row in rows:
        holder = row.shift.practitioner
        # One line per piece of the shift answered by one doctor: a partial override (from
        # 22:00, or until 20:00) is paid to who answered those hours, not to the holder.
        for seg_start, seg_end, done_by in row.segments:
            writer.writerow(
                [
                    _cell(roster.name),
                    _cell(row.shift.label),
                    fmt(seg_start),
                    fmt(seg_end),
                    _cell(holder or _("à pourvoir")),
                    holder.rpps if holder else "",
                    _cell(done_by or _("à pourvoir")),
                    done_by.rpps if done_by else "",
                    _cell(phone or (done_by.phone if done_by else "")),
                ]
            )
    audit_log(user=request.user, action="download", obj=roster, detail=f"CSV {start} {end}")
    return response


@login_required
def roster_print(request, roster_id):
    """A printable table of the roster (``?du=&au=``, default three months)."""
    roster = access_roster(request.user, roster_id)
    start, end = _range(request)
    rows = shift_rows(roster, day_start(start), day_start(end + timedelta(days=1)))
    return render(
        request,
        "oncall/print.html",
        {"roster": roster, "rows": rows, "start": start, "end": end, "now": timezone.now()},
    )


def roster_ical(request, roster_id, token):
    """The roster as iCalendar for calendar applications: the secret token in the URL is the
    credential (they cannot log in); a manager renews it to revoke the old URL."""
    roster = get_object_or_404(Roster, pk=roster_id, ical_token=token, active=True)
    body = roster_calendar(roster)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="garde-{roster.pk}.ics"'
    return response


def mine_ical(request, token):
    """A doctor's own shifts as iCalendar (secret, renewable token)."""
    feed = get_object_or_404(PersonalFeed.objects.select_related("user"), token=token)
    if not feed.user.is_active:
        raise Http404("Flux introuvable")
    me = practitioner_of(feed.user)
    if me is None:
        raise Http404("Flux introuvable")
    response = HttpResponse(practitioner_calendar(me), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mes-gardes.ics"'
    return response
