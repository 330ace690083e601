"""The referral actions: ONE registry, read by the views, access, the templates, the FHIR layer
and the tests (issue 15, item 2).

Each entry says, for one action name: the form that parses it on the request page, the service
that performs it, who may take it in which statuses (checked against the transition table of
workflow.py by the tests), its French labels, and how a FHIR Task update reaches it.

Adding an action = one ``ReferralAction`` in ``_ACTIONS`` (plus its service in services.py):
the page shows its panel, ``POST /demandes/<pk>/action/<name>/`` dispatches to it,
``allowed_actions`` grants it, and the parametrized tests (tests/test_actions.py) cover it.

``services`` is imported as a module and its functions are looked up by name at call time
(``_service``): services checks permissions through ``allowed_actions`` below, so each module
needs the other, never at import time. The tests check that every name exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids

from . import forms, services
from .models import Referral
from .workflow import AWAITING_ANSWER, KINDS_WITH_WINDOW, OPEN, Status

# Who may act: the GP who wrote the request, the pathway desk of its hospital, a doctor of its
# service.
AUTHOR, DESK, DOCTOR = "author", "desk", "doctor"
HOSPITAL = frozenset({DESK, DOCTOR})

FormKwargs = Callable[[Referral], dict[str, Any]]
ServiceCall = Callable[..., Any]


@dataclass(frozen=True)
class ReferralAction:
    """One action on a referral.

    - ``who`` / ``statuses`` / ``kinds``: the permission rule (who, in which statuses, for
      which kinds of request; ``kinds`` None = all).
    - ``moves_to``: the statuses the action may lead to (empty: no move, e.g. a message); the
      tests check every (status in ``statuses``) → ``moves_to`` against ``TRANSITIONS``.
    - ``form``: the form class that parses it (None when the page has no form for it:
      ``book_slot`` is answered from the scheduling pages); ``prefix`` its HTML prefix;
      ``form_kwargs`` the extra arguments it takes from the referral.
    - ``call``: performs it from (actor, referral, cleaned_data); returns what the service
      returns.
    - ``label``: the panel's title and button; ``done``: the French success message.
    - ``panel``: shown as a collapsible form panel on the request page (in registry order);
      ``multipart``, ``style`` ("primary", "danger" or "") drive its look.
    - ``fhir_status``: the referral status a Task update names to ask for this action
      (the FHIR layer maps it to Task.status/businessStatus with TASK_STATUS and
      BUSINESS_STATUS); ``fhir_text``: the service argument filled from Task.statusReason
      ("" for none), checked against the form field of the same name.
    - ``moves_away``: the request may leave the actor's reach (a redirect to another hospital):
      after it, the page sends her to her inbox if she can no longer see the request.
    """

    name: str
    who: frozenset[str]
    statuses: frozenset[str]
    label: str | Promise
    done: str | Promise = ""
    moves_to: frozenset[str] = frozenset()
    kinds: frozenset[str] | None = None
    form: type[django_forms.Form] | None = None
    prefix: str | None = None
    form_kwargs: FormKwargs | None = None
    call: ServiceCall | None = None
    panel: bool = False
    multipart: bool = False
    style: str = ""
    fhir_status: str = ""
    fhir_text: str = ""
    moves_away: bool = False

    @property
    def primary(self) -> bool:
        """The panel's button is the page's main one."""
        return self.style == "primary"

    @property
    def danger(self) -> bool:
        """The panel closes the request (shown in red)."""
        return self.style == "danger"

    def bind(self, referral: Referral, data=None, files=None) -> django_forms.Form:
        """The action's form for this referral, bound to (data, files) or empty.

        Takes the referral and the request's POST and FILES (None: an empty form); returns
        the form; raises LookupError for an action without a form."""
        if self.form is None:
            raise LookupError(self.name)
        extra = self.form_kwargs(referral) if self.form_kwargs else {}
        return self.form(data, files, prefix=self.prefix, **extra)


def _fields(*names: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    return lambda data: {name: data[name] for name in names}


def _service(name: str, *fields: str) -> ServiceCall:
    """A call of ``services.<name>(actor=, referral=, **cleaned_data[fields])``."""
    pick = _fields(*fields)

    def call(actor, referral: Referral, data: Mapping[str, Any]):
        return getattr(services, name)(actor=actor, referral=referral, **pick(data))

    call.__name__ = name
    return call


S = Status
_ACTIONS = [
    ReferralAction(
        name="acknowledge",
        who=HOSPITAL,
        statuses=frozenset({S.SUBMITTED}),
        moves_to=frozenset({S.RECEIVED}),
        label=_("Prendre en compte"),
        done=_("Demande prise en compte : le médecin de ville en est informé."),
        form=forms.AcknowledgeForm,
        call=_service("referral_acknowledge"),
        fhir_status=S.RECEIVED,
    ),
    ReferralAction(
        # A slot of the service's agenda, booked or proposed (scheduling.services
        # .slot_book_for_referral, which calls referral_answer(via_booking=True)).
        name="book_slot",
        who=HOSPITAL,
        statuses=AWAITING_ANSWER,
        kinds=frozenset(KINDS_WITH_WINDOW),
        moves_to=frozenset({S.ANSWERED}),
        label=_("Répondre avec un créneau de l'agenda"),
    ),
    ReferralAction(
        name="answer",
        who=frozenset({DOCTOR}),
        statuses=AWAITING_ANSWER,
        moves_to=frozenset({S.ANSWERED}),
        label=_("Répondre"),
        done=_("Réponse envoyée au médecin de ville."),
        form=forms.AnswerForm,
        call=_service("referral_answer", "answer_kind", "text", "proposed_at", "files"),
        panel=True,
        multipart=True,
        style="primary",
        fhir_status=S.ANSWERED,
    ),
    ReferralAction(
        name="assign",
        who=HOSPITAL,
        statuses=AWAITING_ANSWER,
        moves_to=frozenset({S.ASSIGNED}),
        label=_("Attribuer à un médecin"),
        done=_("Demande attribuée."),
        form=forms.AssignForm,
        form_kwargs=lambda r: {"doctors": services.doctors_for_assignment(r)},
        call=_service("referral_assign", "doctor"),
        panel=True,
        style="primary",
    ),
    ReferralAction(
        name="provide_info",
        who=frozenset({AUTHOR}),
        statuses=frozenset({S.INFO_REQUESTED}),
        moves_to=frozenset({S.RECEIVED, S.ASSIGNED}),
        label=_("Apporter le complément demandé"),
        done=_("Complément envoyé."),
        form=forms.MessageForm,
        prefix="info",
        call=_service("referral_provide_info", "body", "files"),
        panel=True,
        multipart=True,
        style="primary",
    ),
    ReferralAction(
        name="take_in_charge",
        who=frozenset({AUTHOR, DESK, DOCTOR}),
        statuses=frozenset({S.ANSWERED}),
        moves_to=frozenset({S.TAKEN_IN_CHARGE}),
        label=_("Confirmer la prise en charge du patient"),
        done=_("Prise en charge confirmée."),
        form=forms.TakeInChargeForm,
        call=_service("referral_take_in_charge", "note"),
        panel=True,
        style="primary",
        fhir_status=S.TAKEN_IN_CHARGE,
        fhir_text="note",
    ),
    ReferralAction(
        name="request_info",
        who=HOSPITAL,
        statuses=AWAITING_ANSWER,
        moves_to=frozenset({S.INFO_REQUESTED}),
        label=_("Demander un complément au médecin de ville"),
        done=_("Demande de complément envoyée au médecin de ville."),
        form=forms.RequestInfoForm,
        call=_service("referral_request_info", "question"),
        panel=True,
        fhir_status=S.INFO_REQUESTED,
        fhir_text="question",
    ),
    ReferralAction(
        name="redirect",
        who=HOSPITAL,
        statuses=AWAITING_ANSWER,
        moves_to=frozenset({S.SUBMITTED}),
        label=_("Réorienter vers un autre service"),
        done=_("Demande réorientée."),
        form=forms.RedirectForm,
        form_kwargs=lambda r: {"exclude_service_id": r.service_id},
        call=_service("referral_redirect", "service", "reason"),
        panel=True,
        moves_away=True,
    ),
    ReferralAction(
        name="decline",
        who=HOSPITAL,
        statuses=AWAITING_ANSWER,
        moves_to=frozenset({S.DECLINED}),
        label=_("Refuser la demande"),
        done=_("Demande refusée."),
        form=forms.ReasonForm,
        prefix="decline",
        call=_service("referral_decline", "reason"),
        panel=True,
        style="danger",
        fhir_status=S.DECLINED,
        fhir_text="reason",
    ),
    ReferralAction(
        name="cancel",
        who=frozenset({AUTHOR}),
        statuses=OPEN,
        moves_to=frozenset({S.CANCELLED}),
        label=_("Annuler la demande"),
        done=_("Demande annulée."),
        form=forms.ReasonForm,
        prefix="cancel",
        call=_service("referral_cancel", "reason"),
        panel=True,
        style="danger",
        fhir_status=S.CANCELLED,
        fhir_text="reason",
    ),
    ReferralAction(
        name="message",
        who=frozenset({AUTHOR, DESK, DOCTOR}),
        statuses=OPEN,
        label=_("Envoyer le message"),
        done=_("Message envoyé."),
        form=forms.MessageForm,
        call=_service("referral_message_add", "body", "files"),
    ),
]

REGISTRY: dict[str, ReferralAction] = {a.name: a for a in _ACTIONS}

# The action a Task update asking for a status performs (when no owner change says otherwise).
BY_FHIR_STATUS: dict[str, ReferralAction] = {a.fhir_status: a for a in _ACTIONS if a.fhir_status}


def get(name: str) -> ReferralAction | None:
    """The registry entry of ``name``, or None for an unknown name (the view's 404)."""
    return REGISTRY.get(name)


def roles_on(user, referral: Referral) -> frozenset[str]:
    """Which of AUTHOR, DESK, DOCTOR the user is for this referral (possibly several)."""
    roles = set()
    if referral.author_id == user.pk:
        roles.add(AUTHOR)
    if referral.hospital_id in desk_hospital_ids(user):
        roles.add(DESK)
    if referral.service_id in doctor_service_ids(user):
        roles.add(DOCTOR)
    return frozenset(roles)


def allowed_actions(user, referral: Referral) -> set[str]:
    """The actions this user may take on this referral now (drives buttons and checks).

    Takes a user and a referral; returns the set of registry names whose rule matches
    (who, status, kind)."""
    roles = roles_on(user, referral)
    return {
        a.name
        for a in _ACTIONS
        if a.who & roles
        and referral.status in a.statuses
        and (a.kinds is None or referral.kind in a.kinds)
    }
