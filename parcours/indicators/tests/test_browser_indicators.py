"""The indicators page draws its charts in a real browser (issue 14), at desktop and phone
width; screenshots go to var/test-results/ for humans (and CI artefacts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parcours.core.tests.servers import RESULTS_DIR, ServerPool, postgres_only
from parcours.core.tests.test_browser_pathway import CHROMIUM_ARGS, _chromium, _log_in

from .test_views import _dated, _month_ago

pytestmark = [pytest.mark.postgres, pytest.mark.browser, postgres_only]

TIMEOUT_MS = 10_000
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# In the page: how many of a canvas's pixels are painted (not transparent).
PAINTED = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return {painted: painted, width: canvas.width, height: canvas.height};
}"""


@pytest.fixture
def servers(transactional_db, tmp_path):
    # Requested after transactional_db, so the servers stop before the database is flushed.
    with ServerPool(tmp_path) as pool:
        yield pool


def test_browser_indicators_page_draws_its_charts(servers, territory, make_referral):
    chromium = _chromium()
    # Six months of requests to two hospitals, some answered late, some not at all.
    for months in range(1, 7):
        for i, service in enumerate(
            (territory.cardio, territory.pneumo_svc, territory.beta_cardio)
        ):
            kind = ("ADVICE", "CONSULTATION", "EXAM")[(months + i) % 3]
            _dated(
                make_referral(service=service, kind=kind),
                _month_ago(months, 3 + i),
                answer_hours=(6, 30, 70)[(months * i) % 3],
            )
        _dated(make_referral(), _month_ago(months, 20) + timedelta(hours=1))

    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    (server,) = servers.start("web")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for name, viewport in VIEWPORTS.items():
                context = browser.new_context(
                    base_url=server.url, locale="fr-FR", viewport=viewport
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                errors = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                _log_in(page, "admin")
                page.goto("/indicateurs/")
                expect(page.get_by_role("heading", name="Indicateurs des demandes")).to_be_visible()
                figures = page.locator("figure[data-chart]")
                expect(figures).to_have_count(5)  # four monthly charts + the territory's
                canvases = page.locator("figure[data-chart] canvas")
                expect(canvases).to_have_count(5)
                for i in range(5):
                    canvas = canvases.nth(i)
                    expect(canvas).to_be_visible()
                    drawn = canvas.evaluate(PAINTED)
                    assert drawn["width"] > 100 and drawn["height"] > 100, (name, i, drawn)
                    assert drawn["painted"] > 500, (name, i, drawn)
                    box = canvas.bounding_box()
                    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (
                        name,
                        i,
                        box,
                    )
                # The tables stay for screen readers, and can be shown.
                table = figures.first.locator("table")
                expect(table).to_have_count(1)
                assert "ind-sr" in (figures.first.locator(".ind-table").get_attribute("class"))
                figures.first.get_by_role("button", name="Afficher les données").click()
                expect(table).to_be_visible()
                # No horizontal scrolling of the page itself at this width.
                overflow = page.evaluate("document.documentElement.scrollWidth")
                assert overflow <= viewport["width"] + 1, (name, overflow)
                assert errors == [], errors
                RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=RESULTS_DIR / f"browser-indicators-{name}.png", full_page=True)
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=RESULTS_DIR / f"browser-indicators-{name}-top.png")
                figures.nth(1).scroll_into_view_if_needed()
                page.screenshot(path=RESULTS_DIR / f"browser-indicators-{name}-chart.png")
                # The printable page (« PDF » for the ARS): the charts and their tables.
                if name == "desktop":
                    page.emulate_media(media="print")
                    expect(page.locator(".ind-filters")).to_be_hidden()
                    expect(figures.nth(1).locator("table")).to_be_visible()
                    page.screenshot(
                        path=RESULTS_DIR / "browser-indicators-print.png", full_page=True
                    )
                    page.pdf(
                        path=str(RESULTS_DIR / "browser-indicators-print.pdf"),
                        format="A4",
                        print_background=True,
                    )
                    page.emulate_media(media="screen")
                    # The letters' tab: its two charts are drawn too (axes at zero).
                    page.get_by_role("link", name="Lettres de liaison").first.click()
                    expect(
                        page.get_by_role("heading", name="Lettres de liaison de sortie")
                    ).to_be_visible()
                    letters = page.locator("figure[data-chart] canvas")
                    expect(letters).to_have_count(2)
                    for i in range(2):
                        assert letters.nth(i).evaluate(PAINTED)["painted"] > 100
                context.close()
        finally:
            browser.close()
