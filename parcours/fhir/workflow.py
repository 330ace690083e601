"""Task updates → the referral transition services (the mapping is documented in
docs/fhir.md, "Task status").

A PUT or PATCH of a Task says where the request should be; we work out the one service call
that gets it there from where it is, and refuse anything else: a move the transition table does
not allow is a 409, a move it allows but whose data is missing or wrong is a 422, a move this
caller may not make is a 403. The whole call is one action (``lib.actions``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from parcours.lib.actions import action
from parcours.lib.uploads import UploadError
from parcours.referrals import forms, services
from parcours.referrals.actions import BY_FHIR_STATUS
from parcours.referrals.models import Referral
from parcours.referrals.workflow import TRANSITIONS, Status

from . import codes, parse
from .errors import FhirError, from_service_error
from .mappers import BUSINESS_STATUS, TASK_STATUS

STATUS_FROM_TASK = {code: status for status, code in TASK_STATUS.items()}
STATUS_FROM_BUSINESS = {code: status for status, code in BUSINESS_STATUS.items()}


def _target(current: dict, new: dict) -> str:
    """The referral status the updated Task asks for."""
    task_status = new.get("status")
    if task_status not in STATUS_FROM_TASK:
        raise FhirError(
            422,
            f"Statut de Task non pris en charge : « {task_status} » "
            f"(possibles : {', '.join(STATUS_FROM_TASK)}).",
            expression=["Task.status"],
        )
    target = STATUS_FROM_TASK[task_status]
    old_business = _business(current)
    business = _business(new)
    if business and business != old_business:
        if business not in STATUS_FROM_BUSINESS:
            raise FhirError(
                422, f"businessStatus inconnu : « {business} ».", expression=["Task.businessStatus"]
            )
        by_business = STATUS_FROM_BUSINESS[business]
        if task_status == current.get("status"):
            target = by_business  # the client moved businessStatus only
        elif by_business != target:
            raise FhirError(
                422, "status et businessStatus se contredisent.", expression=["Task.businessStatus"]
            )
    return target


def _business(task: dict) -> str:
    for c in (task.get("businessStatus") or {}).get("coding") or []:
        if c.get("system") in (codes.TASK_BUSINESS_STATUS, None):
            return c.get("code") or ""
    return ""


def _check_immutable(current: dict, new: dict) -> None:
    for element in ("focus", "for", "basedOn", "requester"):
        if element in new and _refs(new[element]) != _refs(current.get(element)):
            raise FhirError(
                422, f"Task.{element} ne peut pas être modifié.", expression=[f"Task.{element}"]
            )


def _refs(value) -> list:
    items = value if isinstance(value, list) else [value] if value else []
    return [i.get("reference") for i in items if isinstance(i, dict)]


def _owner_change(current: dict, new: dict):
    """("user", User) / ("service", HospitalService) if Task.owner changes, else None."""
    if "owner" not in new or new["owner"] == current.get("owner"):
        return None
    if _refs(new["owner"]) == _refs(current.get("owner")) and _refs(new["owner"]) != [None]:
        return None
    return parse.owner_target(new["owner"])


def _limit(text: str, form_class, field: str) -> str:
    return parse.check_length(text, form_class, field, "Task.statusReason")


# The Task elements an update acts on; any other element sent with a value other than the
# current one is a 422 naming it (issue 21: never accepted and ignored).
TASK_WRITABLE = {
    "status",
    "businessStatus",
    "owner",
    "statusReason",
    "note",
    "output",
    "meta",
    "text",
}


def _check_unhandled(current: dict, new: dict) -> None:
    changed = sorted(
        k
        for k in new
        if k not in TASK_WRITABLE and k != "resourceType" and new[k] != current.get(k)
    )
    immutable = {"focus", "for", "basedOn", "requester"}
    changed = [k for k in changed if k not in immutable]
    if changed:
        raise FhirError(
            422,
            f"Élément(s) de Task non modifiables par l'API : {', '.join(changed)}.",
            code="not-supported",
            expression=[f"Task.{k}" for k in changed],
        )


@action
def task_update(*, user, referral: Referral, current: dict, new: dict) -> None:
    """Apply a PUT/PATCH of the Task of ``referral``: ``current`` is the Task as it stands,
    ``new`` the one sent. Raises FhirError (422 for an element it does not act on, a missing
    or contradictory value; 409 for a move the table forbids) — docs/fhir.md, "Task status"."""
    _check_immutable(current, new)
    _check_unhandled(current, new)
    target = _target(current, new)
    owner = _owner_change(current, new)
    status = referral.status
    reason = parse.text_of_reason(new, (current.get("statusReason") or {}).get("text", ""))
    kw = {"actor": user, "referral": referral}

    if target == status and owner is None:
        return  # nothing asked: an idempotent PUT
    if owner is not None and target not in (status, Status.ASSIGNED, Status.SUBMITTED):
        raise FhirError(
            422,
            "Changez le responsable (owner) et le statut en deux appels.",
            expression=["Task.owner"],
        )
    try:
        if (
            status == Status.INFO_REQUESTED
            and target in (Status.SUBMITTED, Status.RECEIVED, Status.ASSIGNED)
            and owner is None
        ):
            # The GP answers the desk's question; the request goes back where it was.
            services.referral_provide_info(**kw, body=_limit(reason, forms.MessageForm, "body"))
        elif target not in TRANSITIONS.get(status, ()):
            raise FhirError(
                409,
                f"Passage impossible de « {Status(status).label} » "
                f"({TASK_STATUS[status]}) à « {Status(target).label} » "
                f"({TASK_STATUS[target]}).",
                code="conflict",
                expression=["Task.status"],
            )
        elif owner and owner[0] == "user" and target != Status.ASSIGNED:
            # One call, one effect: a doctor as owner assigns the request, which is the
            # status « accepted »; never inferred from another status (issue 21).
            raise FhirError(
                422,
                f"Un médecin responsable (owner) attribue la demande : envoyez le statut "
                f"« accepted », pas « {new.get('status')} ».",
                expression=["Task.status"],
            )
        elif owner and owner[0] == "service" and target != Status.SUBMITTED:
            raise FhirError(
                422,
                f"Un service responsable (owner) réoriente la demande : envoyez le statut "
                f"« requested », pas « {new.get('status')} ».",
                expression=["Task.status"],
            )
        elif target == Status.ASSIGNED and owner and owner[0] == "user":
            services.referral_assign(**kw, doctor=owner[1])
        elif target == Status.SUBMITTED and owner and owner[0] == "service":
            services.referral_redirect(
                **kw, service=owner[1], reason=_limit(reason, forms.RedirectForm, "reason")
            )
        elif target == Status.ASSIGNED:
            raise FhirError(
                422,
                "Pour attribuer la demande, indiquez le médecin dans owner "
                "(Practitioner/id ou RPPS).",
                expression=["Task.owner"],
            )
        elif target == Status.SUBMITTED:
            raise FhirError(
                422,
                "Pour réorienter la demande, indiquez le service dans owner "
                "(HealthcareService/id).",
                expression=["Task.owner"],
            )
        elif target == Status.ANSWERED:
            answer = parse.answer_args(new)
            parse.check_length(answer["text"], forms.AnswerForm, "text", "Task.output")
            services.referral_answer(**kw, **answer)
        elif (action := BY_FHIR_STATUS.get(target)) is not None and action.call is not None:
            # The registry says which action a Task status asks for and which service argument
            # Task.statusReason fills (checked against the action's form).
            data = {}
            if action.fhir_text and action.form is not None:
                data[action.fhir_text] = _limit(reason, action.form, action.fhir_text)
            action.call(user, referral, data)
        else:  # pragma: no cover - every status is handled above
            raise FhirError(422, "Transition non prise en charge.", expression=["Task.status"])
    except services.TransitionError as exc:  # a Conflict: 409
        raise from_service_error(exc, expression=["Task.status"]) from None
    except UploadError as exc:
        raise from_service_error(exc, expression=["Task.output"]) from None
    except ValidationError as exc:
        raise from_service_error(exc, field_paths=parse.TASK_FIELDS) from None
