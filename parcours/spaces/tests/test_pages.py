"""The spaces' pages, through HTTP, per role: what a member, a moderator, an outsider and an
account without a role see and may do."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.notifications.models import Notification
from parcours.spaces import services
from parcours.spaces.models import FeedToken, Page, PageVersion, SpaceMember


def _page(w, page):
    return reverse("spaces:page", args=[w.space.pk, page.pk])


def test_an_outsider_sees_nothing_of_a_members_page_not_even_its_title(space_world, login):
    client = login(space_world.t.gp2)
    title = space_world.members_page.title
    detail = client.get(reverse("spaces:detail", args=[space_world.space.pk]))
    assert detail.status_code == 200
    assert title not in detail.text and "Formations ouvertes" in detail.text
    assert client.get(_page(space_world, space_world.members_page)).status_code == 404
    search = client.get(reverse("spaces:index") + "?q=Fonctionnement")
    assert title not in search.text and "Rien ne correspond" in search.text
    assert client.get(reverse("spaces:forum", args=[space_world.space.pk])).status_code == 404


def test_an_account_without_a_role_reads_a_page_for_all_accounts(space_world, login):
    response = login(space_world.t.nobody).get(_page(space_world, space_world.public_page))
    assert response.status_code == 200
    assert "Tous les comptes de la plateforme" in response.text  # the who-can-see badge
    assert "Modifier" not in response.text


def test_a_member_sees_the_badge_and_the_no_patient_notice(space_world, login):
    response = login(space_world.t.doctor).get(_page(space_world, space_world.members_page))
    assert "Membres de l'espace" in response.text
    assert "aucune donnée de patient" in response.text


def test_a_member_edits_through_check_out_then_restores_the_first_version(space_world, login):
    w = space_world
    client = login(w.t.doctor)
    page = w.members_page
    edit = reverse("spaces:page_edit", args=[w.space.pk, page.pk])
    assert client.get(edit).status_code == 302  # not reserved yet
    client.post(reverse("spaces:page_checkout", args=[w.space.pk, page.pk]))
    form = client.get(edit)
    assert form.status_code == 200 and "vous est réservée" in form.text
    response = client.post(
        edit, {"title": page.title, "body": "Ligne un\nLigne modifiée", "base_version": 1}
    )
    assert response.status_code == 302
    history = client.get(reverse("spaces:page_history", args=[w.space.pk, page.pk]))
    assert "Ligne modifiée" in history.text and "diff-removed" in history.text
    client.post(reverse("spaces:page_restore", args=[w.space.pk, page.pk, 1]))
    page.refresh_from_db()
    assert page.version == 3 and page.body == "Ligne un\nLigne deux"


def test_someone_elses_check_out_shows_who_holds_the_page(space_world, login):
    w = space_world
    services.page_checkout(actor=w.t.doctor, page=w.members_page)
    client = login(w.t.gp)
    response = client.post(
        reverse("spaces:page_checkout", args=[w.space.pk, w.members_page.pk]), follow=True
    )
    assert "Dr Doctor TEST modifie cette page" in response.text


def test_an_empty_title_is_refused_in_french_and_nothing_is_saved(space_world, login):
    w = space_world
    client = login(w.t.doctor)
    client.post(reverse("spaces:page_checkout", args=[w.space.pk, w.members_page.pk]))
    response = client.post(
        reverse("spaces:page_edit", args=[w.space.pk, w.members_page.pk]),
        {"title": "", "body": "x", "base_version": 1},
    )
    assert response.status_code == 200 and "Ce champ est obligatoire" in response.text
    assert PageVersion.objects.filter(page=w.members_page).count() == 1


def test_a_document_is_uploaded_and_downloaded_by_a_member_only(space_world, login):
    from conftest import pdf_upload  # noqa: PLC0415 — the shared upload helper of the root conftest

    w = space_world
    client = login(w.t.doctor)
    response = client.post(
        reverse("spaces:page_new", args=[w.space.pk]),
        {"kind": "document", "title": "Plaquette", "visibility": "members", "upload": pdf_upload()},
    )
    page = Page.objects.get(title="Plaquette")
    assert response.status_code == 302
    url = reverse("spaces:version_file", args=[w.space.pk, page.pk, 1])
    assert client.get(url).status_code == 200
    assert login(w.t.gp2).get(url).status_code == 404


def test_the_directory_is_searchable_sortable_and_exported(space_world, login):
    w = space_world
    client = login(w.t.doctor)
    new = reverse("spaces:entry_new", args=[w.space.pk, w.directory.pk])
    response = client.post(new, {"provider": "Repas Test", "price": "8,40"})
    assert "Indiquez la date à laquelle ce tarif a été vérifié." in response.text
    client.post(
        new,
        {
            "provider": "Repas Test",
            "area": "Saumur",
            "price": "8,40",
            "price_valid_on": "2026-01-05",
            "source": "site du prestataire",
            "phone": "02 00 00 00 01",
        },
    )
    page = client.get(_page(w, w.directory) + "?q=saumur&tri=prix")
    assert "Repas Test" in page.text and "8,40" in page.text
    csv = client.get(reverse("spaces:directory_csv", args=[w.space.pk, w.directory.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "Repas Test;Saumur;;;8,40;;05/01/2026;02 00 00 00 01;site du prestataire" in (
        csv.content.decode("utf-8-sig")
    )


def test_an_event_ending_before_it_starts_is_refused(space_world, login):
    response = login(space_world.t.doctor).post(
        reverse("spaces:event_new", args=[space_world.space.pk]),
        {
            "title": "Staff",
            "start": "2026-04-02T14:00",
            "end": "2026-04-02T13:00",
            "visibility": "members",
        },
    )
    assert "La fin doit suivre le début." in response.text


def test_the_ical_feed_carries_the_recurrence_until_revoked_or_the_owner_leaves(
    space_world, client
):
    w = space_world
    start = timezone.now() + timedelta(days=1)
    services.event_create(
        actor=w.t.doctor,
        space=w.space,
        title="Staff mensuel",
        start=start,
        end=start + timedelta(hours=1),
        rrule=services.build_rrule(frequency="monthly", count=6),
    )
    feed = services.feed_create(actor=w.t.doctor, space=w.space)
    url = reverse("spaces:feed", args=[feed.token])
    body = client.get(url).content.decode()
    assert "SUMMARY:Staff mensuel" in body and "RRULE:FREQ=MONTHLY;COUNT=6" in body
    services.space_leave(actor=w.t.doctor, space=w.space)
    assert client.get(url).status_code == 404
    mine = services.feed_create(actor=w.t.gp)
    client.force_login(w.t.gp)
    client.post(reverse("spaces:feed_revoke", args=[mine.pk]))
    assert FeedToken.objects.get(pk=mine.pk).revoked_at is not None
    assert client.get(reverse("spaces:feed", args=[mine.token])).status_code == 404


def test_a_reply_in_the_forum_notifies_the_topic_author(space_world, login):
    w = space_world
    topic = services.topic_create(actor=w.t.gp, space=w.space, title="Astreinte", body="Qui ?")
    response = login(w.t.doctor).post(
        reverse("spaces:topic", args=[w.space.pk, topic.pk]), {"body": "Moi"}
    )
    assert response.status_code == 302
    note = Notification.objects.get(user=w.t.gp, kind="space_forum")
    assert note.url == reverse("spaces:topic", args=[w.space.pk, topic.pk])


def test_a_moderator_accepts_a_request_from_the_members_page(space_world, login):
    w = space_world
    row = services.space_join(actor=w.t.pneumo, space=w.space)
    client = login(w.t.desk)
    page = client.get(reverse("spaces:members", args=[w.space.pk]))
    assert "Demande en attente" in page.text
    client.post(reverse("spaces:member_decide", args=[w.space.pk, row.pk]), {"decision": "accept"})
    assert SpaceMember.objects.get(pk=row.pk).state == "active"


def test_a_member_cannot_invite(space_world, login):
    response = login(space_world.t.doctor).post(
        reverse("spaces:members", args=[space_world.space.pk]), {"who": "gp2"}
    )
    assert response.status_code == 404
    assert not SpaceMember.objects.filter(user=space_world.t.gp2).exists()


@pytest.mark.parametrize("extra_pages", [0, 8])
def test_the_space_page_costs_the_same_queries_whatever_the_pages(
    space_world, login, extra_pages, django_assert_max_num_queries
):
    w = space_world
    for i in range(extra_pages):
        services.page_create(
            actor=w.t.gp,
            space=w.space,
            kind="page",
            title=f"P{i}",
            visibility="members",
            new_folder=f"D{i % 3}",
        )
    client = login(w.t.doctor)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("spaces:detail", args=[w.space.pk])).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("spaces:index")).status_code == 200
