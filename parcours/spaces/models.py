"""Collaborative spaces (issue 19, seed 004): communities of professionals sharing pages,
documents, resource directories, a calendar and a forum.

No patient data belongs here (the pages say so); writes are still audited.

Visibility of a page, an event (``Visibility``), after Plone's private / published workflow:
``draft`` (its author and the space's owners and moderators), ``members`` (the space's active
members), ``accounts`` (every active account of the platform). The space itself (its name,
its description) is listed to every account unless it is by invitation only.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    """A random URL-safe token (32 bytes of entropy) for an iCalendar feed."""
    return secrets.token_urlsafe(32)


class Visibility(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    MEMBERS = "members", _("Membres de l'espace")
    ACCOUNTS = "accounts", _("Tous les comptes de la plateforme")


class Space(models.Model):
    class Policy(models.TextChoices):
        OPEN = "open", _("Ouvert : tout compte peut entrer")
        REQUEST = "request", _("Sur demande : un animateur accepte")
        INVITATION = "invitation", _("Sur invitation seulement")

    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("présentation"), blank=True)
    policy = models.CharField(
        _("adhésion"), max_length=12, choices=Policy.choices, default=Policy.REQUEST
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("espace collaboratif")
        verbose_name_plural = _("espaces collaboratifs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SpaceMember(models.Model):
    """A user's place in a space: a role, and a state (a request or an invitation waits)."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Responsable")
        MODERATOR = "moderator", _("Modérateur")
        MEMBER = "member", _("Membre")

    class State(models.TextChoices):
        ACTIVE = "active", _("Membre")
        REQUESTED = "requested", _("Demande en attente")
        INVITED = "invited", _("Invitation en attente")

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_memberships"
    )
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(_("état"), max_length=10, choices=State.choices)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("membre d'un espace")
        verbose_name_plural = _("membres d'un espace")
        constraints = [
            # One row per person and space: a second request or invitation is the same row.
            models.UniqueConstraint(fields=["space", "user"], name="space_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.space_id} ({self.role}, {self.state})"

    @property
    def moderates(self) -> bool:
        return self.state == self.State.ACTIVE and self.role in (
            self.Role.OWNER,
            self.Role.MODERATOR,
        )


class Folder(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(_("dossier"), max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["space", "name"], name="space_folder_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class Page(models.Model):
    """A page (text), a document (a file) or a resource directory (structured entries).

    Its current title, text and file are those of its last version (``PageVersion``), copied
    here for lists and search. ``locked_by`` is the check-out: while set, only that person
    saves a new version (Plone's iterate / WebDAV lock)."""

    class Kind(models.TextChoices):
        PAGE = "page", _("Page")
        DOCUMENT = "document", _("Document")
        DIRECTORY = "directory", _("Annuaire de ressources")

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="pages")
    folder = models.ForeignKey(
        Folder, on_delete=models.SET_NULL, null=True, blank=True, related_name="pages"
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PAGE)
    visibility = models.CharField(
        _("visible par"), max_length=10, choices=Visibility.choices, default=Visibility.DRAFT
    )
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["title"]
        indexes = [models.Index(fields=["space", "visibility"], name="space_page_visibility")]

    def __str__(self) -> str:
        return self.title


def version_file_path(instance: "PageVersion", filename: str) -> str:
    return f"spaces/{instance.page.space_id}/{instance.page_id}/{filename}"


class PageVersion(models.Model):
    """One saved state of a page, kept for ever (never updated, never deleted)."""

    page = models.ForeignKey(Page, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    file = models.FileField(upload_to=version_file_path, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    note = models.CharField(_("note de version"), max_length=200, blank=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="space_page_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.page_id} v{self.number}"


class ResourceEntry(models.Model):
    """One service of a resource directory (Open Referral HSDS: a service with its area,
    schedule, cost with the date it was checked, contact and the source of the information)."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="entries")
    provider = models.CharField(_("prestataire"), max_length=150)
    area = models.CharField(_("secteur desservi"), max_length=200, blank=True)
    days = models.CharField(_("jours"), max_length=120, blank=True)
    meals_per_week = models.PositiveSmallIntegerField(_("repas par semaine"), null=True, blank=True)
    price = models.DecimalField(
        _("prix (€)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    price_unit = models.CharField(_("unité du prix"), max_length=40, blank=True)
    price_valid_on = models.DateField(_("tarif vérifié le"), null=True, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    notes = models.TextField(_("remarques"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["provider"]

    def __str__(self) -> str:
        return self.provider


class Event(models.Model):
    """A calendar event; ``rrule`` is an RFC 5545 RRULE value (``FREQ=WEEKLY;COUNT=6``)
    expanded with python-dateutil and sent as is in the iCalendar feeds."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("lieu"), max_length=200, blank=True)
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    rrule = models.CharField(_("récurrence"), max_length=200, blank=True)
    visibility = models.CharField(
        _("visible par"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Cancelled, not deleted: the feeds say STATUS:CANCELLED so that calendar applications
    # that copied the event remove it.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="space_event_end")
        ]

    def __str__(self) -> str:
        return self.title


class FeedToken(models.Model):
    """A secret address of an iCalendar feed: one space's events, or (``space`` empty) those
    of all the owner's spaces. The feed shows what its owner may see at the time it is read;
    a revoked token answers 404."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_feeds"
    )
    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, null=True, blank=True, related_name="feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"flux {self.pk} de {self.user_id}"


class Topic(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(_("sujet"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_post_at = models.DateTimeField(default=timezone.now)
    locked = models.BooleanField(_("fermé"), default=False)
    subscribers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="space_topic_subscriptions"
    )

    class Meta:
        ordering = ["-last_post_at"]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.topic_id})"


class SpaceChange(models.Model):
    """One line of « modifications récentes ». The title shown comes from the object (page,
    event, topic) when the line is read, and the line is shown only to whom may see that
    object now: a page put back to draft leaves no title behind."""

    class Kind(models.TextChoices):
        SPACE = "space", _("Espace")
        MEMBER = "member", _("Membres")
        PAGE = "page", _("Page")
        ENTRY = "entry", _("Annuaire")
        EVENT = "event", _("Agenda")
        TOPIC = "topic", _("Forum")

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    verb = models.CharField(max_length=120)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, null=True, blank=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["space", "-at"], name="space_change_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb}"
