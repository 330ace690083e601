"""Booking on the week grid in a real browser (issue 14), at desktop and phone width.

Desktop (1280×800): the GP opens an agenda's week grid for her patient, books an open slot,
then moves the appointment into an urgent slot — the move page asks for the urgency's reason
on the page — and the appointment keeps its reference. The pathway desk has the appointment
open on another server process (as behind a load balancer): its page, never reloaded, shows
the move (live update on the hospital side).

Phone (390×844): the week is a day-by-day list that does not overflow sideways; the GP books
an urgent slot, giving its reason.

Screenshots for humans go to var/test-results/.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium, _log_in

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]
TIMEOUT_MS = 10_000
URGENT_REASON = "Douleur thoracique d'effort récente"


@pytest.fixture
def servers(transactional_db, tmp_path):
    # Requested after transactional_db, so the servers stop before the database is flushed.
    with ServerPool(tmp_path) as pool:
        yield pool


@pytest.fixture
def cardiology_agenda(territory):
    """An agenda open every day (so the test does not depend on today's weekday): 08:00–10:00
    open to all, 10:00–11:00 urgent, for two weeks."""
    from parcours.scheduling.models import Act, AvailabilityRule, Pool, Schedule
    from parcours.scheduling.services import slots_generate

    schedule = Schedule.objects.create(
        name="Consultations de cardiologie",
        kind="service",
        organisation=territory.alpha,
        service=territory.cardio,
        horizon_weeks=2,
    )
    act = Act.objects.create(schedule=schedule, name="Consultation", duration_minutes=20)
    for weekday in range(7):
        AvailabilityRule.objects.create(
            schedule=schedule, weekday=weekday, start_time=time(8), end_time=time(10), act=act
        )
        AvailabilityRule.objects.create(
            schedule=schedule,
            weekday=weekday,
            start_time=time(10),
            end_time=time(11),
            act=act,
            pool=Pool.URGENT,
        )
    slots_generate(schedule=schedule)
    return schedule


def _screenshot(page, name: str) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS_DIR / f"browser-booking-{name}.png", full_page=True)


def test_browser_week_grid_booking_urgent_slot_and_move(
    servers, territory, patient, cardiology_agenda
):
    chromium = _chromium()
    from django.utils import timezone
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    # Read from the database before the browser starts (no ORM inside Playwright's loop).
    today = timezone.localdate()
    next_monday = today + timedelta(days=7 - today.weekday())
    grid_url = (
        f"/agendas/agenda/{cardiology_agenda.pk}/reserver/"
        f"?semaine={next_monday:%Y-%m-%d}&patient={patient.pk}"
    )
    gp_server, hospital_server = servers.start("gp", "hospital")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:

            def new_page(server, width, height):
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport={"width": width, "height": height}
                )
                context.set_default_timeout(TIMEOUT_MS)
                return context.new_page()

            # --- desktop: the GP books an open slot on the week grid ---------------------------
            gp = new_page(gp_server, 1280, 800)
            _log_in(gp, "gp")
            gp.goto(grid_url)
            expect(
                gp.get_by_role("heading", name=re.compile("Consultations de cardiologie"))
            ).to_be_visible()
            expect(gp.locator(".for-whom")).to_contain_text("DUPONT", ignore_case=True)
            expect(gp.locator(".next-free")).to_contain_text("Prochain créneau disponible")
            expect(gp.locator(".pool-legend")).to_contain_text("réservé aux urgences")
            grid = gp.get_by_test_id("week-grid")
            expect(grid.locator("section.weekday")).to_have_count(7)
            expect(grid.locator("a.slotbtn.pool-urgent").first).to_contain_text("Urgence")
            _screenshot(gp, "1-desktop-week-grid")
            grid.locator("section.weekday").first.locator("a.slotbtn.pool-open").first.click()

            expect(gp.get_by_role("heading", name="Réserver ce créneau")).to_be_visible()
            expect(gp.locator(".for-whom")).to_contain_text("DUPONT", ignore_case=True)
            gp.get_by_label("Motif / informations pour l'équipe").fill("Bilan de souffle.")
            gp.get_by_role("button", name="Confirmer le rendez-vous").click()
            expect(gp.locator(".messages")).to_contain_text("Rendez-vous réservé.")
            heading = gp.locator("h1").inner_text()
            reference = re.search(r"R-\d{6}", heading).group(0)
            appointment_url = re.sub(r"^https?://[^/]+", "", gp.url)

            # --- the desk keeps the appointment open on the other server ------------------------
            desk = new_page(hospital_server, 1280, 800)
            _log_in(desk, "desk")
            desk.goto(appointment_url)
            expect(desk.locator("h1")).to_contain_text(reference)
            expect(desk.locator("#appointment-live")).not_to_contain_text(
                "Historique des déplacements"
            )
            desk.evaluate("window.parcoursTestMarker = 'kept'")

            # --- the GP moves it into an urgent slot: the reason is asked on the page --------
            gp.get_by_role("link", name="Déplacer").click()
            expect(
                gp.get_by_role("heading", name=re.compile("Déplacer le rendez-vous"))
            ).to_be_visible()
            urgent_choice = gp.locator("input[data-urgent]").first
            expect(gp.locator("label.pool-urgent").first).to_contain_text("Urgence")
            urgent_choice.check()
            gp.get_by_role("button", name="Déplacer").click()
            expect(gp.locator(".error").first).to_contain_text("indiquez le motif d'urgence")
            expect(gp.locator("input[data-urgent]:checked")).to_have_count(1)
            _screenshot(gp, "2-desktop-move-needs-reason")
            gp.get_by_label("Motif d'urgence").fill(URGENT_REASON)
            gp.get_by_role("button", name="Déplacer").click()
            expect(gp.locator(".messages")).to_contain_text(f"il garde sa référence {reference}")
            expect(gp.locator("h1")).to_contain_text(reference)
            expect(gp.locator("#appointment-live")).to_contain_text("Historique des déplacements")
            expect(gp.locator("#appointment-live")).to_contain_text(URGENT_REASON)
            _screenshot(gp, "3-desktop-moved")

            # The desk's page, never reloaded, shows the move.
            expect(desk.locator("#appointment-live")).to_contain_text("Historique des déplacements")
            expect(desk.locator("#appointment-live")).to_contain_text(URGENT_REASON)
            assert desk.evaluate("window.parcoursTestMarker") == "kept"
            _screenshot(desk, "4-desktop-desk-live")

            # --- phone: a day-by-day list, an urgent slot booked with its reason -------------
            phone = new_page(gp_server, 390, 844)
            _log_in(phone, "gp")
            phone.goto(grid_url)
            grid = phone.get_by_test_id("week-grid")
            expect(grid).to_be_visible()
            assert grid.evaluate("e => e.scrollWidth <= e.clientWidth"), (
                "the week grid overflows sideways at 390 px"
            )
            box = grid.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
            days = grid.locator("section.weekday")
            first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
            assert second["y"] >= first["y"] + first["height"], "days are not stacked"
            _screenshot(phone, "5-phone-week-grid")
            days.nth(1).locator("a.slotbtn.pool-urgent").first.click()
            expect(phone.locator(".warning")).to_contain_text("réservé aux urgences")
            phone.get_by_role("button", name="Confirmer le rendez-vous").click()
            expect(phone.locator(".error").first).to_contain_text("motif d'urgence")
            phone.get_by_label("Motif d'urgence").fill(URGENT_REASON)
            phone.get_by_role("button", name="Confirmer le rendez-vous").click()
            expect(phone.locator(".messages")).to_contain_text("Rendez-vous réservé.")
            expect(phone.locator("#appointment-live")).to_contain_text(URGENT_REASON)
            _screenshot(phone, "6-phone-urgent-booked")
        finally:
            browser.close()
