"""The FHIR endpoints. Views parse, check access, call one service, map; each call is one
transaction, so a refused call writes nothing."""

from __future__ import annotations

import base64
import functools
import json
import logging
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from parcours.accounts.scopes import is_gp
from parcours.audit.services import audit_log
from parcours.directory.models import Organisation
from parcours.lib.identity import CERTAIN, Identity
from parcours.lib.ins import ins_kind
from parcours.lib.text import ins_form, is_id
from parcours.lib.uploads import UploadError
from parcours.patients.access import access_patient, identity_queryset_for
from parcours.patients.matching import find_matches
from parcours.patients.models import Patient, PatientIdentifier
from parcours.patients.services import (
    local_system,
    patient_create_with_identifiers,
    patient_create_with_interop,
)
from parcours.referrals import services as referral_services
from parcours.referrals.access import access_referral
from parcours.referrals.models import ReferralAttachment

from . import codes, mappers, parse
from . import records as fhir_records
from . import scheduling as fhir_scheduling
from .capability import capability_statement
from .errors import FhirError, from_service_error, outcome
from .mappers import Ctx
from .openapi import openapi_document
from .resources import REGISTRY, ResourceType
from .search import (
    bundle,
    elements,
    elements_param,
    ignored_outcome,
    lenient,
    summary_mode,
    unknown_params,
    without,
)
from .summary import import_bundle
from .tokens import api_token_authenticate
from .workflow import task_update

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json; charset=utf-8"
JSON_TYPES = {"application/fhir+json", "application/json"}
PATCH_TYPES = {
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/fhir+json",
    "application/json",
}


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None):
    response = HttpResponse(
        json.dumps(resource, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=FHIR_JSON,
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error_response(exc: FhirError):
    return fhir_response(outcome(exc.issues), exc.status, exc.headers)


def _authenticate(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        raise FhirError(
            401,
            "Authentification requise : en-tête « Authorization: Bearer <jeton> ».",
            headers={"WWW-Authenticate": 'Bearer realm="fhir"'},
        )
    user = api_token_authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise FhirError(
            401,
            "Jeton invalide, expiré ou révoqué.",
            headers={"WWW-Authenticate": 'Bearer realm="fhir", error="invalid_token"'},
        )
    return user


def _allowed(methods: tuple[str, ...], kwargs: dict) -> tuple[str, ...]:
    """The methods an endpoint really answers for this resource type (the ``Allow`` of a
    405, RFC 9110 §15.5.6): creation and update only where the type supports them."""
    rtype = REGISTRY.get(kwargs.get("resource_type", ""))
    if rtype is None:
        return methods
    if "pk" in kwargs:
        return ("GET", "PUT", "PATCH") if "update" in rtype.interactions else ("GET",)
    return ("GET", "POST") if "create" in rtype.interactions else ("GET",)


def api(methods: tuple[str, ...], *, public: bool = False):
    """Token authentication, method check, and every error as an OperationOutcome."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise FhirError(
                        405,
                        f"Méthode {request.method} non prise en charge ici.",
                        headers={"Allow": ", ".join(_allowed(methods, kwargs))},
                    )
                _check_accept(request)
                _check_query(request)
                if not public:
                    # The token's user, not a browser session: the API never rides on cookies.
                    request.user = _authenticate(request)
                return view(request, *args, **kwargs)
            except FhirError as exc:
                return error_response(exc)
            except Http404 as exc:
                return error_response(FhirError(404, str(exc) or "Ressource introuvable."))
            except PermissionDenied as exc:
                return error_response(FhirError(403, str(exc) or "Action non autorisée."))
            except RequestDataTooBig:
                return error_response(
                    FhirError(
                        413,
                        "Requête trop volumineuse : envoyez les pièces jointes volumineuses "
                        "séparément.",
                        code="too-costly",
                    )
                )
            except Exception:
                logger.exception("FHIR API error on %s %s", request.method, request.path)
                return error_response(FhirError(500, "Erreur interne du serveur."))

        return wrapper

    return decorate


def _check_query(request) -> None:
    """Control characters (NUL, escapes…) have no place in a search parameter or its name:
    400 rather than a query the database may refuse or silently truncate (issue 13)."""
    for key in request.GET:
        for value in [key, *request.GET.getlist(key)]:
            if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
                raise FhirError(
                    400,
                    f"Caractère de contrôle interdit dans le paramètre « {key[:40]!r} ».",
                    code="invalid",
                )


MAX_JSON_DEPTH = 64  # FHIR resources nest a dozen levels; anything far deeper is an attack


def _too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def _check_accept(request) -> None:
    """JSON is the only format served: refuse a client that accepts nothing else (406)."""
    fmt = request.GET.get("_format", "")
    accept = request.META.get("HTTP_ACCEPT", "")
    wants_json = not accept or any(t in accept for t in ("json", "*/*", "application/*"))
    if (fmt and "json" not in fmt) or not wants_json:
        raise FhirError(406, "Seul le format JSON (application/fhir+json) est servi.")


def _ctx(request) -> Ctx:
    return Ctx(user=request.user, base=request.build_absolute_uri("/fhir/"))


def _body(request, allowed=JSON_TYPES):
    content_type = request.content_type or ""
    if content_type not in allowed:
        raise FhirError(
            415,
            f"Type de contenu non pris en charge : « {content_type} » "
            f"(attendu : {', '.join(sorted(allowed))}).",
        )
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "JSON mal formé.") from None
    except RecursionError:
        body = None
    if body is None and (request.body or b"").strip()[:1] in (b"[", b"{") or _too_deep(body):
        raise FhirError(
            400, f"JSON trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus).", code="too-costly"
        )
    return body


def _resource_type(name: str) -> ResourceType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise FhirError(
            404, f"Type de ressource non pris en charge : « {name} ».", code="not-supported"
        ) from None


def _read(rtype: ResourceType, user, pk: str):
    if not is_id(pk):
        raise FhirError(404, f"{rtype.name}/{pk} introuvable.")
    obj = rtype.read_one(user, pk)
    if obj is None:  # missing or not visible to this user: the same answer
        raise FhirError(404, f"{rtype.name}/{pk} introuvable.")
    return obj


def _audit_read(user, rtype: ResourceType, obj) -> None:
    if rtype.patient_data:
        audit_log(
            user=user,
            action="read",
            object_type=rtype.name.lower(),
            object_id=obj.pk,
            patient_id=rtype.patient_id(obj),
            detail="FHIR read",
        )


# --- endpoints ------------------------------------------------------------------------------


@api(("GET",), public=True)
def metadata(request):
    return fhir_response(capability_statement(request.build_absolute_uri("/fhir/")))


@api(("GET",), public=True)
def openapi(request):
    response = fhir_response(openapi_document(request.build_absolute_uri("/fhir/")))
    response["Content-Type"] = "application/json; charset=utf-8"
    return response


@api(("GET", "POST"))
def type_endpoint(request, resource_type):
    rtype = _resource_type(resource_type)
    if request.method == "POST":
        return _create(request, rtype)
    if rtype.variant is not None and rtype.variant_search(request.GET):
        rtype = rtype.variant
    return _search(request, rtype)


@api(("GET", "PUT", "PATCH"))
def instance_endpoint(request, resource_type, pk):
    rtype = _resource_type(resource_type)
    ctx = _ctx(request)
    if request.method == "GET":
        if rtype.variant is not None and pk.startswith(rtype.variant_prefix):
            rtype, pk = rtype.variant, pk[len(rtype.variant_prefix) :]
        obj = _read(rtype, request.user, pk)
        resource = rtype.to_fhir(obj, ctx)
        # Audited last, so the audit chain's lock is held for the shortest time.
        _audit_read(request.user, rtype, obj)
        return fhir_response(resource)
    if "update" not in rtype.interactions:
        raise FhirError(
            405, f"{rtype.name} n'est pas modifiable par l'API.", headers={"Allow": "GET"}
        )
    if request.method == "PUT":
        body = parse.validate_structure(_body(request), rtype.name)
        if body.get("id") not in (None, pk):
            raise FhirError(
                400,
                "L'id de la ressource ne correspond pas à l'URL.",
                expression=[f"{rtype.name}.id"],
            )
    else:
        body = _body(request, PATCH_TYPES)
    if rtype.name == "Appointment":
        return _update_appointment(request, rtype, pk, body, ctx)
    referral = _read(rtype, request.user, pk)
    current = rtype.to_fhir(referral, ctx)
    if request.method == "PATCH":
        if isinstance(body, list):
            body = parse.json_patch(current, body)
        elif isinstance(body, dict):
            body = parse.merge_patch(current, body)
        else:
            raise FhirError(400, "PATCH : JSON Patch (liste) ou JSON Merge Patch (objet) attendu.")
        body = parse.validate_structure(body, "Task")
        if body.get("id") != pk:
            raise FhirError(400, "PATCH ne peut pas changer l'id.", expression=["Task.id"])
    task_update(user=request.user, referral=referral, current=current, new=body)
    referral = rtype.read_one(request.user, pk)
    if referral is None:
        # A redirect to another hospital's service takes the request out of the caller's
        # sight: the move succeeded, but they may no longer read it.
        return fhir_response(
            outcome(
                [
                    {
                        "severity": "information",
                        "code": "informational",
                        "diagnostics": "Modification enregistrée ; la demande n'est plus dans "
                        "votre périmètre (réorientée vers un autre établissement).",
                    }
                ]
            )
        )
    return fhir_response(rtype.to_fhir(referral, ctx))


def _patched(request, current: dict, body, resource_type: str, pk: str) -> dict:
    if request.method != "PATCH":
        return body
    if isinstance(body, list):
        body = parse.json_patch(current, body)
    elif isinstance(body, dict):
        body = parse.merge_patch(current, body)
    else:
        raise FhirError(400, "PATCH : JSON Patch (liste) ou JSON Merge Patch (objet) attendu.")
    body = parse.validate_structure(body, resource_type)
    if body.get("id") != pk:
        raise FhirError(400, "PATCH ne peut pas changer l'id.", expression=[f"{resource_type}.id"])
    return body


def _update_appointment(request, rtype: ResourceType, pk: str, body, ctx: Ctx):
    appointment = _read(rtype, request.user, pk)
    current = rtype.to_fhir(appointment, ctx)
    body = _patched(request, current, body, "Appointment", pk)
    fhir_scheduling.appointment_update(
        user=request.user, appointment=appointment, current=current, new=body
    )
    return fhir_response(rtype.to_fhir(_read(rtype, request.user, pk), ctx))


@api(("GET",))
def binary_endpoint(request, pk):
    """An attachment of a request, its answer or its thread, as a Binary (base64)."""
    if not is_id(pk):
        raise FhirError(404, f"Binary/{pk} introuvable.")
    attachment = ReferralAttachment.objects.select_related("referral").filter(pk=pk).first()
    if attachment is None:
        raise FhirError(404, f"Binary/{pk} introuvable.")
    try:
        access_referral(request.user, attachment.referral_id)
    except Http404:
        raise FhirError(404, f"Binary/{pk} introuvable.") from None
    with attachment.file.open("rb") as handle:
        data = base64.b64encode(handle.read()).decode()
    audit_log(
        user=request.user,
        action="download",
        obj=attachment,
        patient_id=attachment.referral.patient_id,
        detail="FHIR Binary",
    )
    return fhir_response(mappers.binary(attachment, data))


@api(("GET", "POST", "PUT", "PATCH", "DELETE"))
def not_found(request, rest=""):
    raise FhirError(404, "Point d'accès FHIR inconnu.", code="not-supported")


# --- search ---------------------------------------------------------------------------------


def _search(request, rtype: ResourceType):
    ctx = _ctx(request)
    query = request.GET
    # Prefer: handling=lenient → unknown parameters ignored and listed in the Bundle;
    # strict (the default) → 400 (search.apply_search).
    ignored = unknown_params(query, rtype.search) if lenient(request.headers.get("Prefer")) else []
    if ignored:
        query = without(query, ignored)
    if summary_mode(query) == "count":
        query = query.copy()
        query["_count"] = "0"
    page = rtype.search_page(request.user, query)
    entries = [rtype.to_fhir(obj, ctx) for obj in page.rows]
    included = _included(request.user, rtype, query, page.rows, ctx)
    if rtype.patient_data or any(REGISTRY[i["resourceType"]].patient_data for i in included):
        audit_log(
            user=request.user,
            action="search",
            object_type=rtype.name.lower(),
            detail=f"FHIR {request.GET.urlencode()[:500]} → {len(entries)}",
            object_ids=[e["id"] for e in entries]
            + [f"{i['resourceType']}/{i['id']}" for i in included],
        )
    names = elements_param(query)
    if names is not None:
        entries = [elements(e, names) for e in entries]
    result = bundle(
        resource_type=rtype.name, base=ctx.base, query=query, entries=entries, page=page
    )
    if included:
        result.setdefault("entry", []).extend(
            {
                "fullUrl": f"{ctx.base}{i['resourceType']}/{i['id']}",
                "resource": i,
                "search": {"mode": "include"},
            }
            for i in included
        )
    if ignored:
        result.setdefault("entry", []).append(
            {"resource": ignored_outcome(ignored), "search": {"mode": "outcome"}}
        )
    return fhir_response(result)


def _included(user, rtype: ResourceType, query, rows: list, ctx: Ctx) -> list[dict]:
    """The resources ``_include=Type:param`` asks for (each once), read through their own
    access queryset: an included resource the caller may not see is left out."""
    out: list[dict] = []
    for value in query.getlist("_include"):
        spec = rtype.includes.get(value)
        if spec is None:
            raise FhirError(
                400,
                f"_include non pris en charge : « {value} » "
                f"(possibles : {', '.join(rtype.includes) or 'aucun'}).",
                code="not-supported",
            )
        target_name, ids_of = spec
        target = REGISTRY[target_name]
        ids = {i for row in rows for i in ids_of(row) if i}
        if not ids:
            continue
        for obj in target.for_read(user).filter(pk__in=ids).order_by("pk"):
            resource = target.to_fhir(obj, ctx)
            if not any(
                o["resourceType"] == resource["resourceType"] and o["id"] == resource["id"]
                for o in out
            ):
                out.append(resource)
    return out


# --- create ---------------------------------------------------------------------------------


def _created(request, rtype: ResourceType, obj, status=201):
    """The created resource, mapped from the object the service returned (the committed row;
    re-reading it through the access queryset cost a fifth of the API's CPU in bench/)."""
    ctx = _ctx(request)
    location = f"{ctx.base}{rtype.name}/{obj.pk}"
    return fhir_response(
        rtype.to_fhir(obj, ctx), status, {"Location": location, "Content-Location": location}
    )


def _create(request, rtype: ResourceType):
    if "create" not in rtype.interactions:
        raise FhirError(
            405, f"La création de {rtype.name} n'est pas prise en charge.", headers={"Allow": "GET"}
        )
    body = parse.validate_structure(_body(request), rtype.name)
    handler = {
        "Patient": _create_patient,
        "ServiceRequest": _create_service_request,
        "Communication": _create_communication,
        "Appointment": _create_appointment,
        "Questionnaire": _create_questionnaire,
        "QuestionnaireResponse": _create_questionnaire_response,
    }[rtype.name]
    return handler(request, rtype, body)


def _create_appointment(request, rtype, body):
    return _created(
        request, rtype, fhir_scheduling.appointment_create(user=request.user, body=body)
    )


def _create_questionnaire(request, rtype, body):
    version = fhir_records.questionnaire_create(request.user, body, _ctx(request).base)
    return _created(request, rtype, version)


def _create_questionnaire_response(request, rtype, body):
    return _created(request, rtype, fhir_records.response_create(request.user, body))


def _create_patient(request, rtype, body):
    if not is_gp(request.user):
        raise FhirError(403, "Seul un médecin de ville peut créer un patient.")
    interop, status, document = parse.patient_interop(body)
    args = parse.patient_args(body)
    local = parse.patient_local_identifiers(body, _issued_systems(request.user))
    try:
        # The form's traits alone are patient_create_with_identifiers; what FHIR carries
        # besides them rides in the same action (patient_create_with_interop).
        create = (
            functools.partial(
                patient_create_with_interop,
                kept=interop,
                validated_with=document if status == "VALI" else "",
            )
            if interop or status == "VALI"
            else patient_create_with_identifiers
        )
        result = create(
            actor=request.user,
            identifiers=local,
            ins_system=parse.patient_ins_system(body),
            **args,
        )
    except ValidationError as exc:
        raise from_service_error(
            exc,
            field_paths={
                **parse.PATIENT_FIELDS,
                "identifier": "Patient.identifier",
                "document": "Patient.extension",
                "status": "Patient.extension",
            },
        ) from None
    # An identity already known by every trait is returned, not duplicated (200, not 201); the
    # caller may use it but sees none of its data (patients/access.py).
    patient = result.patient
    if local:
        patient = _match_rows().get(pk=patient.pk)
    return _created(request, rtype, patient, 201 if result.created else 200)


def _issued_systems(user) -> dict[str, tuple]:
    """The local identifier systems the user's organisations issue (their IPP, network file
    number, other local number: patients.services.local_system) → (kind, organisation)."""

    kinds = (
        PatientIdentifier.Kind.IPP,
        PatientIdentifier.Kind.NETWORK,
        PatientIdentifier.Kind.OTHER,
    )
    return {
        local_system(org, kind): (kind, org)
        for org in Organisation.objects.filter(memberships__user=user).distinct()
        for kind in kinds
    }


def _create_service_request(request, rtype, body):
    args = parse.service_request_args(body)
    if not parse.requester_is(args.pop("requester"), request.user):
        raise FhirError(
            422,
            "requester doit désigner l'appelant (le médecin de ville qui envoie la demande).",
            expression=["ServiceRequest.requester"],
        )
    try:
        try:
            patient = access_patient(request.user, args.pop("patient_id"))
        except Http404:
            raise FhirError(
                422,
                "Patient introuvable.",
                code="not-found",
                expression=["ServiceRequest.subject"],
            ) from None
        interop = args.pop("interop")
        if interop:
            referral = referral_services.referral_submit_with_interop(
                author=request.user, patient=patient, interop=interop, **args
            )
        else:
            referral = referral_services.referral_submit(
                author=request.user, patient=patient, **args
            )
    except UploadError as exc:
        raise from_service_error(exc, expression=["ServiceRequest.contained"]) from None
    except ValidationError as exc:
        raise from_service_error(exc, field_paths=parse.SERVICE_REQUEST_FIELDS) from None
    return _created(request, rtype, referral)


def _create_communication(request, rtype, body):
    args = parse.communication_args(body)
    subject_id, has_subject = args.pop("patient_id"), args.pop("has_subject")
    if not parse.requester_is(args.pop("sender"), request.user):
        raise FhirError(
            422,
            "sender doit désigner l'appelant : un message part toujours au "
            "nom de celui qui l'envoie.",
            expression=["Communication.sender"],
        )
    try:
        try:
            referral = access_referral(request.user, args["referral_id"])
        except Http404:
            raise FhirError(
                422,
                "Demande introuvable.",
                code="not-found",
                expression=["Communication.basedOn"],
            ) from None
        if has_subject and subject_id != str(referral.patient_id):
            raise FhirError(
                422,
                "subject : le patient de la demande.",
                expression=["Communication.subject"],
            )
        message = referral_services.referral_message_add(
            actor=request.user, referral=referral, body=args["body"], files=args["files"]
        )
    except UploadError as exc:
        raise from_service_error(exc, expression=["Communication.payload"]) from None
    except referral_services.TransitionError as exc:
        raise from_service_error(exc, status=409) from None
    except ValidationError as exc:
        raise from_service_error(exc, field_paths=parse.COMMUNICATION_FIELDS) from None
    return _created(request, rtype, message)


# --- Patient/$match and the transaction Bundle (identity server, hospital summary) --------


def _parameters(body) -> dict:
    body = parse.validate_structure(body, "Parameters")
    args: dict[str, Any] = {"resource": None, "onlyCertainMatches": False, "count": None}
    for param in body.get("parameter") or []:
        name = param.get("name")
        if name == "resource":
            args["resource"] = param.get("resource")
        elif name == "onlyCertainMatches":
            args["onlyCertainMatches"] = bool(param.get("valueBoolean"))
        elif name == "count":
            count = param.get("valueInteger")
            if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100:
                raise FhirError(
                    400,
                    "Le paramètre « count » est un entier de 1 à 100.",
                    expression=["Parameters.parameter"],
                )
            args["count"] = count
    if not args["resource"] or args["resource"].get("resourceType") != "Patient":
        raise FhirError(
            400,
            "Le paramètre « resource » (un Patient) est obligatoire.",
            expression=["Parameters.parameter"],
        )
    return args


@api(("POST",))
def patient_match(request):
    """Patient/$match: the identities that may be the Patient given, scored and graded.

    Only identities the caller may see (``identity_queryset_for``) are returned — except a
    *certain* match for a query carrying the traits a creation needs (birth name, first name,
    birth date, sex), so that a second professional finds the patient instead of creating a
    duplicate. Either way it is the identity alone: $match records nothing, changes nothing on
    the identity and opens none of its data (patients/access.py).
    """

    args = _parameters(_body(request))
    resource = parse.validate_structure(args["resource"], "Patient")
    data = parse._patient_form_data(resource)
    try:
        born = date.fromisoformat(data["birth_date"]) if data["birth_date"] else None
    except ValueError:
        raise FhirError(
            422, "Date de naissance invalide.", expression=["Patient.birthDate"]
        ) from None
    ins = "".join(data["ins_nir"].split()).upper()
    ins_system = next(
        (
            i.get("system")
            for i in resource.get("identifier") or []
            if i.get("system") in codes.INS_SYSTEMS
        ),
        "",
    )
    query = Identity(
        birth_name=ins_form(data["birth_name"]),
        given_names=ins_form(data["birth_given_names"]),
        birth_date=born,
        sex=data["sex"],
        birthplace=data["birthplace_insee"].upper(),
        used_name=ins_form(data["used_name"]),
        used_first_name=data["used_first_name"],
        ins=ins,
        ins_kind=ins_kind(ins, ins_system),
        phone=data["phone"],
        address=ins_form(data["address_line"]),
        postcode=data["postcode"],
        town=ins_form(data["town"]),
    )
    local = [
        (i["system"], i["value"])
        for i in resource.get("identifier") or []
        if i.get("system")
        and i.get("value")
        and i["system"] not in codes.INS_SYSTEMS
        and i["system"] != codes.PATIENT_ID
    ]
    if not (query.birth_name or query.ins or local):
        raise FhirError(
            422,
            "Indiquez au moins le nom de naissance, le matricule INS ou un identifiant local.",
            expression=["Patient"],
        )
    count = args["count"] if isinstance(args["count"], int) and args["count"] > 0 else 10
    found = find_matches(
        query, identifiers=local, minimum=CERTAIN if args["onlyCertainMatches"] else "possible"
    )
    visible = set(
        identity_queryset_for(request.user)
        .filter(pk__in=[f.patient.pk for f in found])
        .values_list("pk", flat=True)
    )
    full_traits = bool(query.birth_name and query.given_names and born and query.sex)
    shown = [
        f for f in found if f.patient.pk in visible or (f.match.grade == CERTAIN and full_traits)
    ][:count]
    patients = {p.pk: p for p in _match_rows().filter(pk__in=[f.patient.pk for f in shown])}
    ctx = _ctx(request)
    entries = [
        {
            "fullUrl": f"{ctx.base}Patient/{f.patient.pk}",
            "resource": _match_resource(patients[f.patient.pk], ctx, known=f.patient.pk in visible),
            "search": {
                "extension": [{"url": mappers.MATCH_GRADE, "valueCode": f.match.grade}],
                "mode": "match",
                "score": f.match.score,
            },
        }
        for f in shown
    ]
    audit_log(
        user=request.user,
        action="search",
        object_type="patient",
        detail=f"FHIR $match → {len(entries)} : {','.join(str(f.patient.pk) for f in shown)}",
    )
    result = {"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
    if entries:
        result["entry"] = entries
    return fhir_response(result)


def _match_resource(patient, ctx: Ctx, *, known: bool) -> dict:
    """The Patient of a $match entry. An identity the caller neither cares for nor found
    before is disclosed with its traits and INS only (enough to recognise the person and use
    the identity): its phone, address and the local numbers other organisations gave it stay
    out."""
    resource = mappers.patient(patient, ctx)
    if not known:
        resource.pop("telecom", None)
        resource.pop("address", None)
        resource["identifier"] = [
            i
            for i in resource.get("identifier", [])
            if i["system"] in (*codes.INS_SYSTEMS, codes.PATIENT_ID)
        ]
    return resource


def _match_rows():
    """The rows $match maps, with what the mapper reads."""

    return Patient.objects.prefetch_related(
        Prefetch(
            "local_identifiers", queryset=PatientIdentifier.objects.select_related("organisation")
        ),
        Prefetch("merged_from", queryset=Patient.objects.only("id", "merged_into_id")),
    )


@api(("POST",))
def transaction_endpoint(request):
    """POST /fhir with a transaction Bundle: a hospital record summary for one patient, stored
    all or nothing."""
    body = _body(request)
    received, responses = import_bundle(user=request.user, bundle=body, channel="api")
    return fhir_response(
        {"resourceType": "Bundle", "type": "transaction-response", "entry": responses},
        200,
        {"Content-Location": f"{_ctx(request).base}Patient/{received.patient_id}"},
    )
