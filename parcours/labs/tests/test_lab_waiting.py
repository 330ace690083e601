"""Identity in lab files and results waiting for a patient (issue 12): a certain match needs
the INS *and* agreeing traits; a number only printed never attaches alone; reviewers search by
name, NIR or birth date and choose; a patient created later with the INS the file declared
gets the waiting results by themselves."""

from datetime import date

import pytest
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.labs.models import LabReport
from parcours.labs.services import lab_import_file
from parcours.messaging.models import MailboxEntry
from parcours.patients.services import patient_create

from .factories import make_nir, report

BORN = date(1972, 10, 23)
NIR = make_nir("M", BORN, order=11)


def _import(parsed, *reports):
    parsed(list(reports))
    return lab_import_file(data=repr(reports).encode(), file_name="f.hl7")


def _create(territory, **kw):
    args = dict(
        actor=territory.cell,
        birth_name="BERNARD",
        birth_given_names="PIERRE YVES",
        birth_date=BORN,
        sex="M",
        ins_nir=NIR,
    )
    args.update(kw)
    return patient_create(**args).patient


@pytest.mark.parametrize(
    "file_traits, declared, attached",
    [
        ({}, "NIR", True),
        ({"given": "PIERRE-YVES"}, "NIR", True),  # a hyphen the INS tolerates
        ({"family": "DURAND", "used_name": "BERNARD"}, "NIR", True),  # used name = birth name
        ({"born": date(1972, 10, 24)}, "NIR", False),  # INS equal, birth date differs
        ({"given": "JEAN"}, "NIR", False),  # INS equal, first name differs
        ({"sex": "F"}, "NIR", False),
        ({}, "", True),  # printed number, exact traits
        ({"given": "PIERRE-YVES"}, "", False),  # printed number: exact traits only
        ({"nir": ""}, "", False),  # no number: four traits are not certain (no birthplace)
    ],
)
def test_a_certain_match_needs_the_number_and_agreeing_traits(
    territory, prescribers, parsed, file_traits, declared, attached
):
    known = _create(territory)
    args = dict(
        family="BERNARD", given="PIERRE YVES", born=BORN, sex="M", nir=NIR, ins_kind=declared
    )
    args.update(file_traits)
    outcome = _import(parsed, report(**args))
    assert outcome.matched == int(attached)
    assert LabReport.objects.get().patient == (known if attached else None)


def test_used_name_and_birth_given_names_are_stored(territory, prescribers, parsed):
    _import(
        parsed,
        report(
            family="BERNARD",
            given="PAUL",
            birth_given_names="PAUL ANDRE",
            used_name="DUSAGE",
            born=BORN,
            sex="M",
            nir=NIR,
            ins_kind="NIR",
        ),
    )
    r = LabReport.objects.get()
    assert (r.used_name, r.birth_given_names, r.ins_kind, r.nir) == (
        "DUSAGE",
        "PAUL ANDRE",
        "NIR",
        NIR,
    )


def test_a_patient_created_later_with_the_declared_ins_gets_the_waiting_results(
    territory, prescribers, parsed
):
    _import(
        parsed,
        report(family="BERNARD", given="PIERRE YVES", born=BORN, sex="M", nir=NIR, ins_kind="NIR"),
        report(
            family="BERNARD",
            given="PIERRE YVES",
            born=date(1972, 10, 3),
            sex="M",
            nir=NIR,
            ins_kind="NIR",
        ),  # same INS, another birth date: stays
        report(family="BERNARD", given="PIERRE YVES", born=BORN, sex="M", nir=NIR, ins_kind=""),
    )  # the number is only printed: stays
    first, other_date, printed = LabReport.objects.order_by("pk")
    assert not MailboxEntry.objects.exists()
    patient = _create(territory, actor=territory.desk)
    for r in (first, other_date, printed):
        r.refresh_from_db()
    assert first.patient == patient and first.match == "matched"
    assert other_date.patient is None and printed.patient is None
    assert AuditEvent.objects.filter(
        object_type="labreport",
        object_id=str(first.pk),
        patient_id=patient.pk,
        detail__contains="matricule INS",
    ).exists()
    assert MailboxEntry.objects.filter(user=territory.gp, message__lab_report=first).exists()


@pytest.fixture
def waiting(territory, prescribers, parsed):
    _import(parsed, report(family="BERNARD", given="PIERRE", born=BORN, sex="M"))
    return LabReport.objects.get()


@pytest.mark.parametrize(
    "query, found",
    [
        ({"nom": "bernard"}, True),
        ({"nom": "Bernard Pierre"}, True),
        ({"nir": NIR}, True),
        ({"naissance": "1972-10-23"}, True),
        ({"nom": "DURAND"}, False),
        ({"nom": "BERNARD", "naissance": "1980-01-01"}, False),
    ],
)
def test_a_reviewer_finds_the_identity_by_name_nir_or_birth_date_and_attaches(
    territory, waiting, login, query, found
):
    # Another birth date and a typed first name: not a traits candidate, found by search.
    patient = _create(
        territory,
        birth_given_names="PIERRE YVES",
        birth_date=date(1972, 3, 23),
        ins_nir=make_nir("M", date(1972, 3, 23), order=12),
    )
    if "nir" in query:
        query = {"nir": patient.ins_nir}
    if "naissance" in query and "nom" not in query:
        query = {"naissance": "1972-03-23"}
    admin = login(territory.cell)
    page = admin.get(reverse("labs:detail", args=[waiting.pk]), query).content.decode()
    searched = page.split("Identités proches des traits du fichier")[0]
    assert (f'value="{patient.pk}"' in searched) == found
    assert AuditEvent.objects.filter(action="search", username="cell").exists()
    if found:
        # Its birth date differs from the file's: only with a confirmation and a reason
        # (test_a_reviewer_attaches_contradicting_traits_only_with_a_confirmed_reason).
        admin.post(
            reverse("labs:detail", args=[waiting.pk]),
            {
                "action": "attach",
                "patient": patient.pk,
                "confirm": "on",
                "reason": "date du laboratoire erronée, vérifiée par téléphone",
            },
        )
        waiting.refresh_from_db()
        assert waiting.patient == patient and waiting.matched_by == territory.cell


def test_a_desk_cannot_attach_to_an_identity_it_may_not_see(territory, waiting, login):
    hidden = _create(territory)  # created by the admin: the desk has no care link
    desk = login(territory.desk)
    page = desk.get(reverse("labs:detail", args=[waiting.pk]), {"nir": NIR}).content.decode()
    assert f'value="{hidden.pk}"' not in page
    desk.post(reverse("labs:detail", args=[waiting.pk]), {"action": "attach", "patient": hidden.pk})
    waiting.refresh_from_db()
    assert waiting.patient is None


@pytest.mark.parametrize(
    "who, status",
    [
        ("gp", 404),
        ("gp2", 404),
        ("doctor", 404),
        ("nobody", 404),
        ("desk", 302),
        ("cell", 302),
        ("admin", 404),
    ],
)
def test_attaching_per_role(territory, waiting, login, who, status):
    patient = _create(territory, actor=territory.desk)
    response = login(getattr(territory, who)).post(
        reverse("labs:detail", args=[waiting.pk]), {"action": "attach", "patient": patient.pk}
    )
    waiting.refresh_from_db()
    assert response.status_code == status
    assert waiting.patient == (patient if status == 302 else None)


def test_anonymous_is_sent_to_the_login_page(territory, waiting, client, settings):
    for response in (
        client.get(reverse("labs:detail", args=[waiting.pk])),
        client.post(reverse("labs:detail", args=[waiting.pk]), {"action": "attach", "patient": 1}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    waiting.refresh_from_db()
    assert waiting.patient is None


def test_a_reviewer_cannot_attach_a_declared_ins_to_an_identity_with_another_ins(
    territory, prescribers, parsed, login
):
    other = _create(territory, ins_nir=make_nir("M", BORN, order=13))
    _import(
        parsed,
        report(family="BERNARD", given="PIERRE YVES", born=BORN, sex="M", nir=NIR, ins_kind="NIR"),
    )
    waiting = LabReport.objects.get()
    assert waiting.patient is None  # another INS: not even a candidate for auto-attach
    response = login(territory.cell).post(
        reverse("labs:detail", args=[waiting.pk]),
        {"action": "attach", "patient": other.pk},
        follow=True,
    )
    assert "diffère de celui de cette identité" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.patient is None


@pytest.mark.parametrize(
    "traits", [{"sex": "F", "birth_given_names": "PIERRETTE"}, {"birth_date": date(1979, 10, 9)}]
)
def test_a_reviewer_attaches_contradicting_traits_only_with_a_confirmed_reason(
    territory, waiting, login, traits
):
    """A click on the wrong identity (another sex or birth date than the file's) put a woman's
    blood count on a man; now it needs a confirmation and a reason, both audited."""
    other = _create(territory, ins_nir="", **traits)
    admin = login(territory.cell)
    url = reverse("labs:detail", args=[waiting.pk])
    for data in (
        {},
        {"confirm": "on"},
        {"reason": "vérifié par téléphone"},
        {"confirm": "on", "reason": "vérifié"},
    ):
        page = admin.post(
            url, {"action": "attach", "patient": other.pk, **data}, follow=True
        ).content.decode()
        assert "du fichier diffère de celle de cette identité" in page
        waiting.refresh_from_db()
        assert waiting.patient is None and not MailboxEntry.objects.exists()
    admin.post(
        url,
        {
            "action": "attach",
            "patient": other.pk,
            "confirm": "on",
            "reason": "erreur du laboratoire vérifiée par téléphone",
        },
    )
    waiting.refresh_from_db()
    assert waiting.patient == other
    assert AuditEvent.objects.filter(detail__contains="malgré des traits différents").exists()


def test_a_swapped_day_and_month_is_not_a_contradiction(territory, waiting, login):
    patient = _create(territory, ins_nir="", birth_date=date(1972, 10, 23))
    waiting.birth_date = date(1972, 10, 23)
    from parcours.labs.services import traits_mismatch

    assert traits_mismatch(waiting, patient) == ""
    swapped_file = LabReport(sex="M", birth_date=date(1972, 3, 4))
    assert (
        traits_mismatch(swapped_file, _create(territory, ins_nir="", birth_date=date(1972, 4, 3)))
        == ""
    )


def test_a_search_that_finds_nobody_says_so(territory, waiting, login):
    """With no candidate and an empty search result the page said nothing at all after the
    reviewer pressed « Rechercher »."""
    page = (
        login(territory.cell)
        .get(reverse("labs:detail", args=[waiting.pk]), {"nom": "PERSONNE"})
        .content.decode()
    )
    assert "Aucune identité ne correspond à cette recherche." in page
