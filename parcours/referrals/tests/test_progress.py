"""The progress stepper on each request (an ordered list with aria-current)."""

import re

from django.urls import reverse

from parcours.referrals.selectors import referral_get_timeline, referral_progress
from parcours.referrals.services import (
    referral_acknowledge,
    referral_answer,
    referral_assign,
    referral_cancel,
    referral_request_info,
)


def _states(referral):
    referral.refresh_from_db()
    steps = referral_progress(referral, list(referral_get_timeline(referral)))
    return [(s.key, s.state) for s in steps]


def test_steps_follow_the_workflow(territory, make_referral):
    r = make_referral()
    assert _states(r) == [
        ("submitted", "current"),
        ("received", "todo"),
        ("assigned", "todo"),
        ("answered", "todo"),
        ("closed", "todo"),
    ]
    referral_acknowledge(actor=territory.desk, referral=r)
    assert _states(r)[1] == ("received", "current")
    referral_assign(actor=territory.desk, referral=r, doctor=territory.doctor)
    assert [s for _, s in _states(r)] == ["done", "done", "current", "todo", "todo"]
    referral_request_info(actor=territory.doctor, referral=r, question="Poids ?")
    r.refresh_from_db()
    steps = referral_progress(r, list(referral_get_timeline(r)))
    assert steps[2].state == "current" and "complément demandé" in steps[2].note


def test_a_step_not_taken_is_skipped_and_a_closed_request_says_how(territory, make_referral):
    r = make_referral()
    referral_answer(actor=territory.doctor, referral=r, answer_kind="advice", text="ok")
    assert [s for _, s in _states(r)] == ["done", "skipped", "skipped", "current", "todo"]
    other = make_referral()
    referral_cancel(actor=territory.gp, referral=other, reason="x")
    other.refresh_from_db()
    steps = referral_progress(other, list(referral_get_timeline(other)))
    assert steps[-1].label == "Annulée" and steps[-1].state == "current"
    assert steps[-1].at is not None


def test_the_page_shows_an_accessible_stepper(territory, make_referral, client):
    r = make_referral()
    referral_acknowledge(actor=territory.desk, referral=r)
    client.force_login(territory.gp)
    body = client.get(reverse("referrals:detail", args=[r.pk])).content.decode()
    stepper = re.search(r'<ol class="stepper">(.*?)</ol>', body, re.S).group(1)
    assert stepper.count("<li") == 5
    assert stepper.count('aria-current="step"') == 1
    current = re.search(r'<li[^>]*aria-current="step"[^>]*>(.*?)</li>', stepper, re.S).group(1)
    assert "Prise en compte" in current
