"""The whole Pro Santé Connect login in a real browser: the login page's PSC button, the
(local, PSC-shaped) provider's page, back to Parcours, the choice of the practice, the top bar
showing it, then the explicit logout that also ends the PSC session.

The server runs as its own process on the PostgreSQL test database (as the other browser
tests); the provider runs in this process's thread."""

from __future__ import annotations

import re

import pytest

from parcours.accounts import psc_provider
from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]
TIMEOUT_MS = 10_000


@pytest.fixture
def servers(transactional_db, tmp_path):
    with ServerPool(tmp_path) as pool:
        yield pool


def test_browser_psc_login_with_a_choice_of_practice_then_psc_logout(
    servers, territory, monkeypatch
):
    chromium = _chromium()
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider's plain HTTP
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    territory.gp.rpps = "10000000042"
    territory.gp.save(update_fields=["rpps"])
    professional = psc_provider.psc_user(
        rpps="10000000042",
        given_name="Gaëlle",
        family_name="Test",
        sub="gp (810000000042)",
        practices=[
            {"raisonSocialeSite": "Cabinet du Val", "libelleCommune": "Laval"},
            {"raisonSocialeSite": "MSP des Trois Rivières", "libelleCommune": "Mayenne"},
        ],
    )
    with psc_provider.running(psc_provider.make_app(users=[professional])) as issuer:
        (server,) = servers.start(
            "web",
            env={
                "PSC_ISSUER": issuer,
                "PSC_CLIENT_ID": "parcours-browser",
                "PSC_CLIENT_SECRET": "browser-secret",
                "AUTHLIB_INSECURE_TRANSPORT": "1",
            },
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(base_url=server.url, locale="fr-FR")
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                page.goto("/patients/")
                page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
                # The provider's page: the professional is clicked as on PSC's e-CPS screen.
                page.get_by_role("button", name="gp (810000000042)").click()
                expect(page.get_by_role("heading", level=1)).to_contain_text(
                    "Pour quelle activité vous connectez-vous ?"
                )
                page.get_by_label("MSP des Trois Rivières — Mayenne").check()
                page.get_by_role("button", name="Continuer").click()
                expect(page).to_have_url(f"{server.url}/patients/")
                expect(page.locator(".usermenu")).to_contain_text("MSP des Trois Rivières")
                RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=RESULTS_DIR / "browser-psc-login.png", full_page=True)
                page.get_by_role("button", name="Se déconnecter aussi de Pro Santé Connect").click()
                expect(page).to_have_url(re.compile(re.escape(f"{issuer}/oauth2/end_session?")))
                page.goto(f"{server.url}/patients/")
                expect(page.get_by_role("heading", level=1)).to_contain_text("Connexion")
            finally:
                browser.close()
