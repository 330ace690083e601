"""Writes on referrals. Every function is one user action, a plain keyword-only function:
one transaction, the referral row locked, a history row, an audit row and the notifications of
the people concerned.

Every action on an existing referral has the same shape, ``referral_step`` (lock, check the
action against the registry's rule, yield a ``Step`` whose ``move`` checks the transition and
writes history and audit; nest-safe). The workflow itself is the transition table in
workflow.py; ``_move`` refuses anything else. Which actions exist, who may take them and how the
pages and FHIR reach them: actions.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Role
from parcours.accounts.scopes import gp_organisation_ids
from parcours.accounts.selectors import desk_users, service_doctors
from parcours.audit.services import audit_log
from parcours.directory.models import HospitalService, ServiceDelay
from parcours.lib.actions import action, action_scope, delete_file_on_rollback
from parcours.lib.errors import Conflict
from parcours.lib.sla import add_delay
from parcours.lib.uploads import check_upload
from parcours.notifications.broker import publish
from parcours.notifications.models import Notification
from parcours.notifications.services import notify

from . import actions
from .models import Referral, ReferralAttachment, ReferralEvent, ReferralMessage
from .workflow import (
    AWAITING_ANSWER,
    KINDS_WITH_WINDOW,
    TRANSITIONS,
    Action,
    AnswerKind,
    Kind,
    Status,
)

User = get_user_model()


class TransitionError(Conflict):
    """A move the workflow does not allow from the referral's current status (the request
    changed since the page was shown: a Conflict, 409 in the API)."""


# --- helpers ---------------------------------------------------------------------------------

# A wished window or a proposed date further than this is a typing slip (« 31/12/9999 »), not a
# plan: nobody books a consultation or an admission more than two years ahead (issue 14, bug 12).
MAX_AHEAD = timedelta(days=730)


def _too_far(value: date | datetime, today: date) -> bool:
    day = timezone.localtime(value).date() if isinstance(value, datetime) else value
    return day > today + MAX_AHEAD


def _far_message() -> str:
    return _("Cette date est à plus de deux ans : vérifiez l'année saisie.")


def delay_for(service: HospitalService, kind: str) -> tuple[int, bool]:
    """(hours, counted in working days) for this service and kind of request."""
    override = ServiceDelay.objects.filter(service=service, kind=kind).first()
    if override is not None:
        return override.hours, override.working_days
    return service.sla_hours or settings.SLA_DEFAULT_HOURS, service.sla_working_days


def compute_due(start: datetime, hours: int, working_days: bool) -> tuple[datetime, datetime]:
    due = add_delay(start, hours, working_days=working_days)
    at_risk = start + (due - start) * settings.SLA_AT_RISK_FRACTION
    return due, at_risk


def _hospital_side(referral: Referral) -> list:
    """Who at the hospital is concerned: the assigned doctor, else the desk."""
    if referral.assigned_to_id:
        return [referral.assigned_to]
    return desk_users(referral.hospital_id)


def _url(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def _title(referral: Referral, what: str) -> str:
    # No patient name in titles: titles also go out by e-mail.
    return _("Demande %(reference)s (%(kind)s) : %(what)s") % {
        "reference": referral.reference,
        "kind": referral.get_kind_display(),
        "what": what,
    }


def _live_touch(
    referral: Referral,
    *,
    actor,
    what: str,
    notified: Iterable = (),
    hospital_id: int | None = None,
    service_id: int | None = None,
) -> int:
    """Tell the hospital-side people who watch this request (the desk of its hospital, the
    doctors of its service) that it changed, so that their open inbox, queue or request page
    update live (issue 14, bug 7). Call inside the action's transaction.

    The rows go out through the notification stream like any notification, but are created
    already read and without e-mail: a colleague's move is not a task for you, so it must
    neither raise the unread badge nor fill mailboxes. People already notified by the action
    (``notified``) and the actor are skipped. Returns the number of rows written."""
    skip = {getattr(u, "pk", None) for u in notified} | {actor.pk if actor else None}
    watchers = {
        u.pk: u
        for u in [
            *desk_users(hospital_id or referral.hospital_id),
            *service_doctors(service_id or referral.service_id),
        ]
    }
    now = timezone.now()
    rows = [
        Notification(
            user=u,
            kind="referral_update",
            title=_title(referral, what)[:200],
            url=_url(referral),
            referral=referral,
            read_at=now,
            email_wanted=False,
        )
        for pk, u in sorted(watchers.items())
        if pk not in skip
    ]
    if rows:
        Notification.objects.bulk_create(rows)
        user_ids = [row.user_id for row in rows]
        transaction.on_commit(lambda: publish(user_ids))
    return len(rows)


def _lock(referral: Referral | int) -> Referral:
    pk = referral.pk if isinstance(referral, Referral) else referral
    return Referral.objects.select_for_update().get(pk=pk)


def _require(actor, referral: Referral, action: str) -> None:
    if action not in actions.allowed_actions(actor, referral):
        if referral.status not in TRANSITIONS or not TRANSITIONS[referral.status]:
            raise TransitionError(_("Cette demande est clôturée : l'action n'est plus possible."))
        raise PermissionDenied(_("Action non autorisée sur cette demande dans son état actuel."))


def _move(
    referral: Referral,
    *,
    actor,
    to: str,
    action: str,
    reason: str = "",
    details: dict | None = None,
    fields: Iterable[str] = (),
) -> ReferralEvent:
    """Change the status (checked against the table), save the named fields, write history."""
    old = referral.status
    if to not in TRANSITIONS.get(old, ()):
        raise TransitionError(
            _("Passage impossible de « %(old)s » à « %(new)s ».")
            % {"old": Status(old).label, "new": Status(to).label}
        )
    now = timezone.now()
    referral.status = to
    update = set(fields) | {"status"}
    # The clock pauses while the GP is asked for more; the pause is added to the due time.
    if to == Status.INFO_REQUESTED and old != Status.INFO_REQUESTED:
        referral.paused_at = now
        update.add("paused_at")
    if old == Status.INFO_REQUESTED and to != Status.INFO_REQUESTED and referral.paused_at:
        pause = now - referral.paused_at
        referral.due_at += pause
        referral.at_risk_at += pause
        referral.paused_at = None
        update |= {"due_at", "at_risk_at", "paused_at"}
    if to in (Status.TAKEN_IN_CHARGE, Status.DECLINED, Status.CANCELLED):
        referral.closed_at = now
        update.add("closed_at")
    referral.save(update_fields=sorted(update))
    event = ReferralEvent.objects.create(
        referral=referral,
        at=now,
        actor=actor,
        action=action,
        from_status=old,
        to_status=to,
        reason=reason,
        details=details or {},
    )
    audit_log(
        user=actor, action="update", obj=referral, patient_id=referral.patient_id, detail=action
    )
    return event


def _attach(
    referral: Referral,
    files,
    *,
    actor,
    part: str,
    message: ReferralMessage | None = None,
) -> list[ReferralAttachment]:
    """Save the uploaded files on the referral; each file is removed from disk if the action
    that saves it does not commit (``delete_file_on_rollback``)."""
    saved = []
    for upload in files or ():
        checked = check_upload(upload)  # raises UploadError (a ValueError) with a French text
        attachment = ReferralAttachment(
            referral=referral,
            message=message,
            part=part,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        attachment.file.save(checked.name, upload, save=False)
        attachment.save()
        # A rolled-back action must not leave its file behind on disk.
        delete_file_on_rollback(attachment.file.storage, attachment.file.name)
        saved.append(attachment)
    return saved


@dataclass
class Step:
    """The state of one action on one referral, handed out by ``referral_step``."""

    referral: Referral
    actor: object

    def attach(
        self, files, *, part: str, message: ReferralMessage | None = None
    ) -> list[ReferralAttachment]:
        """Save uploaded files on the referral (removed from disk if the step rolls back).

        Takes the uploads, the part (request, answer, message) and the message they belong
        to; returns the attachments; raises UploadError for a refused file."""
        return _attach(
            self.referral,
            files,
            actor=self.actor,
            part=part,
            message=message,
        )

    def move(self, *, to: str, action: str, **kwargs) -> ReferralEvent:
        """Change the status (checked against TRANSITIONS), write the history and audit rows.

        Takes the target status, the history action and ``_move``'s optional reason, details
        and fields; returns the history row; raises TransitionError."""
        return _move(self.referral, actor=self.actor, to=to, action=action, **kwargs)


@contextmanager
def referral_step(referral: Referral | int, *, actor, action: str) -> Iterator[Step]:
    """The shape of every action on an existing referral.

    Runs as an action (``lib.actions.action_scope``: a durable transaction, or a savepoint of
    the action that calls it), locks the referral row, checks that ``actor`` may take
    ``action`` (a name of the registry, actions.REGISTRY) in its current status, and yields a
    ``Step`` whose ``move`` writes the status change, the history and the audit rows.
    Notifications are written inside; their live push and e-mails go out on commit
    (notifications.services.notify). Files saved with ``Step.attach`` are removed if the
    action does not commit.

    Raises TransitionError (the referral is closed), PermissionDenied (not allowed now), or
    whatever the block raises."""
    with action_scope(f"{__name__}.referral_step.{action}"):
        locked = _lock(referral)
        _require(actor, locked, action)
        yield Step(referral=locked, actor=actor)


# --- the GP's actions -------------------------------------------------------------------------


@action
def referral_submit(
    *,
    author,
    patient,
    service: HospitalService,
    kind: str,
    question: str,
    context: str = "",
    wished_from: date | None = None,
    wished_until: date | None = None,
    files=(),
    now: datetime | None = None,
) -> Referral:
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choisissez le type de demande.")
    if not (question or "").strip():
        errors["question"] = _("La question clinique est obligatoire.")
    if not service.accepts_requests or not service.hospital.active:
        errors["service"] = _("Ce service ne reçoit pas de demandes par la plateforme.")
    if kind in KINDS_WITH_WINDOW:
        today = timezone.localdate()
        if wished_from and wished_from < today:
            errors["wished_from"] = _(
                "Cette date est déjà passée : la période souhaitée "
                "commence au plus tôt aujourd'hui."
            )
        elif wished_from and _too_far(wished_from, today):
            errors["wished_from"] = _far_message()
        if wished_from and wished_until and wished_until < wished_from:
            errors["wished_until"] = _("La fin de la période souhaitée précède son début.")
        elif wished_until and wished_until < today:
            errors["wished_until"] = _("La période souhaitée est déjà passée.")
        elif wished_until and _too_far(wished_until, today):
            errors["wished_until"] = _far_message()
    else:
        wished_from = wished_until = None
    if errors:
        raise ValidationError(errors)
    gp_orgs = gp_organisation_ids(author)
    if not gp_orgs:
        raise PermissionDenied(_("Seul un médecin de ville peut envoyer une demande."))

    start = now or timezone.now()
    hours, working = delay_for(service, kind)
    due, at_risk = compute_due(start, hours, working)
    referral = Referral.objects.create(
        patient=patient,
        author=author,
        author_organisation_id=min(gp_orgs),
        service=service,
        hospital_id=service.hospital_id,
        kind=kind,
        question=question.strip(),
        context=(context or "").strip(),
        wished_from=wished_from,
        wished_until=wished_until,
        status=Status.SUBMITTED,
        submitted_at=start,
        due_at=due,
        at_risk_at=at_risk,
    )
    _attach(referral, files, actor=author, part=ReferralAttachment.Part.REQUEST)
    ReferralEvent.objects.create(
        referral=referral,
        at=start,
        actor=author,
        action=Action.SUBMITTED,
        to_status=Status.SUBMITTED,
        details={"service": str(service)},
    )
    audit_log(user=author, action="create", obj=referral, patient_id=patient.pk)
    notify(
        users=desk_users(service.hospital_id),
        kind="referral_submitted",
        title=_title(referral, _("nouvelle demande pour %(service)s") % {"service": service.name}),
        body=f"{patient.display_name} — {question.strip()[:200]}",
        url=_url(referral),
        referral=referral,
        exclude=author,
    )
    _live_touch(
        referral,
        actor=author,
        what=_("nouvelle demande"),
        notified=desk_users(service.hospital_id),
    )
    return referral


@action
def referral_cancel(*, actor, referral: Referral, reason: str) -> Referral:
    """The GP withdraws her request. Takes the GP, the referral and the reason; returns the
    locked referral, cancelled; raises ValidationError, TransitionError, PermissionDenied."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation.")})

    with referral_step(referral, actor=actor, action="cancel") as step:
        r = step.referral
        r.close_reason = reason.strip()
        step.move(
            to=Status.CANCELLED,
            action=Action.CANCELLED,
            reason=reason.strip(),
            fields=["close_reason"],
        )
        notify(
            users=[*_hospital_side(r), *desk_users(r.hospital_id)],
            kind="referral_cancelled",
            title=_title(r, _("annulée par le médecin de ville")),
            body=reason.strip(),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(
            r,
            actor=actor,
            what=_("annulée par le médecin de ville"),
            notified=[*_hospital_side(r), *desk_users(r.hospital_id)],
        )
        return r


@action
def referral_provide_info(*, actor, referral: Referral, body: str, files=()) -> Referral:
    """The GP answers the hospital's question; the request goes back to the desk or the assigned
    doctor (the clock resumes). Takes the GP, the referral, the text and files; returns the
    referral; raises ValidationError, UploadError, TransitionError, PermissionDenied."""
    if not (body or "").strip():
        raise ValidationError({"body": _("Écrivez le complément d'information.")})

    with referral_step(referral, actor=actor, action="provide_info") as step:
        r = step.referral
        message = ReferralMessage.objects.create(referral=r, author=actor, body=body.strip())
        step.attach(files, part=ReferralAttachment.Part.MESSAGE, message=message)
        back_to = Status.ASSIGNED if r.assigned_to_id else Status.RECEIVED
        step.move(
            to=back_to,
            action=Action.INFO_PROVIDED,
            details={"message_id": message.pk},
        )
        notify(
            users=_hospital_side(r),
            kind="referral_info_provided",
            title=_title(r, _("complément apporté par le médecin de ville")),
            body=body.strip()[:300],
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(r, actor=actor, what=_("complément apporté"), notified=_hospital_side(r))
        return r


@action
def referral_take_in_charge(*, actor, referral: Referral, note: str = "") -> Referral:
    """The patient is taken in charge: the request closes. Takes the actor, the referral and an
    optional note; returns the referral; raises TransitionError, PermissionDenied."""
    with referral_step(referral, actor=actor, action="take_in_charge") as step:
        r = step.referral
        step.move(
            to=Status.TAKEN_IN_CHARGE,
            action=Action.TAKEN_IN_CHARGE,
            reason=(note or "").strip(),
        )
        notify(
            users=[r.author, *_hospital_side(r)],
            kind="referral_taken_in_charge",
            title=_title(r, _("patient pris en charge")),
            body=(note or "").strip(),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(
            r,
            actor=actor,
            what=_("patient pris en charge"),
            notified=[r.author, *_hospital_side(r)],
        )
        return r


# --- the hospital's actions -------------------------------------------------------------------


@action
def referral_acknowledge(*, actor, referral: Referral) -> Referral:
    """The desk has read the request and takes it on: the GP knows someone has it in hand."""

    with referral_step(referral, actor=actor, action="acknowledge") as step:
        r = step.referral
        step.move(to=Status.RECEIVED, action=Action.RECEIVED)
        notify(
            users=[r.author],
            kind="referral_received",
            title=_title(r, _("prise en compte par la cellule parcours")),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(
            r, actor=actor, what=_("prise en compte par %(who)s") % {"who": actor.display_name}
        )
        return r


@action
def referral_assign(*, actor, referral: Referral, doctor) -> Referral:
    """Give the request to a doctor of its service. Takes the actor, the referral and the
    doctor; returns the referral; raises ValidationError (not of the service),
    TransitionError, PermissionDenied."""
    with referral_step(referral, actor=actor, action="assign") as step:
        r = step.referral
        if not doctor.memberships.filter(
            service_id=r.service_id, role=Role.HOSPITAL_DOCTOR
        ).exists():
            raise ValidationError(
                {"doctor": _("Ce médecin n'appartient pas au service de la demande.")}
            )
        previous = r.assigned_to
        r.assigned_to = doctor
        step.move(
            to=Status.ASSIGNED,
            action=Action.ASSIGNED,
            details={
                "doctor": doctor.display_name,
                "previous": previous.display_name if previous else "",
            },
            fields=["assigned_to"],
        )
        notify(
            users=[doctor],
            kind="referral_assigned",
            title=_title(r, _("vous a été attribuée")),
            body=f"{r.patient.display_name} — {r.question[:200]}",
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        notify(
            users=[r.author],
            kind="referral_assigned",
            title=_title(r, _("attribuée à %(doctor)s") % {"doctor": doctor.display_name}),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(
            r,
            actor=actor,
            what=_("attribuée à %(doctor)s") % {"doctor": doctor.display_name},
            notified=[doctor],
        )
        return r


@action
def referral_redirect(
    *, actor, referral: Referral, service: HospitalService, reason: str
) -> Referral:
    """Send the request to another service (status back to submitted, the 48-hour clock kept).
    Takes the actor, the referral, the new service and the reason; returns the referral; raises
    ValidationError, TransitionError, PermissionDenied."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indiquez pourquoi la demande est réorientée.")})

    with referral_step(referral, actor=actor, action="redirect") as step:
        r = step.referral
        if service.pk == r.service_id:
            raise ValidationError({"service": _("La demande est déjà adressée à ce service.")})
        if not service.accepts_requests:
            raise ValidationError({"service": _("Ce service ne reçoit pas de demandes.")})
        old_service = r.service
        # The old service's desk and doctors see the request leave their lists.
        _live_touch(
            r,
            actor=actor,
            what=_("réorientée vers %(service)s") % {"service": service},
            hospital_id=r.hospital_id,
            service_id=r.service_id,
        )
        r.service = service
        r.hospital_id = service.hospital_id
        r.assigned_to = None
        # The GP's 48-hour promise runs from submission: a redirect does not restart it.
        step.move(
            to=Status.SUBMITTED,
            action=Action.REDIRECTED,
            reason=reason.strip(),
            details={"from_service": str(old_service), "to_service": str(service)},
            fields=["service", "hospital", "assigned_to"],
        )
        notify(
            users=desk_users(service.hospital_id),
            kind="referral_submitted",
            title=_title(r, _("réorientée vers %(service)s") % {"service": service.name}),
            body=reason.strip(),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        notify(
            users=[r.author],
            kind="referral_redirected",
            title=_title(r, _("réorientée vers %(service)s") % {"service": service}),
            body=reason.strip(),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(
            r,
            actor=actor,
            what=_("nouvelle demande (réorientée)"),
            notified=desk_users(service.hospital_id),
        )
        return r


@action
def referral_request_info(*, actor, referral: Referral, question: str) -> Referral:
    """Ask the GP for more (the clock pauses). Takes the actor, the referral and the question;
    returns the referral; raises ValidationError, TransitionError, PermissionDenied."""
    if not (question or "").strip():
        raise ValidationError({"question": _("Précisez l'information attendue.")})

    with referral_step(referral, actor=actor, action="request_info") as step:
        r = step.referral
        message = ReferralMessage.objects.create(referral=r, author=actor, body=question.strip())
        step.move(
            to=Status.INFO_REQUESTED,
            action=Action.INFO_REQUESTED,
            reason=question.strip(),
            details={"message_id": message.pk},
        )
        notify(
            users=[r.author],
            kind="referral_info_requested",
            title=_title(r, _("complément d'information demandé")),
            body=question.strip(),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(r, actor=actor, what=_("complément demandé au médecin de ville"))
        return r


@action
def referral_decline(*, actor, referral: Referral, reason: str) -> Referral:
    """The hospital refuses the request. Takes the actor, the referral and the reason; returns
    the referral, closed; raises ValidationError, TransitionError, PermissionDenied."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indiquez le motif du refus.")})

    with referral_step(referral, actor=actor, action="decline") as step:
        r = step.referral
        r.close_reason = reason.strip()
        step.move(
            to=Status.DECLINED,
            action=Action.DECLINED,
            reason=reason.strip(),
            fields=["close_reason"],
        )
        notify(
            users=[r.author],
            kind="referral_declined",
            title=_title(r, _("refusée")),
            body=reason.strip(),
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(r, actor=actor, what=_("refusée"))
        return r


@action
def referral_answer(
    *,
    actor,
    referral: Referral,
    answer_kind: str,
    text: str,
    proposed_at: datetime | None = None,
    files=(),
    via_booking: bool = False,
) -> Referral:
    """The hospital's answer. ``via_booking``: the answer is a slot booked or proposed from the
    service's agenda (scheduling), which the desk may give as well as the doctors."""
    errors = {}
    if answer_kind not in AnswerKind.values:
        errors["answer_kind"] = _("Choisissez le type de réponse.")
    if not (text or "").strip():
        errors["text"] = _("La réponse est obligatoire.")
    if answer_kind in (AnswerKind.APPOINTMENT, AnswerKind.ADMISSION):
        if proposed_at is None:
            errors["proposed_at"] = _("Indiquez la date proposée.")
        elif proposed_at < timezone.now():
            errors["proposed_at"] = _("La date proposée est déjà passée.")
        elif _too_far(proposed_at, timezone.localdate()):
            errors["proposed_at"] = _far_message()
    else:
        proposed_at = None
    if errors:
        raise ValidationError(errors)

    with referral_step(
        referral, actor=actor, action="book_slot" if via_booking else "answer"
    ) as step:
        r = step.referral
        now = timezone.now()
        r.answer_kind = answer_kind
        r.answer_text = text.strip()
        r.answer_date = proposed_at
        r.answered_at = now
        r.answered_by = actor
        r.answer_read_at = None
        if r.assigned_to_id is None:
            r.assigned_to = actor
        step.attach(files, part=ReferralAttachment.Part.ANSWER)
        step.move(
            to=Status.ANSWERED,
            action=Action.ANSWERED,
            details={
                "answer_kind": answer_kind,
                "proposed_at": proposed_at.isoformat() if proposed_at else "",
            },
            fields=[
                "answer_kind",
                "answer_text",
                "answer_date",
                "answered_at",
                "answered_by",
                "answer_read_at",
                "assigned_to",
            ],
        )
        notify(
            users=[r.author],
            kind="referral_answered",
            title=_title(
                r, _("réponse reçue — %(kind)s") % {"kind": AnswerKind(answer_kind).label}
            ),
            body=text.strip()[:300],
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(r, actor=actor, what=_("répondue par %(who)s") % {"who": actor.display_name})
        return r


# --- everyone ---------------------------------------------------------------------------------


@action
def referral_message_add(*, actor, referral: Referral, body: str, files=()) -> ReferralMessage:
    """A message in the request's thread. Takes the author, the referral, the text and files;
    returns the message; raises ValidationError, UploadError, TransitionError,
    PermissionDenied."""
    if not (body or "").strip():
        raise ValidationError({"body": _("Le message est vide.")})

    with referral_step(referral, actor=actor, action="message") as step:
        r = step.referral
        message = ReferralMessage.objects.create(referral=r, author=actor, body=body.strip())
        step.attach(files, part=ReferralAttachment.Part.MESSAGE, message=message)
        ReferralEvent.objects.create(
            referral=r, actor=actor, action=Action.MESSAGE, details={"message_id": message.pk}
        )
        audit_log(
            user=actor,
            action="create",
            obj=message,
            patient_id=r.patient_id,
            detail=f"message sur {r.reference}",
        )
        notify(
            users=[r.author, *_hospital_side(r)],
            kind="referral_message",
            title=_title(r, _("nouveau message de %(author)s") % {"author": actor.display_name}),
            body=body.strip()[:300],
            url=_url(r),
            referral=r,
            exclude=actor,
        )
        _live_touch(
            r, actor=actor, what=_("nouveau message"), notified=[r.author, *_hospital_side(r)]
        )
        return message


@action
def referral_mark_answer_read(*, user, referral: Referral) -> bool:
    """The author has the answer in front of her: it leaves the top of her list.

    Takes the viewer and the referral (already access-checked); returns True if this view is
    the first read of the answer. Anyone else's view changes nothing. One conditional UPDATE,
    so two tabs opened at once record the first read only once."""
    if (
        referral.author_id != user.pk
        or referral.answered_at is None
        or referral.answer_read_at is not None
    ):
        return False
    now = timezone.now()
    updated = Referral.objects.filter(
        pk=referral.pk, answer_read_at__isnull=True, answered_at__isnull=False
    ).update(answer_read_at=now)
    referral.answer_read_at = now
    return bool(updated)


# --- the 48-hour clock ------------------------------------------------------------------------


def _due_text(referral: Referral) -> str:
    return _("Réponse attendue avant le %(due)s") % {
        "due": f"{timezone.localtime(referral.due_at):%d/%m/%Y %H:%M}"
    }


@action
def referral_escalate_due(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Alert the desk when a request is at risk; desk and service head when overdue.

    Idempotent: each alert is sent once, marked by ``at_risk_notified_at`` /
    ``overdue_notified_at``. Several workers may run: rows are locked and skipped if taken.
    """
    now = now or timezone.now()
    counts = {"at_risk": 0, "overdue": 0}
    awaiting = list(AWAITING_ANSWER)

    overdue = list(
        Referral.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=awaiting, due_at__lte=now, overdue_notified_at__isnull=True)
        .select_related("service__head", "service__hospital")[:batch]
    )
    for r in overdue:
        r.overdue_notified_at = now
        fields = ["overdue_notified_at"]
        if r.at_risk_notified_at is None:
            r.at_risk_notified_at = now
            fields.append("at_risk_notified_at")
        r.save(update_fields=fields)
        ReferralEvent.objects.create(referral=r, at=now, action=Action.OVERDUE)
        notify(
            users=[*desk_users(r.hospital_id), r.service.head, r.assigned_to],
            kind="referral_overdue",
            title=_title(r, _("délai de réponse dépassé")),
            body=_due_text(r),
            url=_url(r),
            referral=r,
        )
        counts["overdue"] += 1

    at_risk = list(
        Referral.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status__in=awaiting,
            at_risk_at__lte=now,
            due_at__gt=now,
            at_risk_notified_at__isnull=True,
        )[:batch]
    )
    for r in at_risk:
        r.at_risk_notified_at = now
        r.save(update_fields=["at_risk_notified_at"])
        ReferralEvent.objects.create(referral=r, at=now, action=Action.AT_RISK)
        notify(
            users=[*desk_users(r.hospital_id), r.assigned_to],
            kind="referral_at_risk",
            title=_title(r, _("délai de réponse bientôt dépassé")),
            body=_due_text(r),
            url=_url(r),
            referral=r,
        )
        counts["at_risk"] += 1
    return counts


def doctors_for_assignment(referral: Referral):
    return (
        User.objects.filter(
            memberships__service_id=referral.service_id,
            memberships__role=Role.HOSPITAL_DOCTOR,
            is_active=True,
        )
        .distinct()
        .order_by("last_name")
    )


REFERRAL_INTEROP_FIELDS = (
    "identifier_system",
    "identifier_value",
    "code",
    "reason_codings",
    "occurrence",
)


@action
def referral_interop_record(*, actor, referral: Referral, **fields) -> Referral:
    """Keep on ``referral`` what a connected system sent with its ServiceRequest and the form
    does not ask for (its identifier, ``code``, the reason codings, the occurrence as sent —
    issue 21, no silent loss). ``fields`` are among ``REFERRAL_INTEROP_FIELDS`` (JSON values
    as FHIR gives them). Only the given fields are written; audited against the patient.
    Raises ``ValueError`` for another field name."""
    unknown = set(fields) - set(REFERRAL_INTEROP_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if not fields:
        return referral
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
        setattr(referral, name, value)
    locked.save(update_fields=sorted(fields))
    audit_log(
        user=actor,
        action="update",
        obj=locked,
        patient_id=locked.patient_id,
        detail="éléments FHIR conservés : " + ", ".join(sorted(fields)),
    )
    return referral


@action
def referral_submit_with_interop(*, author, patient, interop: dict, **args) -> Referral:
    """``referral_submit(author, patient, **args)`` then ``referral_interop_record`` with
    ``interop`` (what a FHIR ServiceRequest carries besides the form: issue 21), all or
    nothing. Returns the referral; raises what they raise."""
    referral = referral_submit(author=author, patient=patient, **args)
    return referral_interop_record(actor=author, referral=referral, **interop)
