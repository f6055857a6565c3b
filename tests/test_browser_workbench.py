"""The workbench and the canned queries in a real browser (Debian's Chromium, through Playwright).

What only a browser shows: the syntax error marked in the editor, completion of
ontology terms and resources (and none inside comments and strings), the query
history in localStorage, paging, sorting and filtering by links and forms, and the
graph and timeline views. Each test checks, as test_browser.py's fixture does, that
no request left the server and that the page kept its Content-Security-Policy.
Both languages and the phone width are covered across the tests.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.test_browser import PHONE
from tests.test_browser import browser  # noqa: F401 (the fixture)
from tests.test_browser import screenshot

BAD = "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = ) }"
ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def type_query(page, text: str) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def completions(page) -> list[str]:
    page.locator(".cm-tooltip-autocomplete li").first.wait_for()
    return page.locator(".cm-tooltip-autocomplete li").all_inner_texts()


@pytest.mark.parametrize(("locale", "words"), [("ja-JP", "3 行"), ("en-GB", "line 3")])
def test_a_syntax_error_is_marked_in_the_editor_under_which_it_is_said(browser, locale, words):  # noqa: F811
    page = browser.page(locale=locale, viewport=PHONE if locale == "ja-JP" else None)
    page.goto("/sparql?format=html&query=" + quote(BAD))
    assert words in page.locator("#query-error").inner_text()
    assert page.locator(".cm-lintRange-error").count() == 1
    assert page.locator(".cm-gutter-lint .cm-lint-marker-error").count() == 1
    assert "FILTER(?s = ) }" in page.locator(".cm-line").nth(2).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
    screenshot(page, f"workbench-error-{locale[:2]}")


def test_completion_offers_ontology_terms_and_resources_but_not_in_comments_or_strings(browser):  # noqa: F811
    page = browser.page(locale="ja-JP")
    page.goto("/sparql")
    type_query(page, "SELECT * WHERE {\n")
    page.keyboard.type("?s a mic:Fu")
    assert any(option.startswith("mic:Fund") and "基金" in option for option in completions(page))
    page.keyboard.press("Escape")
    page.keyboard.type(" . ?s a 組織")
    assert any("org:Organization" in option for option in completions(page))
    page.keyboard.press("Escape")
    page.keyboard.type(" . ?s ?p 総務")
    options = completions(page)
    assert any(option.startswith("総務省") and "organization/mic" in option for option in options)
    page.locator(".cm-tooltip-autocomplete li", has_text="organization/mic").first.click()
    assert "<https://mic-ict.example.org/id/organization/mic>" in page.locator(".cm-content").inner_text()
    for quiet in ("\n# mic:Fu", '\n"mic:Fu'):
        page.keyboard.type(quiet)
        page.wait_for_timeout(400)
        assert page.locator(".cm-tooltip-autocomplete").count() == 0, quiet
    screenshot(page, "workbench-completion-ja")


def test_history_keeps_the_last_fifty_runs_reruns_edits_and_clears(browser):  # noqa: F811
    page = browser.page()
    page.goto("/sparql")
    older = [{"query": f"ASK {{ ?s ?p {n} }}", "at": "2026-01-01T00:00:00Z"} for n in range(55)]
    page.evaluate("h => localStorage.setItem('mic-lod.workbench.history', JSON.stringify(h))", older)
    type_query(page, "SELECT ?label WHERE { <https://mic-ict.example.org/id/fund/beyond-5g> rdfs:label ?label }")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("table.results tbody tr")
    entries = page.locator("#history-list li")
    assert entries.count() == 50
    assert "beyond-5g" in entries.first.inner_text()
    stored = json.loads(page.evaluate("localStorage.getItem('mic-lod.workbench.history')"))
    assert len(stored) == 50 and stored[1]["query"] == "ASK { ?s ?p 0 }"
    entries.nth(1).get_by_role("button").click()  # edit
    assert page.locator(".cm-content").inner_text() == "ASK { ?s ?p 0 }"
    entries.first.get_by_role("link").click()  # run again
    page.wait_for_selector("table.results tbody tr")
    page.locator("#history-clear").click()
    assert page.locator("#history-list li").count() == 0
    assert page.evaluate("localStorage.getItem('mic-lod.workbench.history')") == "[]"


def test_pages_sort_and_filter_by_links_and_forms_at_phone_width(browser):  # noqa: F811
    page = browser.page(viewport=PHONE)
    page.goto("/sparql?format=html&query=" + quote(ALL))
    first = page.locator("#row-count").inner_text()
    assert first.startswith("Rows 1–50 of ")
    page.get_by_role("navigation", name="Pages of the results").get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2**")
    assert page.locator("#row-count").inner_text().startswith("Rows 51–100 of ")
    page.get_by_role("link", name="?p").click()
    page.wait_for_url("**sort=p**")
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("?p")
    page.locator("#table-filter").fill("Ｇ７")
    page.locator("#table-filter").press("Enter")
    page.wait_for_url("**filter=**")
    assert "match the filter" in page.locator("#row-count").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "workbench-paged-phone", full_page=False)


def test_describe_answers_and_neighbourhoods_are_graphs_and_dates_a_timeline(browser):  # noqa: F811
    page = browser.page()
    page.goto("/sparql?format=html&query=" + quote("DESCRIBE <https://mic-ict.example.org/id/fund/beyond-5g>"))
    page.wait_for_selector("#graph-canvas[data-drawn]")
    assert page.locator("#graph-canvas circle").count() >= 10
    assert page.locator("#graph-canvas a[href='/id/organization/mic']").count() == 1
    screenshot(page, "workbench-graph")
    page.locator(".gallery a[data-example=dates]").click()
    page.wait_for_selector("svg.timeline-chart")
    assert page.locator("svg.timeline-chart .event").count() >= 10
    screenshot(page, "workbench-timeline")
    page.goto("/id/organization/mic")
    page.get_by_role("link", name="All its connections, as a graph you can move").click()
    page.wait_for_selector("#graph-canvas[data-drawn]")
    assert page.locator("#graph-canvas a[href='/id/fund/beyond-5g']").count() == 1


def test_a_canned_query_runs_with_a_parameter_and_names_a_bad_one_in_japanese(browser):  # noqa: F811
    page = browser.page(locale="ja-JP", viewport=PHONE)
    page.goto("/queries")
    page.get_by_role("link", name="ある資源は何とつながっているか", exact=False).click()
    page.wait_for_selector("#graph-canvas[data-drawn]")
    page.locator("#param-resource").fill("id/organization/nict")
    page.get_by_role("button", name="実行").click()
    page.wait_for_url("**resource=id%2Forganization%2Fnict**")
    page.wait_for_selector("#graph-canvas[data-drawn]")
    assert page.locator("table.results").inner_text().count("情報通信研究機構") >= 1
    page.locator("#param-resource").fill("not an iri")
    page.get_by_role("button", name="実行").click()
    assert "パラメータ「resource」" in page.locator("#query-error").inner_text()
    assert page.locator("#param-resource").get_attribute("aria-invalid") == "true"
    screenshot(page, "canned-error-phone")
