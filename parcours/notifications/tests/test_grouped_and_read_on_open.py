"""The notification centre groups notifications by request, and opening an object (the
request page, an appointment, a message thread…) marks its notifications read (issue 14)."""

from django.urls import reverse

from parcours.notifications.models import Notification
from parcours.notifications.services import notify


def _centre(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("notifications:centre"), params)
    assert response.status_code == 200
    return response


def test_centre_groups_by_request_newest_activity_first(territory, make_referral, client):
    first, second = make_referral(), make_referral(question="Second avis ?")
    desk = territory.desk
    for i in range(7):
        notify(users=[desk], kind="note", title=f"Nouvelle étape {i}", url="/x/", referral=first)
    notify(users=[desk], kind="mail", title="Nouveau message sécurisé", url="/messagerie/")
    notify(users=[desk], kind="note", title="Relance", url="/y/", referral=second)
    page = _centre(client, desk)
    groups = page.context["groups"]
    assert [g["referral"] for g in groups] == [second, None, first]
    by_ref = {g["referral"]: g for g in groups}
    assert by_ref[first]["total"] == 8 and by_ref[first]["unread"] == 8  # 7 + the submission
    assert len(by_ref[first]["items"]) == 5 and len(by_ref[first]["older"]) == 3
    assert by_ref[None]["items"][0].title == "Nouveau message sécurisé"
    html = page.content.decode()
    assert f"Demande {first.reference}" in html and "3 notifications plus anciennes" in html
    # Other users see none of these groups.
    assert _centre(client, territory.desk_beta).context["groups"] == []


def test_a_group_is_marked_read_at_once(territory, make_referral, client):
    first, second = make_referral(), make_referral()
    notify(users=[territory.desk], kind="note", title="Autre", referral=first)
    group = next(
        g for g in _centre(client, territory.desk).context["groups"] if g["referral"] == first
    )
    client.post(reverse("notifications:mark_read"), {"id": group["unread_ids"]})
    unread = Notification.objects.filter(user=territory.desk, read_at__isnull=True)
    assert list(unread.values_list("referral_id", flat=True)) == [second.pk]


def test_centre_paginates_groups(territory, client):
    for i in range(30):
        notify(users=[territory.gp], kind="mail", title=f"Message {i}", url="/m/")
    page = _centre(client, territory.gp)
    assert len(page.context["groups"]) == 25
    assert len(_centre(client, territory.gp, page=2).context["groups"]) == 5


def test_opening_the_request_page_marks_its_notifications_read(territory, make_referral, client):
    referral, other = make_referral(), make_referral()
    # An appointment notification about the request points elsewhere but belongs to it.
    notify(
        users=[territory.desk],
        kind="appointment_booked",
        title="RDV",
        url="/agendas/rendez-vous/999/",
        referral=referral,
    )
    client.force_login(territory.desk)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200
    unread = Notification.objects.filter(user=territory.desk, read_at__isnull=True)
    assert list(unread.values_list("referral_id", flat=True)) == [other.pk]
    # The page shown already counts them read.
    body = client.get(reverse("directory:index")).content.decode()
    assert 'id="unread-badge" class="badge">1<' in body


def test_opening_the_page_a_notification_leads_to_marks_it_read(territory, patient, client):
    page_url = reverse("patients:detail", args=[patient.pk])
    mine = notify(users=[territory.gp], kind="x", title="À voir", url=page_url)[0]
    elsewhere = notify(users=[territory.gp], kind="x", title="Ailleurs", url="/ailleurs/")[0]
    others = notify(users=[territory.gp2], kind="x", title="À voir", url=page_url)[0]
    client.force_login(territory.gp)
    # A live re-fetch of an open page is not an opening.
    client.get(page_url, headers={"X-Requested-With": "fetch"})
    mine.refresh_from_db()
    assert mine.read_at is None
    client.get(page_url + "?onglet=1")
    for n in (mine, elsewhere, others):
        n.refresh_from_db()
    assert mine.read_at is not None
    assert elsewhere.read_at is None and others.read_at is None


def test_opening_a_message_thread_marks_its_notification_read(territory, patient, client):
    from parcours.messaging.services import message_send

    message = message_send(
        sender=territory.gp,
        to=[territory.doctor],
        subject="Échange à propos d'un patient",
        body="Bonjour",
        patient=patient,
    )
    n = Notification.objects.get(user=territory.doctor)
    assert n.read_at is None
    client.force_login(territory.doctor)
    assert client.get(n.url).status_code == 200
    n.refresh_from_db()
    assert n.read_at is not None
    assert message.thread_id
