"""Issue 14's request journey in a real browser, at desktop (1280×800) and phone (390×844).

The GP opens « Nouvelle demande » from a directory link (service pre-filled), sends a request
with a PDF and a photo, and previews both in the request page. The pathway desk's inbox and
the cardiologist's queue are open in other contexts, served by another server process: they
update live when the desk takes the request into account, assigns it, and when the doctor
answers (bug 7). The GP's list then puts the unread answer first; the request page's stepper
says « Répondue ». At 768 px the GP's list still shows the deadline (bug 10).

Same pattern as test_browser_pathway.py (ServerPool on the PostgreSQL test database, Debian's
Chromium); screenshots go to var/test-results/browser-referral-<width>-*.png.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, PASSWORD, _chromium
from parcours.referrals.models import Referral
from parcours.referrals.workflow import Status

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]

TIMEOUT_MS = 10_000
QUESTION = "Douleur thoracique d'effort depuis 3 semaines, ECG joint : consultation ?"
ANSWER = "Consultation de cardiologie utile ; épreuve d'effort à prévoir, pas d'urgence."
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _pdf() -> bytes:
    """A small valid one-page PDF with a line of text (a readable preview)."""
    text = b"BT /F1 18 Tf 40 100 Td (ECG de repos - rythme sinusal, 72/min) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 500 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png(width=160, height=90) -> bytes:
    """A plain PNG picture (a colour gradient), as a phone photo would be attached."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, 120, y * 255 // height)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def servers(transactional_db, tmp_path):
    with ServerPool(tmp_path) as pool:
        yield pool


def _log_in(page, username: str) -> None:
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_browser_request_journey_with_preview_and_live_hospital_pages(
    size, servers, territory, patient
):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    from conftest import _user
    from parcours.accounts.models import Membership, Role

    # The lists left open belong to colleagues of the people who act: the desk's second
    # nurse and the service head (an actor's own action is not pushed back to them).
    colleague = _user("desk2")
    Membership.objects.create(user=colleague, organisation=territory.alpha, role=Role.PATHWAY_DESK)
    viewport = VIEWPORTS[size]
    doctor_name = territory.doctor.display_name
    new_url = f"/demandes/nouvelle/?patient={patient.pk}&service={territory.cardio.pk}"
    gp_server, hospital_server = servers.start("gp", "hospital")
    pages = {}

    def shot(page, name):
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=RESULTS_DIR / f"browser-referral-{size}-{name}.png", full_page=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:

            def new_page(name, server):
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport=viewport
                )
                context.set_default_timeout(TIMEOUT_MS)
                pages[name] = context.new_page()
                return pages[name]

            # --- the hospital side opens its lists first and leaves them open --------------
            desk_inbox = new_page("desk_inbox", hospital_server)
            _log_in(desk_inbox, "desk2")
            expect(
                desk_inbox.get_by_role("heading", name=re.compile("cellule parcours"))
            ).to_be_visible()
            queue = new_page("head_queue", hospital_server)
            _log_in(queue, "head")
            expect(queue.get_by_role("heading", name="Demandes de mes services")).to_be_visible()

            # --- the GP: from a directory link, the service is already chosen ---------------
            gp = new_page("gp", gp_server)
            _log_in(gp, "gp")
            gp.goto(new_url)
            expect(gp.get_by_label("Service hospitalier")).to_have_value(str(territory.cardio.pk))
            expect(gp.locator(".notice")).to_contain_text("déjà choisi")
            gp.get_by_label("Consultation", exact=True).check()
            gp.get_by_label("Question clinique").fill(QUESTION)
            gp.get_by_label(re.compile("^Pièces jointes")).set_input_files(
                files=[
                    {"name": "ecg-repos.pdf", "mimeType": "application/pdf", "buffer": _pdf()},
                    {"name": "photo-oedeme.png", "mimeType": "image/png", "buffer": _png()},
                ]
            )
            shot(gp, "1-gp-new-request")
            gp.get_by_role("button", name="Envoyer la demande").click()
            expect(gp).to_have_url(re.compile(r"/demandes/\d+/$"))
            referral_pk = int(re.search(r"/demandes/(\d+)/$", gp.url).group(1))
            reference = re.search(r"Demande (\S+)", gp.locator("h1").inner_text()).group(1)

            # The stepper: an ordered list, the current step marked for assistive tech.
            current = gp.locator("ol.stepper li[aria-current=step]")
            expect(current).to_have_count(1)
            expect(current).to_contain_text("Envoyée")

            # Previews: the PDF in a frame, the photo as an image, loaded when opened.
            pdf_box = gp.locator("details.preview").filter(has=gp.locator("iframe"))
            with gp.expect_response(re.compile(r"/apercu/$")) as pdf_response:
                pdf_box.locator("summary").click()
            assert pdf_response.value.status == 200
            assert pdf_response.value.headers["content-type"] == "application/pdf"
            expect(pdf_box.locator("iframe")).to_be_visible()
            img_box = gp.locator("details.preview").filter(has=gp.locator("img"))
            img_box.locator("summary").click()
            image = img_box.locator("img")
            expect(image).to_be_visible()
            gp.wait_for_function(
                "img => img.complete && img.naturalWidth === 160", arg=image.element_handle()
            )
            shot(gp, "2-gp-request-with-previews")

            # --- the hospital lists, never reloaded, show the new request ------------------
            desk_row = desk_inbox.locator("tr", has_text=reference)
            expect(desk_row).to_contain_text("Envoyée")
            queue_row = queue.locator("tr", has_text=reference)
            expect(queue_row).to_contain_text("Envoyée")  # the service's doctors see it come
            desk_inbox.evaluate("window.parcoursTestMarker = 'kept'")
            queue.evaluate("window.parcoursTestMarker = 'kept'")

            # --- the desk (another tab): take into account, then assign -------------------
            desk = new_page("desk", hospital_server)
            _log_in(desk, "desk")
            desk.goto(f"/demandes/{referral_pk}/")
            desk.get_by_role("button", name="Prendre en compte").click()
            expect(desk.locator(".messages")).to_contain_text("prise en compte")
            expect(desk_row).to_contain_text("Prise en compte")  # the inbox left open
            expect(queue_row).to_contain_text("Prise en compte")  # the doctor's queue
            desk.locator("#action-assign summary").click()
            desk.get_by_label("Médecin du service").select_option(label=doctor_name)
            desk.locator("#action-assign").get_by_role("button").click()
            expect(desk.locator(".messages")).to_contain_text("Demande attribuée.")
            expect(desk_row).to_contain_text(doctor_name)
            expect(queue_row).to_contain_text("Attribuée")
            shot(desk_inbox, "3-desk-inbox-live")
            shot(queue, "4-doctor-queue-live")

            # --- the doctor answers; the desk's page on the request follows ----------------
            doctor = new_page("doctor", hospital_server)
            _log_in(doctor, "doctor")
            doctor.goto(f"/demandes/{referral_pk}/")
            doctor.locator("#action-answer summary").click()
            doctor.get_by_label("Avis donné").check()
            doctor.get_by_label("Réponse au médecin de ville").fill(ANSWER)
            doctor.locator("#action-answer").get_by_role("button", name="Répondre").click()
            expect(doctor.locator(".messages")).to_contain_text("Réponse envoyée")
            expect(desk.locator("#answer")).to_contain_text(ANSWER)  # desk page, not reloaded
            expect(desk.locator("ol.stepper li[aria-current=step]")).to_contain_text("Répondue")
            expect(desk_row).to_have_count(0)  # answered: it leaves the inbox, live
            expect(queue_row).to_have_count(0)
            assert desk_inbox.evaluate("window.parcoursTestMarker") == "kept"
            assert queue.evaluate("window.parcoursTestMarker") == "kept"

            # --- the GP: the answer waits for her, first in her list -----------------------
            expect(gp.locator("#answer")).to_contain_text(ANSWER)
            gp.goto("/demandes/")
            first = gp.locator("table.referral-list tbody tr").first
            expect(first).to_contain_text(reference)
            expect(first).to_contain_text("réponse non lue")
            shot(gp, "5-gp-list-answer-first")
            first.get_by_role("link", name=reference).click()
            expect(gp.locator("ol.stepper li[aria-current=step]")).to_contain_text("Répondue")
            shot(gp, "6-gp-answer")

            # --- bug 10: at 768 px the list still shows the deadline ------------------------
            if size == "desktop":
                gp.set_viewport_size({"width": 768, "height": 1024})
                gp.goto("/demandes/")
                deadline = gp.locator("table.referral-list tbody tr").first.locator(
                    "td[data-label='Délai']"
                )
                expect(deadline).to_be_visible()
                box = deadline.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 768, box
                shot(gp, "7-gp-list-768")
        except BaseException:
            for name, page in pages.items():
                try:
                    shot(page, f"failure-{name}")
                except Exception:  # noqa: S110 - best effort, the original error matters
                    pass
            raise
        finally:
            browser.close()

    referral = Referral.objects.get(pk=referral_pk)
    assert referral.status == Status.ANSWERED
    assert referral.service == territory.cardio
    assert sorted(a.name for a in referral.attachments.all()) == [
        "ecg-repos.pdf",
        "photo-oedeme.png",
    ]
    assert referral.answer_read_at is not None


def test_browser_open_preview_survives_the_live_refresh(servers, territory, patient):
    """Review of issue 14: the GP reading the attached photo lost it (the preview closed)
    whenever the request page refreshed live — when the desk took the request into account,
    for instance. An open preview stays open across the refresh."""
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    gp_server, hospital_server = servers.start("gp", "hospital")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            gp = browser.new_context(
                base_url=gp_server.url, locale="fr-FR", viewport=VIEWPORTS["desktop"]
            ).new_page()
            _log_in(gp, "gp")
            gp.goto(f"/demandes/nouvelle/?patient={patient.pk}&service={territory.cardio.pk}")
            gp.get_by_label("Avis spécialisé (téléexpertise)").check()
            gp.get_by_label("Question clinique").fill(QUESTION)
            gp.get_by_label(re.compile("^Pièces jointes")).set_input_files(
                files=[{"name": "photo-oedeme.png", "mimeType": "image/png", "buffer": _png()}]
            )
            gp.get_by_role("button", name="Envoyer la demande").click()
            expect(gp).to_have_url(re.compile(r"/demandes/\d+/$"))
            referral_pk = int(re.search(r"/demandes/(\d+)/$", gp.url).group(1))
            box = gp.locator("details.preview")
            box.locator("summary").click()
            expect(box.locator("img")).to_be_visible()

            desk = browser.new_context(
                base_url=hospital_server.url, locale="fr-FR", viewport=VIEWPORTS["desktop"]
            ).new_page()
            _log_in(desk, "desk")
            desk.goto(f"/demandes/{referral_pk}/")
            desk.get_by_role("button", name="Prendre en compte").click()
            expect(desk.locator(".messages")).to_contain_text("prise en compte")

            # The GP's page refreshed live (the stepper moved) and the photo is still shown.
            expect(gp.locator("ol.stepper li[aria-current=step]")).to_contain_text(
                "Prise en compte"
            )
            expect(gp.locator("details.preview")).to_have_attribute("open", "")
            expect(gp.locator("details.preview img")).to_be_visible()
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            gp.screenshot(
                path=RESULTS_DIR / "browser-referral-preview-after-live.png", full_page=True
            )
        finally:
            browser.close()


def test_browser_phone_lists_and_cards_do_not_scroll_sideways(servers, territory, make_referral):
    """Review of issue 14 (bug 10): at 390 px the request cards of the GP's list, the desk's
    inbox and the doctor's queue were 480 px wide (the deadline badge does not wrap), and a
    directory card's long MSSanté address pushed the page sideways."""
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    from parcours.directory.models import Organisation, Practitioner, PractitionerRole

    expect.set_options(timeout=TIMEOUT_MS)
    make_referral()
    make_referral(kind="CONSULTATION", question="Bilan de dyspnée d'effort ?")
    cabinet = Organisation.objects.create(
        name="Cabinet de cardiologie du Vieux-Château",
        kind="cabinet",
        town="Château-Gontier-sur-Mayenne",
        postcode="53200",
    )
    card = Practitioner.objects.create(
        last_name="Delacroix-Montgolfier",
        first_name="Marie-Bernadette",
        specialty="Cardiologie",
        mssante="marie-bernadette.delacroix-montgolfier@cardiologie.mssante.fr",
    )
    PractitionerRole.objects.create(practitioner=card, organisation=cabinet)
    (server,) = servers.start("web")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for username, url, marker in [
                ("gp", "/demandes/", "table.referral-list tbody tr"),
                ("desk", "/demandes/cellule/", "table.referral-list tbody tr"),
                ("doctor", "/demandes/file/", "table.referral-list tbody tr"),
                ("gp", f"/annuaire/professionnels/{card.pk}/", "dd"),
            ]:
                page = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport=VIEWPORTS["phone"]
                ).new_page()
                _log_in(page, username)
                page.goto(url)
                expect(page.locator(marker).first).to_be_visible()
                width = page.evaluate("document.documentElement.scrollWidth")
                RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=RESULTS_DIR / f"browser-phone-{username}-"
                    f"{url.strip('/').replace('/', '-')}.png",
                    full_page=True,
                )
                assert width <= 390, (url, width)
                page.context.close()
        finally:
            browser.close()
