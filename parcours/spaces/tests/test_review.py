"""Attacks from the review of issue 19 on the collaborative spaces: each test is a way in
that must stay closed (an ex-member, dates at the edge of the calendar, spreadsheet
formulas, text that must stay text)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr  # type: ignore[import-untyped,unused-ignore]  # no stubs pinned
from django.urls import reverse
from icalendar import Calendar

from parcours.lib.errors import Forbidden
from parcours.spaces import selectors, services
from parcours.spaces.models import Page, PageVersion, ResourceEntry, SpaceMember


def test_an_ex_member_holding_a_check_out_cannot_save_a_new_version(space_world):
    w = space_world
    page = services.page_checkout(actor=w.t.doctor, page=w.public_page)
    SpaceMember.objects.filter(space=w.space, user=w.t.doctor).delete()
    with pytest.raises(Forbidden):
        services.page_checkin(
            actor=w.t.doctor, page=page, title="Vandalisme", body="x", base_version=page.version
        )
    assert not PageVersion.objects.filter(page=page, title="Vandalisme").exists()


def test_an_ex_member_holding_a_check_out_is_sent_back_from_the_edit_form(space_world, login):
    w = space_world
    services.page_checkout(actor=w.t.doctor, page=w.public_page)
    SpaceMember.objects.filter(space=w.space, user=w.t.doctor).delete()
    url = reverse("spaces:page_edit", args=[w.space.pk, w.public_page.pk])
    response = login(w.t.doctor).post(
        url, {"title": "Vandalisme", "body": "x", "base_version": w.public_page.version}
    )
    assert response.status_code in (302, 404)
    w.public_page.refresh_from_db()
    assert w.public_page.title == "Formations ouvertes"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_calendar_window_at_the_edge_of_time_is_a_page_not_an_error(space_world, login, day):
    client = login(space_world.t.doctor)
    space_calendar = reverse("spaces:calendar", args=[space_world.space.pk]) + f"?du={day}"
    assert client.get(space_calendar).status_code == 200
    assert client.get(reverse("spaces:my_calendar") + f"?du={day}").status_code == 200


def test_the_directory_csv_neutralises_tab_and_carriage_return_formulas_too(space_world):
    page = space_world.directory
    entry = ResourceEntry(page=page, provider="\t=1+1", area='\r=HYPERLINK("x")', notes="ok")
    text = selectors.directory_csv(page, [entry])
    line = text.splitlines()[1]
    assert line.startswith("'\t=1+1")
    assert "'\r=HYPERLINK" in text


def test_html_in_page_text_diff_and_forum_is_shown_as_text(space_world, login):
    w = space_world
    evil = '<script>alert("x")</script>'
    page = services.page_checkout(actor=w.t.gp, page=w.members_page)
    services.page_checkin(
        actor=w.t.gp, page=page, title="Titre " + evil, body=evil, base_version=page.version
    )
    topic = services.topic_create(actor=w.t.doctor, space=w.space, title=evil, body=evil)
    client = login(w.t.doctor)
    for url in (
        reverse("spaces:page", args=[w.space.pk, page.pk]),
        reverse("spaces:page_history", args=[w.space.pk, page.pk]),
        reverse("spaces:topic", args=[w.space.pk, topic.pk]),
        reverse("spaces:index") + "?q=script",
        reverse("spaces:detail", args=[w.space.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert evil not in response.text, url
        assert "&lt;script&gt;" in response.text, url


def test_a_moderator_of_another_space_cannot_hide_a_message_here(space_world, login):
    w = space_world
    other = services.space_create(actor=w.t.gp2, name="Autre espace", policy="open")
    topic = services.topic_create(actor=w.t.doctor, space=w.space, title="Sujet", body="Texte")
    post = topic.posts.get()
    client = login(w.t.gp2)
    url = reverse("spaces:post_hide", args=[other.pk, post.pk])
    assert client.post(url, {"reason": "spam"}).status_code == 404
    post.refresh_from_db()
    assert post.hidden_at is None


def test_a_second_owner_may_leave_while_another_owner_stays(space_world):
    w = space_world
    SpaceMember.objects.filter(space=w.space, user=w.t.desk).update(role=SpaceMember.Role.OWNER)
    services.space_leave(actor=w.t.desk, space=w.space)
    assert not SpaceMember.objects.filter(space=w.space, user=w.t.desk).exists()
    assert Page.objects.filter(space=w.space).exists()


def test_a_weekly_meeting_stays_at_14h_in_the_feed_across_the_clock_change(space_world, client):
    """RFC 5545 §3.8.5.3: a calendar application expands RRULE in DTSTART's zone; a DTSTART
    in UTC would move a 14:00 Paris meeting to 15:00 after the change to summer time."""
    paris = ZoneInfo("Europe/Paris")
    w = space_world
    start = datetime(2026, 3, 19, 14, 0, tzinfo=paris)  # two Thursdays before 29 March
    services.event_create(
        actor=w.t.doctor,
        space=w.space,
        title="Staff hebdomadaire",
        start=start,
        end=start + timedelta(hours=1),
        rrule=services.build_rrule(frequency="weekly", count=4),
    )
    feed = services.feed_create(actor=w.t.doctor, space=w.space)
    cal = Calendar.from_ical(client.get(reverse("spaces:feed", args=[feed.token])).content)
    vevent = next(c for c in cal.walk("VEVENT") if c["SUMMARY"] == "Staff hebdomadaire")
    dtstart = vevent.decoded("DTSTART")
    rule = rrulestr(vevent["RRULE"].to_ical().decode(), dtstart=dtstart)
    hours = [when.astimezone(paris).hour for when in rule]
    assert hours == [14, 14, 14, 14]
