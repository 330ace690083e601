"""Shared test setup: the named personas (healthchecks' alice/bob/charlie) and helpers.

- ``gp`` and ``gp2``: GPs of two different MSPs;
- ``desk``: the pathway desk of CH Alpha; ``desk_beta``: the desk of CH Beta;
- ``doctor``: cardiologist at CH Alpha; ``pneumo``: pulmonologist at CH Alpha;
- ``admin``: territory administrator (platform, accounts, aggregated indicators: no clinical
  content); ``cell``: the regional identitovigilance cell; ``nobody``: an account with no role.
"""

import os
from datetime import date
from types import SimpleNamespace

import pytest

os.environ.setdefault("PARCOURS_TESTING", "1")

# Property tests: no per-example deadline — tests must not fail because the machine is busy
# (a loaded CI runner made a 5 ms example take 300 ms). Their example counts stay as set.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("parcours", deadline=None)
hypothesis_settings.load_profile("parcours")

# The agenda fixtures (a frozen week, cardiology and ultrasound agendas) serve the scheduling
# tests and the FHIR ones; the on-call fixtures (rosters) theirs; the spaces fixture (a space
# with pages) its tests and the routes test.
pytest_plugins = [
    "parcours.scheduling.tests.fixtures",
    "parcours.oncall.tests.fixtures",
    "parcours.spaces.tests.fixtures",
]


def pytest_configure(config):
    # The test database has production's audit triggers; only Django's flush between
    # transactional tests gets past them (parcours/audit/testing.py).
    from parcours.audit.testing import install_flush_hook

    install_flush_hook()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUSH_POLL_SECONDS = 0.05


def _user(username, **extra):
    from parcours.accounts.models import User

    user = User(
        username=username,
        first_name=username.title(),
        last_name="Test",
        email=f"{username}@test.invalid",
        **extra,
    )
    user.set_password("secret-pass-123")
    user.save()
    return user


@pytest.fixture
def territory(db):
    from parcours.accounts.models import Membership, Role
    from parcours.directory.models import HospitalService, Organisation

    alpha = Organisation.objects.create(name="CH Alpha", kind="hospital", town="Laval")
    beta = Organisation.objects.create(name="CH Beta", kind="hospital", town="Mayenne")
    msp1 = Organisation.objects.create(name="MSP Un", kind="msp")
    msp2 = Organisation.objects.create(name="MSP Deux", kind="msp")
    cardio = HospitalService.objects.create(
        hospital=alpha, name="Cardiologie", specialty="Cardiologie", senior_line="0243000001"
    )
    pneumo_svc = HospitalService.objects.create(
        hospital=alpha, name="Pneumologie", specialty="Pneumologie"
    )
    beta_cardio = HospitalService.objects.create(
        hospital=beta, name="Cardiologie", specialty="Cardiologie"
    )
    t = SimpleNamespace(
        alpha=alpha,
        beta=beta,
        msp1=msp1,
        msp2=msp2,
        cardio=cardio,
        pneumo_svc=pneumo_svc,
        beta_cardio=beta_cardio,
    )
    t.gp = _user("gp", title="Dr")
    Membership.objects.create(user=t.gp, organisation=msp1, role=Role.GP)
    t.gp2 = _user("gp2", title="Dr")
    Membership.objects.create(user=t.gp2, organisation=msp2, role=Role.GP)
    t.desk = _user("desk")
    Membership.objects.create(user=t.desk, organisation=alpha, role=Role.PATHWAY_DESK)
    t.desk_beta = _user("deskbeta")
    Membership.objects.create(user=t.desk_beta, organisation=beta, role=Role.PATHWAY_DESK)
    t.doctor = _user("doctor", title="Dr")
    Membership.objects.create(
        user=t.doctor, organisation=alpha, service=cardio, role=Role.HOSPITAL_DOCTOR
    )
    t.pneumo = _user("pneumo", title="Dr")
    Membership.objects.create(
        user=t.pneumo, organisation=alpha, service=pneumo_svc, role=Role.HOSPITAL_DOCTOR
    )
    t.head = _user("head", title="Pr")
    Membership.objects.create(
        user=t.head, organisation=alpha, service=cardio, role=Role.HOSPITAL_DOCTOR
    )
    cardio.head = t.head
    cardio.save()
    t.admin = _user("admin", is_staff=True)
    Membership.objects.create(user=t.admin, organisation=alpha, role=Role.TERRITORY_ADMIN)
    # The regional identitovigilance cell: identities and waiting reports, for review only.
    t.cell = _user("cell")
    Membership.objects.create(user=t.cell, organisation=alpha, role=Role.IDENTITY_CELL)
    t.nobody = _user("nobody")
    return t


@pytest.fixture
def patient(territory):
    from parcours.patients.services import patient_create

    return patient_create(
        actor=territory.gp,
        birth_name="Dupont",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
        birthplace_insee="53130",
    ).patient


@pytest.fixture
def make_referral(territory, patient):
    from parcours.referrals.services import referral_submit

    def make(**kw):
        args = dict(
            author=territory.gp,
            patient=patient,
            service=territory.cardio,
            kind="ADVICE",
            question="Souffle systolique : avis ?",
        )
        args.update(kw)
        return referral_submit(**args)

    return make


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def pdf_upload(name="ecg.pdf", size=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    if size:
        content = content + b"0" * (size - len(content))
    return SimpleUploadedFile(name, content, content_type="application/pdf")
