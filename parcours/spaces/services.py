"""Writes of the collaborative spaces: one keyword-only ``@action`` per user action.

Each locks the rows it changes, writes a « modification récente » (``SpaceChange``) and an
audit row (``audit_log``; spaces hold no patient data, writes are audited all the same), and
notifies through ``parcours.notifications`` (rows in the transaction, push on commit).
Refusals are ``lib.errors`` (French message): ``Forbidden`` for a right the user lacks,
``Conflict`` when someone else holds the page or the state moved, ``Invalid`` for bad input.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import islice

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]  # no stubs pinned
from django.core.files.base import ContentFile
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.audit.models import AuditEvent
from parcours.audit.services import audit_log
from parcours.lib.actions import action, current_action
from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.lib.uploads import ALLOWED_TYPES, OFFICE_TYPES, check_upload
from parcours.notifications.services import notify

from . import access
from .models import (
    Event,
    FeedToken,
    Folder,
    Page,
    PageVersion,
    Post,
    ResourceEntry,
    Space,
    SpaceChange,
    SpaceMember,
    Topic,
    Visibility,
)

# Files a space accepts: PDF and images, and office documents (issue 19: « documents »).
SPACE_FILE_TYPES = {**ALLOWED_TYPES, **OFFICE_TYPES}
MAX_OCCURRENCES = 200  # a recurrence is bounded (COUNT or UNTIL), and not by more than this


def _change(*, space, actor, kind, verb, page=None, event=None, topic=None) -> SpaceChange:
    return SpaceChange.objects.create(
        space=space, actor=actor, kind=kind, verb=verb, page=page, event=event, topic=topic
    )


def _audit(*, actor, verb: str, obj, detail: str = "") -> None:
    audit_log(user=actor, action=verb, obj=obj, detail=f"espaces: {detail}".strip())


def _moderators(space: Space):
    return User.objects.filter(
        space_memberships__space=space,
        space_memberships__state=SpaceMember.State.ACTIVE,
        space_memberships__role__in=[SpaceMember.Role.OWNER, SpaceMember.Role.MODERATOR],
    )


# Rights are read afresh in every action (``access.membership_now``), never from the
# per-request cache of the pages: a member removed a moment ago cannot write.


def _is_member(actor, space: Space) -> bool:
    row = access.membership_now(actor, space)
    return row is not None and row.state == SpaceMember.State.ACTIVE


def _moderates(actor, space: Space) -> bool:
    row = access.membership_now(actor, space)
    return row is not None and row.moderates


def _is_owner(actor, space: Space) -> bool:
    row = access.membership_now(actor, space)
    return row is not None and row.moderates and row.role == SpaceMember.Role.OWNER


def _require_member(actor, space: Space) -> None:
    if not _is_member(actor, space):
        raise Forbidden(_("Réservé aux membres de l'espace « %(s)s ».") % {"s": space.name})


def _require_moderator(actor, space: Space) -> None:
    if not _moderates(actor, space):
        raise Forbidden(_("Réservé aux responsables et modérateurs de l'espace."))


def _space_url(space: Space) -> str:
    return reverse("spaces:detail", args=[space.pk])


# --- Spaces and membership -------------------------------------------------------------


@action
def space_create(*, actor, name: str, description: str = "", policy: str) -> Space:
    """Create a space; ``actor`` becomes its owner. Takes a name (1–150 characters), a
    presentation and a membership policy (``Space.Policy``). Returns the space. Raises
    Forbidden for an account without a role, Invalid for an empty name or unknown policy."""
    if not access.can_create_space(actor):
        raise Forbidden(_("Seul un professionnel inscrit dans une structure crée un espace."))
    name = (name or "").strip()
    if not name:
        raise Invalid(_("Donnez un nom à l'espace."), field="name")
    if policy not in Space.Policy.values:
        raise Invalid(_("Choisissez un mode d'adhésion."), field="policy")
    space = Space.objects.create(
        name=name[:150], description=description.strip(), policy=policy, created_by=actor
    )
    SpaceMember.objects.create(
        space=space,
        user=actor,
        role=SpaceMember.Role.OWNER,
        state=SpaceMember.State.ACTIVE,
        decided_by=actor,
    )
    _change(space=space, actor=actor, kind=SpaceChange.Kind.SPACE, verb=_("a créé l'espace"))
    _audit(actor=actor, verb=AuditEvent.Action.CREATE, obj=space, detail="espace créé")
    return space


@action
def space_join(*, actor, space: Space) -> SpaceMember:
    """``actor`` asks to enter ``space``: member at once when it is open or when they were
    invited; a request the moderators answer when it is « sur demande ». Returns the row.
    Raises Forbidden for a space by invitation without an invitation, Conflict when the
    actor is already a member or already asked."""
    row = SpaceMember.objects.select_for_update().filter(space=space, user=actor).first()
    if row is not None and row.state == SpaceMember.State.ACTIVE:
        raise Conflict(_("Vous êtes déjà membre de cet espace."))
    if row is not None and row.state == SpaceMember.State.REQUESTED:
        raise Conflict(_("Votre demande est déjà en attente."))
    if row is None and space.policy == Space.Policy.INVITATION:
        raise Forbidden(_("Cet espace est sur invitation : demandez-la à son responsable."))
    if not actor.is_active:
        raise Forbidden(_("Compte inactif."))
    if row is not None:  # invited: accepting the invitation
        row.state = SpaceMember.State.ACTIVE
        row.save(update_fields=["state"])
        verb = _("a accepté l'invitation")
    elif space.policy == Space.Policy.OPEN:
        row = SpaceMember.objects.create(
            space=space, user=actor, state=SpaceMember.State.ACTIVE, decided_by=actor
        )
        verb = _("a rejoint l'espace")
    else:
        row = SpaceMember.objects.create(space=space, user=actor, state=SpaceMember.State.REQUESTED)
        notify(
            users=_moderators(space),
            kind="space_request",
            title=_("%(who)s demande à rejoindre l'espace « %(s)s »")
            % {"who": actor.display_name, "s": space.name},
            url=reverse("spaces:members", args=[space.pk]),
            exclude=actor,
        )
        verb = _("a demandé à rejoindre l'espace")
    _change(space=space, actor=actor, kind=SpaceChange.Kind.MEMBER, verb=verb)
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=row, detail=f"adhésion {row.state}")
    return row


def _lock_space(space: Space) -> None:
    """Lock the space row: the actions that change its owners queue behind one another, so
    that the « at least one owner » count is read after the other one committed (two owners
    leaving or demoting each other at the same instant would otherwise leave none)."""
    Space.objects.select_for_update().filter(pk=space.pk).first()


@action
def space_leave(*, actor, space: Space) -> None:
    """``actor`` leaves ``space`` (or withdraws a request, declines an invitation). Raises
    Conflict when they are its last owner, Invalid when they have no place in it."""
    _lock_space(space)
    row = SpaceMember.objects.select_for_update().filter(space=space, user=actor).first()
    if row is None:
        raise Invalid(_("Vous n'êtes pas membre de cet espace."))
    if row.role == SpaceMember.Role.OWNER and row.state == SpaceMember.State.ACTIVE:
        owners = SpaceMember.objects.select_for_update().filter(
            space=space, role=SpaceMember.Role.OWNER, state=SpaceMember.State.ACTIVE
        )
        if owners.count() <= 1:
            raise Conflict(_("Nommez un autre responsable avant de quitter l'espace."))
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=row, detail="départ")
    row.delete()
    _change(space=space, actor=actor, kind=SpaceChange.Kind.MEMBER, verb=_("a quitté l'espace"))


@action
def member_invite(*, actor, space: Space, user) -> SpaceMember:
    """A moderator invites ``user`` (an active account) into ``space``; a pending request
    of that user is accepted instead. Returns the row. Raises Forbidden (not a moderator),
    Conflict (already a member or invited), Invalid (an inactive account)."""
    _require_moderator(actor, space)
    if user is None or not user.is_active:
        raise Invalid(_("Aucun compte actif ne correspond."), field="who")
    row = SpaceMember.objects.select_for_update().filter(space=space, user=user).first()
    if row is not None and row.state != SpaceMember.State.REQUESTED:
        raise Conflict(_("%(who)s est déjà membre ou invité.") % {"who": user.display_name})
    if row is not None:
        row.state = SpaceMember.State.ACTIVE
        row.decided_by = actor
        row.save(update_fields=["state", "decided_by"])
        title = _("Vous êtes membre de l'espace « %(s)s »")
    else:
        row = SpaceMember.objects.create(
            space=space, user=user, state=SpaceMember.State.INVITED, decided_by=actor
        )
        title = _("Vous êtes invité dans l'espace « %(s)s »")
    notify(
        users=[user], kind="space_invite", title=title % {"s": space.name}, url=_space_url(space)
    )
    _change(
        space=space,
        actor=actor,
        kind=SpaceChange.Kind.MEMBER,
        verb=_("a invité %(who)s") % {"who": user.display_name},
    )
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=row, detail=f"invitation {user.pk}")
    return row


MEMBER_DECISIONS = ("accept", "refuse", "moderator", "member", "owner", "remove")


@action
def member_decide(*, actor, member: SpaceMember, decision: str) -> SpaceMember | None:
    """A moderator answers a request (``accept``, ``refuse``) or manages a member: a role
    (``member``, ``moderator``; ``owner`` by an owner only) or ``remove``. Returns the row,
    None when it is gone. Raises Forbidden (not a moderator, or a moderator acting on an
    owner), Conflict (the state moved, or the last owner would go), Invalid (unknown)."""
    space = member.space
    _lock_space(space)
    _require_moderator(actor, space)
    if decision not in MEMBER_DECISIONS:
        raise Invalid(_("Décision inconnue."))
    row = SpaceMember.objects.select_for_update().get(pk=member.pk)
    owner = _is_owner(actor, space)
    if (row.role == SpaceMember.Role.OWNER or decision == "owner") and not owner:
        raise Forbidden(_("Seul un responsable de l'espace gère les responsables."))
    pending = row.state == SpaceMember.State.REQUESTED
    if decision in ("accept", "refuse") and not pending:
        raise Conflict(_("Cette demande a déjà reçu une réponse."))
    if decision not in ("accept", "refuse") and row.state != SpaceMember.State.ACTIVE:
        if decision != "remove":
            raise Conflict(_("Cette personne n'est pas encore membre."))
    if (
        row.role == SpaceMember.Role.OWNER
        and decision in ("member", "moderator", "remove")
        and SpaceMember.objects.filter(
            space=space, role=SpaceMember.Role.OWNER, state=SpaceMember.State.ACTIVE
        ).count()
        <= 1
    ):
        raise Conflict(_("L'espace doit garder au moins un responsable."))
    who = row.user.display_name
    if decision in ("refuse", "remove"):
        _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=row, detail=decision)
        row.delete()
        verb = _("a retiré %(who)s") if decision == "remove" else _("a refusé %(who)s")
        _change(space=space, actor=actor, kind=SpaceChange.Kind.MEMBER, verb=verb % {"who": who})
        if decision == "refuse":
            notify(
                users=[row.user],
                kind="space_request",
                title=_("Votre demande pour l'espace « %(s)s » n'a pas été acceptée")
                % {"s": space.name},
                url=reverse("spaces:index"),
            )
        return None
    if decision == "accept":
        row.state = SpaceMember.State.ACTIVE
        row.decided_by = actor
        row.save(update_fields=["state", "decided_by"])
        notify(
            users=[row.user],
            kind="space_request",
            title=_("Vous êtes membre de l'espace « %(s)s »") % {"s": space.name},
            url=_space_url(space),
        )
        verb = _("a accepté %(who)s")
    else:
        row.role = decision
        row.save(update_fields=["role"])
        verb = _("a nommé %(who)s : %(role)s")
    _change(
        space=space,
        actor=actor,
        kind=SpaceChange.Kind.MEMBER,
        verb=verb % {"who": who, "role": row.get_role_display()},
    )
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=row, detail=decision)
    return row


# --- Pages, documents, versions, check-out ---------------------------------------------


def _store_file(version: PageVersion, upload) -> None:
    checked = check_upload(upload, allowed=SPACE_FILE_TYPES)
    version.file_name = checked.name
    version.content_type = checked.content_type
    version.size = checked.size
    version.sha256 = checked.sha256
    upload.seek(0)
    version.file.save(checked.name, ContentFile(upload.read()), save=False)
    stored = version.file.name
    storage = version.file.storage
    scope = current_action()
    if scope is not None:
        scope.on_rollback(lambda: storage.delete(stored))


def _new_version(*, page: Page, actor, title, body, upload, note, restored_from=None, source=None):
    number = (page.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PageVersion(
        page=page,
        number=number,
        title=title,
        body=body,
        note=(note or "")[:200],
        author=actor,
        restored_from=restored_from,
    )
    if upload is not None:
        _store_file(version, upload)
    elif source is not None:
        # The same stored file: versions are never changed nor deleted, so it is shared.
        version.file = source.file.name
        version.file_name = source.file_name
        version.content_type = source.content_type
        version.size = source.size
        version.sha256 = source.sha256
    version.save()
    return version


def _check_visibility(actor, space: Space, visibility: str) -> None:
    if visibility not in Visibility.values:
        raise Invalid(_("Choisissez qui peut voir la page."), field="visibility")
    if visibility == Visibility.ACCOUNTS and not _moderates(actor, space):
        raise Forbidden(
            _("Seuls les responsables et modérateurs publient pour tous les comptes."),
            field="visibility",
        )


@action
def page_create(
    *,
    actor,
    space: Space,
    kind: str,
    title: str,
    body: str = "",
    visibility: str = Visibility.DRAFT,
    folder: Folder | None = None,
    new_folder: str = "",
    upload=None,
) -> Page:
    """A member creates a page, a document (``upload`` required) or a resource directory in
    ``space``, in ``folder`` or a ``new_folder`` named there; version 1 is saved. Returns the
    page. Raises Forbidden (not a member; « tous les comptes » by a non-moderator), Invalid
    (no title, no file for a document, a refused file: ``lib.uploads.UploadError``)."""
    _require_member(actor, space)
    title = (title or "").strip()
    if kind not in Page.Kind.values:
        raise Invalid(_("Type de page inconnu."), field="kind")
    if not title:
        raise Invalid(_("Donnez un titre."), field="title")
    _check_visibility(actor, space, visibility)
    if kind == Page.Kind.DOCUMENT and upload is None:
        raise Invalid(_("Joignez le fichier du document."), field="upload")
    if folder is not None and folder.space_id != space.pk:
        raise Invalid(_("Dossier inconnu."), field="folder")
    if new_folder.strip():
        folder, _created = Folder.objects.get_or_create(space=space, name=new_folder.strip()[:120])
    now = timezone.now()
    page = Page.objects.create(
        space=space,
        folder=folder,
        kind=kind,
        visibility=visibility,
        title=title[:200],
        body=body,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _new_version(
        page=page,
        actor=actor,
        title=page.title,
        body=body,
        upload=upload if kind == Page.Kind.DOCUMENT else None,
        note=_("Création"),
    )
    _change(space=space, actor=actor, kind=SpaceChange.Kind.PAGE, verb=_("a créé"), page=page)
    _audit(actor=actor, verb=AuditEvent.Action.CREATE, obj=page, detail=f"page {kind}")
    return page


def _lock(page: Page) -> Page:
    return Page.objects.select_for_update().select_related("space").get(pk=page.pk)


@action
def page_checkout(*, actor, page: Page) -> Page:
    """A member reserves ``page`` for editing (check-out): nobody else saves it until they
    check it in or release it. Returns the page. Raises Forbidden (not a member), Conflict
    (someone else holds it: their name and since when)."""
    page = _lock(page)
    _require_member(actor, page.space)
    if page.locked_by_id and page.locked_by_id != actor.pk:
        raise Conflict(
            _("%(who)s modifie cette page depuis le %(at)s.")
            % {
                "who": page.locked_by.display_name,  # type: ignore[union-attr]  # set above
                "at": timezone.localtime(page.locked_at).strftime("%d/%m/%Y %H:%M"),
            }
        )
    if page.locked_by_id != actor.pk:
        page.locked_by = actor
        page.locked_at = timezone.now()
        page.save(update_fields=["locked_by", "locked_at"])
        _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=page, detail="réservation")
    return page


@action
def page_release(*, actor, page: Page) -> Page:
    """Give back the check-out of ``page`` without saving: by its holder, or broken by an
    owner or moderator (the holder is told). Returns the page. Raises Forbidden (anyone
    else), Conflict (the page is not reserved)."""
    page = _lock(page)
    if not page.locked_by_id:
        raise Conflict(_("Cette page n'est pas réservée."))
    holder = page.locked_by
    if holder is not None and holder.pk != actor.pk:
        _require_moderator(actor, page.space)
        notify(
            users=[holder],
            kind="space_page",
            title=_("%(who)s a levé votre réservation de « %(t)s »")
            % {"who": actor.display_name, "t": page.title},
            url=reverse("spaces:page", args=[page.space_id, page.pk]),
        )
    page.locked_by = None
    page.locked_at = None
    page.save(update_fields=["locked_by", "locked_at"])
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=page, detail="réservation levée")
    return page


@action
def page_checkin(
    *, actor, page: Page, title: str, body: str, base_version: int, note: str = "", upload=None
) -> PageVersion:
    """Save a new version of ``page`` held (checked out) by ``actor`` and release it.
    ``base_version`` is the version the form was shown on. Returns the new version. Raises
    Conflict (not held by the actor, or a newer version saved since), Invalid (no title, a
    refused file), Forbidden (the actor is no longer a member)."""
    page = _lock(page)
    # The holder may have left or been removed since the check-out: only a member writes.
    _require_member(actor, page.space)
    if page.locked_by_id != actor.pk:
        raise Conflict(
            _("Réservez la page avant de l'enregistrer (quelqu'un d'autre l'a peut-être prise).")
        )
    if base_version != page.version:
        raise Conflict(_("Une version plus récente a été enregistrée : rechargez la page."))
    title = (title or "").strip()
    if not title:
        raise Invalid(_("Donnez un titre."), field="title")
    latest = page.versions.first()
    keep_file = latest if page.kind == Page.Kind.DOCUMENT and upload is None else None
    version = _new_version(
        page=page,
        actor=actor,
        title=title[:200],
        body=body,
        upload=upload if page.kind == Page.Kind.DOCUMENT else None,
        note=note,
        source=keep_file,
    )
    page.title = version.title
    page.body = body
    page.version = version.number
    page.updated_at = timezone.now()
    page.locked_by = None
    page.locked_at = None
    page.save(update_fields=["title", "body", "version", "updated_at", "locked_by", "locked_at"])
    _change(
        space=page.space,
        actor=actor,
        kind=SpaceChange.Kind.PAGE,
        verb=_("a modifié (version %(n)s)") % {"n": version.number},
        page=page,
    )
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=page, detail=f"version {version.number}")
    return version


@action
def page_restore(*, actor, page: Page, number: int) -> PageVersion:
    """Restore version ``number`` of ``page``: a new version with its content (history is
    never rewritten). Returns the new version. Raises Forbidden (not a member), Conflict
    (someone else holds the page), Invalid (no such version)."""
    page = _lock(page)
    _require_member(actor, page.space)
    if page.locked_by_id and page.locked_by_id != actor.pk:
        raise Conflict(_("Cette page est réservée par quelqu'un d'autre."))
    old = page.versions.filter(number=number).first()
    if old is None:
        raise Invalid(_("Version inconnue."))
    version = _new_version(
        page=page,
        actor=actor,
        title=old.title,
        body=old.body,
        upload=None,
        note=_("Restauration de la version %(n)s") % {"n": number},
        restored_from=number,
        source=old if old.file else None,
    )
    page.title = version.title
    page.body = version.body
    page.version = version.number
    page.updated_at = timezone.now()
    page.locked_by = None
    page.locked_at = None
    page.save(update_fields=["title", "body", "version", "updated_at", "locked_by", "locked_at"])
    _change(
        space=page.space,
        actor=actor,
        kind=SpaceChange.Kind.PAGE,
        verb=_("a restauré la version %(n)s") % {"n": number},
        page=page,
    )
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=page, detail=f"restauration {number}")
    return version


@action
def page_set_visibility(*, actor, page: Page, visibility: str) -> Page:
    """Change who sees ``page``: its author or a moderator between draft and members; only
    a moderator for all accounts (and back). Returns the page. Raises Forbidden, Invalid."""
    page = _lock(page)
    _require_member(actor, page.space)
    _check_visibility(actor, page.space, visibility)
    if page.created_by_id != actor.pk and not _moderates(actor, page.space):
        raise Forbidden(_("Seuls l'auteur et les modérateurs changent la visibilité."))
    if page.visibility == Visibility.ACCOUNTS and not _moderates(actor, page.space):
        raise Forbidden(_("Seuls les responsables et modérateurs retirent une publication."))
    if page.visibility != visibility:
        page.visibility = visibility
        page.save(update_fields=["visibility"])
        _change(
            space=page.space,
            actor=actor,
            kind=SpaceChange.Kind.PAGE,
            verb=_("a rendu visible par : %(v)s") % {"v": page.get_visibility_display()},
            page=page,
        )
        _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=page, detail=f"état {visibility}")
    return page


# --- Resource directories ---------------------------------------------------------------

ENTRY_FIELDS = (
    "provider",
    "area",
    "days",
    "meals_per_week",
    "price",
    "price_unit",
    "price_valid_on",
    "phone",
    "source",
    "notes",
)


@action
def entry_save(
    *,
    actor,
    page: Page,
    entry: ResourceEntry | None = None,
    provider: str,
    area: str = "",
    days: str = "",
    meals_per_week: int | None = None,
    price: Decimal | None = None,
    price_unit: str = "",
    price_valid_on: date | None = None,
    phone: str = "",
    source: str = "",
    notes: str = "",
) -> ResourceEntry:
    """A member adds (``entry`` None) or updates one entry of the resource directory
    ``page``. A price needs the date it was checked and a source (Open Referral: cost and
    provenance). Returns the entry. Raises Forbidden (not a member), Invalid (missing
    provider; a price without its date or source; a negative price)."""
    page = _lock(page)
    _require_member(actor, page.space)
    if page.kind != Page.Kind.DIRECTORY:
        raise Invalid(_("Cette page n'est pas un annuaire."))
    if not (provider or "").strip():
        raise Invalid(_("Indiquez le prestataire."), field="provider")
    if price is not None and price < 0:
        raise Invalid(_("Le prix ne peut pas être négatif."), field="price")
    if price is not None and price_valid_on is None:
        raise Invalid(
            _("Indiquez la date à laquelle ce tarif a été vérifié."), field="price_valid_on"
        )
    if price is not None and not source.strip():
        raise Invalid(_("Indiquez d'où vient ce tarif."), field="source")
    if entry is not None:
        entry = ResourceEntry.objects.select_for_update().get(pk=entry.pk, page=page)
        created = False
    else:
        entry = ResourceEntry(page=page, updated_by=actor)
        created = True
    values = dict(
        provider=provider.strip()[:150],
        area=area.strip(),
        days=days.strip(),
        meals_per_week=meals_per_week,
        price=price,
        price_unit=price_unit.strip(),
        price_valid_on=price_valid_on,
        phone=phone.strip(),
        source=source.strip(),
        notes=notes.strip(),
    )
    for name, value in values.items():
        setattr(entry, name, value)
    entry.updated_by = actor
    entry.updated_at = timezone.now()
    if created:
        entry.save()
    else:
        entry.save(update_fields=[*ENTRY_FIELDS, "updated_by", "updated_at"])
    page.updated_at = entry.updated_at
    page.save(update_fields=["updated_at"])
    _change(
        space=page.space,
        actor=actor,
        kind=SpaceChange.Kind.ENTRY,
        verb=(_("a ajouté %(p)s à") if created else _("a mis à jour %(p)s dans"))
        % {"p": entry.provider},
        page=page,
    )
    _audit(
        actor=actor,
        verb=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        obj=entry,
        detail=f"annuaire {page.pk}",
    )
    return entry


# --- Calendar -----------------------------------------------------------------------------

FREQUENCIES = {"": "", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY"}


def build_rrule(*, frequency: str, interval: int = 1, count: int | None = None, until=None) -> str:
    """The RFC 5545 RRULE value for a simple recurrence (``frequency`` one of daily, weekly,
    monthly; every ``interval``; ``count`` times or ``until`` a date), "" for none. Raises
    Invalid for an unknown frequency, a recurrence without end or over MAX_OCCURRENCES."""
    if frequency not in FREQUENCIES:
        raise Invalid(_("Récurrence inconnue."), field="frequency")
    if not frequency:
        return ""
    if not count and not until:
        raise Invalid(_("Indiquez un nombre d'occurrences ou une date de fin."), field="count")
    if count and count > MAX_OCCURRENCES:
        raise Invalid(_("%(n)s occurrences au plus.") % {"n": MAX_OCCURRENCES}, field="count")
    parts = [f"FREQ={FREQUENCIES[frequency]}"]
    if interval and interval > 1:
        parts.append(f"INTERVAL={int(interval)}")
    if count:
        parts.append(f"COUNT={int(count)}")
    else:
        # The end of that day in Paris, as UTC (RFC 5545 §3.3.10: UNTIL in UTC with a zoned
        # DTSTART).
        last = timezone.make_aware(datetime.combine(until, time(23, 59, 59)))
        parts.append(f"UNTIL={last.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


@action
def event_create(
    *,
    actor,
    space: Space,
    title: str,
    start: datetime,
    end: datetime,
    description: str = "",
    location: str = "",
    rrule: str = "",
    visibility: str = Visibility.MEMBERS,
) -> Event:
    """A member adds an event to the calendar of ``space`` (aware datetimes; ``rrule`` from
    ``build_rrule``). Returns the event. Raises Forbidden (not a member; all accounts by a
    non-moderator), Invalid (no title, end not after start, a bad or unbounded rule)."""
    _require_member(actor, space)
    if not (title or "").strip():
        raise Invalid(_("Donnez un titre."), field="title")
    if end <= start:
        raise Invalid(_("La fin doit suivre le début."), field="end")
    _check_visibility(actor, space, visibility)
    if rrule:
        try:
            rule = rrulestr(rrule, dtstart=start)
        except (ValueError, TypeError):
            raise Invalid(_("Récurrence illisible."), field="frequency") from None
        if sum(1 for _ in islice(rule, MAX_OCCURRENCES + 1)) > MAX_OCCURRENCES:
            raise Invalid(_("%(n)s occurrences au plus.") % {"n": MAX_OCCURRENCES}, field="count")
    event = Event.objects.create(
        space=space,
        title=title.strip()[:200],
        description=description.strip(),
        location=location.strip(),
        start=start,
        end=end,
        rrule=rrule,
        visibility=visibility,
        created_by=actor,
    )
    _change(space=space, actor=actor, kind=SpaceChange.Kind.EVENT, verb=_("a ajouté"), event=event)
    _audit(actor=actor, verb=AuditEvent.Action.CREATE, obj=event, detail="événement")
    return event


@action
def event_cancel(*, actor, event: Event) -> Event:
    """Cancel ``event`` (every occurrence): by its author or a moderator. The row stays, so
    the feeds tell calendar applications (STATUS:CANCELLED). Returns the event. Raises
    Forbidden (anyone else), Conflict (already cancelled)."""
    event = Event.objects.select_for_update().select_related("space").get(pk=event.pk)
    _require_member(actor, event.space)
    if event.created_by_id != actor.pk and not _moderates(actor, event.space):
        raise Forbidden(_("Seuls l'auteur et les modérateurs annulent un événement."))
    if event.cancelled_at is not None:
        raise Conflict(_("Cet événement est déjà annulé."))
    event.cancelled_at = timezone.now()
    event.cancelled_by = actor
    event.save(update_fields=["cancelled_at", "cancelled_by"])
    _change(
        space=event.space, actor=actor, kind=SpaceChange.Kind.EVENT, verb=_("a annulé"), event=event
    )
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=event, detail="événement annulé")
    return event


@action
def feed_create(*, actor, space: Space | None = None) -> FeedToken:
    """A secret iCalendar address for ``actor``: one space's calendar (a member's) or, with
    no space, all their spaces. Returns the token row. Raises Forbidden (not a member)."""
    if space is not None:
        _require_member(actor, space)
    feed = FeedToken.objects.create(user=actor, space=space)
    _audit(actor=actor, verb=AuditEvent.Action.CREATE, obj=feed, detail="flux iCalendar")
    return feed


@action
def feed_revoke(*, actor, feed: FeedToken) -> FeedToken:
    """Revoke ``actor``'s feed: its address answers 404 from now on. Returns the row.
    Raises Forbidden when the feed is not the actor's, Conflict when already revoked."""
    feed = FeedToken.objects.select_for_update().get(pk=feed.pk)
    if feed.user_id != actor.pk:
        raise Forbidden(_("Ce flux n'est pas le vôtre."))
    if feed.revoked_at is not None:
        raise Conflict(_("Ce flux est déjà révoqué."))
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=feed, detail="flux révoqué")
    return feed


# --- Forum --------------------------------------------------------------------------------


def _topic_url(topic: Topic) -> str:
    return reverse("spaces:topic", args=[topic.space_id, topic.pk])


@action
def topic_create(*, actor, space: Space, title: str, body: str) -> Topic:
    """A member opens a topic in the forum of ``space`` with its first message; the author
    follows it. Returns the topic. Raises Forbidden (not a member), Invalid (empty)."""
    _require_member(actor, space)
    if not (title or "").strip():
        raise Invalid(_("Donnez un sujet."), field="title")
    if not (body or "").strip():
        raise Invalid(_("Écrivez un message."), field="body")
    topic = Topic.objects.create(space=space, title=title.strip()[:200], created_by=actor)
    Post.objects.create(topic=topic, author=actor, body=body.strip())
    topic.subscribers.add(actor)
    _change(space=space, actor=actor, kind=SpaceChange.Kind.TOPIC, verb=_("a ouvert"), topic=topic)
    _audit(actor=actor, verb=AuditEvent.Action.CREATE, obj=topic, detail="sujet")
    return topic


@action
def post_reply(*, actor, topic: Topic, body: str) -> Post:
    """A member answers ``topic``; they follow it from then on and every other follower is
    notified (live and by e-mail, through ``notifications``). Returns the message. Raises
    Forbidden (not a member), Conflict (the topic is closed), Invalid (empty)."""
    topic = Topic.objects.select_for_update().select_related("space").get(pk=topic.pk)
    _require_member(actor, topic.space)
    if topic.locked:
        raise Conflict(_("Ce sujet est fermé."))
    if not (body or "").strip():
        raise Invalid(_("Écrivez un message."), field="body")
    post = Post.objects.create(topic=topic, author=actor, body=body.strip())
    topic.last_post_at = post.created_at
    topic.save(update_fields=["last_post_at"])
    topic.subscribers.add(actor)
    notify(
        users=topic.subscribers.filter(
            space_memberships__space=topic.space,
            space_memberships__state=SpaceMember.State.ACTIVE,
        ),
        kind="space_forum",
        title=_("%(who)s a répondu dans « %(t)s »") % {"who": actor.display_name, "t": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    _change(
        space=topic.space,
        actor=actor,
        kind=SpaceChange.Kind.TOPIC,
        verb=_("a répondu dans"),
        topic=topic,
    )
    _audit(actor=actor, verb=AuditEvent.Action.CREATE, obj=post, detail=f"réponse {topic.pk}")
    return post


@action
def topic_subscribe(*, actor, topic: Topic, follow: bool) -> Topic:
    """``actor`` (a member) follows or stops following ``topic``. Returns the topic."""
    _require_member(actor, topic.space)
    if follow:
        topic.subscribers.add(actor)
    else:
        topic.subscribers.remove(actor)
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=topic, detail=f"suivi {follow}")
    return topic


@action
def topic_lock(*, actor, topic: Topic, locked: bool) -> Topic:
    """A moderator closes (or reopens) ``topic``. Returns it. Raises Forbidden."""
    topic = Topic.objects.select_for_update().select_related("space").get(pk=topic.pk)
    _require_moderator(actor, topic.space)
    if topic.locked != locked:
        topic.locked = locked
        topic.save(update_fields=["locked"])
        _change(
            space=topic.space,
            actor=actor,
            kind=SpaceChange.Kind.TOPIC,
            verb=_("a fermé") if locked else _("a rouvert"),
            topic=topic,
        )
        _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=topic, detail=f"fermé {locked}")
    return topic


@action
def post_hide(*, actor, post: Post, reason: str) -> Post:
    """A moderator hides a message (kept, shown as hidden with the reason). Returns it.
    Raises Forbidden (not a moderator), Invalid (no reason), Conflict (already hidden)."""
    post = Post.objects.select_for_update().select_related("topic__space").get(pk=post.pk)
    _require_moderator(actor, post.topic.space)
    if not (reason or "").strip():
        raise Invalid(_("Indiquez la raison."), field="reason")
    if post.hidden_at is not None:
        raise Conflict(_("Ce message est déjà masqué."))
    post.hidden_by = actor
    post.hidden_at = timezone.now()
    post.hidden_reason = reason.strip()[:200]
    post.save(update_fields=["hidden_by", "hidden_at", "hidden_reason"])
    notify(
        users=[post.author],
        kind="space_forum",
        title=_("Un modérateur a masqué votre message dans « %(t)s »") % {"t": post.topic.title},
        url=_topic_url(post.topic),
        exclude=actor,
    )
    _audit(actor=actor, verb=AuditEvent.Action.UPDATE, obj=post, detail="masqué")
    return post
