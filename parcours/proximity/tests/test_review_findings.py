"""Findings of the second review of the SMP (issue 18), each pinned by a test."""

from datetime import timedelta

from django.urls import reverse

from parcours.proximity.access import episode_queryset_for
from parcours.proximity.models import Episode, Site
from parcours.proximity.services import consultation_book, consultation_record
from parcours.scheduling.models import Slot
from parcours.scheduling.services import appointment_cancel


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


def test_a_cancelled_appointment_on_an_interns_agenda_no_longer_opens_the_patient_to_them(
    smp, frozen, client
):
    # The intern sees « their » patients: a booking that was cancelled (the patient moved to
    # another doctor) must not keep the episode open to them — nor let them record on it.
    slot = Slot.objects.filter(schedule=smp.intern_agenda, status="free").order_by("start")[0]
    appointment = consultation_book(actor=smp.assistant, episode=smp.episode, slot=slot)
    assert episode_queryset_for(smp.intern).filter(pk=smp.episode.pk).exists()
    appointment_cancel(user=smp.assistant, appointment=appointment, reason="Autre médecin")
    assert not episode_queryset_for(smp.intern).filter(pk=smp.episode.pk).exists()
    client.force_login(smp.intern)
    assert client.get(reverse("proximity:episode", args=[smp.episode.pk])).status_code == 404
