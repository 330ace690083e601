"""A small collaborative space for the tests: gp owns it, doctor is a member, desk a
moderator; every other persona is outside. Synthetic names only."""

from types import SimpleNamespace

import pytest

from parcours.spaces import services
from parcours.spaces.models import Page, Space, SpaceMember, Visibility


@pytest.fixture
def space_world(territory):
    t = territory
    space = services.space_create(
        actor=t.gp,
        name="Réseau gérontologie test",
        description="Essai",
        policy=Space.Policy.REQUEST,
    )
    SpaceMember.objects.create(space=space, user=t.doctor, state=SpaceMember.State.ACTIVE)
    SpaceMember.objects.create(
        space=space, user=t.desk, state=SpaceMember.State.ACTIVE, role=SpaceMember.Role.MODERATOR
    )
    members_page = services.page_create(
        actor=t.gp,
        space=space,
        kind=Page.Kind.PAGE,
        title="Fonctionnement interne du réseau",
        body="Ligne un\nLigne deux",
        visibility=Visibility.MEMBERS,
        new_folder="Présentation",
    )
    public_page = services.page_create(
        actor=t.gp,
        space=space,
        kind=Page.Kind.PAGE,
        title="Formations ouvertes",
        body="Calendrier des formations",
        visibility=Visibility.ACCOUNTS,
    )
    draft = services.page_create(
        actor=t.doctor, space=space, kind=Page.Kind.PAGE, title="Brouillon du docteur", body="x"
    )
    directory = services.page_create(
        actor=t.gp,
        space=space,
        kind=Page.Kind.DIRECTORY,
        title="Portage de repas à domicile",
        visibility=Visibility.MEMBERS,
    )
    return SimpleNamespace(
        t=t,
        space=space,
        members_page=members_page,
        public_page=public_page,
        draft=draft,
        directory=directory,
    )
