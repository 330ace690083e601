"""The registry of referral actions (actions.py), tested entry by entry: its rules agree with
the transition table, every entry is reachable from the page, the rule is what the services and
the page enforce, and the shared step nests in an outer transaction."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from parcours.referrals import actions, services
from parcours.referrals.models import Referral
from parcours.referrals.workflow import CLOSED, TRANSITIONS, Status

ENTRIES = list(actions.REGISTRY.values())
WITH_FORM = [a for a in ENTRIES if a.form is not None]
IDS = [a.name for a in ENTRIES]


@pytest.mark.parametrize("action", ENTRIES, ids=IDS)
def test_every_move_of_an_action_is_in_the_transition_table(action):
    for status in action.statuses:
        assert action.moves_to <= TRANSITIONS[status], (action.name, status)


@pytest.mark.parametrize("action", ENTRIES, ids=IDS)
def test_no_action_on_a_closed_request(action):
    assert not action.statuses & CLOSED


@pytest.mark.parametrize("action", WITH_FORM, ids=[a.name for a in WITH_FORM])
def test_an_action_with_a_form_has_a_service_a_route_and_french_texts(action):
    assert action.call is not None and hasattr(services, action.call.__name__)
    assert reverse("referrals:action", args=[1, action.name])
    assert str(action.label) and str(action.done)


def test_the_fhir_mapping_names_a_reachable_status_and_a_form_field():
    assert set(actions.BY_FHIR_STATUS) <= set(Status.values)
    for status, action in actions.BY_FHIR_STATUS.items():
        assert status in action.moves_to
        if action.fhir_text:
            assert action.form is not None and action.fhir_text in action.form.base_fields


def _in_status(territory, referral, status):
    """Bring a fresh (submitted) request to ``status`` through the services."""
    if status == Status.INFO_REQUESTED:
        services.referral_request_info(actor=territory.desk, referral=referral, question="ECG ?")
    elif status == Status.ANSWERED:
        services.referral_answer(
            actor=territory.doctor, referral=referral, answer_kind="advice", text="Avis."
        )
    referral.refresh_from_db()
    return referral


def _who(territory, role):
    return {"author": territory.gp, "desk": territory.desk, "doctor": territory.doctor}[role]


@pytest.mark.parametrize("action", ENTRIES, ids=IDS)
def test_allowed_actions_follows_the_rule_of_each_entry(territory, make_referral, action):
    for status in (Status.SUBMITTED, Status.INFO_REQUESTED, Status.ANSWERED):
        referral = _in_status(territory, make_referral(kind="CONSULTATION"), status)
        for role in (actions.AUTHOR, actions.DESK, actions.DOCTOR):
            expected = role in action.who and status in action.statuses
            allowed = action.name in actions.allowed_actions(_who(territory, role), referral)
            assert allowed == expected, (status, role)
        assert action.name not in actions.allowed_actions(territory.gp2, referral)


@pytest.mark.parametrize("action", WITH_FORM, ids=[a.name for a in WITH_FORM])
def test_someone_outside_the_rule_cannot_post_the_action(territory, make_referral, login, action):
    status = next(iter(action.statuses & {Status.SUBMITTED, Status.INFO_REQUESTED}), None)
    status = status or Status.ANSWERED
    referral = _in_status(territory, make_referral(), status)
    outsider = territory.desk if actions.AUTHOR in action.who else territory.gp
    if action.who >= {actions.AUTHOR, actions.DESK}:
        outsider = territory.pneumo  # a doctor of another service: the request is not hers
    events = referral.events.count()
    response = login(outsider).post(reverse("referrals:action", args=[referral.pk, action.name]))
    assert response.status_code in (302, 400, 404, 409)
    assert Referral.objects.get(pk=referral.pk).status == status
    assert referral.events.count() == events


@pytest.mark.parametrize("action", WITH_FORM, ids=[a.name for a in WITH_FORM])
def test_the_page_shows_the_action_to_whoever_may_take_it(territory, make_referral, login, action):
    status = next(iter(action.statuses & {Status.SUBMITTED, Status.INFO_REQUESTED}), None)
    referral = _in_status(territory, make_referral(), status or Status.ANSWERED)
    role = sorted(action.who)[0]
    page = login(_who(territory, role)).get(reverse("referrals:detail", args=[referral.pk]))
    assert reverse("referrals:action", args=[referral.pk, action.name]) in page.content.decode()


def test_an_unknown_or_formless_action_is_a_404(territory, make_referral, login):
    referral = make_referral()
    client = login(territory.desk)
    for name in ("nope", "book_slot"):
        url = reverse("referrals:action", args=[referral.pk, name])
        assert client.post(url).status_code == 404


def test_a_refused_step_inside_an_outer_transaction_rolls_back_to_its_savepoint(
    territory, make_referral
):
    referral = make_referral()
    with transaction.atomic():
        with pytest.raises(PermissionDenied):
            services.referral_decline(actor=territory.gp, referral=referral, reason="Non.")
        # The outer transaction goes on: the next action is written.
        services.referral_acknowledge(actor=territory.desk, referral=referral)
    referral.refresh_from_db()
    assert referral.status == Status.RECEIVED
    assert list(referral.events.values_list("action", flat=True)) == ["submitted", "received"]
