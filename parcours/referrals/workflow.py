"""The referral workflow as a transition table (after django-oscar's order pipeline).

``TRANSITIONS`` maps each status to the statuses it may move to; ``referral_transition`` in
services.py refuses anything else. Finer steps of the same status (a redirect keeps SUBMITTED,
a re-assignment keeps ASSIGNED) are separate actions recorded in the history.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The kinds of request: the directory's vocabulary (a service's delays are set per kind).
from parcours.directory.kinds import Kind

# Kinds for which the GP gives a wished time window.
KINDS_WITH_WINDOW = {Kind.CONSULTATION, Kind.EXAM}


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Envoyée")
    RECEIVED = "received", _("Prise en compte")
    ASSIGNED = "assigned", _("Attribuée")
    INFO_REQUESTED = "info_requested", _("Complément demandé")
    ANSWERED = "answered", _("Répondue")
    TAKEN_IN_CHARGE = "taken_in_charge", _("Patient pris en charge")
    DECLINED = "declined", _("Refusée")
    CANCELLED = "cancelled", _("Annulée")


S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset(
        {S.SUBMITTED, S.RECEIVED, S.ASSIGNED, S.INFO_REQUESTED, S.ANSWERED, S.DECLINED, S.CANCELLED}
    ),
    # The desk has seen it (FHIR Task "received"); triage goes on from here.
    S.RECEIVED: frozenset(
        {S.SUBMITTED, S.ASSIGNED, S.INFO_REQUESTED, S.ANSWERED, S.DECLINED, S.CANCELLED}
    ),
    S.ASSIGNED: frozenset(
        {S.SUBMITTED, S.ASSIGNED, S.INFO_REQUESTED, S.ANSWERED, S.DECLINED, S.CANCELLED}
    ),
    S.INFO_REQUESTED: frozenset({S.RECEIVED, S.ASSIGNED, S.DECLINED, S.CANCELLED}),
    S.ANSWERED: frozenset({S.TAKEN_IN_CHARGE, S.CANCELLED}),
    S.TAKEN_IN_CHARGE: frozenset(),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Statuses in which the hospital still owes an answer: the 48-hour clock runs.
AWAITING_ANSWER = frozenset({S.SUBMITTED, S.RECEIVED, S.ASSIGNED})
# Statuses in which the request is still open for someone.
OPEN = frozenset({S.SUBMITTED, S.RECEIVED, S.ASSIGNED, S.INFO_REQUESTED, S.ANSWERED})
# What the hospital still works on: the desk inbox and the doctors' queues (ordered, for indexes).
TO_HANDLE = (S.SUBMITTED, S.RECEIVED, S.ASSIGNED, S.INFO_REQUESTED)
CLOSED = frozenset({S.TAKEN_IN_CHARGE, S.DECLINED, S.CANCELLED})


class AnswerKind(models.TextChoices):
    ADVICE = "advice", _("Avis donné")
    APPOINTMENT = "appointment", _("Date de consultation ou d'examen proposée")
    ADMISSION = "admission", _("Hospitalisation programmée")


class Action(models.TextChoices):
    """What a history row records (the timeline)."""

    SUBMITTED = "submitted", _("Demande envoyée")
    RECEIVED = "received", _("Prise en compte par la cellule parcours")
    ASSIGNED = "assigned", _("Attribuée à un médecin")
    REDIRECTED = "redirected", _("Réorientée vers un autre service")
    INFO_REQUESTED = "info_requested", _("Complément d'information demandé")
    INFO_PROVIDED = "info_provided", _("Complément apporté")
    ANSWERED = "answered", _("Réponse envoyée")
    DECLINED = "declined", _("Demande refusée")
    CANCELLED = "cancelled", _("Demande annulée")
    TAKEN_IN_CHARGE = "taken_in_charge", _("Patient pris en charge")
    MESSAGE = "message", _("Message")
    AT_RISK = "at_risk", _("Délai bientôt dépassé")
    OVERDUE = "overdue", _("Délai dépassé")


class Clock(models.TextChoices):
    ON_TIME = "on_time", _("Dans les délais")
    AT_RISK = "at_risk", _("Délai proche")
    OVERDUE = "overdue", _("Délai dépassé")
    PAUSED = "paused", _("En attente du médecin de ville")
    DONE = "done", _("Terminé")
