"""Lab test fixtures: a prescriber the files name (RPPS), parsed reports fed to the importer
through ``parse_file``."""

import pytest

from .factories import OTHER_RPPS, PRESCRIBER_RPPS


@pytest.fixture
def parsed(monkeypatch):
    """``parsed(reports)``: the next imports read these reports, whatever the bytes."""

    def use(reports, fmt="hl7v2"):
        monkeypatch.setattr("parcours.labs.services.parse_file", lambda data: (fmt, list(reports)))

    return use


@pytest.fixture
def prescribers(territory):
    """The two GPs carry the RPPS the files name."""
    territory.gp.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    territory.gp2.rpps = OTHER_RPPS
    territory.gp2.save(update_fields=["rpps"])
    return territory
