"""The reader's pages of issue 17 in Debian's Chromium, at phone width, in Japanese and in English.

Each test reads the page as a Japanese or English reader's browser asks for it (Accept-Language)
on a 390-pixel screen, checks that nothing is wider than the screen, and runs axe-core
(tests/vendor/axe-core, from npm) on it: no serious or critical violation. The `browser` fixture of
test_browser.py fails a test on any request to another host or any breach of the page's
Content-Security-Policy. Screenshots go to tests/screenshots/, which git ignores.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from server.web.i18n import STRINGS
from tests.test_browser import PHONE
from tests.test_browser import browser  # noqa: F401 (the fixture)
from tests.test_browser import screenshot

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")

AXE = (Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
LOCALES = {"ja": "ja-JP", "en": "en-GB"}
MEETING = "/id/event/g7-digital-tech-ministers-meeting-2023"
FUND = "/id/fund/beyond-5g"
QUERY = "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type FILTER(STRSTARTS(STR(?s), STR(id:))) } GROUP BY ?type"
AXE_PAGES = {
    "home": "/",
    "resource": MEETING,
    "workbench": "/sparql?format=html&query=" + quote(QUERY),
    "search": "/search?q=G7",
    "error": "/id/organization/no-such-organisation",
    "linksets": "/download/linksets/",
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}"""


def phone_page(browser, lang: str):  # noqa: F811
    return browser.page(locale=LOCALES[lang], viewport=PHONE)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (evaluated, so the CSP holds)."""
    page.evaluate(AXE + "\n;0")
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_have_no_serious_accessibility_violations_and_fit_a_phone(browser, lang):  # noqa: F811
    page = phone_page(browser, lang)
    for name, path in AXE_PAGES.items():
        response = page.goto(path)
        assert response.status == (404 if name == "error" else 200), path
        page.locator("main").wait_for()
        if name == "workbench":
            page.locator("table.results tbody tr").first.wait_for()
        assert page.locator("html").get_attribute("lang") == lang, path
        assert fits_the_screen(page), path
        assert serious_violations(page) == [], path


# What each language's reader sees: a date, a boolean, the ontology's class Fund.
WORDS = {
    "ja": {"date": "2023年4月29日", "boolean": "はい", "fund": "基金"},
    "en": {"date": "29 April 2023", "boolean": "yes", "fund": "Fund"},
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_of_issue_17_in_the_readers_language(browser, lang):  # noqa: F811
    """One browser per language (starting one costs more than the checks): each part is a function below."""
    page = phone_page(browser, lang)
    resource_page_opens_with_label_type_and_writes_literals_naturally(page, lang)
    ontology_index_leads_to_each_term(page, lang)
    linksets_error_and_endpoint_pages_speak_the_readers_language_and_show_the_icon(page, lang)


def resource_page_opens_with_label_type_and_writes_literals_naturally(page, lang: str) -> None:
    page.goto(FUND)
    rows = page.locator("table.properties tr td:first-child a").evaluate_all("links => links.map(a => a.title)")
    assert rows[0] == "http://www.w3.org/2000/01/rdf-schema#label"
    before_type = rows[: rows.index("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")]
    assert all(p.endswith(("#label", "#prefLabel", "#altLabel")) for p in before_type), before_type
    permanent = page.locator("span.typed", has_text=WORDS[lang]["boolean"]).first
    assert permanent.get_attribute("title") == '"true"^^xsd:boolean'
    page.goto(MEETING)
    day = page.locator("time[datetime='2023-04-29']").first
    assert day.inner_text() == WORDS[lang]["date"]
    assert day.get_attribute("title") == '"2023-04-29"^^xsd:date'
    day.scroll_into_view_if_needed()
    day.hover()
    screenshot(page, f"resource-literals-{lang}-phone", full_page=False)


def ontology_index_leads_to_each_term(page, lang: str) -> None:
    page.goto("/ontology")
    index = page.locator("nav.index")
    assert index.locator("a").count() > 50
    index.get_by_role("link", name=WORDS[lang]["fund"], exact=True).click()
    page.wait_for_url("**/ontology#Fund")
    assert page.locator("article#Fund h4").is_visible()
    assert page.evaluate("document.getElementById('Fund').getBoundingClientRect().top") < 100
    assert fits_the_screen(page)
    screenshot(page, f"ontology-index-{lang}-phone", full_page=False)


def linksets_error_and_endpoint_pages_speak_the_readers_language_and_show_the_icon(page, lang: str) -> None:
    page.goto("/download/linksets/")
    assert page.locator("h1").inner_text() == STRINGS["ls_title"][lang]
    assert page.get_by_role("navigation", name=STRINGS["nav_main"][lang]).count() == 1
    assert page.locator("table.linksets tbody tr").count() >= 3
    screenshot(page, f"linksets-{lang}-phone")
    response = page.goto("/no/such/page")
    assert response.status == 404
    assert page.locator("h1").inner_text().startswith(STRINGS["http_404"][lang])
    screenshot(page, f"error-404-{lang}-phone", full_page=False)
    response = page.goto("/id/organization/a%5Cb")  # a backslash in a path: the site's 400 page
    assert response.status == 400
    assert page.locator("h1").inner_text().startswith(STRINGS["http_400"][lang])
    page.goto("/sparql")
    page.locator("details summary", has_text=STRINGS["wb_endpoint"][lang]).click()
    assert STRINGS["ep_update"][lang] in page.locator("details").inner_text()
    assert fits_the_screen(page)
    icon = page.goto(page.locator("link[rel=icon]").get_attribute("href"))
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
