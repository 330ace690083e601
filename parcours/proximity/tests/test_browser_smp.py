"""The SMP's main journey in a real browser: the assistant signs a patient up (the waiting
clock starts), books a slot on a retired GP's agenda; the retired GP records the consultation
(the patient leaves the waiting list); the assistant's page never shows the clinical note.

Screenshots for humans go to var/test-results/.
"""

from __future__ import annotations

import re

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium, _log_in
from parcours.proximity.tests.fixtures import build_smp

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]
TIMEOUT_MS = 10_000
NOTE = "Souffle systolique discret, à surveiller."


@pytest.fixture
def servers(transactional_db, tmp_path):
    # Requested after transactional_db, so the servers stop before the database is flushed.
    with ServerPool(tmp_path) as pool:
        yield pool


def _screenshot(page, name: str) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS_DIR / f"browser-smp-{name}.png", full_page=True)


def test_browser_signup_booking_and_consultation(servers, territory, patient):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    build_smp(territory, patient)  # real time: its agendas open from today
    (server,) = servers.start("smp")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=server.url, locale="fr-FR")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            _log_in(page, "smpassist")
            page.goto("/smp/inscrire/")
            page.get_by_label("Nom de naissance").fill("Exemplaire")
            page.get_by_label("Prénom(s) de naissance").fill("Odette")
            page.get_by_label("Date de naissance").fill("1948-06-01")
            page.get_by_label("Féminin").check()
            page.get_by_label("Site").select_option(label="SMP Laval")
            page.get_by_label("Inscrit par").select_option(label="Un proche")
            page.get_by_label("Motif").select_option(label="Nouvel arrivant sur le territoire")
            page.get_by_label("Affection de longue durée (ALD)").check()
            page.get_by_role("button", name="Inscrire sur la liste d'attente").click()
            # ALD 2 + age ≥ 70 (computed) 2.
            expect(page.locator(".messages")).to_contain_text("priorité 4")
            expect(page.locator(".status")).to_contain_text("En attente")
            episode_url = re.sub(r"^https?://[^/]+", "", page.url)
            _screenshot(page, "1-signed-up")

            page.get_by_text("Prendre un rendez-vous", exact=True).first.click()
            slot = page.get_by_label("Créneau")
            slot.select_option(index=1)
            page.locator("#panel-book").get_by_role("button").click()
            expect(page.locator(".messages")).to_contain_text("pris")

            doctor = context.new_page()
            context.clear_cookies()
            _log_in(doctor, "smpretired")
            doctor.goto(episode_url)
            doctor.get_by_text("Enregistrer une consultation", exact=True).first.click()
            doctor.get_by_label("Motif de consultation").fill("Premier contact")
            doctor.get_by_label("Observations").fill(NOTE)
            doctor.locator("#panel-consult").get_by_role("button").click()
            expect(doctor.locator(".messages")).to_contain_text("Consultation enregistrée.")
            expect(doctor.locator(".status")).to_contain_text("Suivi par le SMP")
            expect(doctor.get_by_text("Premier contact")).to_be_visible()
            _screenshot(doctor, "2-seen")

            context.clear_cookies()
            _log_in(page, "smpassist")
            page.goto(episode_url)
            expect(page.locator(".status")).to_contain_text("Suivi par le SMP")
            expect(page.get_by_text("contenu médical réservé aux médecins")).to_be_visible()
            assert "Premier contact" not in page.content()
        finally:
            browser.close()
