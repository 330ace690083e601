"""The spaces' services: membership, versions and check-out, directories, calendar, forum."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import pdf_upload
from parcours.audit.models import AuditEvent
from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.lib.uploads import UploadError
from parcours.notifications.models import Notification
from parcours.spaces import access, selectors, services
from parcours.spaces.models import Page, SpaceMember, Visibility

PARIS = ZoneInfo("Europe/Paris")


def test_an_open_space_takes_a_member_at_once(territory):
    space = services.space_create(actor=territory.gp, name="Groupe ouvert", policy="open")
    row = services.space_join(actor=territory.pneumo, space=space)
    assert row.state == SpaceMember.State.ACTIVE
    assert access.is_member(territory.pneumo, space)


def test_a_request_waits_for_a_moderator_who_is_told(space_world):
    t = space_world.t
    row = services.space_join(actor=t.pneumo, space=space_world.space)
    assert row.state == SpaceMember.State.REQUESTED
    assert Notification.objects.filter(user=t.gp, kind="space_request").exists()
    assert Notification.objects.filter(user=t.desk, kind="space_request").exists()
    services.member_decide(actor=t.desk, member=row, decision="accept")
    assert access.is_member(t.pneumo, space_world.space)
    assert Notification.objects.filter(user=t.pneumo, kind="space_request").exists()


def test_asking_twice_is_refused(space_world):
    services.space_join(actor=space_world.t.pneumo, space=space_world.space)
    with pytest.raises(Conflict):
        services.space_join(actor=space_world.t.pneumo, space=space_world.space)


def test_a_space_by_invitation_cannot_be_joined_uninvited_nor_seen(territory):
    space = services.space_create(actor=territory.gp, name="Groupe fermé", policy="invitation")
    assert not access.space_queryset_for(territory.gp2).filter(pk=space.pk).exists()
    with pytest.raises(Forbidden):
        services.space_join(actor=territory.gp2, space=space)
    services.member_invite(actor=territory.gp, space=space, user=territory.gp2)
    assert access.space_queryset_for(territory.gp2).filter(pk=space.pk).exists()
    assert services.space_join(actor=territory.gp2, space=space).state == "active"


def test_a_plain_member_cannot_moderate_and_a_moderator_cannot_touch_an_owner(space_world):
    t = space_world.t
    gp_row = SpaceMember.objects.get(space=space_world.space, user=t.gp)
    desk_row = SpaceMember.objects.get(space=space_world.space, user=t.desk)
    with pytest.raises(Forbidden):
        services.member_decide(actor=t.doctor, member=desk_row, decision="remove")
    with pytest.raises(Forbidden):
        services.member_decide(actor=t.desk, member=gp_row, decision="remove")


def test_the_last_owner_cannot_leave(space_world):
    with pytest.raises(Conflict):
        services.space_leave(actor=space_world.t.gp, space=space_world.space)


def test_an_account_without_a_role_cannot_create_a_space(territory):
    with pytest.raises(Forbidden):
        services.space_create(actor=territory.nobody, name="X", policy="open")


def test_a_non_member_sees_only_pages_for_all_accounts(space_world):
    t = space_world.t
    visible = set(access.page_queryset_for(t.gp2).values_list("title", flat=True))
    assert visible == {"Formations ouvertes"}
    assert not selectors.search(t.gp2, "Fonctionnement")
    assert all(
        c.page_id in (None, space_world.public_page.pk)
        for c in selectors.recent_changes(t.gp2, space=space_world.space)
    )
    assert selectors.recent_changes(t.gp2, space=space_world.space)  # the public page's line


def test_a_draft_is_for_its_author_and_the_moderators(space_world):
    t = space_world.t
    draft = space_world.draft
    assert access.page_queryset_for(t.doctor).filter(pk=draft.pk).exists()
    assert access.page_queryset_for(t.desk).filter(pk=draft.pk).exists()
    assert access.page_queryset_for(t.gp).filter(pk=draft.pk).exists()  # owner
    SpaceMember.objects.create(space=space_world.space, user=t.pneumo, state="active")
    assert not access.page_queryset_for(t.pneumo).filter(pk=draft.pk).exists()


def test_only_a_moderator_publishes_to_all_accounts(space_world):
    t = space_world.t
    with pytest.raises(Forbidden):
        services.page_set_visibility(
            actor=t.doctor, page=space_world.draft, visibility=Visibility.ACCOUNTS
        )
    services.page_set_visibility(actor=t.desk, page=space_world.draft, visibility="accounts")
    space_world.draft.refresh_from_db()
    assert space_world.draft.visibility == Visibility.ACCOUNTS


def test_saving_needs_the_check_out_and_another_member_is_held_off(space_world):
    t = space_world.t
    page = space_world.members_page
    with pytest.raises(Conflict):
        services.page_checkin(actor=t.doctor, page=page, title="T", body="b", base_version=1)
    services.page_checkout(actor=t.doctor, page=page)
    with pytest.raises(Conflict, match="Doctor"):
        services.page_checkout(actor=t.gp, page=page)
    version = services.page_checkin(
        actor=t.doctor, page=page, title=page.title, body="Ligne un\nLigne 2", base_version=1
    )
    page.refresh_from_db()
    assert version.number == 2 and page.version == 2 and page.locked_by is None


def test_a_moderator_breaks_a_check_out_and_the_holder_is_told(space_world):
    t = space_world.t
    services.page_checkout(actor=t.doctor, page=space_world.members_page)
    services.page_release(actor=t.desk, page=space_world.members_page)
    assert Notification.objects.filter(user=t.doctor, kind="space_page").exists()


def test_a_stale_form_is_refused(space_world):
    t = space_world.t
    page = space_world.members_page
    services.page_checkout(actor=t.doctor, page=page)
    with pytest.raises(Conflict):
        services.page_checkin(actor=t.doctor, page=page, title="T", body="b", base_version=0)


def test_restoring_adds_a_version_and_keeps_every_other(space_world):
    t = space_world.t
    page = space_world.members_page
    services.page_checkout(actor=t.gp, page=page)
    services.page_checkin(
        actor=t.gp, page=page, title="Nouveau titre", body="Autre", base_version=1
    )
    version = services.page_restore(actor=t.doctor, page=page, number=1)
    page.refresh_from_db()
    assert version.number == 3 and version.restored_from == 1
    assert page.title == "Fonctionnement interne du réseau" and page.body == "Ligne un\nLigne deux"
    assert list(page.versions.values_list("number", flat=True)) == [3, 2, 1]


def test_the_diff_marks_added_and_removed_lines(space_world):
    t = space_world.t
    page = space_world.members_page
    services.page_checkout(actor=t.gp, page=page)
    services.page_checkin(
        actor=t.gp, page=page, title=page.title, body="Ligne un\nLigne trois", base_version=1
    )
    old, new = page.versions.get(number=1), page.versions.get(number=2)
    diff = [(d.op, d.text) for d in selectors.version_diff(old, new)]
    assert ("removed", "Ligne deux") in diff and ("added", "Ligne trois") in diff
    assert ("same", "Ligne un") in diff


def test_a_document_keeps_each_file_version(space_world):
    t = space_world.t
    doc = services.page_create(
        actor=t.gp, space=space_world.space, kind="document", title="Plaquette", upload=pdf_upload()
    )
    services.page_checkout(actor=t.gp, page=doc)
    services.page_checkin(
        actor=t.gp,
        page=doc,
        title="Plaquette",
        body="",
        base_version=1,
        upload=pdf_upload("v2.pdf", size=200),
    )
    v1, v2 = doc.versions.get(number=1), doc.versions.get(number=2)
    assert v1.file.name != v2.file.name and v2.size == 200 and v2.file_name == "v2.pdf"
    restored = services.page_restore(actor=t.gp, page=doc, number=1)
    assert restored.file.name == v1.file.name


def test_an_upload_is_checked_by_content(space_world):
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(UploadError):
        services.page_create(
            actor=space_world.t.gp, space=space_world.space, kind="document", title="X", upload=fake
        )
    assert not Page.objects.filter(title="X").exists()


def test_a_price_needs_its_date_and_source(space_world):
    with pytest.raises(Invalid) as exc:
        services.entry_save(
            actor=space_world.t.doctor,
            page=space_world.directory,
            provider="Repas Services Test",
            price=Decimal("8.50"),
        )
    assert exc.value.field == "price_valid_on"


def test_directory_search_sort_and_french_csv(space_world, frozen):
    page, t = space_world.directory, space_world.t
    for name, area, price, checked in [
        ("Saveurs à domicile (fictif)", "Doué-en-Anjou", "9.20", date(2026, 1, 10)),
        ("CCAS Exemple", "Montreuil-Bellay", "7.80", date(2024, 1, 10)),
    ]:
        services.entry_save(
            actor=t.doctor,
            page=page,
            provider=name,
            area=area,
            days="lun., mer., ven.",
            price=Decimal(price),
            price_unit="par repas",
            price_valid_on=checked,
            source="appel",
        )
    rows = selectors.directory_entries(page, sort="prix")
    assert [r.provider for r in rows] == ["CCAS Exemple", "Saveurs à domicile (fictif)"]
    assert rows[0].stale and not rows[1].stale
    assert [r.provider for r in selectors.directory_entries(page, q="doué")] == [
        "Saveurs à domicile (fictif)"
    ]
    text = selectors.directory_csv(page, rows)
    assert text.startswith("\ufeffPrestataire;")
    assert "CCAS Exemple;Montreuil-Bellay;lun., mer., ven.;;7,80;par repas;10/01/2024;" in text


def test_a_weekly_event_repeats_at_the_same_paris_hour_across_the_clock_change(space_world):
    start = datetime(2026, 3, 17, 14, 0, tzinfo=PARIS)
    event = services.event_create(
        actor=space_world.t.doctor,
        space=space_world.space,
        title="Réunion de concertation",
        start=start,
        end=datetime(2026, 3, 17, 15, 0, tzinfo=PARIS),
        rrule=services.build_rrule(frequency="weekly", count=3),
    )
    found = selectors.occurrences(
        [event], datetime(2026, 3, 1, tzinfo=PARIS), datetime(2026, 5, 1, tzinfo=PARIS)
    )
    assert [o.start.astimezone(PARIS).strftime("%d/%m %H:%M") for o in found] == [
        "17/03 14:00",
        "24/03 14:00",
        "31/03 14:00",
    ]


def test_an_unbounded_recurrence_is_refused():
    with pytest.raises(Invalid):
        services.build_rrule(frequency="weekly")


def test_a_reply_notifies_the_other_followers_once(space_world):
    t = space_world.t
    topic = services.topic_create(
        actor=t.gp, space=space_world.space, title="Portage le dimanche ?", body="Qui livre ?"
    )
    services.post_reply(actor=t.doctor, topic=topic, body="Le CCAS exemple.")
    services.post_reply(actor=t.gp, topic=topic, body="Merci")
    assert Notification.objects.filter(user=t.gp, kind="space_forum").count() == 1
    assert Notification.objects.filter(user=t.doctor, kind="space_forum").count() == 1


def test_a_closed_topic_takes_no_reply_and_only_moderators_close(space_world):
    t = space_world.t
    topic = services.topic_create(actor=t.doctor, space=space_world.space, title="S", body="B")
    with pytest.raises(Forbidden):
        services.topic_lock(actor=t.doctor, topic=topic, locked=True)
    services.topic_lock(actor=t.desk, topic=topic, locked=True)
    with pytest.raises(Conflict):
        services.post_reply(actor=t.gp, topic=topic, body="encore")


def test_a_moderator_hides_a_post_with_a_reason(space_world):
    t = space_world.t
    topic = services.topic_create(actor=t.doctor, space=space_world.space, title="S", body="B")
    post = topic.posts.get()
    with pytest.raises(Invalid):
        services.post_hide(actor=t.desk, post=post, reason="")
    services.post_hide(actor=t.desk, post=post, reason="Hors sujet")
    post.refresh_from_db()
    assert post.hidden_by == t.desk and post.body == "B"


def test_every_write_is_audited(space_world):
    assert AuditEvent.objects.filter(object_type="page", detail__startswith="espaces").count() == 4
    assert AuditEvent.objects.filter(object_type="space").exists()


def test_a_non_member_cannot_write(space_world):
    with pytest.raises(Forbidden):
        services.page_create(
            actor=space_world.t.gp2, space=space_world.space, kind="page", title="Intrus"
        )
    with pytest.raises(Forbidden):
        services.page_checkout(actor=space_world.t.gp2, page=space_world.public_page)


def test_a_recurrence_until_a_date_includes_that_paris_day(space_world):
    rule = services.build_rrule(frequency="daily", until=date(2026, 7, 3))
    assert rule == "FREQ=DAILY;UNTIL=20260703T215959Z"
    event = services.event_create(
        actor=space_world.t.doctor,
        space=space_world.space,
        title="Permanence du soir",
        start=datetime(2026, 7, 1, 23, 0, tzinfo=PARIS),
        end=datetime(2026, 7, 1, 23, 30, tzinfo=PARIS),
        rrule=rule,
    )
    found = selectors.occurrences(
        [event], datetime(2026, 6, 1, tzinfo=PARIS), datetime(2026, 8, 1, tzinfo=PARIS)
    )
    assert [o.start.astimezone(PARIS).day for o in found] == [1, 2, 3]


def test_a_cancelled_event_leaves_the_pages_and_tells_the_feeds(space_world):
    t = space_world.t
    start = datetime(2026, 4, 2, 14, 0, tzinfo=PARIS)
    event = services.event_create(
        actor=t.doctor,
        space=space_world.space,
        title="Staff annulé",
        start=start,
        end=datetime(2026, 4, 2, 15, 0, tzinfo=PARIS),
    )
    SpaceMember.objects.create(space=space_world.space, user=t.pneumo, state="active")
    with pytest.raises(Forbidden):
        services.event_cancel(actor=t.pneumo, event=event)
    services.event_cancel(actor=t.desk, event=event)  # a moderator
    event.refresh_from_db()
    window = (datetime(2026, 4, 1, tzinfo=PARIS), datetime(2026, 4, 3, tzinfo=PARIS))
    assert selectors.occurrences([event], *window) == []
    assert b"STATUS:CANCELLED" in selectors.calendar_ics([event], name="x")


def test_the_csv_never_hands_a_formula_to_the_spreadsheet(space_world):
    services.entry_save(
        actor=space_world.t.doctor, page=space_world.directory, provider="=HYPERLINK(1)"
    )
    text = selectors.directory_csv(
        space_world.directory, selectors.directory_entries(space_world.directory)
    )
    assert "\r\n'=HYPERLINK(1);" in text


def test_a_member_removed_a_moment_ago_cannot_write_with_the_same_space_object(space_world):
    t, space = space_world.t, space_world.space
    assert access.is_member(t.doctor, space)  # the page's cache now holds the membership
    SpaceMember.objects.filter(space=space, user=t.doctor).delete()
    with pytest.raises(Forbidden):
        services.page_create(actor=t.doctor, space=space, kind="page", title="Trop tard")


def test_search_finds_pages_topics_and_events_only_where_one_may_look(space_world):
    t, space = space_world.t, space_world.space
    services.topic_create(
        actor=t.doctor, space=space, title="Livraison", body="Portage le dimanche"
    )
    start = datetime(2026, 4, 2, 14, 0, tzinfo=PARIS)
    services.event_create(
        actor=t.doctor,
        space=space,
        title="Point portage",
        start=start,
        end=start.replace(hour=15),
    )
    found = selectors.search(t.doctor, "portage")
    assert [p.title for p in found.pages] == ["Portage de repas à domicile"]
    assert [x.title for x in found.topics] == ["Livraison"]
    assert [e.title for e in found.events] == ["Point portage"]
    assert not selectors.search(t.gp2, "portage")  # members' page, forum and event
