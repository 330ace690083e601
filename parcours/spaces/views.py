"""Pages of the collaborative spaces. Views parse, check access (``access``), call one
service, render; refusals go on the form (``add_service_error``) or as a message."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts.models import User
from parcours.audit.models import AuditEvent
from parcours.audit.services import audit_log
from parcours.lib.forms import add_service_error, flash_service_error

from . import access, selectors, services
from .forms import (
    EntryForm,
    EventForm,
    HideForm,
    InviteForm,
    PageEditForm,
    PageForm,
    ReplyForm,
    SpaceForm,
    TopicForm,
    VisibilityForm,
)
from .models import FeedToken, Page, ResourceEntry, SpaceMember, Visibility


def _page_url(page: Page) -> str:
    return reverse("spaces:page", args=[page.space_id, page.pk])


def _space_context(request, space, **extra) -> dict:
    me = access.my_membership(request.user, space)
    return {
        "space": space,
        "me": me,
        "is_member": access.is_member(request.user, space),
        "moderates": access.moderates(request.user, space),
        **extra,
    }


def _member_space(request, space_id):
    """The space for one of its active members; 404 for anyone else (pages of members)."""
    space = access.access_space(request.user, space_id)
    if not access.is_member(request.user, space):
        raise Http404("Espace introuvable")
    return space


# --- Spaces -------------------------------------------------------------------------------


@login_required
def index(request):
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "spaces/index.html",
        {
            "mine": selectors.my_spaces(request.user),
            "others": selectors.other_spaces(request.user),
            "changes": selectors.recent_changes(request.user),
            "q": q,
            "results": selectors.search(request.user, q),
            "can_create": access.can_create_space(request.user),
        },
    )


@login_required
def create(request):
    if not access.can_create_space(request.user):
        raise Http404("Espace introuvable")
    form = SpaceForm(request.POST or None, initial={"policy": "request"})
    if request.method == "POST" and form.is_valid():
        try:
            space = services.space_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Espace créé : vous en êtes le responsable."))
            return redirect("spaces:detail", space.pk)
    return render(request, "spaces/create.html", {"form": form})


@login_required
def detail(request, space_id):
    space = access.access_space(request.user, space_id)
    pages = list(selectors.space_pages(request.user, space))
    folders: dict[str, list[Page]] = {}
    for page in pages:
        folders.setdefault(page.folder.name if page.folder else "", []).append(page)
    return render(
        request,
        "spaces/detail.html",
        _space_context(
            request,
            space,
            folders=sorted(folders.items()),
            changes=selectors.recent_changes(request.user, space=space),
            member_count=space.members.filter(state=SpaceMember.State.ACTIVE).count(),
        ),
    )


@login_required
@require_POST
def join(request, space_id):
    space = access.access_space(request.user, space_id)
    try:
        row = services.space_join(actor=request.user, space=space)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        if row.state == SpaceMember.State.ACTIVE:
            messages.success(request, _("Bienvenue dans l'espace."))
        else:
            messages.success(request, _("Demande envoyée aux animateurs de l'espace."))
    return redirect("spaces:detail", space.pk)


@login_required
@require_POST
def leave(request, space_id):
    space = access.access_space(request.user, space_id)
    try:
        services.space_leave(actor=request.user, space=space)
    except ValidationError as exc:
        flash_service_error(request, exc)
        return redirect("spaces:detail", space.pk)
    messages.success(request, _("Vous avez quitté l'espace « %(s)s ».") % {"s": space.name})
    return redirect("spaces:index")


@login_required
def members(request, space_id):
    space = _member_space(request, space_id)
    moderates = access.moderates(request.user, space)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not moderates:
            raise Http404("Espace introuvable")
        if form.is_valid():
            who = form.cleaned_data["who"].strip()
            user = (
                User.objects.filter(Q(username__iexact=who) | Q(email__iexact=who), is_active=True)
                .order_by("pk")
                .first()
            )
            try:
                services.member_invite(actor=request.user, space=space, user=user)
            except ValidationError as exc:
                add_service_error(form, exc, field="who")
            else:
                messages.success(request, _("Invitation envoyée."))
                return redirect("spaces:members", space.pk)
    rows = space.members.select_related("user").order_by("state", "role", "user__last_name")
    return render(
        request,
        "spaces/members.html",
        _space_context(request, space, rows=rows, form=form),
    )


@login_required
@require_POST
def member_decide(request, space_id, member_id):
    space = _member_space(request, space_id)
    if not access.moderates(request.user, space):
        raise Http404("Espace introuvable")
    row = SpaceMember.objects.filter(space=space, pk=member_id).select_related("user").first()
    if row is None:
        raise Http404("Membre introuvable")
    try:
        services.member_decide(
            actor=request.user, member=row, decision=request.POST.get("decision", "")
        )
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("C'est fait."))
    return redirect("spaces:members", space.pk)


# --- Pages --------------------------------------------------------------------------------


@login_required
def page_new(request, space_id):
    space = _member_space(request, space_id)
    folders = list(space.folders.all())
    form = PageForm(
        request.POST or None,
        request.FILES or None,
        folders=folders,
        initial={"kind": request.GET.get("type", Page.Kind.PAGE)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        folder = next((f for f in folders if str(f.pk) == data["folder"]), None)
        try:
            page = services.page_create(
                actor=request.user,
                space=space,
                kind=data["kind"],
                title=data["title"],
                body=data["body"],
                visibility=data["visibility"],
                folder=folder,
                new_folder=data["new_folder"],
                upload=data["upload"],
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="upload")
        else:
            return redirect(_page_url(page))
    return render(request, "spaces/page_new.html", _space_context(request, space, form=form))


@login_required
def page(request, space_id, page_id):
    page = access.access_page(request.user, space_id, page_id)
    space = page.space
    context = _space_context(
        request,
        space,
        page=page,
        current=page.versions.first(),
        can_edit=access.is_member(request.user, space),
        can_set_visibility=access.moderates(request.user, space)
        or (access.is_member(request.user, space) and page.created_by_id == request.user.pk),
        visibility_form=VisibilityForm(initial={"visibility": page.visibility}),
    )
    if page.kind == Page.Kind.DIRECTORY:
        q = request.GET.get("q", "")
        sort = request.GET.get("tri", "prestataire")
        context.update(
            q=q,
            sort=sort,
            entries=selectors.directory_entries(page, q=q, sort=sort),
        )
    return render(request, "spaces/page.html", context)


@login_required
@require_POST
def page_checkout(request, space_id, page_id):
    page = access.access_page(request.user, space_id, page_id)
    try:
        services.page_checkout(actor=request.user, page=page)
    except ValidationError as exc:
        flash_service_error(request, exc)
        return redirect(_page_url(page))
    return redirect("spaces:page_edit", page.space_id, page.pk)


@login_required
def page_edit(request, space_id, page_id):
    page = access.access_page(request.user, space_id, page_id)
    if not access.is_member(request.user, page.space):
        raise Http404("Page introuvable")  # only members edit (a reader, an ex-member)
    if page.locked_by_id != request.user.pk:
        messages.info(request, _("Réservez la page pour la modifier."))
        return redirect(_page_url(page))
    form = PageEditForm(
        request.POST or None,
        request.FILES or None,
        initial={"title": page.title, "body": page.body, "base_version": page.version},
    )
    if page.kind != Page.Kind.DOCUMENT:
        del form.fields["upload"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.page_checkin(
                actor=request.user,
                page=page,
                title=data["title"],
                body=data["body"],
                base_version=data["base_version"],
                note=data["note"],
                upload=data.get("upload"),
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="upload")
        else:
            messages.success(request, _("Nouvelle version enregistrée ; la page est libérée."))
            return redirect(_page_url(page))
    return render(
        request, "spaces/page_edit.html", _space_context(request, page.space, page=page, form=form)
    )


@login_required
@require_POST
def page_release(request, space_id, page_id):
    page = access.access_page(request.user, space_id, page_id)
    try:
        services.page_release(actor=request.user, page=page)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Réservation levée, rien n'a été enregistré."))
    return redirect(_page_url(page))


@login_required
@require_POST
def page_visibility(request, space_id, page_id):
    page = access.access_page(request.user, space_id, page_id)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez qui peut voir la page."))
        return redirect(_page_url(page))
    try:
        services.page_set_visibility(
            actor=request.user, page=page, visibility=form.cleaned_data["visibility"]
        )
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Visibilité changée."))
    if (
        form.cleaned_data["visibility"] == Visibility.DRAFT
        and not access.page_queryset_for(request.user).filter(pk=page.pk).exists()
    ):
        return redirect("spaces:detail", page.space_id)
    return redirect(_page_url(page))


@login_required
def page_history(request, space_id, page_id):
    page = access.access_page(request.user, space_id, page_id)
    versions = list(page.versions.select_related("author"))
    shown = versions[0] if versions else None
    wanted = request.GET.get("v")
    if wanted and wanted.isdigit():
        shown = next((v for v in versions if v.number == int(wanted)), None)
        if shown is None:
            raise Http404("Version introuvable")
    previous = next((v for v in versions if shown and v.number == shown.number - 1), None)
    return render(
        request,
        "spaces/history.html",
        _space_context(
            request,
            page.space,
            page=page,
            versions=versions,
            shown=shown,
            previous=previous,
            diff=selectors.version_diff(previous, shown) if shown else [],
            can_edit=access.is_member(request.user, page.space),
        ),
    )


@login_required
@require_POST
def page_restore(request, space_id, page_id, number):
    page = access.access_page(request.user, space_id, page_id)
    try:
        version = services.page_restore(actor=request.user, page=page, number=number)
    except ValidationError as exc:
        flash_service_error(request, exc)
        return redirect("spaces:page_history", page.space_id, page.pk)
    messages.success(
        request,
        _("Version %(n)s restaurée : elle devient la version %(m)s.")
        % {"n": number, "m": version.number},
    )
    return redirect(_page_url(page))


@login_required
def version_file(request, space_id, page_id, number):
    page = access.access_page(request.user, space_id, page_id)
    version = page.versions.filter(number=number).exclude(file="").first()
    if version is None:
        raise Http404("Fichier introuvable")
    audit_log(
        user=request.user,
        action=AuditEvent.Action.DOWNLOAD,
        obj=version,
        detail=f"espaces: page {page.pk} version {number}",
    )
    response = FileResponse(version.file.open("rb"), content_type=version.content_type)
    response["Content-Disposition"] = content_disposition_header(True, version.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Resource directories ---------------------------------------------------------------


def _directory(request, space_id, page_id) -> Page:
    page = access.access_page(request.user, space_id, page_id)
    if page.kind != Page.Kind.DIRECTORY:
        raise Http404("Annuaire introuvable")
    return page


@login_required
def entry_edit(request, space_id, page_id, entry_id=None):
    page = _directory(request, space_id, page_id)
    if not access.is_member(request.user, page.space):
        raise Http404("Page introuvable")
    entry = None
    initial = {}
    if entry_id is not None:
        entry = ResourceEntry.objects.filter(page=page, pk=entry_id).first()
        if entry is None:
            raise Http404("Fiche introuvable")
        initial = {name: getattr(entry, name) for name in services.ENTRY_FIELDS}
    form = EntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_save(actor=request.user, page=page, entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Fiche enregistrée."))
            return redirect(_page_url(page))
    return render(
        request,
        "spaces/entry_edit.html",
        _space_context(request, page.space, page=page, entry=entry, form=form),
    )


@login_required
def directory_csv(request, space_id, page_id):
    page = _directory(request, space_id, page_id)
    entries = selectors.directory_entries(
        page, q=request.GET.get("q", ""), sort=request.GET.get("tri", "prestataire")
    )
    response = HttpResponse(
        selectors.directory_csv(page, entries), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{page.title}.csv")
    return response


# --- Calendar -----------------------------------------------------------------------------


# The calendar shows six weeks from « du »: a date outside these bounds (typed in the
# address) is today's window, not an error (dates near year 1 or 9999 overflow).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _window(request):
    today = timezone.localdate()
    try:
        first = date.fromisoformat(request.GET.get("du", ""))
    except ValueError:
        first = today
    if not FIRST_DAY <= first <= LAST_DAY:
        first = today
    start = timezone.make_aware(datetime.combine(first, time.min))
    return first, start, start + timedelta(days=42)


@login_required
def calendar(request, space_id):
    space = access.access_space(request.user, space_id)
    first, start, end = _window(request)
    events = selectors.calendar_events(request.user, space=space)
    feeds = FeedToken.objects.filter(user=request.user, space=space, revoked_at__isnull=True)
    return render(
        request,
        "spaces/calendar.html",
        _space_context(
            request,
            space,
            occurrences=selectors.occurrences(events, start, end),
            first=first,
            previous=first - timedelta(days=42),
            next=first + timedelta(days=42),
            feeds=feeds,
            can_cancel_all=access.moderates(request.user, space),
        ),
    )


@login_required
def event_new(request, space_id):
    space = _member_space(request, space_id)
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule = services.build_rrule(
                frequency=data["frequency"],
                interval=data["interval"] or 1,
                count=data["count"],
                until=data["until"],
            )
            services.event_create(
                actor=request.user,
                space=space,
                title=data["title"],
                start=data["start"],
                end=data["end"],
                location=data["location"],
                description=data["description"],
                rrule=rule,
                visibility=data["visibility"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Événement ajouté."))
            return redirect("spaces:calendar", space.pk)
    return render(request, "spaces/event_new.html", _space_context(request, space, form=form))


@login_required
@require_POST
def event_cancel(request, space_id, event_id):
    space = _member_space(request, space_id)
    event = selectors.calendar_events(request.user, space=space).filter(pk=event_id).first()
    if event is None:
        raise Http404("Événement introuvable")
    try:
        services.event_cancel(actor=request.user, event=event)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Événement annulé (toutes ses occurrences)."))
    return redirect("spaces:calendar", space.pk)


@login_required
def my_calendar(request):
    first, start, end = _window(request)
    events = selectors.calendar_events(request.user)
    return render(
        request,
        "spaces/my_calendar.html",
        {
            "occurrences": selectors.occurrences(events, start, end),
            "first": first,
            "previous": first - timedelta(days=42),
            "next": first + timedelta(days=42),
            "feeds": FeedToken.objects.filter(user=request.user, revoked_at__isnull=True)
            .select_related("space")
            .order_by("-created_at"),
        },
    )


@login_required
@require_POST
def feed_create(request):
    space = None
    if request.POST.get("space"):
        space = access.access_space(request.user, request.POST["space"])
    try:
        services.feed_create(actor=request.user, space=space)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Adresse iCalendar créée : copiez-la dans votre agenda."))
    return redirect("spaces:my_calendar")


@login_required
@require_POST
def feed_revoke(request, feed_id):
    feed = FeedToken.objects.filter(user=request.user, pk=feed_id).first()
    if feed is None:
        raise Http404("Flux introuvable")
    try:
        services.feed_revoke(actor=request.user, feed=feed)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Adresse révoquée : elle ne donne plus rien."))
    return redirect("spaces:my_calendar")


def feed(request, token):
    """The iCalendar feed behind a secret address (calendar applications cannot log in: the
    token is the credential). It shows what the token's owner may see now; a revoked token,
    an inactive owner or one who left the space get a 404."""
    row = (
        FeedToken.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("user", "space")
        .first()
    )
    if row is None or not row.user.is_active:
        raise Http404("Flux introuvable")
    if row.space is not None and not access.is_member(row.user, row.space):
        raise Http404("Flux introuvable")
    events = selectors.calendar_events(row.user, space=row.space)
    name = row.space.name if row.space else _("Mes espaces — Parcours")
    audit_log(user=row.user, action="export", obj=row, detail="espaces: flux iCalendar lu")
    response = HttpResponse(
        selectors.calendar_ics(events, name=name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="espaces.ics"'
    return response


# --- Forum --------------------------------------------------------------------------------


@login_required
def forum(request, space_id):
    space = _member_space(request, space_id)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_create(actor=request.user, space=space, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return redirect("spaces:topic", space.pk, topic.pk)
    topics = (
        access.topic_queryset_for(request.user).filter(space=space).select_related("created_by")
    )
    return render(
        request, "spaces/forum.html", _space_context(request, space, topics=topics, form=form)
    )


@login_required
def topic(request, space_id, topic_id):
    topic = access.access_topic(request.user, space_id, topic_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_reply(actor=request.user, topic=topic, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return redirect("spaces:topic", topic.space_id, topic.pk)
    return render(
        request,
        "spaces/topic.html",
        _space_context(
            request,
            topic.space,
            topic=topic,
            posts=topic.posts.select_related("author", "hidden_by"),
            following=topic.subscribers.filter(pk=request.user.pk).exists(),
            form=form,
            hide_form=HideForm(),
        ),
    )


@login_required
@require_POST
def topic_follow(request, space_id, topic_id):
    topic = access.access_topic(request.user, space_id, topic_id)
    services.topic_subscribe(actor=request.user, topic=topic, follow=request.POST.get("on") == "1")
    return redirect("spaces:topic", topic.space_id, topic.pk)


@login_required
@require_POST
def topic_lock(request, space_id, topic_id):
    topic = access.access_topic(request.user, space_id, topic_id)
    try:
        services.topic_lock(actor=request.user, topic=topic, locked=request.POST.get("on") == "1")
    except ValidationError as exc:
        flash_service_error(request, exc)
    return redirect("spaces:topic", topic.space_id, topic.pk)


@login_required
@require_POST
def post_hide(request, space_id, post_id):
    post = access.access_post(request.user, space_id, post_id)
    form = HideForm(request.POST)
    try:
        services.post_hide(
            actor=request.user,
            post=post,
            reason=form.data.get("reason", ""),
        )
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, _("Message masqué."))
    return redirect("spaces:topic", post.topic.space_id, post.topic_id)
