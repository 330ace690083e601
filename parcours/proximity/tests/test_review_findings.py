"""Findings of the second review of the SMP (issue 18), each pinned by a test."""

from django.urls import reverse

from parcours.proximity.models import Episode


def test_an_episode_waiting_for_its_hand_over_offers_no_close_form_that_would_always_fail(
    smp, client
):
    Episode.objects.filter(pk=smp.episode.pk).update(status=Episode.Status.HANDOVER)
    client.force_login(smp.assistant)
    page = client.get(reverse("proximity:episode", args=[smp.episode.pk])).content.decode()
    assert reverse("proximity:cancel", args=[smp.episode.pk]) not in page
