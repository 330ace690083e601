"""The semi-urgent pathway end to end, in a real browser (issue 2).

A GP logs in, finds no patient, creates one, sends a request with a PDF to cardiology and
keeps the request page open. In other browser contexts (other people, other machines) the
pathway desk assigns it to the cardiologist and the cardiologist answers. The GP's page, never
reloaded, must show the assignment and then the answer.

Two server processes share the PostgreSQL test database: the GP's pages come from one, the
hospital's from the other, as behind a load balancer — so the live update also crosses
processes. Screenshots for humans go to var/test-results/.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.referrals.models import Referral
from parcours.referrals.workflow import Status

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]

PASSWORD = "secret-pass-123"  # the personas' password (conftest.py)
TIMEOUT_MS = 10_000  # bound of every auto-waiting assertion
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "Souffle systolique 3/6 découvert ce jour, patiente asymptomatique : avis ?"
ANSWER = "Rétrécissement aortique probable : échocardiographie sous 15 jours, pas d'urgence."
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _chromium() -> str:
    """Debian's Chromium and the playwright package, or skip (fail when CI requires them)."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    path = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
    if not path:
        missing.append("Debian's chromium (apt-get install chromium)")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("PARCOURS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (PARCOURS_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    assert path  # missing is empty, so the browser was found
    return path


@pytest.fixture
def servers(transactional_db, tmp_path):
    # Requested after transactional_db, so the servers stop before the database is flushed.
    with ServerPool(tmp_path) as pool:
        yield pool


def _log_in(page, username: str) -> None:
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _screenshot(page, name: str) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS_DIR / f"browser-pathway-{name}.png", full_page=True)


def test_browser_gp_sees_the_answer_on_the_request_page_left_open(servers, territory):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Everything the test needs from the database is read before the browser starts: the
    # sync Playwright API runs an event loop, inside which Django refuses ORM calls.
    doctor_name = territory.doctor.display_name
    gp_server, hospital_server = servers.start("gp", "hospital")
    pages = {}

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:

            def new_page(name, server):
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
                )
                context.set_default_timeout(TIMEOUT_MS)
                pages[name] = context.new_page()
                return pages[name]

            # --- the GP: log in, find or create the patient, send the request ----------------
            gp = new_page("gp", gp_server)
            _log_in(gp, "gp")
            expect(gp.get_by_role("heading", name="Mes demandes")).to_be_visible()
            gp.get_by_role("link", name="Nouvelle demande", exact=True).first.click()
            expect(gp.get_by_role("heading", name=re.compile("choisir le patient"))).to_be_visible()
            gp.get_by_label(re.compile(r"^Nom\W*$")).fill("Synthétique")
            gp.get_by_role("button", name="Rechercher").click()
            expect(gp.get_by_text("Aucun patient trouvé")).to_be_visible()
            gp.get_by_role("link", name="Créer un patient").click()
            gp.get_by_label("Nom de naissance").fill("Synthétique")
            gp.get_by_label("Prénom(s) de naissance").fill("Camille Louise")
            gp.get_by_label("Date de naissance").fill("1958-06-14")
            gp.get_by_label("Féminin").check()
            gp.get_by_label("Lieu de naissance (commune)").fill("53130")
            gp.get_by_role("button", name="Enregistrer").click()

            expect(gp.get_by_role("heading", name="Nouvelle demande")).to_be_visible()
            # INS identity traits are stored and shown in capitals without diacritics.
            expect(gp.locator(".patient-card")).to_contain_text(
                "Synthetique Camille", ignore_case=True
            )
            gp.get_by_label("Avis spécialisé (téléexpertise)").check()
            gp.get_by_label("Service hospitalier").select_option(label="CH Alpha — Cardiologie")
            gp.get_by_label("Question clinique").fill(QUESTION)
            gp.get_by_label(re.compile("^Pièces jointes")).set_input_files(
                files=[{"name": "ecg-repos.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
            _screenshot(gp, "1-gp-new-request")
            gp.get_by_role("button", name="Envoyer la demande").click()

            expect(gp).to_have_url(re.compile(r"/demandes/\d+/$"))
            expect(gp.locator(".messages")).to_contain_text("envoyée à Cardiologie")
            expect(gp.locator("#referral-live")).to_contain_text("ecg-repos.pdf")
            expect(gp.locator("#referral-live")).to_contain_text("non attribuée")
            referral_pk = int(re.search(r"/demandes/(\d+)/$", gp.url).group(1))
            reference = re.search(r"Demande (\S+)", gp.locator("h1").inner_text()).group(1)
            # Proof that the page is never reloaded: a marker in its JavaScript state, and
            # the navigations of its main frame counted from now on.
            gp.evaluate("window.parcoursTestMarker = 'kept'")
            navigations = []
            gp.on(
                "framenavigated",
                lambda frame: navigations.append(frame.url) if frame == gp.main_frame else None,
            )

            # --- the pathway desk: inbox, open, assign to the cardiologist ------------------
            desk = new_page("desk", hospital_server)
            _log_in(desk, "desk")
            expect(desk.get_by_role("heading", name=re.compile("cellule parcours"))).to_be_visible()
            row = desk.get_by_role("row").filter(has_text=reference)
            expect(row).to_contain_text("SYNTHETIQUE")
            expect(row).to_contain_text("Envoyée")
            _screenshot(desk, "2-desk-inbox")
            row.get_by_role("link", name=reference).click()
            desk.locator("#action-assign summary").click()
            desk.get_by_label("Médecin du service").select_option(label=doctor_name)
            desk.locator("#action-assign").get_by_role("button").click()
            expect(desk.locator(".messages")).to_contain_text("Demande attribuée.")

            # The GP's open page follows, without reload.
            expect(gp.locator("#referral-live")).to_contain_text(
                f"Médecin en charge : {doctor_name}", timeout=TIMEOUT_MS
            )

            # --- the cardiologist: queue, open, answer ---------------------------------------
            doctor = new_page("doctor", hospital_server)
            _log_in(doctor, "doctor")
            expect(doctor.get_by_role("heading", name="Demandes de mes services")).to_be_visible()
            row = doctor.get_by_role("row").filter(has_text=reference)
            expect(row).to_contain_text("Attribuée")
            _screenshot(doctor, "3-doctor-queue")
            row.get_by_role("link", name=reference).click()
            doctor.locator("#action-answer summary").click()
            doctor.get_by_label("Avis donné").check()
            doctor.get_by_label("Réponse au médecin de ville").fill(ANSWER)
            doctor.locator("#action-answer").get_by_role("button", name="Répondre").click()
            expect(doctor.locator(".messages")).to_contain_text(
                "Réponse envoyée au médecin de ville."
            )

            # --- back to the GP's page, still the same one ------------------------------------
            answer = gp.locator("#answer")
            expect(answer).to_contain_text(ANSWER, timeout=TIMEOUT_MS)
            expect(answer).to_contain_text("Avis donné")
            expect(answer).to_contain_text(doctor_name)
            expect(gp.locator("#referral-live .badges")).to_contain_text("Répondue")
            expect(gp.locator("#unread-badge")).to_have_text("2")  # assigned, then answered
            assert gp.evaluate("window.parcoursTestMarker") == "kept"
            assert navigations == [], f"the GP's page navigated: {navigations}"

            _screenshot(desk, "4-desk-assigned")
            _screenshot(doctor, "5-doctor-answered")
            _screenshot(gp, "6-gp-page-left-open")
        except BaseException:
            for name, page in pages.items():
                try:
                    _screenshot(page, f"failure-{name}")
                except Exception:  # noqa: S110 - best effort, the original error matters
                    pass
            raise
        finally:
            browser.close()

    referral = Referral.objects.get(pk=referral_pk)
    assert referral.reference == reference
    assert referral.status == Status.ANSWERED
    assert referral.answered_by == territory.doctor
    assert referral.attachments.get().name == "ecg-repos.pdf"
