"""Writes of the Service Médical de Proximité (issue 18). Every write is an ``@action``.

The episode workflow is the transition table ``TRANSITIONS``; ``_move`` is the only place a
status changes (history row, audit row). Identities are never created here: the views go
through ``patients.services.patient_create`` (a near twin goes to the identitovigilance review
queue, a known identity is reused), and a merged identity is followed to its survivor.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from django.core.files.base import ContentFile
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.scopes import has_clinical_role, is_gp
from parcours.audit.services import audit_log
from parcours.lib.actions import action, current_action
from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.messaging.services import message_send
from parcours.notifications.services import notify
from parcours.patients.models import CareLink, DuplicateCandidate, IdentityLink, Patient
from parcours.patients.services import (
    PatientResult,
    patient_create,
    patient_resolve,
    treating_doctor_declare,
)
from parcours.scheduling.models import Appointment, Slot
from parcours.scheduling.services import slot_book

from .access import DESK_ROLES, SENIOR_ROLES, smp_ids, staff_of
from .documents import Prescriber, prescription_pdf
from .models import (
    CRITERIA,
    Consultation,
    ConsultationDocument,
    Episode,
    EpisodeChange,
    Site,
    StaffMember,
)

S = Episode.Status

# The episode workflow (EpisodeOfCare.status: waitlist → active → finished; cancelled).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.WAITLIST: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.HANDOVER, S.FINISHED, S.CANCELLED}),
    S.HANDOVER: frozenset({S.FINISHED, S.ACTIVE}),
    S.FINISHED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN = frozenset({S.WAITLIST, S.ACTIVE, S.HANDOVER})

# The weight of each documented criterion in the priority score (issue 18 lists the criteria;
# the weights and the delays below are the SMP's own policy, kept here in one place): a recent
# hospital discharge and a pregnancy cannot wait, a long-term condition or age ≥ 70 need a
# doctor soon, CSS/AME flags a patient who will not find one alone.
PRIORITY_WEIGHTS = {
    "recent_discharge": 3,
    "pregnancy": 3,
    "ald": 2,
    "age_70": 2,
    "fragility": 2,
    "css_ame": 1,
}
# The waiting clock: days to a first consultation, by minimum priority score (highest first).
PRIORITY_DELAYS = ((3, 7), (1, 30), (0, 90))
REASON_MIN_LENGTH = 5


def priority_score(criteria: dict[str, bool]) -> int:
    """The priority of a set of criteria: the sum of PRIORITY_WEIGHTS of those true (0–13)."""
    return sum(w for name, w in PRIORITY_WEIGHTS.items() if criteria.get(name))


def due_delay(priority: int) -> timedelta:
    """The waiting-clock delay for a priority score (PRIORITY_DELAYS)."""
    for threshold, days in PRIORITY_DELAYS:
        if priority >= threshold:
            return timedelta(days=days)
    return timedelta(days=PRIORITY_DELAYS[-1][1])


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _criteria(patient: Patient, given: dict[str, bool], today: date) -> dict[str, bool]:
    values = {name: bool(given.get(name)) for name in CRITERIA}
    # Age ≥ 70 is a fact of the identity, not a choice of the person typing.
    values["age_70"] = age_on(patient.birth_date, today) >= 70
    return values


def _require(actor, organisation_id: int, roles, message: str) -> None:
    if organisation_id not in smp_ids(actor, roles):
        raise Forbidden(message, code="forbidden")


def _history(episode: Episode, *, what: str, old: str, new: str, actor, reason: str = ""):
    EpisodeChange.objects.create(
        episode=episode,
        what=what,
        old=old,
        new=new,
        reason=reason[:300],
        by=actor,
        at=timezone.now(),
    )


def _move(episode: Episode, to: str, *, actor, reason: str = "", fields=()) -> None:
    """Change the status of a locked episode along TRANSITIONS; raises Conflict otherwise."""
    if to not in TRANSITIONS[episode.status]:
        raise Conflict(
            _("Cet épisode est « %(status)s » : action impossible.")
            % {"status": episode.get_status_display()},
            code="conflict",
        )
    old = episode.status
    episode.status = to
    if to in (S.FINISHED, S.CANCELLED):
        episode.finished_at = timezone.now()
        fields = (*fields, "finished_at")
    episode.save(update_fields=["status", *fields])
    _history(episode, what="status", old=old, new=to, actor=actor, reason=reason)
    audit_log(
        user=actor,
        action="update",
        obj=episode,
        patient_id=episode.patient_id,
        detail=f"épisode SMP {old} → {to} {reason}".strip(),
    )


def _lock(episode: Episode) -> Episode:
    return Episode.objects.select_for_update().get(pk=episode.pk)


def _url(episode: Episode) -> str:
    return reverse("proximity:episode", args=[episode.pk])


# --- registry -----------------------------------------------------------------------------------


@action
def episode_register(
    *,
    actor,
    patient: Patient,
    site: Site,
    source: str,
    reason: str,
    referrer: str = "",
    no_doctor_since: date | None = None,
    criteria: dict[str, bool] | None = None,
) -> Episode:
    """Put ``patient`` on the waiting list of the SMP of ``site``.

    Takes the identity (found or created through patients.services.patient_create), the site,
    who signed the patient up (Episode.Source), the reason (Episode.Reason), the name of the
    person or structure who sent them, the date since when they have no treating doctor and
    the documented criteria (a dict of CRITERIA → bool; age ≥ 70 is computed). Returns the
    new episode, its waiting clock started (``due_at``). Raises Forbidden if the actor does
    not run that SMP's registry, Invalid on a bad choice or a future date, Conflict when the
    patient already has an open episode there (a duplicate sign-up)."""
    _require(
        actor,
        site.organisation_id,
        DESK_ROLES,
        _("Seule l'équipe du SMP inscrit des patients sur sa liste d'attente."),
    )
    if source not in Episode.Source.values:
        raise Invalid(_("Indiquez qui inscrit le patient."), field="source")
    if reason not in Episode.Reason.values:
        raise Invalid(_("Indiquez le motif de l'inscription."), field="reason")
    now = timezone.now()
    today = timezone.localdate(now)
    if no_doctor_since and no_doctor_since > today:
        raise Invalid(_("Cette date est dans le futur."), field="no_doctor_since")
    # The lock on the identity serialises two sign-ups of the same patient (two assistants,
    # the desk and the phone at once): the second one sees the first one's episode.
    patient = Patient.objects.select_for_update().get(pk=patient_resolve(patient).pk)
    values = _criteria(patient, criteria or {}, today)
    open_one = Episode.objects.filter(
        patient=patient, organisation_id=site.organisation_id, status__in=OPEN
    ).first()
    if open_one is not None:
        raise Conflict(
            _("Ce patient est déjà inscrit au SMP (%(ref)s, %(status)s).")
            % {"ref": open_one.reference, "status": open_one.get_status_display()},
            code="conflict",
        )
    twin = _open_episode_of_a_twin(patient, site.organisation_id)
    if twin is not None:
        raise Conflict(
            _(
                "Une identité proche est déjà inscrite au SMP (%(ref)s) : s'il s'agit de la "
                "même personne, reprenez cette inscription ; sinon, signalez-le à la cellule "
                "d'identitovigilance."
            )
            % {"ref": twin.reference},
            code="conflict",
        )
    priority = priority_score(values)
    episode = Episode.objects.create(
        patient=patient,
        organisation_id=site.organisation_id,
        site=site,
        source=source,
        referrer=referrer.strip()[:150],
        reason=reason,
        no_doctor_since=no_doctor_since,
        priority=priority,
        registered_at=now,
        registered_by=actor,
        due_at=now + due_delay(priority),
        **values,
    )
    _history(episode, what="status", old="", new=S.WAITLIST, actor=actor)
    audit_log(
        user=actor,
        action="create",
        obj=episode,
        patient_id=patient.pk,
        detail=f"inscription SMP, priorité {priority}",
    )
    return episode


def _open_episode_of_a_twin(patient: Patient, organisation_id: int) -> Episode | None:
    """An open episode, in this SMP, of an identity paired with ``patient`` in the
    identitovigilance review queue (an open duplicate pair): signing both up would put one
    person twice on the waiting list."""
    pairs = DuplicateCandidate.objects.filter(
        Q(low_id=patient.pk) | Q(high_id=patient.pk), state=DuplicateCandidate.State.OPEN
    ).values_list("low_id", "high_id")
    others = {i for pair in pairs for i in pair} - {patient.pk}
    if not others:
        return None
    return Episode.objects.filter(
        patient_id__in=others, organisation_id=organisation_id, status__in=OPEN
    ).first()


@action
def episode_signup(
    *,
    actor,
    identity: dict,
    site: Site,
    source: str,
    reason: str,
    referrer: str = "",
    no_doctor_since: date | None = None,
    criteria: dict[str, bool] | None = None,
) -> tuple[Episode, PatientResult]:
    """Sign a patient up from the desk form, in one action: find or create the identity
    (patients.services.patient_create with the traits in ``identity``: a known identity is
    reused, a near twin is created and sent to the identitovigilance review) and register the
    episode (``episode_register``). Nothing is written if either step refuses. Returns the
    episode and the identity result. Raises what both raise (Forbidden first: the role is
    checked before any identity is touched)."""
    _require(
        actor,
        site.organisation_id,
        DESK_ROLES,
        _("Seule l'équipe du SMP inscrit des patients sur sa liste d'attente."),
    )
    result = patient_create(actor=actor, **identity)
    if result.created and not has_clinical_role(actor):
        # The creator of an identity gets a care link (patients/access.py); an SMP assistant
        # types it on behalf of the service and takes no part in care (issue 18: assistants
        # read no clinical note): they keep the identity (IdentityLink), not its data.
        CareLink.objects.filter(patient=result.patient, user=actor).delete()
        IdentityLink.objects.get_or_create(patient=result.patient, user=actor)
    episode = episode_register(
        actor=actor,
        patient=result.patient,
        site=site,
        source=source,
        reason=reason,
        referrer=referrer,
        no_doctor_since=no_doctor_since,
        criteria=criteria,
    )
    return episode, result


@action
def episode_set_priority(
    *, actor, episode: Episode, criteria: dict[str, bool], reason: str
) -> Episode:
    """Change the criteria (hence the priority and the waiting clock) of a waiting episode.

    Takes the criteria (CRITERIA → bool; age ≥ 70 is recomputed) and the reason of the change
    (required: issue 18, « priority changes are audited with their reason »). Returns the
    episode. Raises Forbidden (not the SMP's registry), Invalid (no reason), Conflict (the
    episode is no longer waiting)."""
    _require(
        actor,
        episode.organisation_id,
        DESK_ROLES,
        _("Seule l'équipe du SMP modifie une priorité."),
    )
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        raise Invalid(_("Indiquez la raison du changement de priorité."), field="reason")
    episode = _lock(episode)
    if episode.status != S.WAITLIST:
        raise Conflict(_("Ce patient n'est plus en attente."), code="conflict")
    values = _criteria(episode.patient, criteria, timezone.localdate())
    before = (episode.priority, episode.criteria())
    for name, value in values.items():
        setattr(episode, name, value)
    episode.priority = priority_score(values)
    # The clock still counts from the sign-up: a patient does not lose the time already waited.
    episode.due_at = episode.registered_at + due_delay(episode.priority)
    episode.save(update_fields=[*CRITERIA, "priority", "due_at"])
    _history(
        episode,
        what="priority",
        old=f"{before[0]} ({', '.join(before[1])})",
        new=f"{episode.priority} ({', '.join(episode.criteria())})",
        actor=actor,
        reason=reason,
    )
    audit_log(
        user=actor,
        action="update",
        obj=episode,
        patient_id=episode.patient_id,
        detail=f"priorité SMP {before[0]} → {episode.priority} : {reason}",
    )
    return episode


@action
def episode_cancel(*, actor, episode: Episode, reason: str) -> Episode:
    """Take a patient off the SMP (moved away, found a doctor alone, deceased). Raises
    Forbidden, Invalid (no reason) or Conflict (already closed)."""
    _require(actor, episode.organisation_id, DESK_ROLES, _("Action réservée à l'équipe du SMP."))
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        raise Invalid(_("Indiquez la raison."), field="reason")
    episode = _lock(episode)
    _move(episode, S.CANCELLED, actor=actor, reason=reason)
    return episode


# --- consultations ------------------------------------------------------------------------------


@action
def consultation_book(*, actor, episode: Episode, slot: Slot, note: str = "") -> Appointment:
    """Book a slot of an SMP agenda for the patient of ``episode`` (scheduling.slot_book).
    Raises Forbidden (not the SMP's desk, or another structure's agenda), Conflict (closed
    episode) or scheduling's BookingError (slot taken, past)."""
    _require(actor, episode.organisation_id, DESK_ROLES, _("Action réservée à l'équipe du SMP."))
    if slot.schedule.organisation_id != episode.organisation_id:
        raise Forbidden(_("Ce créneau n'est pas sur un agenda du SMP."), code="forbidden")
    if episode.status not in OPEN:
        raise Conflict(_("Cet épisode est clos."), code="conflict")
    return slot_book(user=actor, slot=slot, patient=episode.patient, note=note)


@action
def consultation_record(
    *,
    actor,
    episode: Episode,
    reason: str,
    notes: str = "",
    conclusion: str = "",
    intern_consent: bool = False,
    avoided_emergency: bool = False,
    appointment: Appointment | None = None,
    start: datetime | None = None,
) -> Consultation:
    """Record a consultation by ``actor`` (a doctor of the SMP) for the episode's patient.

    The first consultation moves the episode from the waiting list to « active » (the waiting
    clock stops). A consultation by an intern needs the patient's consent to be seen by an
    intern and enters their supervisor's review queue (« pending »; the supervisor is
    notified). Returns the consultation. Raises Forbidden (not a doctor of this SMP),
    Invalid (no reason, no consent, appointment of another patient, a date in the future),
    Conflict (closed episode)."""
    staff = staff_of(actor, episode.organisation_id)
    if staff is None or staff.kind == StaffMember.Kind.ASSISTANT:
        raise Forbidden(_("Seul un médecin du SMP enregistre une consultation."), code="forbidden")
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(_("Indiquez le motif de consultation."), field="reason")
    intern = staff.kind == StaffMember.Kind.INTERN
    if intern and not intern_consent:
        raise Invalid(
            _("Le patient doit avoir accepté d'être vu par un interne."), field="intern_consent"
        )
    now = timezone.now()
    start = start or (appointment.start if appointment else now)
    if start > now + timedelta(minutes=5):
        raise Invalid(_("Une consultation se saisit une fois faite."), field="start")
    episode = _lock(episode)
    if episode.status not in (S.WAITLIST, S.ACTIVE):
        raise Conflict(_("Cet épisode est clos ou en passage de relais."), code="conflict")
    if appointment is not None and (
        appointment.patient_id != episode.patient_id
        or appointment.schedule.organisation_id != episode.organisation_id
    ):
        raise Invalid(_("Ce rendez-vous n'est pas celui de ce patient."), field="appointment")
    consultation = Consultation.objects.create(
        episode=episode,
        patient_id=episode.patient_id,
        site=staff.site,
        appointment=appointment,
        doctor=actor,
        doctor_kind=staff.kind,
        supervisor=staff.supervisor if intern else None,
        start=start,
        reason=reason[:300],
        notes=notes.strip(),
        conclusion=conclusion.strip(),
        intern_consent=intern_consent,
        avoided_emergency=avoided_emergency,
        review=Consultation.Review.PENDING if intern else Consultation.Review.NOT_NEEDED,
    )
    # The doctor who saw the patient cares for them (patients/access: their data opens).
    CareLink.objects.get_or_create(patient_id=episode.patient_id, user=actor)
    if episode.status == S.WAITLIST:
        episode.first_seen_at = start
        _move(episode, S.ACTIVE, actor=actor, fields=("first_seen_at",))
    audit_log(
        user=actor,
        action="create",
        obj=consultation,
        patient_id=episode.patient_id,
        detail="consultation SMP" + (" (interne, à relire)" if intern else ""),
    )
    if intern:
        notify(
            users=[staff.supervisor],
            kind="proximity_review",
            title=_("Consultation d'interne à relire"),
            url=reverse("proximity:consultation", args=[consultation.pk]),
            exclude=actor,
        )
    return consultation


@action
def consultation_review(
    *, actor, consultation: Consultation, decision: str, comment: str = ""
) -> Consultation:
    """The supervisor's signed and dated review of an intern's consultation (SASPAS: after the
    fact, end of day or next day). ``decision`` is « reviewed » or « to_discuss » (a comment is
    then required). Returns the consultation with its signature (SHA-256 of the record, the
    reviewer and the time). Raises Forbidden (not its supervisor), Invalid, Conflict (already
    reviewed)."""
    if decision not in (Consultation.Review.REVIEWED, Consultation.Review.TO_DISCUSS):
        raise Invalid(_("Choisissez « relue » ou « à discuter »."), field="decision")
    comment = comment.strip()
    if decision == Consultation.Review.TO_DISCUSS and not comment:
        raise Invalid(_("Dites ce qui est à discuter."), field="comment")
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.supervisor_id != actor.pk:
        raise Forbidden(_("Seul le superviseur de l'interne relit."), code="forbidden")
    if consultation.review == Consultation.Review.REVIEWED:
        raise Conflict(_("Cette consultation est déjà relue."), code="conflict")
    now = timezone.now()
    old = consultation.review
    consultation.review = decision
    consultation.reviewed_by = actor
    consultation.reviewed_at = now
    consultation.review_comment = comment
    consultation.review_signature = review_signature(consultation)
    consultation.save(
        update_fields=[
            "review",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "review_signature",
        ]
    )
    audit_log(
        user=actor,
        action="update",
        obj=consultation,
        patient_id=consultation.patient_id,
        detail=f"supervision {old} → {decision}",
    )
    if decision == Consultation.Review.TO_DISCUSS:
        notify(
            users=[consultation.doctor],
            kind="proximity_review",
            title=_("Votre superviseur souhaite discuter d'une consultation"),
            url=reverse("proximity:consultation", args=[consultation.pk]),
            exclude=actor,
        )
    return consultation


def review_signature(consultation: Consultation) -> str:
    """SHA-256 (hex) over what was reviewed: the record's reason, notes, conclusion, the
    reviewer's id and RPPS, the decision and its time (ISO 8601, UTC)."""
    parts = [
        str(consultation.pk),
        consultation.reason,
        consultation.notes,
        consultation.conclusion,
        str(consultation.reviewed_by_id),
        getattr(consultation.reviewed_by, "rpps", "") or "",
        consultation.review,
        consultation.review_comment,
        consultation.reviewed_at.astimezone(UTC).isoformat() if consultation.reviewed_at else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


PRESCRIPTION_MAX_LINES = 30


@action
def prescription_issue(*, actor, consultation: Consultation, lines: str) -> ConsultationDocument:
    """Issue a prescription as PDF for ``consultation``, by the doctor who held it.

    Takes the prescription as text, one line per item (empty lines ignored, at most
    PRESCRIPTION_MAX_LINES). The PDF names the structure and its FINESS, the site, the doctor
    and their RPPS — an intern's also names the supervisor and their RPPS (issue 18). Returns
    the stored document (file removed if the action rolls back). Raises Forbidden (not the
    consultation's doctor), Invalid (no line, too many)."""
    if consultation.doctor_id != actor.pk:
        raise Forbidden(
            _("Seul le médecin de la consultation rédige son ordonnance."), code="forbidden"
        )
    items = [" ".join(line.split()) for line in (lines or "").splitlines() if line.strip()]
    if not items:
        raise Invalid(_("Écrivez au moins une ligne de prescription."), field="lines")
    if len(items) > PRESCRIPTION_MAX_LINES:
        raise Invalid(
            _("Une ordonnance compte au plus %(n)s lignes.") % {"n": PRESCRIPTION_MAX_LINES},
            field="lines",
        )
    consultation = (
        Consultation.objects.select_related(
            "episode__organisation", "site", "patient", "doctor", "supervisor"
        )
        .select_for_update(of=("self",))
        .get(pk=consultation.pk)
    )
    patient = consultation.patient
    supervisor = consultation.supervisor
    data = prescription_pdf(
        structure=consultation.episode.organisation.name,
        finess=consultation.episode.organisation.finess,
        site=consultation.site.name,
        prescriber=Prescriber(
            name=actor.display_name,
            rpps=actor.rpps,
            intern=consultation.doctor_kind == StaffMember.Kind.INTERN,
            supervisor_name=supervisor.display_name if supervisor else "",
            supervisor_rpps=supervisor.rpps if supervisor else "",
        ),
        patient_name=f"{patient.birth_given_names.split(' ')[0]} {patient.birth_name}",
        patient_birth=patient.birth_date,
        day=timezone.localdate(),
        lines=items,
    )
    digest = hashlib.sha256(data).hexdigest()
    document = ConsultationDocument(
        consultation=consultation,
        title=_("Ordonnance du %(day)s") % {"day": timezone.localdate().strftime("%d/%m/%Y")},
        sha256=digest,
        created_by=actor,
    )
    document.file.save(
        f"ordonnance-{consultation.pk}-{digest[:8]}.pdf", ContentFile(data), save=False
    )
    stored = document.file.name
    scope = current_action()
    if scope is not None:
        scope.on_rollback(lambda: ConsultationDocument.file.field.storage.delete(stored))
    document.save()
    audit_log(
        user=actor,
        action="create",
        obj=document,
        patient_id=patient.pk,
        detail=f"ordonnance SMP (consultation {consultation.pk}, {len(items)} lignes)",
    )
    return document


# --- treating doctor and hand-over --------------------------------------------------------------


@action
def episode_declare(*, actor, episode: Episode, doctor) -> Episode:
    """Record that the patient declared ``doctor`` (a senior doctor of the SMP: a retired GP
    or the coordinating doctor — an intern cannot be a médecin traitant) as treating doctor.

    The identity's ``treating_doctor`` is set (the declaration form, signed at the desk, is
    the patient's choice; patients.services.treating_doctor_declare is the GP's own
    one-click declaration and needs a GP role the SMP doctors do not hold). Returns the
    episode. Raises Forbidden, Invalid (not a senior doctor of the SMP), Conflict."""
    _require(actor, episode.organisation_id, DESK_ROLES, _("Action réservée à l'équipe du SMP."))
    if episode.organisation_id not in smp_ids(doctor, SENIOR_ROLES):
        raise Invalid(
            _("Seul un médecin senior du SMP peut être déclaré médecin traitant."),
            field="doctor",
        )
    episode = _lock(episode)
    if episode.status != S.ACTIVE:
        raise Conflict(
            _("Le patient doit avoir été vu au SMP avant une déclaration."), code="conflict"
        )
    patient = Patient.objects.select_for_update().get(pk=episode.patient_id)
    before = patient.treating_doctor_id
    patient.treating_doctor = doctor
    patient.save(update_fields=["treating_doctor"])
    CareLink.objects.get_or_create(patient=patient, user=doctor)
    episode.declared_doctor = doctor
    episode.declared_at = timezone.now()
    episode.save(update_fields=["declared_doctor", "declared_at"])
    _history(episode, what="declared", old=str(before or ""), new=str(doctor.pk), actor=actor)
    audit_log(
        user=actor,
        action="update",
        obj=patient,
        patient_id=patient.pk,
        detail=f"médecin traitant déclaré (SMP) : utilisateur {doctor.pk} "
        f"(précédent : {before or 'aucun'})",
    )
    return episode


@action
def handover_send(*, actor, episode: Episode, new_doctor, summary: str) -> Episode:
    """Hand the patient over to a new treating doctor found in the territory: a letter and a
    summary go through the secure mailbox (messaging.message_send, which opens the patient to
    the recipient), the episode waits for the acknowledgement. Takes a GP user and the summary
    text. Returns the episode. Raises Forbidden (not an SMP doctor), Invalid (not a GP, no
    summary), Conflict (episode not followed by the SMP)."""
    _require(
        actor, episode.organisation_id, SENIOR_ROLES, _("Le relais est envoyé par un médecin.")
    )
    if not is_gp(new_doctor):
        raise Invalid(_("Choisissez un médecin généraliste du territoire."), field="new_doctor")
    summary = summary.strip()
    if len(summary) < 20:
        raise Invalid(_("Rédigez une synthèse pour le nouveau médecin."), field="summary")
    episode = _lock(episode)
    patient = episode.patient
    body = _(
        "Cher confrère,\n\nLe Service Médical de Proximité suivait %(patient)s, né(e) le "
        "%(birth)s, faute de médecin traitant. Vous avez accepté de devenir son médecin "
        "traitant : voici la synthèse de son suivi.\n\n%(summary)s\n\nMerci d'accuser "
        "réception sur Parcours (« Accepter le relais »).\n\n%(signature)s"
    ) % {
        "patient": f"{patient.birth_given_names.split(' ')[0]} {patient.birth_name}",
        "birth": patient.birth_date.strftime("%d/%m/%Y"),
        "summary": summary,
        "signature": actor.display_name,
    }
    message = message_send(
        sender=actor,
        subject=_("Relais de suivi (SMP) — %(ref)s") % {"ref": episode.reference},
        body=body,
        to=[new_doctor],
        patient=patient,
    )
    episode.handover_to = new_doctor
    episode.handover_sent_at = timezone.now()
    episode.handover_message = message
    _move(
        episode,
        S.HANDOVER,
        actor=actor,
        reason=f"relais vers utilisateur {new_doctor.pk}",
        fields=("handover_to", "handover_sent_at", "handover_message"),
    )
    notify(
        users=[new_doctor],
        kind="proximity_handover",
        title=_("Un patient du SMP vous est confié"),
        url=reverse("proximity:handover", args=[episode.pk]),
        exclude=actor,
    )
    return episode


@action
def handover_withdraw(*, actor, episode: Episode, reason: str) -> Episode:
    """An SMP doctor takes back a hand-over the new doctor has not accepted (no answer, the
    doctor changed their mind, the patient moved): the episode is followed by the SMP again
    and can be handed to someone else; the doctor it was sent to is told and can no longer
    accept it. Takes the reason (kept in the history). Returns the episode. Raises Forbidden
    (not an SMP doctor), Invalid (no reason), Conflict (no hand-over waiting)."""
    _require(
        actor, episode.organisation_id, SENIOR_ROLES, _("Le relais est repris par un médecin.")
    )
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise Invalid(_("Indiquez pourquoi le relais est repris."), field="reason")
    episode = _lock(episode)
    if episode.status != S.HANDOVER:
        raise Conflict(_("Ce relais n'est plus en attente."), code="conflict")
    asked = episode.handover_to
    episode.handover_to = None
    _move(
        episode, S.ACTIVE, actor=actor, reason=f"relais repris : {reason}", fields=("handover_to",)
    )
    notify(
        users=[u for u in (asked,) if u is not None],
        kind="proximity_handover",
        title=_("Relais du SMP annulé : le patient reste suivi par le SMP"),
        exclude=actor,
    )
    return episode


@action
def handover_acknowledge(*, actor, episode: Episode) -> Episode:
    """The new treating doctor accepts the hand-over: they declare themselves médecin traitant
    (patients.services.treating_doctor_declare) and the SMP episode closes. Raises Forbidden
    (not the doctor asked), Conflict (no hand-over waiting)."""
    episode = _lock(episode)
    if episode.handover_to_id != actor.pk:
        raise Forbidden(_("Ce relais ne vous est pas adressé."), code="forbidden")
    if episode.status != S.HANDOVER:
        raise Conflict(_("Ce relais n'est plus en attente."), code="conflict")
    treating_doctor_declare(actor=actor, patient=episode.patient)
    _move(episode, S.FINISHED, actor=actor, reason="relais accepté")
    notify(
        users=[u for u in (episode.declared_doctor,) if u is not None],
        kind="proximity_handover",
        title=_("Relais accepté par le nouveau médecin traitant"),
        url=_url(episode),
        exclude=actor,
    )
    return episode
