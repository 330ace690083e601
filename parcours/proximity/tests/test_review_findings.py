"""Findings of the second review of the SMP (issue 18), each pinned by a test."""

from datetime import timedelta

from django.urls import reverse

from parcours.proximity.models import Episode, Site
from parcours.proximity.services import consultation_book, consultation_record
from parcours.scheduling.models import Slot


def test_an_episode_waiting_for_its_hand_over_offers_no_close_form_that_would_always_fail(
    smp, client
):
    Episode.objects.filter(pk=smp.episode.pk).update(status=Episode.Status.HANDOVER)
    client.force_login(smp.assistant)
    page = client.get(reverse("proximity:episode", args=[smp.episode.pk])).content.decode()
    assert reverse("proximity:cancel", args=[smp.episode.pk]) not in page


def test_the_indicators_csv_does_not_let_a_spreadsheet_run_a_site_name(smp, frozen, client):
    # A site name is typed in the admin; a leading « = » would run as a formula (OWASP CSV
    # injection) when the coordinator opens the export.
    Site.objects.filter(pk=smp.site.pk).update(name='=HYPERLINK("http://x.invalid","SMP")')
    slot = Slot.objects.filter(schedule=smp.retired_agenda, status="free").order_by("start")[0]
    appointment = consultation_book(actor=smp.assistant, episode=smp.episode, slot=slot)
    frozen.move_to(appointment.start + timedelta(minutes=20))
    consultation_record(
        actor=smp.retired, episode=smp.episode, appointment=appointment, reason="Bilan"
    )
    client.force_login(smp.coord)
    export = client.get(reverse("proximity:indicators") + "?format=csv").content.decode()
    assert "'=HYPERLINK" in export
    assert ";=HYPERLINK" not in export
