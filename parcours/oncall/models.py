"""On-call rosters (tableaux de garde): per PDSA sector and per hospital line.

A ``Roster`` is one rota: the out-of-hours care of an ambulatory sector (PDSA, Code de la santé
publique art. R6315-1 ff.) or one on-call line of a hospital service (PDSES: on-site duty,
on-call from home, half-night). Its ``ShiftTemplate`` rows are the periods to cover (evenings
from 20:00, Saturday afternoon, Sundays and public holidays…); ``Shift`` rows are the dated
occurrences, each held by a directory ``Practitioner`` (or none: an open shift). An
``Override`` puts someone else on call over a window without touching the shifts (Grafana
OnCall's override layer): "who is on call now" reads overrides first. ``Swap`` rows are the
exchanges asked and answered; ``RosterPeriod`` the publication of a period (sent to the
medical council for a sector); ``RosterEvent`` the full history of every change.

FHIR: a roster is a Schedule, each shift a Slot (``parcours/fhir/oncall.py``).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcours.directory.models import HospitalService, Practitioner


def new_token() -> str:
    """A fresh secret for an iCalendar feed URL (URL-safe, 32 bytes of randomness)."""
    return secrets.token_urlsafe(32)


class Roster(models.Model):
    class Kind(models.TextChoices):
        SECTOR = "sector", _("Secteur de permanence des soins ambulatoires (PDSA)")
        SERVICE = "service", _("Ligne de garde d'un service hospitalier (PDSES)")

    class Mode(models.TextChoices):
        PDSA = "pdsa", _("Permanence des soins ambulatoires")
        ON_SITE = "on_site", _("Garde sur place")
        FROM_HOME = "from_home", _("Astreinte à domicile")
        HALF_NIGHT = "half_night", _("Demi-garde")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    mode = models.CharField(_("modalité"), max_length=12, choices=Mode.choices)
    sector = models.CharField(
        _("secteur"), max_length=200, blank=True, help_text=_("Pour un tableau PDSA.")
    )
    department = models.CharField(_("département"), max_length=3, blank=True)
    service = models.ForeignKey(
        HospitalService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rosters",
        verbose_name=_("service hospitalier"),
    )
    phone = models.CharField(
        _("numéro à appeler"),
        max_length=30,
        blank=True,
        help_text=_("Vide : le téléphone du médecin de garde."),
    )
    allow_overlap = models.BooleanField(
        _("chevauchements autorisés"),
        default=False,
        help_text=_("Deux gardes du tableau peuvent se recouvrir (ex. deux lignes)."),
    )
    allow_gaps = models.BooleanField(
        _("trous autorisés"),
        default=False,
        help_text=_("Une période peut rester sans médecin de garde."),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_rosters",
        verbose_name=_("responsables du tableau"),
    )
    active = models.BooleanField(_("actif"), default=True)
    # The secret of the roster's iCalendar feed: calendar apps cannot log in, the URL is the
    # credential; a manager renews it to revoke the old URL.
    ical_token = models.CharField(max_length=64, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tableau de garde")
        verbose_name_plural = _("tableaux de garde")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class RosterMember(models.Model):
    """A doctor of the rota, in rotation order (rolling generation assigns in this order)."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="members")
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="roster_memberships",
        verbose_name=_("médecin"),
    )
    position = models.PositiveIntegerField(_("ordre de rotation"), default=0)

    class Meta:
        verbose_name = _("médecin du tableau")
        verbose_name_plural = _("médecins du tableau")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["roster", "practitioner"], name="oncall_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.roster} — {self.practitioner}"


class ShiftTemplate(models.Model):
    """A period to cover, repeated on some days: "Soirée 20:00–24:00, tous les jours".

    ``days`` holds weekday digits (0 = Monday … 6 = Sunday) and ``F`` for French public
    holidays; on a public holiday only the templates with ``F`` apply (a holiday is covered
    like a Sunday, PDSA). ``end_time`` at or before ``start_time`` ends the next day."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="templates")
    label = models.CharField(_("période"), max_length=100)
    days = models.CharField(
        _("jours"),
        max_length=8,
        help_text=_("Chiffres 0 (lundi) à 6 (dimanche), F pour les jours fériés. Ex. : 56F"),
    )
    start_time = models.TimeField(_("début"))
    end_time = models.TimeField(_("fin"), help_text=_("Avant le début : le lendemain."))

    class Meta:
        verbose_name = _("période de garde")
        verbose_name_plural = _("périodes de garde")
        ordering = ["start_time", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.start_time:%H:%M}–{self.end_time:%H:%M})"


class Shift(models.Model):
    """One dated shift of a roster; ``practitioner`` None is an open shift (to be taken)."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="shifts")
    template = models.ForeignKey(
        ShiftTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("période"), max_length=100, blank=True)
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shifts",
        verbose_name=_("médecin de garde"),
    )
    # The holder offers it to the other doctors of the rota (cover offer): anyone may take it.
    offered = models.BooleanField(_("proposée à la reprise"), default=False)
    # Set by the worker once the hand-over notification went out (sent once).
    handover_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("garde")
        verbose_name_plural = _("gardes")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["roster", "start"], name="oncall_shift_roster_start")]
        constraints = [
            # Rolling generation is re-runnable: one shift of a roster per start.
            models.UniqueConstraint(fields=["roster", "start"], name="oncall_shift_unique_start"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="oncall_shift_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.roster} — {self.start:%Y-%m-%d %H:%M}"


class Override(models.Model):
    """Someone else on call over a window, above the shifts (a replacement)."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="overrides")
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="overrides",
        verbose_name=_("remplaçant"),
    )
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("remplacement")
        verbose_name_plural = _("remplacements")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["roster", "start"], name="oncall_override_roster_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="oncall_override_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} — {self.start:%Y-%m-%d %H:%M}"


class Swap(models.Model):
    """An exchange asked by a shift's holder to another doctor of the rota.

    The target takes ``shift``; with ``counter_shift`` (one of the target's shifts) the
    requester takes that one in return. Asked → accepted / refused / cancelled."""

    class State(models.TextChoices):
        ASKED = "asked", _("demandé")
        ACCEPTED = "accepted", _("accepté")
        REFUSED = "refused", _("refusé")
        CANCELLED = "cancelled", _("annulé")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="swaps")
    counter_shift = models.ForeignKey(
        Shift,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="counter_swaps",
        verbose_name=_("garde reprise en échange"),
    )
    requester = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("médecin sollicité"),
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ASKED)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("échange de garde")
        verbose_name_plural = _("échanges de garde")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.requester} → {self.target} ({self.get_state_display()})"


class RosterPeriod(models.Model):
    """The publication of a period of a roster.

    A PDSA sector's rota covers at least three months and is sent to the departmental council
    of the medical order at least 45 days before it starts (CSP art. R6315-2): submitted, then
    published once the council's validation is recorded. A hospital line is published at once.
    ``late`` keeps that the 45-day deadline was missed (warned, not refused)."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("transmis au conseil de l'ordre")
        PUBLISHED = "published", _("publié")

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="periods")
    start = models.DateField(_("du"))
    end = models.DateField(_("au"))
    state = models.CharField(max_length=10, choices=State.choices)
    late = models.BooleanField(_("transmis hors délai"), default=False)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("période publiée")
        verbose_name_plural = _("périodes publiées")
        ordering = ["-start", "-pk"]

    def __str__(self) -> str:
        return f"{self.roster} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"


class RosterEvent(models.Model):
    """One line of a roster's history: who changed what, when (never updated or deleted)."""

    class Action(models.TextChoices):
        GENERATED = "generated", _("gardes générées")
        ASSIGNED = "assigned", _("garde attribuée")
        TAKEN = "taken", _("garde reprise")
        OFFERED = "offered", _("garde proposée à la reprise")
        OVERRIDE = "override", _("remplacement")
        OVERRIDE_CANCELLED = "override_cancelled", _("remplacement annulé")
        SWAP_ASKED = "swap_asked", _("échange demandé")
        SWAP_ACCEPTED = "swap_accepted", _("échange accepté")
        SWAP_REFUSED = "swap_refused", _("échange refusé")
        SWAP_CANCELLED = "swap_cancelled", _("échange annulé")
        SUBMITTED = "submitted", _("transmis au conseil de l'ordre")
        PUBLISHED = "published", _("publié")
        FEED_RENEWED = "feed_renewed", _("lien iCalendar renouvelé")

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="events")
    shift = models.ForeignKey(
        Shift, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    from_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)

    class Meta:
        verbose_name = _("historique du tableau")
        verbose_name_plural = _("historique des tableaux")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.roster} — {self.get_action_display()}"


class PersonalFeed(models.Model):
    """A user's own iCalendar feed of their shifts: the token is the credential, renewable."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_feed"
    )
    token = models.CharField(max_length=64, default=new_token, unique=True)

    def __str__(self) -> str:
        return f"iCalendar — {self.user}"
