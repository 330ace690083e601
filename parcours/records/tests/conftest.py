"""A small gerontology network: a coordinator, a social worker, a nurse and the territory's
GP as members, three forms published with per-profile rights, one consented patient with the
three members in the care circle."""

from types import SimpleNamespace

import pytest

from parcours.records.services import circle_add
from parcours.records.tests.fixtures import build_network, open_record


def _user(username):
    from parcours.accounts.models import User

    user = User(username=username, first_name=username.title(), last_name="Test")
    user.set_password("secret-pass-123")
    user.save()
    return user


def make_net(territory, patient):
    """The test network (see the module's docstring) as a namespace."""
    coord, social, nurse = _user("coord"), _user("social"), _user("nurse")
    built = build_network(
        admin=territory.admin,
        coordinator=coord,
        members={"social": [social], "infirmier": [nurse], "medecin": [territory.gp]},
    )
    n = SimpleNamespace(
        t=territory,
        network=built.network,
        p=built.p,
        forms=built.forms,
        coord=coord,
        social=social,
        nurse=nurse,
        patient=patient,
    )
    n.record = open_record(coordinator=coord, network=built.network, patient=patient)
    for user in (social, nurse, territory.gp):
        circle_add(actor=coord, record=n.record, user=user)
    return n


@pytest.fixture
def net(territory, patient):
    return make_net(territory, patient)
