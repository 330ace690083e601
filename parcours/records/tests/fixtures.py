"""A gerontology network for tests (the records tests and the route × persona table)."""

from types import SimpleNamespace

from django.utils import timezone

from parcours.directory.models import Organisation
from parcours.records import samples
from parcours.records.models import Member, Profile
from parcours.records.services import (
    draft_save,
    form_create,
    member_set,
    network_create,
    record_open,
    rights_set,
    version_publish,
)

PROFILES = [
    ("coordination", "Coordination", True),
    ("social", "Assistant(e) social(e)", False),
    ("infirmier", "Infirmier(e)", False),
    ("medecin", "Médecin", False),
]
RIGHTS = {
    "bilan-social": {"social": "write", "infirmier": "read", "medecin": "read"},
    "suivi-medecin": {"medecin": "write", "infirmier": "read"},
    "grille": {"infirmier": "write", "medecin": "read", "social": "read"},
}
FORMS = [
    ("bilan-social", "Bilan social", samples.BILAN_SOCIAL),
    ("suivi-medecin", "Suivi médecin", samples.SUIVI_MEDECIN),
    ("grille", "Grille de dépendance", samples.GRILLE_DEPENDANCE),
]


def build_network(*, admin, coordinator, members: dict, name="Réseau Gérontologique Test"):
    """A network coordinated by ``coordinator`` with ``members`` ``{profile code: [users]}``,
    the three sample forms published with RIGHTS (the coordination writes everything).
    Returns a namespace: network, p (profiles by code), forms (by code)."""
    org = Organisation.objects.create(name=name, kind="network")
    network = network_create(actor=admin, organisation=org, code=name[:30], profiles=PROFILES)
    profiles = {p.code: p for p in Profile.objects.filter(network=network)}
    # The first coordinator is named by the territory administration (the admin site).
    Member.objects.create(
        network=network, user=coordinator, profile=profiles["coordination"], since=timezone.now()
    )
    for code, users in members.items():
        for user in users:
            member_set(actor=coordinator, network=network, user=user, profile=profiles[code])
    forms = {}
    for code, title, definition in FORMS:
        form = form_create(actor=coordinator, network=network, title=title, code=code)
        version = form.versions.get()
        draft_save(actor=coordinator, version=version, definition=definition)
        version_publish(actor=coordinator, version=version)
        levels = {}
        for section in definition:
            levels[(section["linkId"], profiles["coordination"].pk)] = "write"
            for profile_code, level in RIGHTS[code].items():
                levels[(section["linkId"], profiles[profile_code].pk)] = level
        rights_set(actor=coordinator, form=form, levels=levels)
        forms[code] = form
    return SimpleNamespace(network=network, p=profiles, forms=forms)


def open_record(*, coordinator, network, patient, document=None):
    """The patient's record in ``network``, consented orally (or with ``document``)."""
    return record_open(
        actor=coordinator,
        network=network,
        patient=patient,
        method="written" if document else "oral",
        scope="Partage du dossier dans le cercle de soins",
        document=document,
    )
