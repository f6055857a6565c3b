"""Dereferenceable IRIs: negotiation, suffix twins, descriptions, 404s, path safety, the page.

Expectations are read from the release's store, so they hold for the tiny
test project and for the full bundled graph alike.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from pyoxigraph import DefaultGraph
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import parse

from server.web.describe import MAX_INBOUND
from tests.conftest import BASE
from tests.conftest import FUND
from tests.conftest import MEETING
from tests.conftest import MIC
from tests.conftest import RDF_FORMATS

LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

SUFFIXES = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "html": "text/html",
}


def triples_of(response) -> set[Triple]:
    format = RDF_FORMATS[response.mimetype]
    return {Triple(q.subject, q.predicate, q.object) for q in parse(response.get_data(), format=format)}


def select(release, query: str) -> list:
    return list(release.store.query(query, use_default_graph_as_union=True))


def own_triples(release, iri: str) -> set[Triple]:
    return {Triple(NamedNode(iri), s["p"], s["o"]) for s in select(release, f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}")}


def inbound_triples(release, iri: str) -> set[Triple]:
    return {Triple(s["s"], s["p"], NamedNode(iri)) for s in select(release, f"SELECT ?s ?p WHERE {{ ?s ?p <{iri}> }}")}


def labels_of(release, iri: str) -> set[Triple]:
    return {
        Triple(NamedNode(iri), s["p"], s["l"])
        for s in select(release, f"SELECT ?p ?l WHERE {{ <{iri}> ?p ?l FILTER(?p IN (<{LABELS[0]}>, <{LABELS[1]}>)) }}")
    }


def path_of(iri: str) -> str:
    return "/" + iri[len(BASE) :]


# --- negotiation --------------------------------------------------------------


@pytest.mark.parametrize("media_type", RDF_FORMATS)
def test_each_rdf_format_is_served_by_accept_and_holds_own_statements(client, release, media_type):
    response = client.get(path_of(MIC), headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert own_triples(release, MIC) <= triples_of(response)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
        ("application/n-triples, text/turtle;q=0.2", "application/n-triples"),
        ("application/rdf+xml;q=0.8, text/html;q=0.1", "application/rdf+xml"),
        ("text/html;q=0.3, text/turtle;q=0.7", "text/turtle"),
        ("application/ld+json;q=0, text/turtle;q=0.1", "text/turtle"),
    ],
)
def test_accept_q_values_pick_the_preferred_format(client, accept, expected):
    response = client.get(path_of(MIC), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == expected


def test_browser_accept_gets_html(client):
    response = client.get(path_of(MIC), headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("headers", [{}, {"Accept": "*/*"}])
def test_any_format_or_no_accept_gets_turtle(client, headers):
    response = client.get(path_of(MIC), headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"


def test_nothing_acceptable_returns_406(client):
    response = client.get(path_of(MIC), headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_negotiated_response_varies_on_accept_and_names_its_variant(client):
    response = client.get(path_of(MIC), headers={"Accept": "application/ld+json"})
    assert "Accept" in [v.strip() for v in response.headers["Vary"].split(",")]
    assert response.headers["Content-Location"] == path_of(MIC) + ".jsonld"


def test_content_location_answers_the_same_body(client):
    negotiated = client.get(path_of(MIC), headers={"Accept": "text/turtle"})
    twin = client.get(negotiated.headers["Content-Location"])
    assert twin.status_code == 200
    assert twin.get_data() == negotiated.get_data()


def test_every_response_links_every_variant(client):
    response = client.get(path_of(MIC), headers={"Accept": "text/turtle"})
    links = response.headers.getlist("Link")
    for suffix, media_type in SUFFIXES.items():
        assert f'<{path_of(MIC)}.{suffix}>; rel="alternate"; type="{media_type}"' in links


@pytest.mark.parametrize(("suffix", "media_type"), SUFFIXES.items())
def test_suffix_twin_answers_its_own_format(client, suffix, media_type):
    response = client.get(f"{path_of(MIC)}.{suffix}", headers={"Accept": "image/png"})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" not in [v.strip() for v in response.headers.get("Vary", "").split(",")]
    assert "Content-Location" not in response.headers


@pytest.mark.parametrize("suffix", ["ttl", "nt", "rdf", "jsonld"])
def test_suffix_twins_hold_the_same_graph(client, release, suffix):
    turtle = triples_of(client.get(path_of(MIC) + ".ttl"))
    assert triples_of(client.get(f"{path_of(MIC)}.{suffix}")) == turtle


def test_resource_revalidates_with_etag(client):
    first = client.get(path_of(MIC) + ".ttl")
    assert first.headers["ETag"]
    again = client.get(path_of(MIC) + ".ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- the description ----------------------------------------------------------


def test_description_holds_statements_pointing_to_the_resource(client, release):
    inbound = inbound_triples(release, MIC)
    assert inbound, "the test graph has statements pointing to the ministry"
    served = triples_of(client.get(path_of(MIC) + ".nt"))
    if len(inbound) <= MAX_INBOUND:
        assert inbound <= served
    else:  # a capped description holds the cap's worth
        assert len(inbound & served) >= MAX_INBOUND // 2


def test_description_holds_labels_of_everything_it_names(client, release):
    served = triples_of(client.get(path_of(MEETING) + ".nt"))
    named = {t.object.value for t in own_triples(release, MEETING) if isinstance(t.object, NamedNode)}
    named |= {t.predicate.value for t in own_triples(release, MEETING)}
    named |= {t.subject.value for t in inbound_triples(release, MEETING) if isinstance(t.subject, NamedNode)}
    expected = set().union(*(labels_of(release, iri) for iri in named))
    assert expected, "the meeting names labelled things"
    assert expected <= served


def test_description_keeps_language_tags(client, release):
    served = triples_of(client.get(path_of(MIC) + ".ttl"))
    languages = {t.object.language for t in served if isinstance(t.object, Literal) and t.subject.value == MIC}
    assert {"ja", "en"} <= languages


@pytest.mark.parametrize(
    ("path", "headers", "mimetype"),
    [
        ("/id/organization/no-such-thing.ttl", {}, "text/plain"),
        ("/id/organization/no-such-thing", {"Accept": "text/turtle"}, "text/plain"),
        ("/id/organization/no-such-thing.jsonld", {}, "application/json"),
        ("/id/organization/no-such-thing", {"Accept": BROWSER}, "text/html"),
        ("/id/organization/no-such-thing.html", {"Accept": BROWSER}, "text/html"),
    ],
)
def test_unknown_iri_returns_404_in_the_requested_format(client, path, headers, mimetype):
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert response.mimetype == mimetype
    if mimetype == "application/json":
        assert json.loads(response.get_data())["status"] == 404


def test_ontology_iri_returns_the_whole_ontology_graph(client, release):
    graph = NamedNode(BASE + "graph/ontology")
    ontology = {
        Triple(q.subject, q.predicate, q.object) for q in release.store.quads_for_pattern(None, None, None, graph)
    }
    response = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert ontology and ontology <= triples_of(response)


def test_ontology_term_resolves_with_its_label(client, release):
    rows = select(
        release,
        f"""SELECT ?t WHERE {{ ?t a <http://www.w3.org/2002/07/owl#Class>
        FILTER(STRSTARTS(STR(?t), "{BASE}ontology/")) }} ORDER BY ?t LIMIT 1""",
    )
    term = rows[0]["t"].value
    response = client.get(path_of(term) + ".ttl")
    assert response.status_code == 200
    assert labels_of(release, term) <= triples_of(response)


def passage_graphs(release) -> dict[str, str]:
    """Graph IRI -> the passage it was drawn from, as graph/provenance says."""
    query = "SELECT ?g ?p WHERE { ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?p . ?p <https://schema.org/text> ?t }"
    rows = select(release, query)
    return {row["g"].value: row["p"].value for row in rows}


def test_graph_iri_resolves(client, release):
    graph = sorted(passage_graphs(release))[0]
    response = client.get(path_of(graph) + ".nt")
    assert response.status_code == 200
    stated = {
        Triple(q.subject, q.predicate, q.object)
        for q in release.store.quads_for_pattern(None, None, None, NamedNode(graph))
    }
    assert stated <= triples_of(response)


def test_release_iri_resolves(client, release):
    response = client.get(f"/release/{release.version}.ttl")
    assert response.status_code == 200


def test_other_routes_are_not_shadowed(client):
    assert client.get("/").status_code == 200
    assert client.get("/download/").status_code == 200


# --- path safety ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/../sparql",
        "/id/..%2fsparql",
        "/id/%2e%2e%2fsparql",
        "/id/%2e%2e/%2e%2e/etc/passwd",
        "/id/%252e%252e%252fetc%252fpasswd",
        "/id/organization/./mic",
        "/ontology/..",
        "/graph/..%2f..%2fetc%2fpasswd",
        "/id/a%00b",
        "/id/a%0ab",
        "/id/a%5c..%5cb",
        "/id/" + "a" * 5000,
    ],
)
def test_unsafe_paths_get_a_client_error(client, path):
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert b"Traceback" not in response.get_data()


# --- per-statement provenance as data: TriG ---------------------------------------


def quads_of(response) -> set[Quad]:
    return set(parse(response.get_data(), format=RdfFormat.TRIG))


def test_trig_twin_puts_each_statement_in_the_graphs_that_state_it(client, release):
    response = client.get(path_of(MIC) + ".trig")
    assert response.status_code == 200 and response.mimetype == "application/trig"
    stated = {q for q in release.store.quads_for_pattern(NamedNode(MIC), None, None) if q.graph_name != DefaultGraph()}
    stated |= {q for q in release.store.quads_for_pattern(None, None, NamedNode(MIC)) if q.graph_name != DefaultGraph()}
    quads = quads_of(response)
    assert stated and stated <= quads
    assert not any(isinstance(q.graph_name, DefaultGraph) for q in quads)


def test_trig_twin_says_which_passage_each_graph_was_drawn_from(client, release):
    quads = quads_of(client.get(path_of(MIC) + ".trig"))
    graphs = {q.graph_name.value for q in quads if q.subject == NamedNode(MIC)}
    drawn = passage_graphs(release)
    derived = {
        (q.subject.value, q.object.value, q.graph_name.value)
        for q in quads
        if q.predicate.value == "http://www.w3.org/ns/prov#wasDerivedFrom" and q.subject.value in graphs
    }
    expected = {(g, drawn[g], BASE + "graph/provenance") for g in graphs if g in drawn}
    assert expected and derived == expected


def test_trig_is_negotiated_and_holds_the_triples_of_the_turtle_twin(client):
    response = client.get(path_of(MIC), headers={"Accept": "application/trig"})
    assert response.mimetype == "application/trig"
    assert response.headers["Content-Location"] == path_of(MIC) + ".trig"
    turtle = triples_of(client.get(path_of(MIC) + ".ttl"))
    assert turtle <= {Triple(q.subject, q.predicate, q.object) for q in quads_of(response)}


# --- the page ---------------------------------------------------------------------


def test_page_title_is_the_english_label_by_default(client, release):
    english = {t.object.value for t in labels_of(release, MIC) if t.object.language == "en"}
    html = client.get(path_of(MIC) + ".html").get_data(as_text=True)
    title = html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert title in english


def test_page_title_is_the_japanese_label_for_japanese_readers(client, release):
    japanese = {t.object.value for t in labels_of(release, MIC) if t.object.language == "ja"}
    response = client.get(path_of(MIC) + ".html", headers={"Accept-Language": "ja,en;q=0.5"})
    html = response.get_data(as_text=True)
    assert html.split("<h1>", 1)[1].split("</h1>", 1)[0] in japanese
    assert '<html lang="ja">' in html


def test_page_links_its_turtle_twin(client):
    html = client.get(path_of(MIC), headers={"Accept": BROWSER}).get_data(as_text=True)
    assert f'<link rel="alternate" type="text/turtle" href="{path_of(MIC)}.ttl">' in html
    assert f'href="{path_of(MIC)}.jsonld"' in html


def test_page_shows_the_passage_stating_each_fact(client, release):
    rows = list(release.store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{MIC}> ?p ?o }} }}"))
    passages = {passage_graphs(release).get(row["g"].value) for row in rows} - {None}
    assert passages
    html = client.get(path_of(MIC) + ".html").get_data(as_text=True)
    for passage in passages:
        assert f'href="{path_of(passage)}"' in html


def test_page_links_our_iris_locally_and_shows_statements_pointing_here(client, release):
    subjects = {t.subject.value for t in inbound_triples(release, MIC) if t.subject.value.startswith(BASE)}
    html = client.get(path_of(MIC) + ".html").get_data(as_text=True)
    assert 'class="inbound"' in html
    linked = {subject for subject in subjects if f'href="{path_of(subject)}"' in html}
    assert linked == subjects if len(subjects) <= MAX_INBOUND else linked


# --- the head of the page, typed literals, the ontology's index (issue 17) ------------

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ROW_PROPERTY = re.compile(r'<tr><td><a href="[^"]*" title="([^"]*)">')


def page_of(client, iri: str, lang: str) -> str:
    return client.get(path_of(iri) + f".html?lang={lang}").get_data(as_text=True)


def property_rows(html: str) -> list[str]:
    """The property IRIs of the page's table of properties, in the order shown."""
    table = html.split('<table class="properties">', 1)[1].split("</table>", 1)[0]
    return ROW_PROPERTY.findall(table)


@pytest.mark.parametrize("iri", [MEETING, FUND, MIC])
def test_page_lists_labels_then_type_before_other_properties(client, iri):
    rows = property_rows(page_of(client, iri, "en"))
    assert rows[0] == LABELS[0]
    assert RDF_TYPE in rows
    before_type = rows[: rows.index(RDF_TYPE)]
    assert all(p in LABELS or p.startswith("http://www.w3.org/2004/02/skos/core#") for p in before_type)


def test_page_opens_with_the_description_in_the_readers_language(client, release):
    descriptions = {
        row["d"].language: row["d"].value
        for row in select(release, f"SELECT ?d WHERE {{ <{BASE}ontology> <http://purl.org/dc/terms/description> ?d }}")
    }
    for lang in ("ja", "en"):
        html = client.get(f"/ontology?lang={lang}", headers={"Accept": "text/html"}).get_data(as_text=True)
        lead = html.split('<p class="lead"', 1)[1].split("</p>", 1)[0]
        assert unescape(lead.split(">", 1)[1]) == descriptions[lang]
        assert html.index('<p class="lead"') < html.index('<table class="properties">')


@pytest.mark.parametrize(("lang", "date", "boolean"), [("ja", "2023年4月29日", "はい"), ("en", "29 April 2023", "yes")])
def test_typed_literals_are_written_naturally_with_the_exact_literal_on_hover(client, lang, date, boolean):
    meeting = page_of(client, MEETING, lang)
    assert f'<time datetime="2023-04-29" title="&#34;2023-04-29&#34;^^xsd:date">{date}</time>' in meeting
    assert "^^xsd:date</small>" not in meeting
    fund = page_of(client, FUND, lang)
    assert f'<span class="typed" title="&#34;true&#34;^^xsd:boolean">{boolean}</span>' in fund
    assert "^^xsd:boolean</small>" not in fund


def test_machine_formats_keep_the_exact_literals(client):
    turtle = client.get(path_of(FUND) + ".nt").get_data(as_text=True)
    assert '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>' in turtle
    assert "はい" not in turtle


def test_ontology_page_indexes_every_class_and_property_with_an_anchor(client, release):
    kinds = {
        "Class": "http://www.w3.org/2002/07/owl#Class",
        "ObjectProperty": "http://www.w3.org/2002/07/owl#ObjectProperty",
        "DatatypeProperty": "http://www.w3.org/2002/07/owl#DatatypeProperty",
    }
    terms = {
        row["t"].value[len(BASE + "ontology/") :]
        for kind in kinds.values()
        for row in select(
            release,
            f"SELECT ?t WHERE {{ GRAPH <{BASE}graph/ontology> {{ ?t a <{kind}> }} "
            f'FILTER(STRSTARTS(STR(?t), "{BASE}ontology/")) }}',
        )
    }
    assert len(terms) > 50
    for lang in ("ja", "en"):
        html = client.get(f"/ontology?lang={lang}", headers={"Accept": "text/html"}).get_data(as_text=True)
        index = html.split('<nav class="index"', 1)[1].split("</nav>", 1)[0]
        for name in terms:
            assert f'<a href="#{name}">' in index, name
            assert f'<article class="subject" id="{name}">' in html, name
        ids = re.findall(r' id="([^"]+)"', html)
        assert len(ids) == len(set(ids))
