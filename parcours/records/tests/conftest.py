"""A small gerontology network: a coordinator, a social worker, a nurse and the territory's
GP as members, three forms published with per-profile rights, one consented patient."""

from types import SimpleNamespace

import pytest

from parcours.directory.models import Organisation
from parcours.records import samples
from parcours.records.models import Member, Profile
from parcours.records.services import (
    circle_add,
    draft_save,
    form_create,
    network_create,
    record_open,
    right_set,
    version_publish,
)


def _user(username):
    from parcours.accounts.models import User

    user = User(username=username, first_name=username.title(), last_name="Test")
    user.set_password("secret-pass-123")
    user.save()
    return user


@pytest.fixture
def net(territory, patient):
    from django.utils import timezone

    org = Organisation.objects.create(name="Réseau Gérontologique Test", kind="network")
    admin = territory.admin
    network = network_create(
        actor=admin,
        organisation=org,
        code="geronto",
        profiles=[
            ("coordination", "Coordination", True),
            ("social", "Assistant(e) social(e)", False),
            ("infirmier", "Infirmier(e)", False),
            ("medecin", "Médecin", False),
        ],
    )
    profiles = {p.code: p for p in Profile.objects.filter(network=network)}
    coord = _user("coord")
    Member.objects.create(
        network=network, user=coord, profile=profiles["coordination"], since=timezone.now()
    )
    n = SimpleNamespace(t=territory, network=network, p=profiles, coord=coord, patient=patient)
    n.social = _user("social")
    n.nurse = _user("nurse")
    from parcours.records.services import member_set

    member_set(actor=coord, network=network, user=n.social, profile=profiles["social"])
    member_set(actor=coord, network=network, user=n.nurse, profile=profiles["infirmier"])
    member_set(actor=coord, network=network, user=territory.gp, profile=profiles["medecin"])
    forms = {}
    for code, title, definition in (
        ("bilan-social", "Bilan social", samples.BILAN_SOCIAL),
        ("suivi-medecin", "Suivi médecin", samples.SUIVI_MEDECIN),
        ("grille", "Grille de dépendance", samples.GRILLE_DEPENDANCE),
    ):
        form = form_create(actor=coord, network=network, title=title, code=code)
        version = form.versions.get()
        draft_save(actor=coord, version=version, definition=definition)
        version_publish(actor=coord, version=version)
        forms[code] = form
    n.forms = forms
    rights = {
        "bilan-social": {"social": "write", "infirmier": "read", "medecin": "read"},
        "suivi-medecin": {"medecin": "write", "infirmier": "read"},
        "grille": {"infirmier": "write", "medecin": "read", "social": "read"},
    }
    for code, per_profile in rights.items():
        form = forms[code]
        for section, _text in [(s["linkId"], s["text"]) for s in form.versions.get().definition]:
            right_set(
                actor=coord,
                form=form,
                section=section,
                profile=profiles["coordination"],
                level="write",
            )
            for profile_code, level in per_profile.items():
                right_set(
                    actor=coord,
                    form=form,
                    section=section,
                    profile=profiles[profile_code],
                    level=level,
                )
    n.record = record_open(
        actor=coord, network=network, patient=patient, method="oral", scope="Dossier du réseau"
    )
    for user in (n.social, n.nurse, territory.gp):
        circle_add(actor=coord, record=n.record, user=user)
    return n
