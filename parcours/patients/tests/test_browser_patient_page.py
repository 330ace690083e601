"""The patient page and the header's menu button in a real browser, at desktop (1280×900) and
phone width (390×844) (issue 14, bugs 9 and 10). PostgreSQL only (a server process shares the
test database); screenshots go to var/test-results/.

- Desktop: the page lists the hospital summary, appointments, the imaging report and the
  requests; the long local identifier is not clipped; no menu button.
- Phone: the header is one short line with a « Menu » button (aria-expanded), the menu opens
  and leads to « Mes patients »; tables are cards (no sideways scrolling).
- Phone without JavaScript: the whole menu is shown, no button.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium, _log_in

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]

TIMEOUT_MS = 10_000
IPP = "IPP-0000123456789012345"  # long on purpose: it used to be clipped at 1280 px
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def servers(transactional_db, tmp_path):
    with ServerPool(tmp_path) as pool:
        yield pool


@pytest.fixture
def record(territory):
    """A patient of ``gp`` with a hospital summary, a request, an identifier and an
    appointment with its imaging report (committed: the server process reads them)."""
    from datetime import timedelta

    from parcours.patients.models import PatientIdentifier
    from parcours.patients.record import hospital_summary_import
    from parcours.patients.services import patient_create
    from parcours.referrals.services import referral_submit
    from parcours.scheduling.models import (
        Act,
        Appointment,
        ImagingReport,
        Schedule,
        Slot,
    )

    patient = patient_create(
        actor=territory.gp,
        birth_name="Synthétique",
        birth_given_names="Colette",
        birth_date=date(1952, 3, 9),
        sex="F",
        birthplace_insee="53130",
    ).patient
    hospital_summary_import(
        actor=territory.desk,
        source=territory.alpha,
        patient=patient,
        items=[
            {
                "kind": "stay",
                "external_id": "S1",
                "title": "Hospitalisation en cardiologie",
                "date": timezone.now() - timedelta(days=30),
            }
        ],
    )
    PatientIdentifier.objects.create(
        patient=patient,
        system="urn:demo:ch-alpha:ipp",
        value=IPP,
        kind="IPP",
        organisation=territory.alpha,
    )
    referral_submit(
        author=territory.gp,
        patient=patient,
        service=territory.cardio,
        kind="ADVICE",
        question="Souffle systolique : avis ?",
    )
    echo = Schedule.objects.create(
        name="Échographe 1", kind="device", device="ultrasound", organisation=territory.alpha
    )
    act = Act.objects.create(schedule=echo, name="Échographie thyroïdienne")
    start = timezone.now() - timedelta(days=3)
    slot = Slot.objects.create(
        schedule=echo, act=act, start=start, end=start + timedelta(minutes=20), status="booked"
    )
    appointment = Appointment.objects.create(
        slot=slot,
        schedule=echo,
        start=slot.start,
        end=slot.end,
        patient=patient,
        booked_by=territory.gp,
        prescriber=territory.gp,
        status="fulfilled",
    )
    ImagingReport.objects.create(
        appointment=appointment,
        author=territory.gp,
        conclusion="Nodule thyroïdien de 8 mm, EU-TIRADS 3.",
    )
    return patient.pk


def _shot(page, name):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS_DIR / f"browser-patient-{name}.png", full_page=True)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_browser_patient_page_and_menu_on_desktop_and_phone(servers, territory, record):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    (server,) = servers.start("web")
    url = f"/patients/{record}/"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        pages = []
        try:

            def new_page(viewport, js=True):
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport=viewport, java_script_enabled=js
                )
                context.set_default_timeout(TIMEOUT_MS)
                pages.append(context.new_page())
                _log_in(pages[-1], "gp")
                return pages[-1]

            # --- desktop ---------------------------------------------------------------------
            desk = new_page(DESKTOP)
            desk.goto(url)
            expect(
                desk.get_by_role("heading", name="Synthèse du dossier hospitalier")
            ).to_be_visible()
            expect(desk.get_by_text("Hospitalisation en cardiologie")).to_be_visible()
            expect(desk.locator("#patient-appointments")).to_contain_text(
                "Échographie thyroïdienne"
            )
            expect(desk.locator("#patient-imaging")).to_contain_text("EU-TIRADS 3")
            expect(desk.get_by_text("Laval (53) — 53130")).to_be_visible()
            expect(desk.locator(".menu-toggle")).to_be_hidden()
            expect(desk.get_by_role("link", name="Mes patients")).to_be_visible()
            # The local identifier is whole: it does not overflow its card.
            cell = desk.locator(".identifier-value", has_text=IPP)
            expect(cell).to_be_visible()
            assert cell.evaluate("c => c.scrollWidth <= c.clientWidth + 1")
            card = cell.locator("xpath=ancestor::section[1]")
            cbox, kbox = cell.bounding_box(), card.bounding_box()
            assert cbox["x"] + cbox["width"] <= kbox["x"] + kbox["width"] + 1, (cbox, kbox)
            assert cbox["height"] < 40, cbox  # on one line
            assert _no_sideways_scroll(desk)
            _shot(desk, "1-desktop")

            # --- tablet in portrait: folded header, the request list shows its deadline ------
            tablet = new_page({"width": 768, "height": 1024})
            tablet.goto("/demandes/")
            expect(tablet.locator(".menu-toggle")).to_be_visible()
            assert tablet.locator("header.topbar").bounding_box()["height"] <= 80
            # Below 900 px the request list is cards (referrals' layout): each card shows its
            # deadline, within the page's width.
            deadline = tablet.locator("table.list tbody tr").first.locator("td[data-label='Délai']")
            expect(deadline).to_be_in_viewport()
            box = deadline.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 768, box
            assert _no_sideways_scroll(tablet)
            _shot(tablet, "0-tablet-requests")

            # --- phone -----------------------------------------------------------------------
            phone = new_page(PHONE)
            phone.goto(url)
            toggle = phone.get_by_role("button", name=re.compile("^☰? ?Menu"))
            expect(toggle).to_be_visible()
            expect(toggle).to_have_attribute("aria-expanded", "false")
            expect(phone.get_by_role("link", name="Mes patients")).to_be_hidden()
            header = phone.locator("header.topbar").bounding_box()
            assert header["height"] <= 80, header  # was 477 of 844 px
            assert _no_sideways_scroll(phone)
            # Tables are cards: no header row, each cell says its column.
            expect(phone.locator("#patient-appointments thead")).to_be_hidden()
            label = phone.locator("#patient-appointments td[data-label='Statut']").first.evaluate(
                "td => getComputedStyle(td, '::before').content"
            )
            assert "Statut" in label
            # A table whose template wrote no data-label gets them from its header row.
            phone.goto("/demandes/")
            first_cell = phone.locator("table.list tbody tr td").first
            expect(first_cell).to_have_attribute("data-label", re.compile(r"\w"))
            assert _no_sideways_scroll(phone)
            _shot(phone, "2b-phone-requests")
            phone.goto(url)
            _shot(phone, "2-phone-closed")
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            mine = phone.get_by_role("link", name="Mes patients")
            expect(mine).to_be_visible()
            _shot(phone, "3-phone-menu-open")
            phone.keyboard.press("Escape")
            expect(toggle).to_have_attribute("aria-expanded", "false")
            toggle.click()
            mine.click()
            expect(phone.get_by_role("heading", name="Mes patients")).to_be_visible()
            expect(phone.locator("#my-patients")).to_contain_text("SYNTHETIQUE")
            assert _no_sideways_scroll(phone)
            _shot(phone, "4-phone-my-patients")

            # --- birthplace by commune name, on the phone ------------------------------------
            phone.goto("/patients/nouveau/")
            place = phone.get_by_label("Lieu de naissance (commune)")
            expect(place).to_have_attribute("role", "combobox")
            place.press_sequentially("chateau gon")
            option = phone.get_by_role("option", name=re.compile("Château-Gontier-sur-Mayenne"))
            expect(option).to_be_visible()
            expect(place).to_have_attribute("aria-expanded", "true")
            _shot(phone, "6-phone-birthplace")
            option.click()
            expect(phone.locator(".commune-code")).to_have_text("Code INSEE : 53062")
            phone.get_by_label("Nom de naissance").fill("Essai")
            phone.get_by_label("Prénom(s) de naissance").fill("Maëlle")
            phone.get_by_label("Date de naissance").fill("1990-01-02")
            phone.get_by_label("Féminin").check()
            phone.get_by_role("button", name="Enregistrer").click()
            expect(phone.get_by_text("Château-Gontier-sur-Mayenne (53) — 53062")).to_be_visible()

            # --- phone without JavaScript: the menu is simply there ---------------------------
            plain = new_page(PHONE, js=False)
            plain.goto(url)
            expect(plain.locator(".menu-toggle")).to_be_hidden()
            expect(plain.get_by_role("link", name="Mes patients")).to_be_visible()
            _shot(plain, "5-phone-no-js")
            # ... and the birthplace is a plain field taking a commune name.
            plain.goto("/patients/nouveau/")
            plain.get_by_label("Lieu de naissance (commune)").fill("Laval (53)")
            plain.get_by_label("Nom de naissance").fill("Essai")
            plain.get_by_label("Prénom(s) de naissance").fill("Noé")
            plain.get_by_label("Date de naissance").fill("1991-03-04")
            plain.get_by_label("Masculin").check()
            plain.get_by_role("button", name="Enregistrer").click()
            expect(plain.get_by_text("Laval (53) — 53130")).to_be_visible()
        except BaseException:
            for n, page in enumerate(pages):
                try:
                    _shot(page, f"failure-{n}")
                except Exception:  # noqa: S110 - best effort, the original error matters
                    pass
            raise
        finally:
            browser.close()
