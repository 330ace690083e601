"""The network's main journey in a real browser (issue 17, "proof"): the coordinator builds a
form with a condition and a repeating group, sets the rights and publishes it; the social
worker fills it at tablet width (the conditional item appears, a row is added); the nurse
reads it, the GP (no right on it) does not see it. PostgreSQL only (a server process shares
the test database); screenshots go to var/test-results/.
"""

from __future__ import annotations

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium, _log_in

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]

TIMEOUT_MS = 10_000
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def servers(transactional_db, tmp_path):
    with ServerPool(tmp_path) as pool:
        yield pool


def _shot(page, name):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS_DIR / f"browser-records-{name}.png", full_page=True)


def test_browser_build_a_form_fill_it_on_a_tablet_and_read_it_as_another_profile(servers, net):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    from parcours.records.models import Response

    expect.set_options(timeout=TIMEOUT_MS)
    (server,) = servers.start("web")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:

            def as_user(username, viewport=None):
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport=viewport or TABLET
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                _log_in(page, username)
                return page

            # --- the coordinator builds and publishes « Visite à domicile » ----------------
            coord = as_user("coord", {"width": 1280, "height": 900})
            coord.goto(f"/reseaux/{net.network.pk}/")
            coord.get_by_label("Titre du formulaire").fill("Visite à domicile")
            coord.get_by_role("button", name="Créer le formulaire").click()
            expect(coord.get_by_role("heading", name="Sections et questions")).to_be_visible()

            def add(**fields):
                for label, value in fields.items():
                    if label in ("Type", "Dans", "Afficher seulement si", "Condition"):
                        coord.get_by_label(label).select_option(value)
                    elif label == "required":
                        coord.get_by_label("Réponse obligatoire").check()
                    elif label == "repeats":
                        coord.get_by_label("Groupe répétable (plusieurs lignes)").check()
                    else:
                        coord.get_by_label(label).fill(value)
                coord.get_by_role("button", name="Ajouter", exact=True).click()

            add(Type="group", Libellé="Visite")
            add(
                Type="choice",
                Libellé="Motif",
                Dans="visite",
                **{"Réponses possibles": "suivi | Suivi\nautre | Autre"},
                required=True,
            )
            add(
                Type="text",
                Libellé="Précisez",
                Dans="visite",
                **{"Afficher seulement si": "motif", "Valeur": "autre"},
            )
            add(Type="group", Libellé="Intervenants", Dans="visite", repeats=True)
            add(Type="string", Libellé="Nom", Dans="intervenants")
            coord.locator("select[name^='right-visite-']").first.wait_for()
            coord.locator(f"select[name='right-visite-{net.p['social'].pk}']").select_option(
                "write"
            )
            coord.locator(f"select[name='right-visite-{net.p['infirmier'].pk}']").select_option(
                "read"
            )
            coord.get_by_role("button", name="Enregistrer les droits").click()
            coord.get_by_role("button", name="Publier la version 1").click()
            expect(coord.get_by_text("Version publiée : elle ne changera plus.")).to_be_visible()
            _shot(coord, "1-builder")

            # --- the social worker fills it on a tablet ------------------------------------
            social = as_user("social")
            social.goto(f"/reseaux/dossiers/{net.record.pk}/")
            section = social.locator(
                "section", has=social.get_by_role("heading", name="Visite à domicile")
            )
            section.get_by_role("link", name="Remplir").click()
            precise = social.get_by_label("Précisez")
            expect(precise).to_be_hidden()
            social.get_by_label("Autre").check()
            expect(precise).to_be_visible()
            precise.fill("Chute la nuit dernière")
            social.locator("input[name='visite.intervenants.0.nom']").fill("Kiné")
            social.get_by_role("button", name="Ajouter une ligne").click()
            social.locator("input[name='visite.intervenants.1.nom']").fill("Aide à domicile")
            assert social.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            _shot(social, "2-fill-tablet")
            social.get_by_role("button", name="Enregistrer").click()
            expect(social.get_by_text("Formulaire enregistré.")).to_be_visible()
            # The ORM is not called inside Playwright's event loop: the id comes from the URL.
            response_pk = int(social.url.rstrip("/").rsplit("/", 1)[-1])

            # --- the nurse reads it; the GP does not learn it exists ------------------------
            nurse = as_user("nurse")
            nurse.goto(f"/reseaux/reponses/{response_pk}/")
            expect(nurse.get_by_text("Chute la nuit dernière")).to_be_visible()
            expect(nurse.get_by_text("Aide à domicile")).to_be_visible()
            expect(nurse.get_by_role("link", name="Modifier")).to_have_count(0)
            _shot(nurse, "3-read-nurse")
            gp = as_user("gp")
            gp.goto(f"/reseaux/dossiers/{net.record.pk}/")
            expect(gp.get_by_role("heading", name="Suivi médecin")).to_be_visible()
            expect(gp.get_by_text("Visite à domicile")).to_have_count(0)
            assert gp.goto(f"/reseaux/reponses/{response_pk}/").status == 404
        finally:
            browser.close()
    response = Response.objects.get(pk=response_pk)
    assert response.version.form.title == "Visite à domicile"
    assert response.answers["visite"]["precisez"] == "Chute la nuit dernière"
    assert [r["nom"] for r in response.answers["visite"]["intervenants"]] == [
        "Kiné",
        "Aide à domicile",
    ]
