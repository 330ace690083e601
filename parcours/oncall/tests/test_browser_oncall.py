"""On-call rosters in a real browser (issue 19): swap a shift and see « de garde maintenant »
change.

The doctor holding the shift running now asks the colleague to take it from the roster page;
the colleague accepts it from « Mes gardes »; the now page names the colleague. Real time (the
servers are separate processes): the roster covers every hour, day and night, so a shift is
always running. Screenshots for humans go to var/test-results/.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium, _log_in

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]
TIMEOUT_MS = 10_000


@pytest.fixture
def servers(transactional_db, tmp_path):
    # Requested after transactional_db, so the servers stop before the database is flushed.
    with ServerPool(tmp_path) as pool:
        yield pool


@pytest.fixture
def round_the_clock(territory):
    """A cardiology line covered day (08:00–20:00) and night (20:00–08:00), yesterday to next
    week, alternating between ``doctor`` and ``head``. Returns (roster, shift running now)."""
    from django.utils import timezone

    from parcours.directory.models import Practitioner
    from parcours.oncall.models import Roster, RosterMember, ShiftTemplate
    from parcours.oncall.services import shifts_generate

    roster = Roster.objects.create(
        name="Garde de cardiologie — CH Alpha",
        kind=Roster.Kind.SERVICE,
        mode=Roster.Mode.ON_SITE,
        service=territory.cardio,
    )
    ShiftTemplate.objects.create(
        roster=roster, label="Jour", days="0123456F", start_time=time(8), end_time=time(20)
    )
    ShiftTemplate.objects.create(
        roster=roster, label="Nuit", days="0123456F", start_time=time(20), end_time=time(8)
    )
    for i, user in enumerate([territory.doctor, territory.head]):
        p = Practitioner.objects.create(user=user, last_name=user.username, first_name="Test")
        RosterMember.objects.create(roster=roster, practitioner=p, position=i)
    today = timezone.localdate()
    shifts_generate(
        actor=territory.head,
        roster=roster,
        start=today - timedelta(days=1),
        end=today + timedelta(days=7),
    )
    now = timezone.now()
    running = roster.shifts.select_related("practitioner__user").get(start__lte=now, end__gt=now)
    return roster, running


def _screenshot(page, name: str) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=RESULTS_DIR / f"browser-oncall-{name}.png", full_page=True)


def test_browser_a_swap_changes_who_is_on_call_now(servers, territory, round_the_clock):
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    roster, running = round_the_clock
    holder = running.practitioner
    other = territory.head if holder.user == territory.doctor else territory.doctor
    holder_name, other_name = str(holder), f"Dr Test {other.username.upper()}"
    (server,) = servers.start("web")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:

            def new_page():
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
                )
                context.set_default_timeout(TIMEOUT_MS)
                return context.new_page()

            # --- the holder sees themself on call now and asks the colleague to swap ----------
            page = new_page()
            _log_in(page, holder.user.username)
            page.goto("/gardes/")
            row = page.locator("table.oncall-now tr", has_text=roster.name)
            expect(row.locator("td.on-call")).to_contain_text(holder_name)
            _screenshot(page, "1-now-before")
            page.goto(f"/gardes/{roster.pk}/")
            page.locator(f"#shift-{running.pk}").get_by_role("link", name="Échanger").click()
            expect(page.get_by_role("heading", name="Échanger une garde")).to_be_visible()
            page.get_by_label("Médecin sollicité").select_option(label=other_name)
            page.get_by_label("Message").fill("Urgence familiale, merci")
            page.get_by_role("button", name="Demander l'échange").click()
            expect(page.locator(".messages")).to_contain_text("Demande d'échange envoyée.")

            # --- the colleague accepts from « Mes gardes » ---------------------------------
            colleague = new_page()
            _log_in(colleague, other.username)
            colleague.goto("/gardes/mes-gardes/")
            expect(colleague.locator("body")).to_contain_text("Urgence familiale, merci")
            colleague.get_by_role("button", name="Accepter").click()
            expect(colleague.locator(".messages")).to_contain_text("Échange accepté")

            # --- « de garde maintenant » names the colleague ----------------------------------
            colleague.goto("/gardes/")
            row = colleague.locator("table.oncall-now tr", has_text=roster.name)
            expect(row.locator("td.on-call")).to_contain_text(other_name)
            expect(row.locator("td.on-call")).not_to_contain_text(
                re.compile(re.escape(holder_name))
            )
            _screenshot(colleague, "2-now-after-swap")
        finally:
            browser.close()
