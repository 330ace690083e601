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
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
                )
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
            _pick_recipient(gp, "doctor", doctor_name)
            gp.get_by_label("Objet").fill("Échographie de contrôle")
            gp.locator("textarea#id_body").fill("Pouvez-vous revoir cette patiente ?")
            gp.get_by_label(re.compile("^Pièces jointes")).set_input_files(
                files=[{"name": "echo.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
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

            # Issue 14, bug 7: the doctor's open thread shows the GP's follow-up live.
            doctor.evaluate("window.parcoursTestMarker = 'thread kept'")
            gp.locator("textarea#id_body").fill("Je vous envoie aussi l'ECG demain.")
            gp.get_by_role("button", name="Envoyer la réponse").click()
            expect(gp.locator(".messages")).to_contain_text("Réponse envoyée.")
            expect(doctor.locator("#thread-live")).to_contain_text(
                "Je vous envoie aussi l'ECG demain."
            )
            assert doctor.evaluate("window.parcoursTestMarker") == "thread kept"
        finally:
            browser.close()


def _pick_recipient(page, typed: str, name: str) -> None:
    """Search the compose page's picker and choose ``name`` among its suggestions."""
    from playwright.sync_api import expect

    page.get_by_label("Rechercher un destinataire").fill(typed)
    page.get_by_role("listbox", name="Destinataires proposés").get_by_role(
        "option", name=re.compile(re.escape(name))
    ).click()
    expect(page.get_by_role("list", name="Destinataires choisis")).to_contain_text(name)


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_browser_recipient_search_as_you_type(servers, territory, width):
    """Issue 14: the GP finds a hospital doctor by service and a city colleague by the
    directory's MSSanté address as she types, is told why a Gmail address is refused, is
    never offered herself, and sends; at desktop and phone width."""
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    from parcours.directory.models import Organisation, Practitioner, PractitionerRole

    cabinet = Organisation.objects.create(
        name="Cabinet du Vieux Château", kind="cabinet", town="Château-Gontier", postcode="53200"
    )
    colleague = Practitioner.objects.create(
        last_name="Lebrun",
        first_name="Agathe",
        specialty="Cardiologie",
        mssante="agathe.lebrun@medecin.mssante.fr",
    )
    PractitionerRole.objects.create(practitioner=colleague, organisation=cabinet)
    expect.set_options(timeout=TIMEOUT_MS)
    doctor_name = territory.doctor.display_name
    (server,) = servers.start("gp")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                base_url=server.url, locale="fr-FR", viewport=VIEWPORTS[width]
            )
            context.set_default_timeout(TIMEOUT_MS)
            gp = context.new_page()
            _log_in(gp, "gp")
            gp.goto("/messagerie/nouveau/")
            search = gp.get_by_label("Rechercher un destinataire")

            # A hospital doctor, found by the name of her service.
            search.fill("cardiologie")
            proposed = gp.get_by_role("listbox", name="Destinataires proposés")
            option = proposed.get_by_role("option", name=re.compile(re.escape(doctor_name)))
            expect(option).to_contain_text("CH Alpha")
            # The sender herself is never suggested.
            expect(proposed.get_by_role("option", name=re.compile("Gp TEST"))).to_have_count(0)
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            gp.screenshot(
                path=RESULTS_DIR / f"browser-recipient-search-{width}.png", full_page=True
            )
            option.click()
            expect(gp.get_by_role("list", name="Destinataires choisis")).to_contain_text(
                doctor_name
            )

            # The head of service in copy, through the second picker.
            head_name = territory.head.display_name
            gp.get_by_label("Rechercher une personne à mettre en copie").fill("head")
            gp.get_by_role("listbox", name="Personnes proposées en copie").get_by_role(
                "option", name=re.compile(re.escape(head_name))
            ).click()
            expect(gp.get_by_role("list", name="En copie")).to_contain_text(head_name)

            # A colleague outside Parcours, found in the directory: her MSSanté address.
            search.fill("lebrun")
            proposed.get_by_role("option", name=re.compile("Agathe LEBRUN")).click()
            expect(gp.get_by_label("Adresses de messagerie sécurisée externes")).to_have_value(
                "agathe.lebrun@medecin.mssante.fr"
            )

            # A Gmail address: told why, nothing suggested.
            search.fill("dr.durand@gmail.com")
            expect(gp.locator("#field-to .recipient-notice")).to_contain_text("MSSanté")
            expect(gp.locator("#recipient-results-id_to [role=option]")).to_have_count(0)
            # Enter in the search box never sends the message.
            search.press("Enter")
            expect(gp).to_have_url(re.compile("/messagerie/nouveau/$"))
            search.fill("")

            # The page fits the width: nothing overflows sideways.
            assert gp.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

            gp.get_by_label("Objet").fill("Patiente commune")
            gp.locator("textarea#id_body").fill("Pouvons-nous en parler cette semaine ?")
            gp.get_by_role("button", name="Envoyer", exact=True).click()
            expect(gp.locator(".messages")).to_contain_text("Message envoyé.")
            article = gp.locator("article.message")
            expect(article).to_contain_text(doctor_name)
            expect(article).to_contain_text("agathe.lebrun@medecin.mssante.fr")
            expect(article).to_contain_text(f"{head_name} (copie)")
            gp.screenshot(path=RESULTS_DIR / f"browser-recipient-sent-{width}.png", full_page=True)
        finally:
            browser.close()
