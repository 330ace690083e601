import json

import pytest
from django.test import AsyncClient
from django.urls import reverse

from parcours.notifications.models import Notification


def test_centre_lists_only_my_notifications_and_marks_them_read(territory, make_referral, client):
    referral = make_referral()
    client.force_login(territory.desk)
    body = client.get(reverse("notifications:centre")).content.decode()
    assert referral.reference in body
    client.force_login(territory.desk_beta)
    assert referral.reference not in client.get(reverse("notifications:centre")).content.decode()
    client.force_login(territory.desk)
    client.post(reverse("notifications:mark_read"))
    assert not Notification.objects.filter(user=territory.desk, read_at__isnull=True).exists()


def test_opening_a_notification_marks_it_read_and_goes_to_the_request(
    territory, make_referral, client
):
    referral = make_referral()
    n = Notification.objects.get(user=territory.desk)
    client.force_login(territory.desk)
    response = client.get(reverse("notifications:open", args=[n.pk]))
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    n.refresh_from_db()
    assert n.read_at is not None
    client.force_login(territory.gp2)  # someone else's notification: nothing happens
    assert client.get(reverse("notifications:open", args=[n.pk]))["Location"] == reverse(
        "notifications:centre"
    )


def test_unread_badge_is_on_every_page(territory, make_referral, client):
    make_referral()
    client.force_login(territory.desk)
    body = client.get(reverse("directory:index")).content.decode()
    assert 'id="unread-badge" class="badge">1<' in body


async def _read_events(client, url, headers=None):
    response = await client.get(url, headers=headers or {})
    assert response["Content-Type"] == "text/event-stream"
    chunks = []
    async for chunk in response.streaming_content:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    events = []
    for block in "".join(chunks).split("\n\n"):
        lines = dict(
            line.split(": ", 1)
            for line in block.splitlines()
            if ": " in line and not line.startswith(":")
        )
        if lines.get("event") == "notification":
            events.append((int(lines["id"]), json.loads(lines["data"])))
    return events


@pytest.mark.django_db(transaction=True)
def test_stream_replays_what_a_reconnecting_page_missed(territory, make_referral):
    import asyncio

    from asgiref.sync import sync_to_async

    first = make_referral()
    second = make_referral()
    ids = list(
        Notification.objects.filter(user=territory.desk).order_by("id").values_list("id", flat=True)
    )
    client = AsyncClient()
    asyncio.run(sync_to_async(client.force_login)(territory.desk))
    url = reverse("notifications:stream") + "?max=0.2"
    events = asyncio.run(_read_events(client, url, {"Last-Event-ID": str(ids[0])}))
    assert [e[0] for e in events] == ids[1:]
    assert events[0][1]["referral"] == second.pk and first.pk != second.pk
    assert events[0][1]["unread"] == 2
    # A fresh page passes ?after= the last id it was rendered with: nothing old is resent.
    events = asyncio.run(_read_events(client, url + f"&after={ids[-1]}"))
    assert events == []


def test_stream_refuses_anonymous_users(client):
    assert client.get(reverse("notifications:stream")).status_code == 401
