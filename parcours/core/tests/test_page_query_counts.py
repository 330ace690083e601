"""The main pages run as many SQL statements with many rows as with a few (issue 16): the desk
inbox, the GP's list of requests, « Mes patients » and the patient page. A page that grows a
query per row shows here as a difference between the two counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.patients.services import patient_create
from parcours.referrals.services import referral_message_add, referral_submit


def statements(client, url) -> int:
    client.get(url)  # warm: session, first-visit writes
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.fixture
def add_requests(territory, patient):
    """add_requests(n, same_patient): n requests from the GP, each with a message, on the
    fixture patient or on as many new patients."""

    def add(n: int, *, same_patient: bool = False) -> None:
        for i in range(n):
            subject = patient
            if not same_patient:
                subject = patient_create(
                    actor=territory.gp,
                    birth_name=f"Lemoine{'a' * (i % 5)}",
                    birth_given_names="Hugo",
                    birth_date=patient.birth_date.replace(day=1 + i % 28),
                    sex="M",
                ).patient
            referral = referral_submit(
                author=territory.gp,
                patient=subject,
                service=territory.cardio,
                kind="ADVICE" if i % 2 else "EXAM",
                question="Avis ?",
            )
            referral_message_add(actor=territory.gp, referral=referral, body="Précision.")

    return add


# Statements of each page for a logged-in user (session, user, memberships, the page's rows
# and their related rows, unread notifications, the audit row of the list), measured 2026-11-30;
# +1 on every page since the menu shows « Réseaux » only to members of a care network (records,
# one EXISTS in core/context_processors.py).
PAGES = {
    ("desk", "referrals:inbox"): 13,
    ("gp", "referrals:list"): 13,
    ("gp", "patients:mine"): 12,
    ("doctor", "referrals:queue"): 12,
}


@pytest.mark.parametrize(("persona", "page"), PAGES)
def test_list_pages_run_as_many_statements_for_many_rows_as_for_few(
    territory, add_requests, client, persona, page
):
    client.force_login(getattr(territory, persona))
    add_requests(2)
    few = statements(client, reverse(page))
    add_requests(12)
    many = statements(client, reverse(page))
    assert many == few, (few, many)
    assert few == PAGES[(persona, page)]


def test_the_patient_page_runs_as_many_statements_for_many_requests_as_for_one(
    territory, patient, add_requests, client
):
    client.force_login(territory.gp)
    url = reverse("patients:detail", args=[patient.pk])
    add_requests(1, same_patient=True)
    few = statements(client, url)
    add_requests(10, same_patient=True)
    many = statements(client, url)
    assert many == few, (few, many)
    assert few == 26  # 25 + the menu's care-network EXISTS
