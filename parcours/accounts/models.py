"""Users, their roles and the organisations they belong to.

A user's role is not a field on the user: it comes from memberships, because a hospital doctor
can also sit on a pathway desk, and a GP can practise in two MSPs. Access rules read memberships.
"""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GP = "gp", _("Médecin de ville")
    HOSPITAL_DOCTOR = "hospital_doctor", _("Médecin hospitalier")
    PATHWAY_DESK = "pathway_desk", _("Cellule parcours")
    IMAGING = "imaging", _("Imagerie")
    NETWORK_COORDINATOR = "network_coordinator", _("Coordinateur de réseau")
    # The regional identitovigilance cell: identities, duplicates, reports waiting for their
    # patient (their identity part). Not the territory administration, which runs
    # organisations, accounts and aggregated indicators and reads no clinical content.
    IDENTITY_CELL = "identity_cell", _("Cellule d'identitovigilance")
    TERRITORY_ADMIN = "territory_admin", _("Administrateur du territoire")
    # Service Médical de Proximité (seed 001, issue 18): the coordinating doctor (supervises
    # the interns), recently retired GPs, GP interns in supervised autonomy (SASPAS) and the
    # assistants who run the registry and the agendas (they read no clinical note).
    PROXIMITY_COORDINATOR = "proximity_coordinator", _("Médecin coordinateur (SMP)")
    RETIRED_GP = "retired_gp", _("Médecin retraité (SMP)")
    INTERN = "intern", _("Interne (SMP)")
    PROXIMITY_ASSISTANT = "proximity_assistant", _("Assistant(e) (SMP)")


class User(AbstractUser):
    title = models.CharField(_("titre"), max_length=20, blank=True, help_text=_("« Dr », …"))
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True, db_index=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email_notifications = models.BooleanField(
        _("recevoir les notifications par e-mail"), default=True
    )

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name.upper()}".strip()
        if not name:
            return self.username
        return f"{self.title} {name}".strip()

    def roles(self) -> set[str]:
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = set(self.memberships.values_list("role", flat=True))
            if self.is_superuser:
                cached.add(Role.TERRITORY_ADMIN)
            self._roles_cache = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.roles()


class Membership(models.Model):
    """A user's role in one organisation, optionally narrowed to one hospital service."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("utilisateur")
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    service = models.ForeignKey(
        "directory.HospitalService",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("service"),
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "service", "role"], name="membership_unique"
            ),
        ]

    def __str__(self) -> str:
        where = self.service or self.organisation
        return f"{self.user} — {self.get_role_display()} — {where}"

    def clean(self):
        if (
            self.service_id
            and self.organisation_id
            and self.service.hospital_id != self.organisation_id
        ):
            raise ValidationError(
                {"service": _("Ce service n'appartient pas à cette organisation.")}
            )
        if self.role == Role.HOSPITAL_DOCTOR and not self.service_id:
            raise ValidationError(
                {"service": _("Un médecin hospitalier est rattaché à un service.")}
            )


class ApiToken(models.Model):
    """A bearer token for the FHIR API, stored as its SHA-256 only.

    The token itself is shown once, when it is issued (``parcours token USERNAME``); a leaked
    database therefore gives no usable credential. Tokens are long random strings, so a plain
    (unsalted) SHA-256 is enough and keeps the lookup a single indexed equality.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("utilisateur")
    )
    name = models.CharField(_("libellé"), max_length=100, blank=True)
    # The first characters of the token, to recognise it in a list without storing it.
    prefix = models.CharField(_("début du jeton"), max_length=12)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuthMethod(models.TextChoices):
    """How the person of a session signed in (kept in the session, ``auth_method``)."""

    PSC = "psc", _("Pro Santé Connect")
    PASSWORD_OTP = "password_otp", _("mot de passe et second facteur")
    PASSWORD = "password", _("mot de passe")


class PscIdentity(models.Model):
    """A Pro Santé Connect identity and the account it opens.

    ``subject_name_id`` is PSC's ``SubjectNameID``: the national identifier of the professional
    (« 8 » + RPPS, or « 0 » + ADELI). Made on the first PSC login; linked to the account whose
    RPPS matches, else left without account: the territory administrator then links it to an
    account (« inviting » the professional) in the administration.
    """

    subject_name_id = models.CharField(_("identifiant national (PSC)"), max_length=20, unique=True)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="psc_identities",
        verbose_name=_("compte"),
    )
    given_name = models.CharField(_("prénom"), max_length=100, blank=True)
    family_name = models.CharField(_("nom"), max_length=100, blank=True)
    first_seen_at = models.DateTimeField(_("première connexion"))
    last_login_at = models.DateTimeField(_("dernière connexion"))
    linked_at = models.DateTimeField(_("rattaché le"), null=True, blank=True)

    class Meta:
        verbose_name = _("identité Pro Santé Connect")
        verbose_name_plural = _("identités Pro Santé Connect")
        ordering = ["-last_login_at", "-id"]

    def __str__(self) -> str:
        name = f"{self.given_name} {self.family_name.upper()}".strip()
        return f"{self.subject_name_id} {name}".strip()


class OAuthClient(models.Model):
    """A piece of software (a GP's practice software, a hospital system) that obtains FHIR API
    bearer tokens through OAuth 2 client credentials (RFC 6749 §4.4) and acts as ``user``.

    ``user`` is the account whose roles and memberships decide what the software may read and
    write (one account per system, made by the territory administrator). Only the SHA-256 of
    the secret is stored; the secret is shown once (``parcours oauth_client``).
    """

    client_id = models.CharField(_("identifiant client"), max_length=48, unique=True)
    secret_hash = models.CharField(max_length=64, editable=False)
    name = models.CharField(_("logiciel"), max_length=100)
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="oauth_clients",
        verbose_name=_("compte utilisé"),
    )
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("client OAuth (logiciel)")
        verbose_name_plural = _("clients OAuth (logiciels)")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"
