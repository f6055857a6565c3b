"""The reader's pages through Flask's test client: structure, language, links, search, timeline, workbench.

Expectations come from the release's store where they can, so they hold for
any data; the browser itself is driven in test_browser.py.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import quote
from urllib.parse import urlsplit

import pytest

from server.web.gallery import load_examples
from server.web.i18n import STRINGS
from tests.conftest import BASE
from tests.conftest import FUND
from tests.conftest import MEETING
from tests.conftest import MIC

ROOT = Path(__file__).resolve().parent.parent
THEMES = BASE + "id/concept/g7-theme"
JAPAN = BASE + "id/place/japan"
G7 = BASE + "id/organization/g7"
EXAMPLES = load_examples(ROOT / "queries", BASE)
PAGES = ["/", "/sparql", "/search?q=G7", "/timeline", "/id/organization/mic.html", "/download/", "/ontology.html"]


class Elements(HTMLParser):
    """Every start tag of a page as (tag, attributes), and the text of the page."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def hrefs(self) -> set[str]:
        return {a["href"] for t, a in self.tags if t == "a" and a.get("href")}


def page(client, path: str, **headers) -> tuple[str, Elements]:
    response = client.get(path, headers={"Accept": "text/html", **headers})
    assert response.status_code == 200, (path, response.status_code)
    html = response.get_data(as_text=True)
    return html, Elements(html)


def local(iri: str) -> str:
    return "/" + iri[len(BASE) :]


def select(release, query: str) -> list:
    return list(release.store.query(query, prefixes=release.iris.prefixes(), use_default_graph_as_union=True))


# --- every page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_labelled_search_box_sending_q_to_search(client, path):
    _, elements = page(client, path)
    form = elements.find("form", role="search")[0]
    assert form["action"] == "/search" and form["method"] == "get"
    search_input = elements.find("input", name="q", type="search")[0]
    assert elements.find("label", for_=search_input["id"])


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_to_itself_in_both_languages(client, path):
    _, elements = page(client, path)
    switch = {a["hreflang"]: a["href"] for a in elements.find("a") if a.get("data-lang")}
    assert set(switch) == {"ja", "en"}
    for code, href in switch.items():
        assert urlsplit(href).path == urlsplit(path).path
        assert parse_qs(urlsplit(href).query)["lang"] == [code]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_scripts_and_styles_only_from_this_server(client, path):
    _, elements = page(client, path)
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for element in elements.find(tag):
            if element.get(attr) and (tag != "link" or element.get("rel") == "stylesheet"):
                assert element[attr].startswith("/"), (path, element)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_readable_on_a_phone_and_skips_to_its_content(client, path):
    html, elements = page(client, path)
    assert elements.find("meta", name="viewport")
    assert elements.find("a", class_="skip", href="#main")
    assert elements.find("main", id="main")


def test_language_follows_accept_language(client):
    html, _ = page(client, "/", **{"Accept-Language": "ja,en;q=0.5"})
    assert '<html lang="ja">' in html
    assert STRINGS["home_entry"]["ja"] in html


def test_language_defaults_to_english(client):
    html, _ = page(client, "/")
    assert '<html lang="en">' in html
    assert STRINGS["home_entry"]["en"] in html


def test_lang_parameter_wins_and_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=ja", headers={"Accept-Language": "en"})
    assert '<html lang="ja">' in response.get_data(as_text=True)
    assert "lang=ja" in response.headers["Set-Cookie"]
    later = client.get("/timeline", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ja">' in later


def test_language_link_keeps_the_search_query(client):
    _, elements = page(client, "/search?q=" + quote("Ｇ７"))
    english = next(a["href"] for a in elements.find("a") if a.get("data-lang") == "en")
    assert parse_qs(urlsplit(english).query) == {"q": ["Ｇ７"], "lang": ["en"]}


def test_html_pages_vary_on_cookie(client):
    response = client.get("/id/organization/mic.html")
    assert "Cookie" in response.headers["Vary"]


def test_footer_gives_the_attribution_and_says_it_is_not_mics(client, release):
    html, _ = page(client, "/sparql")
    assert release.record.attribution["ja"] in html
    assert release.record.attribution["en"] in html
    assert STRINGS["footer_not_mic"]["en"] in html


# --- home -----------------------------------------------------------------------------------------


def test_home_states_source_terms_and_attribution(client, release):
    html, elements = page(client, "/", **{"Accept-Language": "ja"})
    assert release.record.attribution["ja"] in html
    assert "政府標準利用規約（第2.0版）" in html
    assert "/.well-known/void" in elements.hrefs()


def test_home_links_the_entry_points(client, release):
    _, elements = page(client, "/")
    hrefs = elements.hrefs()
    themes = {row["s"].value for row in select(release, f"SELECT ?s WHERE {{ ?s skos:inScheme <{THEMES}> }}")}
    people = {row["s"].value for row in select(release, "SELECT ?s WHERE { ?s a foaf:Person }")}
    assert len(themes) == 6
    for iri in {MEETING, FUND, THEMES, MIC} | themes | people:
        assert local(iri) in hrefs, iri


def test_home_counts_resources_by_class(client, release):
    html, _ = page(client, "/")
    passages = select(release, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a mic:Passage }")[0]["n"].value
    assert re.search(r'href="/ontology/Passage"[^>]*>[^<]+</a> <span class="num">' + passages + "<", html)


def test_download_sizes_are_written_with_separators(client):
    html, _ = page(client, "/download/")
    sizes = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert sizes and all(re.fullmatch(r"[1-9]\d{0,2}(,\d{3})*", size) for size in sizes), sizes
    assert any("," in size for size in sizes)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_the_sites_icon(client, path):
    _, elements = page(client, path)
    (icon,) = elements.find("link", rel="icon")
    with client.get(icon["href"]) as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.location.endswith("/static/favicon.svg")


def test_home_lists_the_release_downloads_endpoint_and_linksets(client, release):
    html, elements = page(client, "/")
    assert release.version in html
    hrefs = elements.hrefs()
    assert "/download/mic-ict-strategy.ttl" in hrefs
    assert "/download/" in hrefs and "/download/linksets/" in hrefs and "/sparql" in hrefs
    assert "http://localhost/sparql" in html


# --- resource pages -------------------------------------------------------------------------------


def test_every_iri_of_the_graph_and_ontology_has_a_page(client, release):
    rows = select(release, f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}")) }}')
    minted = ("id/", "ontology", "graph/", "release/")
    iris = {row["s"].value for row in rows if row["s"].value[len(BASE) :].startswith(minted)}
    assert len(iris) > 100
    for iri in sorted(iris):
        response = client.get(local(iri) + ".html")
        assert response.status_code == 200, iri


def test_resource_page_quotes_the_japanese_text_of_each_passage(client, release):
    html, elements = page(client, local(MEETING) + ".html")
    text = select(release, f"SELECT ?t WHERE {{ <{BASE}id/passage/B1> schema:text ?t }}")[0]["t"].value
    assert elements.find("blockquote", lang="ja")
    assert text.replace("'", "&#39;") in html


def test_resource_page_links_external_identifiers(client):
    _, elements = page(client, local(JAPAN) + ".html")
    assert "http://www.wikidata.org/entity/Q17" in elements.hrefs()
    _, mic = page(client, local(MIC) + ".html")
    assert any(href.startswith("http://hojin-info.go.jp/") for href in mic.hrefs())


def test_resource_page_shows_values_by_their_labels_in_the_readers_language(client):
    html, elements = page(client, local(MEETING) + ".html?lang=ja")
    ministry = next(a for a in elements.find("a") if a.get("href") == local(MIC))
    assert ministry["title"] == MIC
    assert ">総務省</a>" in html
    assert ">大臣会合</a>" in html  # the type, in Japanese


def test_resource_page_draws_its_neighbourhood_with_links(client):
    html, elements = page(client, local(MEETING) + ".html")
    assert elements.find("svg", class_="neighbourhood")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert f'href="{local(MIC)}"' in svg and f'href="{local(G7)}"' in svg


def test_ontology_term_page_shows_its_label_in_japanese(client, release):
    label = select(release, 'SELECT ?l WHERE { mic:Fund rdfs:label ?l FILTER(LANG(?l) = "ja") }')[0]["l"].value
    html, _ = page(client, "/ontology/Fund?lang=ja")
    assert f"<h1>{label}</h1>" in html


def test_language_parameter_gives_the_japanese_resource_page(client):
    html, _ = page(client, local(MEETING) + "?lang=ja")
    assert "<h1>Ｇ７群馬高崎デジタル･技術大臣会合</h1>" in html


# --- search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Ｇ７", "G7", "g7", "ｇ７"])
def test_search_finds_the_g7_in_either_width(client, typed):
    _, elements = page(client, "/search?q=" + quote(typed))
    links = [a["href"] for a in elements.find("a", class_="result-label")]
    assert local(G7) in links


@pytest.mark.parametrize("typed", ["総務省", "Ministry of Internal Affairs"])
def test_search_finds_by_label_in_either_language(client, typed):
    _, elements = page(client, "/search?q=" + quote(typed))
    assert local(MIC) in [a["href"] for a in elements.find("a", class_="result-label")]


def test_search_results_agree_with_the_search_api(client):
    api = client.get("/api/search?q=" + quote("Beyond 5G") + "&limit=5").get_json()
    _, elements = page(client, "/search?q=" + quote("Beyond 5G"))
    links = [a["href"] for a in elements.find("a", class_="result-label")]
    assert [result["url"] for result in api["results"]] == links[: len(api["results"])]


def test_search_without_a_query_shows_the_form(client):
    html, elements = page(client, "/search")
    assert elements.find("input", id="search-page-q")
    assert not elements.find("ol", class_="results")


def test_search_with_nothing_found_says_so(client):
    html, _ = page(client, "/search?q=" + quote("zzqqxx-nothing"))
    assert STRINGS["search_none"]["en"] in html


# --- timeline -------------------------------------------------------------------------------------


def test_timeline_lists_the_dated_events_in_order(client, release):
    html, elements = page(client, "/timeline")
    dates = [a["datetime"] for a in elements.find("time")]
    assert dates == sorted(dates)
    start = select(release, f"SELECT ?d WHERE {{ <{MEETING}> schema:startDate ?d }}")[0]["d"].value
    assert start in dates
    assert local(MEETING) in elements.hrefs()


def test_timeline_quotes_the_date_as_written(client):
    html, _ = page(client, "/timeline")
    assert "令和４年秋" in html


# --- the workbench --------------------------------------------------------------------------------


def test_gallery_has_every_competency_query(client):
    _, elements = page(client, "/sparql", **{"Accept-Language": "ja"})
    slugs = {a["data-example"] for a in elements.find("a") if a.get("data-example")}
    assert {path.stem for path in (ROOT / "queries").glob("*.rq")} <= slugs


def test_gallery_shows_each_question_in_the_readers_language(client):
    for lang in ("ja", "en"):
        html, _ = page(client, f"/sparql?lang={lang}")
        for example in EXAMPLES:
            assert example.titles[lang].replace("'", "&#39;").replace('"', "&#34;") in html


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.slug for e in EXAMPLES])
def test_every_gallery_query_runs_on_the_endpoint(client, example):
    response = client.get("/sparql", query_string={"query": example.runnable, "format": "json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()  # SPARQL JSON results, or JSON-LD for a CONSTRUCT
    assert answer["results"]["bindings"] if isinstance(answer, dict) else answer, "the example finds something"


def test_gallery_links_run_their_query_in_the_page(client):
    _, elements = page(client, "/sparql")
    href = next(a["href"] for a in elements.find("a") if a.get("data-example"))
    html, results = page(client, href)
    assert results.find("table", class_="results")
    assert "BASE &lt;https://mic-ict.example.org/&gt;" in html


def test_run_query_gives_a_link_that_reopens_it(client):
    query = f"SELECT ?label WHERE {{ <{FUND}> rdfs:label ?label }}"
    _, elements = page(client, "/sparql?format=html&query=" + quote(query))
    shared = elements.find("input", id="share-link")[0]["value"]
    params = parse_qs(urlsplit(shared).query)
    assert params == {"query": [query], "format": ["html"]}


def test_results_offer_every_format_of_the_endpoint(client):
    query = f"SELECT ?label WHERE {{ <{FUND}> rdfs:label ?label }}"
    _, elements = page(client, "/sparql?format=html&query=" + quote(query))
    offered = {parse_qs(urlsplit(a["href"]).query)["format"][0] for a in elements.find("a") if "download" in a}
    assert offered == {"json", "xml", "csv", "tsv"}
    for name in offered:
        assert client.get("/sparql", query_string={"query": query, "format": name}).status_code == 200


def test_construct_results_offer_graph_formats(client):
    query = f"CONSTRUCT WHERE {{ <{FUND}> rdfs:label ?label }}"
    _, elements = page(client, "/sparql?format=html&query=" + quote(query))
    offered = {parse_qs(urlsplit(a["href"]).query)["format"][0] for a in elements.find("a") if "download" in a}
    assert {"turtle", "jsonld", "ntriples", "rdfxml", "trig", "nquads"} == offered


def test_result_iris_of_ours_link_to_their_pages(client):
    query = f"SELECT ?o WHERE {{ <{MEETING}> schema:organizer ?o }}"
    _, elements = page(client, "/sparql?format=html&query=" + quote(query))
    assert local(MIC) in elements.hrefs()


def test_numbers_by_category_are_drawn_as_a_bar_chart(client):
    example = next(e for e in EXAMPLES if e.slug == "count-statements-by-passage")
    html, elements = page(client, "/sparql?format=html&query=" + quote(example.text))
    assert elements.find("svg", class_="chart")
    assert html.count('<g class="bar">') == 23


def test_results_without_numbers_have_no_chart(client):
    query = f"SELECT ?label WHERE {{ <{FUND}> rdfs:label ?label }}"
    _, elements = page(client, "/sparql?format=html&query=" + quote(query))
    assert not elements.find("svg", class_="chart")


def test_workbench_serves_its_editor_itself(client):
    _, elements = page(client, "/sparql")
    scripts = [s["src"] for s in elements.find("script") if s.get("src")]
    assert any("vendor/codemirror/" in src for src in scripts)
    for src in scripts:
        response = client.get(src)
        assert response.status_code == 200
        response.close()


def test_vendored_files_are_small_and_licensed():
    vendor = ROOT / "server" / "web" / "static" / "vendor"
    assert sum(p.stat().st_size for p in vendor.rglob("*") if p.is_file()) < 3_000_000
    assert (vendor / "README.md").is_file()
    for folder in (p for p in vendor.iterdir() if p.is_dir()):
        assert (folder / "LICENSE").is_file(), folder


def test_bad_query_page_keeps_it_in_the_editor(client):
    response = client.get("/sparql?format=html&query=" + quote("SELECT * WHERE {"), headers={"Accept": "text/html"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<textarea id="query" name="query"' in html and ">SELECT * WHERE {</textarea>" in html


# --- the interface strings ------------------------------------------------------------------------


def test_every_interface_string_is_in_both_languages():
    for key, texts in STRINGS.items():
        assert set(texts) == {"ja", "en"} and all(texts.values()), key


def test_templates_use_only_known_strings():
    templates = (ROOT / "server" / "web" / "templates").glob("*.html")
    used = {key for path in templates for key in re.findall(r"\bt\('(\w+)'", path.read_text(encoding="utf-8"))}
    assert used and used <= set(STRINGS)


# Names of formats and standards, written alike in both languages.
NAMES = {"Turtle", "JSON-LD", "N-Triples", "N-Quads", "RDF", "XML", "SHA-", "BibTeX", "CSL-JSON"}


def test_templates_write_every_word_through_the_interface_strings():
    """No template text outside t(): tags, expressions, code and scripts taken out, only names are left."""
    for path in (ROOT / "server" / "web" / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"\{#.*?#\}", r"\{%.*?%\}", r"\{\{.*?\}\}", r"<(script|style|code|pre)\b.*?</\1>", r"<[^>]*>", r"/[\w./-]+"
        ):  # the last: paths shown as links (/queries/...)
            text = re.sub(pattern, " ", text, flags=re.S)
        assert set(re.findall(r"[A-Za-z][A-Za-z'-]+", text)) <= NAMES, path.name


@pytest.mark.parametrize(
    ("path", "status", "key"),
    [
        ("/no/such/page", 404, "http_404"),
        ("/id/organization/no-such-organisation", 404, "http_unknown_iri"),
        ("/id/organization/a%5Cb", 400, "http_400"),  # a backslash in a path; a bad query is shown in the workbench
        ("/sparql", 405, "http_405"),
    ],
)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_error_pages_speak_the_readers_language(client, path, status, key, lang):
    send = client.delete if status == 405 else client.get
    response = send(path, headers={"Accept": "text/html", "Accept-Language": lang})
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert STRINGS[key][lang] in html
    other = "en" if lang == "ja" else "ja"
    assert STRINGS[key][other] not in html
    assert "The requested URL" not in html  # Werkzeug's English
    if status == 400:
        assert '<p class="error" role="alert" lang="en">' in html  # the parser's detail, marked as English


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_workbench_endpoint_section_is_in_the_readers_language(client, release, lang):
    html, _ = page(client, f"/sparql?lang={lang}")
    section = unescape(html.split("<details>", 1)[1].split("</details>", 1)[0])
    other = "en" if lang == "ja" else "ja"
    keys = [key for key in STRINGS if key.startswith("ep_") and key != "ep_stored"]  # served: the union
    assert len(keys) > 10
    for key in keys:
        mine, theirs = (max(re.split(r"<[^>]*>|\{\w+\}", STRINGS[key][code]), key=len) for code in (lang, other))
        assert mine in section, key
        assert theirs not in section or theirs in STRINGS[key][lang], key


def test_home_lists_the_first_organisations_and_people_and_counts_the_rest(make_app, monkeypatch):
    import server.web.home

    monkeypatch.setattr(server.web.home, "LIST_MAX", 3)
    html = make_app().test_client().get("/?lang=en").get_data(as_text=True)
    organizations = html.split("Organisations <small>", 1)[1].split("</ul>", 1)[0]
    assert organizations.count("<li>") == 3
    total = int(re.search(r"Organisations <small>\((\d+)\)</small>", html).group(1))
    assert total > 3 and f"and {total - 3} more: use the search or SPARQL" in html
    people = html.split("People <small>", 1)[1].split("</ul>", 1)[0]
    assert people.count("<li>") == 2 and "and 0 more" not in html  # two people: all listed


def test_result_iris_that_are_not_http_are_shown_as_text_not_links(client):
    query = ('SELECT ?x WHERE { VALUES ?x { <javascript:alert(document.domain)> <JavaScript:alert(1)> '
             "<data:text/html,x> <urn:isbn:4-00-000000-0> <https://example.org/a> } }")
    html, elements = page(client, "/sparql?format=html&query=" + quote(query))
    hrefs = elements.hrefs()
    assert "https://example.org/a" in hrefs
    assert not [href for href in hrefs if not href.startswith(("/", "#", "http://", "https://"))]
    assert "javascript:alert(document.domain)" in html and "urn:isbn:4-00-000000-0" in html  # shown as text


@pytest.mark.parametrize("path", PAGES + ["/sparql?format=html&query=ASK%7B%7D", "/nothing-here"])
def test_pages_have_no_inline_script_or_event_handlers(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    elements = Elements(response.get_data(as_text=True))
    for tag, attributes in elements.tags:
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        if tag == "script":
            assert attributes.get("src") or attributes.get("type") == "application/json", attributes
        assert not str(attributes.get("href") or "").lower().startswith("javascript:")
