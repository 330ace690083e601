"""The networks' shared record pages: my networks, a network (members, forms, records), the
form builder and its preview, enrolment with consent, a patient's record, filling and reading
a form, "who could see what on date D".

Views parse, check access (``access.py``: the same 404 for missing and forbidden), call one
service, render. Pages that show patient data audit the read through the selectors.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.audit.services import audit_log
from parcours.lib.errors import Invalid
from parcours.lib.forms import add_service_error, flash_service_error
from parcours.patients.access import access_patient
from parcours.patients.selectors import patient_search

from . import builder, formdef, selectors, services
from .access import (
    access_form,
    access_network,
    access_record,
    access_response,
    consent_current,
    coordinates,
    published_version,
    section_rights,
    writable_sections,
)
from .forms import (
    CircleForm,
    ConsentForm,
    EnrolForm,
    FormCreateForm,
    ImportForm,
    ItemForm,
    MemberForm,
    RightsForm,
    StageForm,
    VisibilityForm,
    WithdrawForm,
)
from .models import Consent, FormVersion, Member, Record, SectionRight

# ---------------------------------------------------------------- the fill form tree


def fill_tree(
    items: list[dict],
    answers: dict,
    errors: dict[str, str],
    *,
    path: str = "",
    writable: set[str] | None = None,
    extra_rows: dict[str, int] | None = None,
) -> list[dict]:
    """The definition as nodes the ``records/_fill_item.html`` template draws: for each item
    its HTML ``name`` (its path), value, error, children, or a repeating group's ``rows``
    (answered rows, at least one, plus any asked for). ``writable``: top-level sections shown
    as inputs (the others are left out)."""
    extra_rows = extra_rows or {}
    nodes = []
    for item in items:
        if not path and writable is not None and item["linkId"] not in writable:
            continue
        name = f"{path}{item['linkId']}"
        value = answers.get(item["linkId"]) if isinstance(answers, dict) else None
        node: dict = {
            "item": item,
            "name": name,
            "value": value,
            "error": errors.get(name, ""),
            "when": json.dumps(item.get("enableWhen") or []),
        }
        if item["type"] == "group":
            if item.get("repeats"):
                rows = [r for r in (value or []) if isinstance(r, dict)]
                count = max(len(rows), 1) + extra_rows.get(name, 0)
                rows += [{}] * (count - len(rows))
                node["rows"] = [
                    fill_tree(
                        item["items"], row, errors, path=f"{name}.{i}.", extra_rows=extra_rows
                    )
                    for i, row in enumerate(rows)
                ]
                node["row_count"] = len(rows)
            else:
                node["children"] = fill_tree(
                    item["items"], value or {}, errors, path=f"{name}.", extra_rows=extra_rows
                )
        elif item["type"] == "multichoice":
            node["chosen"] = [str(v) for v in (value or [])]
        elif item["type"] == "boolean":
            node["value"] = (
                "" if value in (None, "") else str(value).lower() in ("true", "1", "on", "oui")
            )
        elif item["type"] == "scale":
            node["steps"] = list(range(int(item.get("min", 0)), int(item.get("max", 10)) + 1))
        if item["type"] in formdef.ANSWERED_TYPES:
            node["html"] = leaf_html(node)
        nodes.append(node)
    return nodes


def _checked(flag: bool) -> str:
    return " checked" if flag else ""


def leaf_html(node: dict) -> SafeString:
    """One answerable item's input(s), label, help, bounds and error as HTML (escaped by
    ``format_html``). Rendered in Python rather than by the recursive template: a 200-item
    form cost ~9,000 template look-ups (docs/benchmarks.md, issue 17)."""
    item, name, value = node["item"], node["name"], node["value"]
    kind, link = item["type"], item["linkId"]
    star = " *" if item.get("required") else ""
    if kind in ("choice", "multichoice", "scale", "boolean"):
        if kind == "multichoice":
            chosen = node["chosen"]
            choices = [
                (o["code"], o.get("display") or o["code"], o["code"] in chosen)
                for o in item.get("options") or []
            ]
            input_type = "checkbox"
        elif kind == "choice":
            choices = [
                (o["code"], o.get("display") or o["code"], str(o["code"]) == str(value))
                for o in item.get("options") or []
            ]
            input_type = "radio"
        elif kind == "scale":
            choices = [(str(step), str(step), str(step) == str(value)) for step in node["steps"]]
            input_type = "radio"
        else:
            choices = [("true", _("Oui"), value is True), ("false", _("Non"), value is False)]
            input_type = "radio"
        inputs = format_html_join(
            " ",
            '<label><input type="{}" name="{}" value="{}" data-link="{}"{}> {}</label>',
            ((input_type, name, code, link, _checked(on), label) for code, label, on in choices),
        )
        control = format_html(
            "<fieldset><legend>{}{}</legend>{}</fieldset>", item.get("text", ""), star, inputs
        )
    else:
        unit = f" ({item['unit']})" if item.get("unit") else ""
        label = format_html(
            '<label for="f-{}">{}{}{}</label>', name, item.get("text", ""), star, unit
        )
        text = "" if value is None else str(value)
        if kind == "text":
            field = format_html(
                '<textarea id="f-{}" name="{}" rows="3" data-link="{}">{}</textarea>',
                name,
                name,
                link,
                text,
            )
        elif kind == "date":
            field = format_html(
                '<input type="date" id="f-{}" name="{}" value="{}" data-link="{}">',
                name,
                name,
                text,
                link,
            )
        elif kind in ("integer", "decimal"):
            field = format_html(
                '<input type="text" inputmode="decimal" id="f-{}" name="{}" value="{}" '
                'data-link="{}">',
                name,
                name,
                text,
                link,
            )
        else:
            field = format_html(
                '<input type="text" id="f-{}" name="{}" value="{}" maxlength="200" data-link="{}">',
                name,
                name,
                text,
                link,
            )
        control = format_html("{} {}", label, field)
    extra = []
    if item.get("help"):
        extra.append(format_html('<small class="muted">{}</small>', item["help"]))
    if kind != "scale" and (item.get("min") is not None or item.get("max") is not None):
        bounds = []
        if item.get("min") is not None:
            bounds.append(f"{_('min.')} {item['min']}")
        if item.get("max") is not None:
            bounds.append(f"{_('max.')} {item['max']}")
        extra.append(format_html('<small class="muted">{}</small>', " ".join(bounds)))
    if node["error"]:
        extra.append(format_html('<p class="error">{}</p>', node["error"]))
    return format_html(
        '<div class="field{}" data-when="{}" data-link="{}">{}{}</div>',
        " has-error" if node["error"] else "",
        node["when"],
        link,
        control,
        mark_safe("".join(extra)),  # noqa: S308 — each part built by format_html above
    )


def _error_map(exc: ValidationError) -> dict[str, str]:
    return {e.path: str(e) for e in getattr(exc, "field_errors", [])}


# ---------------------------------------------------------------- networks


@login_required
def network_list(request):
    networks = list(selectors.networks_for(user=request.user))
    records = list(selectors.records_for(user=request.user)[:200])
    if records:
        audit_log(
            user=request.user,
            action="search",
            object_type="record",
            detail="mes dossiers de réseau",
            object_ids=[r.pk for r in records],
        )
    return render(request, "records/index.html", {"networks": networks, "records": records})


@login_required
def network_detail(request, pk):
    network = access_network(request.user, pk)
    manage = coordinates(request.user, network)
    member_form = MemberForm(network=network)
    form_form = FormCreateForm()
    if request.method == "POST":
        if not manage:
            raise Http404
        op = request.POST.get("op")
        try:
            if op == "member":
                member_form = MemberForm(request.POST, network=network)
                if member_form.is_valid():
                    user = (
                        get_user_model()
                        .objects.filter(
                            username=member_form.cleaned_data["username"], is_active=True
                        )
                        .first()
                    )
                    if user is None:
                        member_form.add_error(
                            "username", _("Aucun compte actif à cet identifiant.")
                        )
                    else:
                        services.member_set(
                            actor=request.user,
                            network=network,
                            user=user,
                            profile=member_form.cleaned_data["profile"],
                        )
                        messages.success(request, _("Membre enregistré."))
                        return redirect("records:network", pk)
            elif op == "member_end":
                member = Member.objects.filter(
                    network=network, pk=request.POST.get("member"), until__isnull=True
                ).first()
                if member is None:
                    raise Http404
                services.member_end(actor=request.user, member=member)
                messages.success(request, _("Appartenance close."))
                return redirect("records:network", pk)
            elif op == "form":
                form_form = FormCreateForm(request.POST)
                if form_form.is_valid():
                    created = services.form_create(
                        actor=request.user,
                        network=network,
                        title=form_form.cleaned_data["title"],
                        url_base=request.build_absolute_uri("/fhir/"),
                    )
                    return redirect("records:builder", created.pk)
            else:
                raise Http404
        except ValidationError as exc:
            target = member_form if op == "member" else form_form
            add_service_error(target, exc)
    context = selectors.network_page(user=request.user, network=network)
    context.update({"member_form": member_form, "form_form": form_form})
    return render(request, "records/network.html", context)


@login_required
def network_enrol(request, pk):
    network = access_network(request.user, pk)
    if not coordinates(request.user, network):
        raise Http404
    query = request.GET.get("q", "").strip()
    found = list(patient_search(user=request.user, query=query)[:20]) if query else None
    form = EnrolForm(initial={"patient": request.GET.get("patient")})
    chosen = None
    if request.method == "POST":
        form = EnrolForm(request.POST, request.FILES)
        if form.is_valid():
            chosen = access_patient(request.user, form.cleaned_data["patient"])
            try:
                record = services.record_open(
                    actor=request.user,
                    network=network,
                    patient=chosen,
                    method=form.cleaned_data["method"],
                    scope=form.cleaned_data["scope"],
                    collected_at=form.cleaned_data["collected_at"],
                    document=form.cleaned_data["document"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Dossier ouvert, consentement enregistré."))
                return redirect("records:record", record.pk)
    elif request.GET.get("patient"):
        chosen = access_patient(request.user, request.GET["patient"])
    return render(
        request,
        "records/enrol.html",
        {"network": network, "form": form, "query": query, "found": found, "chosen": chosen},
    )


# ---------------------------------------------------------------- form builder


def _builder_context(request, form, version, **extra) -> dict:
    profiles = list(form.network.profiles.all())
    sections = formdef.sections_of(version.definition)
    current = {
        (r.section, r.profile_id): r.level
        for r in SectionRight.objects.filter(form=form, until__isnull=True)
    }
    context = {
        "form_obj": form,
        "version": version,
        "versions": form.versions.order_by("-number"),
        "nodes": [
            {"item": item, "depth": len(parents)}
            for item, parents in formdef.walk(version.definition)
        ],
        "problems": formdef.check_definition(version.definition)
        if version.status == FormVersion.Status.DRAFT
        else [],
        "item_form": ItemForm(definition=version.definition),
        "import_form": ImportForm(),
        "rights_form": RightsForm(sections=sections, profiles=profiles, current=current),
        "profiles": profiles,
        "json": json.dumps(version.definition, ensure_ascii=False, indent=2),
        "types": formdef.ITEM_TYPES,
    }
    context.update(extra)
    return context


@login_required
def form_builder(request, pk):
    form = access_form(request.user, pk, manage=True)
    draft = form.versions.filter(status=FormVersion.Status.DRAFT).first()
    version = draft or form.versions.order_by("-number").first()
    if request.method != "POST":
        return render(request, "records/builder.html", _builder_context(request, form, version))
    op = request.POST.get("op", "")
    extra: dict = {}
    try:
        if op == "edit":
            services.draft_get_or_create(actor=request.user, form=form)
            messages.success(request, _("Brouillon ouvert : la version publiée reste en usage."))
        elif op == "publish":
            if draft is None:
                raise Http404
            services.version_publish(actor=request.user, version=draft)
            messages.success(request, _("Version publiée : elle ne changera plus."))
        elif op == "rights":
            profiles = list(form.network.profiles.all())
            sections = formdef.sections_of(version.definition)
            rights_form = RightsForm(request.POST, sections=sections, profiles=profiles, current={})
            if not rights_form.is_valid():
                raise Invalid(_("Droits illisibles."), field="rights")
            services.rights_set(
                actor=request.user, form=form, levels=rights_form.levels(sections, profiles)
            )
            messages.success(request, _("Droits enregistrés."))
        elif op in ("add", "remove", "up", "down", "import", "json"):
            if draft is None:
                raise Http404
            if op == "add":
                item_form = ItemForm(request.POST, definition=draft.definition)
                if not item_form.is_valid():
                    extra["item_form"] = item_form
                    return render(
                        request,
                        "records/builder.html",
                        _builder_context(request, form, draft, **extra),
                        status=400,
                    )
                data = item_form.cleaned_data
                try:
                    definition = builder.add_item(
                        draft.definition,
                        builder.item_from_fields(data, draft.definition),
                        data.get("parent") or "",
                    )
                except ValidationError as exc:
                    add_service_error(item_form, exc)
                    extra["item_form"] = item_form
                    return render(
                        request,
                        "records/builder.html",
                        _builder_context(request, form, draft, **extra),
                        status=400,
                    )
            elif op == "remove":
                definition = builder.remove_item(draft.definition, request.POST.get("link_id", ""))
            elif op in ("up", "down"):
                definition = builder.move_item(
                    draft.definition, request.POST.get("link_id", ""), -1 if op == "up" else 1
                )
            elif op == "import":
                import_form = ImportForm(request.POST)
                if not import_form.is_valid():
                    raise Invalid(_("Collez un Questionnaire FHIR."), field="questionnaire")
                try:
                    resource = json.loads(import_form.cleaned_data["questionnaire"])
                except ValueError:
                    raise Invalid(_("JSON illisible."), field="questionnaire") from None
                services.form_import(actor=request.user, form=form, resource=resource)
                messages.success(request, _("Questionnaire importé dans le brouillon."))
                return redirect("records:builder", pk)
            else:
                definition = services.definition_from_json(request.POST.get("definition", ""))
            services.draft_save(actor=request.user, version=draft, definition=definition)
        else:
            raise Http404
    except ValidationError as exc:
        flash_service_error(request, exc)
    return redirect("records:builder", pk)


@login_required
def form_preview(request, pk):
    """The form as it will be filled (the draft, else the published version); a POST checks
    the answers with the server's rules and saves nothing."""
    form = access_form(request.user, pk, manage=True)
    version = form.versions.filter(status=FormVersion.Status.DRAFT).first() or published_version(
        form
    )
    if version is None:
        raise Http404
    answers: dict = {}
    errors: dict[str, str] = {}
    checked = None
    extra_rows: dict[str, int] = {}
    if request.method == "POST":
        if request.POST.get("add_row"):
            extra_rows[request.POST["add_row"]] = 1
        raw = formdef.parse_post(version.definition, request.POST)
        checked, problems = formdef.validate(version.definition, raw)
        answers = raw
        errors = {e.path: str(e) for e in problems}
        if extra_rows:
            checked = None
    return render(
        request,
        "records/preview.html",
        {
            "form_obj": form,
            "version": version,
            "nodes": fill_tree(version.definition, answers, errors, extra_rows=extra_rows),
            "errors": errors,
            "checked": checked,
        },
    )


# ---------------------------------------------------------------- a patient's record


@login_required
def record_detail(request, pk):
    record = access_record(request.user, pk)
    manage = coordinates(request.user, record.network_id)
    forms: dict = {}
    if request.method == "POST":
        if not manage:
            raise Http404
        op = request.POST.get("op", "")
        try:
            if op == "withdraw":
                forms["withdraw_form"] = f = WithdrawForm(request.POST)
                if f.is_valid():
                    services.consent_withdraw(
                        actor=request.user, record=record, reason=f.cleaned_data["reason"]
                    )
                    messages.success(
                        request, _("Consentement retiré : le dossier est fermé pour tous.")
                    )
                    return redirect("records:network", record.network_id)
            elif op == "circle_add":
                members = selectors.member_choices(record.network)
                forms["circle_form"] = f = CircleForm(request.POST, members=members)
                if f.is_valid():
                    user = next(m.user for m in members if str(m.user_id) == f.cleaned_data["user"])
                    services.circle_add(actor=request.user, record=record, user=user)
                    return redirect("records:record", pk)
            elif op == "circle_remove":
                user = get_user_model().objects.filter(pk=request.POST.get("user")).first()
                if user is None:
                    raise Http404
                services.circle_remove(actor=request.user, record=record, user=user)
                return redirect("records:record", pk)
            elif op == "stage":
                forms["stage_form"] = f = StageForm(request.POST)
                if f.is_valid():
                    services.stage_move(
                        actor=request.user,
                        record=record,
                        stage=f.cleaned_data["stage"],
                        note=f.cleaned_data["note"],
                    )
                    return redirect("records:record", pk)
            else:
                raise Http404
        except ValidationError as exc:
            target = next(iter(forms.values()), None)
            if target is not None:
                add_service_error(target, exc)
            else:
                flash_service_error(request, exc)
    context = selectors.record_page(user=request.user, record=record)
    context["withdraw_form"] = forms.get("withdraw_form", WithdrawForm())
    context["circle_form"] = forms.get(
        "circle_form", CircleForm(members=selectors.member_choices(record.network))
    )
    context["stage_form"] = forms.get("stage_form", StageForm())
    context["next_stages"] = services.STAGE_TRANSITIONS.get(record.stage, set())
    return render(request, "records/record.html", context)


@login_required
def consent_new(request, pk):
    """A new consent on a record whose consent was withdrawn (coordinator): the record is not
    open to anyone meanwhile, so it is found among the network's records directly."""
    record = Record.objects.select_related("patient", "network__organisation").filter(pk=pk).first()
    if record is None or not coordinates(request.user, record.network_id):
        raise Http404
    if consent_current(record) is not None:
        return redirect("records:record", pk)
    form = ConsentForm()
    if request.method == "POST":
        form = ConsentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.consent_record(actor=request.user, record=record, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Consentement enregistré : le dossier est rouvert."))
                return redirect("records:record", pk)
    return render(request, "records/consent.html", {"record": record, "form": form})


@login_required
def consent_document(request, pk):
    consent = Consent.objects.select_related("record").filter(pk=pk).first()
    if consent is None or not consent.document:
        raise Http404
    record = access_record(request.user, consent.record_id)
    if not coordinates(request.user, record.network_id):
        raise Http404
    audit_log(
        user=request.user,
        action="download",
        obj=consent,
        patient_id=record.patient_id,
        detail="document de consentement",
    )
    return FileResponse(consent.document.open("rb"), as_attachment=True)


def _fill(request, record, version, response=None):
    rights = section_rights(request.user, record.network_id)
    writable = writable_sections(rights, version.form_id)
    if not writable:
        raise Http404
    answers = response.answers if response else {}
    errors: dict[str, str] = {}
    extra_rows: dict[str, int] = {}
    summary: list[str] = []
    if request.method == "POST":
        raw = formdef.parse_post(version.definition, request.POST)
        answers = raw
        if request.POST.get("add_row"):
            extra_rows[request.POST["add_row"]] = 1
        else:
            try:
                expected = request.POST.get("revision")
                saved = services.response_save(
                    actor=request.user,
                    record=record,
                    version=version,
                    answers=raw,
                    response=response,
                    expected_revision=int(expected) if expected and expected.isdigit() else None,
                )
            except ValidationError as exc:
                errors = _error_map(exc)
                summary = exc.messages if not errors else []
            else:
                messages.success(request, _("Formulaire enregistré."))
                return redirect("records:response", saved.pk)
    return render(
        request,
        "records/fill.html",
        {
            "record": record,
            "version": version,
            "response": response,
            "nodes": fill_tree(
                version.definition, answers, errors, writable=writable, extra_rows=extra_rows
            ),
            "errors": errors,
            "summary": summary,
        },
        status=400 if (errors or summary) else 200,
    )


@login_required
def response_new(request, pk, form_pk):
    record = access_record(request.user, pk)
    form = access_form(request.user, form_pk)
    if form.network_id != record.network_id:
        raise Http404
    version = published_version(form)
    if version is None:
        raise Http404
    return _fill(request, record, version)


@login_required
def response_detail(request, pk):
    context = selectors.response_view(user=request.user, response_id=pk)
    return render(request, "records/response.html", context)


@login_required
def response_edit(request, pk):
    response, _readable, writable = access_response(request.user, pk)
    if not writable:
        raise Http404
    return _fill(request, response.record, response.version, response)


@login_required
@require_POST
def response_migrate(request, pk):
    response, _readable, _writable = access_response(request.user, pk)
    if not coordinates(request.user, response.record.network_id):
        raise Http404
    target = published_version(response.version.form)
    if target is None:
        raise Http404
    try:
        services.response_migrate(actor=request.user, response=response, version=target)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Réponse migrée vers la version %d.") % target.number)
    return redirect("records:response", pk)


@login_required
def record_visibility(request, pk):
    record = access_record(request.user, pk)
    if not coordinates(request.user, record.network_id):
        raise Http404
    form = VisibilityForm(request.GET or None)
    at: datetime = timezone.now()
    if request.GET and form.is_valid():
        at = form.cleaned_data["at"]
    context = selectors.visibility_page(user=request.user, record=record, form=None, at=at)
    context["form"] = form
    return render(request, "records/visibility.html", context)
