"""The spaces in a real browser: a member edits a page through check-out and restores the
first version; a reply in the forum reaches the topic's author live (toast and badge) on a
page they keep open, served by another server process."""

from __future__ import annotations

import pytest

from parcours.core.tests.servers import ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium, _log_in, _screenshot
from parcours.spaces import services

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]
TIMEOUT_MS = 10_000


@pytest.fixture
def servers(transactional_db, tmp_path):
    with ServerPool(tmp_path) as pool:
        yield pool


def test_browser_edit_restore_and_live_forum_reply(servers, space_world):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415 — skipped without it

    expect.set_options(timeout=TIMEOUT_MS)
    w = space_world
    topic = services.topic_create(
        actor=w.t.gp, space=w.space, title="Portage le dimanche ?", body="Qui livre ?"
    )
    doctor_server, gp_server = servers.start("doctor", "gp")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:

            def new_page(server):
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
                )
                context.set_default_timeout(TIMEOUT_MS)
                return context.new_page()

            gp = new_page(gp_server)
            _log_in(gp, "gp")
            gp.goto(f"/espaces/{w.space.pk}/forum/{topic.pk}/")
            expect(gp.get_by_text("Qui livre ?")).to_be_visible()

            doctor = new_page(doctor_server)
            _log_in(doctor, "doctor")
            doctor.goto(f"/espaces/{w.space.pk}/")
            doctor.locator("table.list").get_by_role(
                "link", name="Fonctionnement interne du réseau"
            ).click()
            expect(doctor.get_by_text("Membres de l'espace").first).to_be_visible()
            doctor.get_by_role("button", name="Modifier").click()
            doctor.get_by_label("Texte").fill("Ligne un\nLigne réécrite")
            doctor.get_by_label("Note de version").fill("Reformulation")
            doctor.get_by_role("button", name="Enregistrer la nouvelle version").click()
            expect(doctor.locator(".messages")).to_contain_text("Nouvelle version enregistrée")
            expect(doctor.locator(".page-body")).to_contain_text("Ligne réécrite")
            doctor.get_by_role("link", name="Versions").click()
            expect(doctor.locator("pre.diff .diff-added")).to_contain_text("Ligne réécrite")
            expect(doctor.locator("pre.diff .diff-removed")).to_contain_text("Ligne deux")
            _screenshot(doctor, "spaces-diff")
            doctor.locator("form[action$='/versions/1/restaurer/'] button").click()
            expect(doctor.locator(".messages")).to_contain_text("Version 1 restaurée")
            expect(doctor.locator(".page-body")).to_contain_text("Ligne deux")

            doctor.goto(f"/espaces/{w.space.pk}/forum/{topic.pk}/")
            doctor.get_by_label("Votre réponse").fill("Le prestataire fictif livre le vendredi.")
            doctor.get_by_role("button", name="Répondre").click()
            expect(doctor.get_by_text("Le prestataire fictif livre le vendredi.")).to_be_visible()

            # The GP's open page, never reloaded, gets the notification live.
            expect(gp.locator("#toasts")).to_contain_text(
                "a répondu dans « Portage le dimanche ? »"
            )
            expect(gp.locator("#unread-badge")).to_have_text("1")
            _screenshot(gp, "spaces-live-reply")
        finally:
            browser.close()
