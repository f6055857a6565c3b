"""End to end in a real browser: Debian's Chromium, driven by Playwright, against the live server.

Each test records every request the page makes and fails if one goes to any
host but the server (no CDN, no fonts, no analytics), or if the page breaks its
own Content-Security-Policy (an inline script or style the policy blocks). Screenshots of the home
page, a resource page and the workbench with results (and phone-width ones)
are written to tests/screenshots/, which git ignores:

    python -m pytest tests/test_browser.py
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote
from urllib.parse import urlsplit

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
MEETING = "/id/event/g7-digital-tech-ministers-meeting-2023"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


class Browser:
    """Opens pages in one Chromium and records the URL of every request they make."""

    def __init__(self, playwright, base_url: str):
        self.base_url = base_url
        self.requests: list[str] = []
        self.policy_violations: list[str] = []
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)

    def page(self, *, locale: str = "en-GB", viewport: dict | None = None):
        context = self.browser.new_context(
            base_url=self.base_url, locale=locale, viewport=viewport or {"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._console)
        page.set_default_timeout(15_000)
        return page

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.policy_violations.append(message.text)

    def foreign_requests(self) -> list[str]:
        ours = urlsplit(self.base_url).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).netloc != ours
        ]

    def close(self) -> None:
        self.browser.close()


@pytest.fixture
def browser(live_server):
    """A headless Chromium on the live server; after the test, no request may have left the server."""
    with sync_api.sync_playwright() as playwright:
        opened = Browser(playwright, live_server.url)
        try:
            yield opened
        finally:
            opened.close()
    assert opened.requests, "the test made no request"
    assert opened.foreign_requests() == []
    assert opened.policy_violations == []


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def test_home_page_links_to_a_resource_page(browser):
    page = browser.page()
    page.goto("/")
    assert page.locator("h1").inner_text()
    screenshot(page, "home-en")
    page.get_by_role("link", name="G7 Digital and Tech Ministers' Meeting", exact=False).first.click()
    page.wait_for_url(f"**{MEETING}")
    assert page.locator("h1").inner_text().startswith("G7")
    assert page.locator("table.properties tr").count() > 3
    assert page.locator("article.passage blockquote[lang=ja]").count() >= 1
    assert page.locator("svg.neighbourhood a").count() >= 3
    screenshot(page, "resource-en")


def test_language_switch_changes_and_is_remembered(browser):
    page = browser.page(locale="en-GB")
    page.goto(MEETING)
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("navigation", name="Language").get_by_role("link", name="日本語").click()
    page.wait_for_url("**lang=ja")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "Ｇ７" in page.locator("h1").inner_text()
    screenshot(page, "resource-ja")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "入口" in page.locator("main").inner_text()
    screenshot(page, "home-ja")


def test_example_query_runs_and_shows_its_rows(browser):
    page = browser.page()
    page.goto("/sparql")
    assert page.locator(".cm-editor").is_visible(), "the vendored editor did not load"
    page.locator(".gallery a").first.click()
    page.wait_for_selector("table.results tbody tr")
    assert page.locator("table.results tbody tr").count() >= 1
    assert "mic:MinisterialMeeting" in page.locator(".cm-content").inner_text()
    assert page.locator(".downloads a[href*='format=csv']").count() == 1
    screenshot(page, "workbench-en")


def test_typed_query_runs_with_ctrl_enter_and_draws_a_chart(browser):
    page = browser.page()
    page.goto("/sparql")
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(
        "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type FILTER(STRSTARTS(STR(?s), STR(id:))) } GROUP BY ?type"
    )
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("table.results tbody tr")
    assert page.locator("svg.chart .bar").count() >= 2
    screenshot(page, "workbench-chart")


def test_prefix_completion_offers_our_prefixes(browser):
    page = browser.page()
    page.goto("/sparql")
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nmi")
    option = page.locator(".cm-tooltip-autocomplete li", has_text="mic:")
    option.first.wait_for()
    assert option.count() >= 1


def test_shared_link_reopens_the_query_with_its_results(browser):
    query = "SELECT ?label WHERE { <https://mic-ict.example.org/id/fund/beyond-5g> rdfs:label ?label }"
    page = browser.page()
    page.goto("/sparql?format=html&query=" + quote(query))
    shared = page.locator("#share-link").input_value()
    other = browser.page()
    other.goto(shared.replace("http://localhost", browser.base_url))
    assert "beyond-5g" in other.locator(".cm-content").inner_text()
    assert other.locator("table.results tbody tr").count() == 2


@pytest.mark.parametrize("typed", ["Ｇ７", "G7"])
def test_search_box_finds_the_g7_in_either_width(browser, typed):
    page = browser.page()
    page.goto("/")
    page.get_by_role("search").get_by_role("searchbox").fill(typed)
    page.get_by_role("search").get_by_role("button").click()
    page.wait_for_url("**/search?q=*")
    assert page.locator("ol.results a[href='/id/organization/g7']").count() == 1
    screenshot(page, "search-" + ("fullwidth" if typed == "Ｇ７" else "ascii"))


def test_timeline_links_each_dated_event(browser):
    page = browser.page(locale="ja-JP")
    page.goto("/")
    page.get_by_role("navigation", name="サイト内").get_by_role("link", name="年表").click()
    page.wait_for_url("**/timeline")
    assert page.locator("ol.timeline time").count() >= 5
    screenshot(page, "timeline-ja")
    page.locator(f"ol.timeline a[href='{MEETING}']").first.click()
    page.wait_for_url(f"**{MEETING}")
    assert page.locator("html").get_attribute("lang") == "ja"


def test_pages_read_well_at_phone_width(browser):
    page = browser.page(viewport=PHONE, locale="ja-JP")
    for path, name in (("/", "home-phone"), (MEETING, "resource-phone"), ("/sparql", "workbench-phone")):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{path} scrolls sideways ({width}px)"
        screenshot(page, name, full_page=False)


def test_keyboard_reaches_the_search_box_from_the_skip_link(browser):
    page = browser.page()
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"


def test_a_javascript_iri_in_the_results_is_text_and_runs_nothing(browser):
    query = "SELECT ?x WHERE { VALUES ?x { <javascript:alert(document.domain)> } }"
    page = browser.page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/sparql?format=html&query=" + quote(query))
    cell = page.locator("table.results tbody td").first
    assert cell.inner_text() == "javascript:alert(document.domain)"
    assert cell.locator("a").count() == 0
    cell.click()
    page.evaluate("1")  # let a click's script, if any, run first
    assert dialogs == []


def test_the_language_switch_of_a_crafted_path_stays_on_the_site(browser):
    page = browser.page()
    page.goto("/%5Cevil.example/x")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="日本語").click()
    page.wait_for_url("**lang=ja")
    assert urlsplit(page.url).netloc == urlsplit(browser.base_url).netloc
    assert page.locator("html").get_attribute("lang") == "ja"
