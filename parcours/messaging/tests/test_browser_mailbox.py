"""Secure mail end to end in a real browser: the recipient's open mailbox shows a new message
without reload, the message reads as signed, and the sender sees the read receipt.

Two server processes share the PostgreSQL test database (as behind a load balancer), so the
live update crosses processes.
"""

from __future__ import annotations

import re

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, PDF, _chromium, _log_in

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]
TIMEOUT_MS = 10_000


@pytest.fixture
def servers(transactional_db, tmp_path):
    with ServerPool(tmp_path) as pool:
        yield pool


def test_browser_open_mailbox_shows_a_new_signed_message(servers, territory):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    doctor_name = territory.doctor.display_name
    gp_server, hospital_server = servers.start("gp", "hospital")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            def new_page(server):
                context = browser.new_context(base_url=server.url, locale="fr-FR",
                                              viewport={"width": 1280, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                return context.new_page()

            doctor = new_page(hospital_server)
            _log_in(doctor, "doctor")
            doctor.goto("/messagerie/")
            expect(doctor.get_by_text("Aucun message.")).to_be_visible()
            doctor.evaluate("window.parcoursTestMarker = 'kept'")

            gp = new_page(gp_server)
            _log_in(gp, "gp")
            gp.goto("/messagerie/nouveau/")
            gp.get_by_label("Destinataires").select_option(label=doctor_name)
            gp.get_by_label("Objet").fill("Échographie de contrôle")
            gp.locator("textarea#id_body").fill("Pouvez-vous revoir cette patiente ?")
            gp.get_by_label(re.compile("^Pièces jointes")).set_input_files(
                files=[{"name": "echo.pdf", "mimeType": "application/pdf", "buffer": PDF}])
            gp.get_by_role("button", name="Envoyer").click()
            expect(gp.locator(".messages")).to_contain_text("Message envoyé.")
            expect(gp.locator("article.message")).to_contain_text("non lu")

            # The doctor's mailbox, never reloaded, lists it.
            link = doctor.get_by_role("link", name="Échographie de contrôle")
            expect(link).to_be_visible()
            assert doctor.evaluate("window.parcoursTestMarker") == "kept"
            link.click()
            expect(doctor.locator("article.message")).to_contain_text("Signé ✓")
            expect(doctor.locator("article.message")).to_contain_text("echo.pdf")
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            doctor.screenshot(path=RESULTS_DIR / "browser-mailbox-thread.png", full_page=True)

            gp.reload()
            expect(gp.locator("article.message")).to_contain_text("lu le")
        finally:
            browser.close()
