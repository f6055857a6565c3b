"""The /sparql endpoint over Flask's test client: the SPARQL 1.1 Protocol, formats, errors, CORS.

Expected answers come from the same release's store, queried directly with
pyoxigraph, so the tests hold for the tiny test project and the full graph alike.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from urllib.parse import quote

import pyoxigraph
import pytest
from pyoxigraph import NamedNode
from pyoxigraph import QueryResultsFormat
from pyoxigraph import RdfFormat
from rdflib import Graph
from rdflib.compare import isomorphic

from tests.conftest import MEETING
from tests.conftest import MIC
from tests.conftest import ask_union

LABELS = "SELECT ?s ?label WHERE { ?s rdfs:label ?label }"
LABELS_GRAPH = "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s rdfs:label ?label FILTER(isIRI(?s)) }"
ALL_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"


def direct(release, query, **options):
    """The store's own answer, with the endpoint's defaults (union default graph, prefixes)."""
    if "default_graph" not in options and "named_graphs" not in options:
        options["use_default_graph_as_union"] = ask_union(release)
    return release.store.query(query, prefixes=release.iris.prefixes(), **options)


def solutions(results) -> Counter:
    variables = [variable.value for variable in results.variables]
    return Counter(tuple(solution[name] for name in variables) for solution in results)


def parsed_solutions(body: bytes, format: QueryResultsFormat) -> Counter:
    return solutions(pyoxigraph.parse_query_results(body, format=format))


def graphs_of(release) -> list[str]:
    return sorted(graph.value for graph in release.store.named_graphs())


def triples_in(release, graph: str) -> int:
    return sum(1 for _ in release.store.quads_for_pattern(None, None, None, NamedNode(graph)))


def count(response) -> int:
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def get(client, query, **params):
    headers = {"Accept": params.pop("accept")} if "accept" in params else {}
    return client.get("/sparql", query_string={"query": query, **params}, headers=headers)


# --- Query by GET, POST form, POST direct ---------------------------------------------------------


def test_get_query_answers_as_the_store_does(client, release):
    response = get(client, LABELS)
    assert response.status_code == 200
    assert parsed_solutions(response.data, QueryResultsFormat.JSON) == solutions(direct(release, LABELS))


def test_post_form_query_answers_as_the_store_does(client, release):
    response = client.post("/sparql", data={"query": LABELS})
    assert response.status_code == 200
    assert parsed_solutions(response.data, QueryResultsFormat.JSON) == solutions(direct(release, LABELS))


def test_post_direct_query_answers_as_the_store_does(client, release):
    response = client.post("/sparql", data=LABELS.encode("utf-8"), content_type=SPARQL_QUERY)
    assert response.status_code == 200
    assert parsed_solutions(response.data, QueryResultsFormat.JSON) == solutions(direct(release, LABELS))


def test_post_direct_query_accepts_charset_parameter(client):
    response = client.post("/sparql", data="ASK { ?s ?p ?o }", content_type=SPARQL_QUERY + "; charset=utf-8")
    assert response.status_code == 200
    assert response.get_json() == {"head": {}, "boolean": True}


def test_head_query_returns_headers_without_body(client):
    response = client.head("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert response.data == b""


def test_query_may_use_predefined_prefixes_undeclared(client):
    response = get(client, f"ASK {{ <{MEETING}> rdfs:label ?label . id:organization\\/mic a ?type }}")
    assert response.get_json()["boolean"] is True


def test_query_prefix_declaration_overrides_predefined_prefix(client):
    response = get(client, "PREFIX rdfs: <http://example.org/nothing#> ASK { ?s rdfs:label ?o }")
    assert response.get_json()["boolean"] is False


def test_relative_iri_without_base_resolves_against_the_endpoint_url(client):
    response = get(client, "SELECT ?x WHERE { BIND(<id/organization/mic> AS ?x) }")
    assert response.status_code == 200
    assert response.get_json()["results"]["bindings"][0]["x"]["value"] == "http://localhost/id/organization/mic"
    response = client.get("/sparql", query_string={"query": "ASK { FILTER(<x> = <http://h.example/x>) }"},
                          base_url="http://h.example")
    assert response.get_json()["boolean"] is True, "the URL the client asked is the base, not a fixed one"


def test_relative_iri_with_base_in_query_resolves(client):
    response = get(client, "BASE <https://mic-ict.example.org/> ASK { <id/organization/mic> ?p ?o }")
    assert response.get_json()["boolean"] is True


# --- The dataset: union default graph, GRAPH, default-graph-uri, named-graph-uri -----------------


def test_plain_query_sees_union_of_named_graphs(client, release):
    union = set()
    for graph in graphs_of(release):
        union |= {
            (q.subject, q.predicate, q.object)
            for q in release.store.quads_for_pattern(None, None, None, NamedNode(graph))
        }
    assert count(get(client, ALL_TRIPLES)) == len(union)


def test_graph_query_sees_each_named_graph(client, release):
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    rows = get(client, query).get_json()["results"]["bindings"]
    assert {row["g"]["value"]: int(row["n"]["value"]) for row in rows} == {
        graph: triples_in(release, graph) for graph in graphs_of(release)
    }


def test_meeting_and_ministry_are_in_the_default_graph(client):
    query = f"ASK {{ <{MEETING}> ?p ?o . <{MIC}> ?q ?r }}"
    assert get(client, query).get_json()["boolean"] is True


def test_default_graph_uri_makes_that_graph_the_default_graph(client, release):
    graph = graphs_of(release)[0]
    response = get(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": graph})
    assert count(response) == triples_in(release, graph)


def test_repeated_default_graph_uri_merges_the_graphs(client, release):
    first, second = graphs_of(release)[:2]
    query_string = [("query", ALL_TRIPLES), ("default-graph-uri", first), ("default-graph-uri", second)]
    response = client.get("/sparql", query_string=query_string)
    expected = direct(release, ALL_TRIPLES, default_graph=[NamedNode(first), NamedNode(second)])
    assert count(response) == int(next(expected)["n"].value)


def test_default_graph_uri_alone_leaves_no_named_graphs(client, release):
    response = get(client, "ASK { GRAPH ?g { ?s ?p ?o } }", **{"default-graph-uri": graphs_of(release)[0]})
    assert response.get_json()["boolean"] is False


def test_named_graph_uri_limits_graph_queries_and_empties_default_graph(client, release):
    graph = graphs_of(release)[-1]
    rows = get(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": graph})
    assert [row["g"]["value"] for row in rows.get_json()["results"]["bindings"]] == [graph]
    empty = get(client, "ASK { ?s ?p ?o }", **{"named-graph-uri": graph})
    assert empty.get_json()["boolean"] is False


def test_post_form_takes_graph_parameters_from_body(client, release):
    graph = graphs_of(release)[0]
    response = client.post(
        "/sparql", data={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "default-graph-uri": graph}
    )
    assert count(response) == triples_in(release, graph)


def test_post_direct_takes_graph_parameters_from_url(client, release):
    graph = graphs_of(release)[0]
    response = client.post(
        "/sparql?default-graph-uri=" + quote(graph, safe=""),
        data="SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
        content_type=SPARQL_QUERY,
    )
    assert count(response) == triples_in(release, graph)


def test_query_from_clause_sets_the_default_graph(client, release):
    graph = graphs_of(release)[0]
    response = get(client, f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    assert count(response) == triples_in(release, graph)


def test_graph_parameter_that_is_not_an_iri_returns_400(client):
    response = get(client, "ASK { ?s ?p ?o }", **{"default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert "not an absolute IRI" in response.get_json()["error"]


# --- Result formats: each parses back to the store's own answer ------------------------------------


@pytest.mark.parametrize(
    ("name", "format"),
    [("json", QueryResultsFormat.JSON), ("xml", QueryResultsFormat.XML), ("tsv", QueryResultsFormat.TSV)],
)
def test_select_results_parse_back_to_the_store_answer(client, release, name, format):
    response = get(client, LABELS, format=name)
    assert response.status_code == 200
    assert response.mimetype == format.media_type.split(";")[0]
    assert parsed_solutions(response.data, format) == solutions(direct(release, LABELS))


def test_select_csv_rows_match_the_store_answer(client, release):
    response = get(client, LABELS, format="csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    expected = Counter((solution["s"].value, solution["label"].value) for solution in direct(release, LABELS))
    assert rows[0] == ["s", "label"]
    assert Counter(tuple(row) for row in rows[1:]) == expected


def test_select_xml_is_sparql_results_xml(client):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(get(client, LABELS, format="xml").data)
    assert root.tag == "{http://www.w3.org/2005/sparql-results#}sparql"


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_ask_answers_in_every_results_format(client, name):
    true = get(client, f"ASK {{ <{MEETING}> ?p ?o }}", format=name)
    false = get(client, "ASK { <https://example.org/nothing> ?p ?o }", format=name)
    if name in ("json", "xml"):
        format = QueryResultsFormat.from_extension("srj" if name == "json" else "srx")
        assert bool(pyoxigraph.parse_query_results(true.data, format=format)) is True
        assert bool(pyoxigraph.parse_query_results(false.data, format=format)) is False
    else:
        assert (true.data.strip(), false.data.strip()) == (b"true", b"false")


@pytest.mark.parametrize(
    ("name", "format"),
    [
        ("turtle", RdfFormat.TURTLE),
        ("ntriples", RdfFormat.N_TRIPLES),
        ("rdfxml", RdfFormat.RDF_XML),
        ("jsonld", RdfFormat.JSON_LD),
        ("trig", RdfFormat.TRIG),
        ("nquads", RdfFormat.N_QUADS),
    ],
)
def test_construct_results_parse_back_to_the_store_answer(client, release, name, format):
    response = get(client, LABELS_GRAPH, format=name)
    assert response.status_code == 200
    assert response.mimetype == format.media_type
    parsed = {(q.subject, q.predicate, q.object) for q in pyoxigraph.parse(response.data, format=format)}
    assert parsed == {(t.subject, t.predicate, t.object) for t in direct(release, LABELS_GRAPH)}
    assert all(q.graph_name == pyoxigraph.DefaultGraph() for q in pyoxigraph.parse(response.data, format=format))


# rdflib's JSON-LD parser builds a ConjunctiveGraph, which rdflib itself deprecates (rdflib 7.x).
RDFLIB_JSONLD = pytest.param(
    "jsonld", marks=pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
)


@pytest.mark.parametrize("name", ["turtle", "ntriples", "rdfxml", RDFLIB_JSONLD])
def test_construct_results_parse_with_rdflib(client, release, name):
    response = get(client, LABELS_GRAPH, format=name)
    graph = Graph().parse(
        data=response.data, format={"ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}.get(name, name)
    )
    expected = Graph().parse(data=direct(release, LABELS_GRAPH).serialize(format=RdfFormat.N_TRIPLES), format="nt")
    assert isomorphic(graph, expected)


def test_describe_returns_statements_about_the_resource(client, release):
    response = get(client, f"DESCRIBE <{MEETING}>")
    assert response.mimetype == "text/turtle"
    parsed = {(t.subject, t.predicate, t.object) for t in pyoxigraph.parse(response.data, format=RdfFormat.TURTLE)}
    assert parsed == {(t.subject, t.predicate, t.object) for t in direct(release, f"DESCRIBE <{MEETING}>")}
    assert NamedNode(MEETING) in {subject for subject, _, _ in parsed}


def test_results_are_served_inline_with_a_file_name(client):
    assert get(client, LABELS, format="csv").headers["Content-Disposition"] == 'inline; filename="results.csv"'


# --- Negotiation: Accept with q-values, the format parameter, 406 ----------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        ("text/tab-separated-values;q=0.2, text/csv;q=0.9", "text/csv"),
        (
            "application/sparql-results+json;q=0.1, application/sparql-results+xml;q=0.8",
            "application/sparql-results+xml",
        ),
        (BROWSER, "application/sparql-results+json"),
    ],
)
def test_select_format_follows_accept_q_values(client, accept, media_type):
    response = client.get("/sparql", query_string={"query": LABELS}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Vary"] == "Accept"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("text/plain", "application/n-triples"),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.1", "application/rdf+xml"),
        ("application/n-quads", "application/n-quads"),
        ("application/trig", "application/trig"),
        (BROWSER, "text/turtle"),
    ],
)
def test_construct_format_follows_accept_q_values(client, accept, media_type):
    response = client.get("/sparql", query_string={"query": LABELS_GRAPH}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == media_type


def test_format_parameter_wins_over_accept(client):
    response = get(client, LABELS, format="tsv", accept="application/sparql-results+xml")
    assert response.mimetype == "text/tab-separated-values"


def test_format_parameter_may_be_a_media_type(client):
    response = get(client, LABELS, format="application/sparql-results+xml")
    assert response.mimetype == "application/sparql-results+xml"


def test_select_with_unacceptable_accept_returns_406_listing_formats(client):
    response = get(client, LABELS, accept="image/png")
    assert response.status_code == 406
    message = response.get_json()["error"]
    assert "application/sparql-results+json" in message and "text/csv" in message


def test_construct_asked_for_csv_returns_406_listing_graph_formats(client):
    response = get(client, LABELS_GRAPH, format="csv")
    assert response.status_code == 406
    assert "text/turtle" in response.get_json()["error"]


def test_unknown_format_name_returns_406(client):
    assert get(client, LABELS, format="yaml").status_code == 406


# --- Errors: 400 malformed, 400/403 updates, 413, 415, bad bytes ----------------------------------


def test_malformed_query_returns_400_with_parser_message_and_position(client, release):
    query = "SELECT * WHERE { ?s ?p }"
    with pytest.raises(SyntaxError) as parser:
        release.store.query(query)
    response = get(client, query)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    message = response.get_json()["error"]
    assert str(parser.value) in message
    assert "1:" in message


UPDATES = [
    "INSERT DATA { <https://example.org/s> <https://example.org/p> <https://example.org/o> }",
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX ex: <https://example.org/> DELETE { ?s ?p ?o } INSERT { ?s ex:p ?o } WHERE { ?s ?p ?o }",
    "LOAD <https://example.org/data.ttl>",
    "CLEAR ALL",
    "CREATE GRAPH <https://example.org/g>",
    "DROP DEFAULT",
    "COPY DEFAULT TO <https://example.org/g>",
    "MOVE <https://example.org/a> TO <https://example.org/b>",
    "ADD <https://example.org/a> TO DEFAULT",
]


def assert_refused(response, release, size_before, status=403):
    assert response.status_code == status
    assert "read-only" in response.get_json()["error"]
    assert len(release.store) == size_before


@pytest.mark.parametrize("update", UPDATES)
def test_update_sent_as_query_returns_400_read_only_and_changes_nothing(client, release, update):
    """An update is not a query: malformed as one (400, as the protocol says), and the message says why."""
    size = len(release.store)
    assert_refused(get(client, update), release, size, status=400)


@pytest.mark.parametrize("update", UPDATES[:2])
def test_update_sent_as_query_in_post_bodies_returns_400_and_changes_nothing(client, release, update):
    size = len(release.store)
    assert_refused(client.post("/sparql", data={"query": update}), release, size, status=400)
    assert_refused(client.post("/sparql", data=update, content_type=SPARQL_QUERY), release, size, status=400)


def test_update_parameter_returns_403_by_get_and_post(client, release):
    size = len(release.store)
    assert_refused(client.get("/sparql", query_string={"update": UPDATES[0]}), release, size)
    assert_refused(client.post("/sparql", data={"update": UPDATES[0]}), release, size)


def test_sparql_update_content_type_returns_403(client, release):
    size = len(release.store)
    response = client.post("/sparql", data=UPDATES[1], content_type="application/sparql-update")
    assert_refused(response, release, size)


def test_query_over_the_size_limit_returns_413(make_app):
    client = make_app(max_query_bytes=100).test_client()
    query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 100
    assert client.get("/sparql", query_string={"query": query}).status_code == 413
    assert client.post("/sparql", data={"query": query}).status_code == 413
    assert client.post("/sparql", data=query, content_type=SPARQL_QUERY).status_code == 413


def test_request_body_far_over_the_limit_returns_413(make_app):
    client = make_app(max_query_bytes=100).test_client()
    response = client.post("/sparql", data="#" * 100_000, content_type=SPARQL_QUERY)
    assert response.status_code == 413


def test_query_size_is_counted_in_utf8_bytes(make_app):
    client = make_app(max_query_bytes=100).test_client()
    query = "ASK { ?s ?p ?o } #" + "語" * 30  # 48 characters, 108 bytes
    assert client.get("/sparql", query_string={"query": query}).status_code == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_post_with_other_content_type_returns_415(client, content_type):
    response = client.post("/sparql", data=b"ASK {}", headers={"Content-Type": content_type} if content_type else {})
    assert response.status_code == 415
    assert "application/sparql-query" in response.get_json()["error"]


def test_invalid_utf8_in_url_returns_400(client):
    response = client.get("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D")
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["error"]


def test_invalid_utf8_in_direct_post_returns_400(client):
    response = client.post("/sparql", data=b'ASK { ?s ?p "\xff" }', content_type=SPARQL_QUERY)
    assert response.status_code == 400


def test_invalid_utf8_in_form_body_returns_400(client):
    response = client.post("/sparql", data=b"query=ASK%7B%FE%7D", content_type=FORM)
    assert response.status_code == 400


def test_nul_byte_in_query_returns_400(client):
    assert client.get("/sparql?query=ASK%20%7B%7D%00").status_code == 400
    assert client.post("/sparql", data=b"ASK {}\x00", content_type=SPARQL_QUERY).status_code == 400


def test_query_given_twice_returns_400(client):
    response = client.get("/sparql", query_string=[("query", "ASK {}"), ("query", "ASK {}")])
    assert response.status_code == 400


def test_query_in_url_and_body_returns_400(client):
    assert client.post("/sparql?query=ASK%7B%7D", data={"query": "ASK {}"}).status_code == 400
    assert client.post("/sparql?query=ASK%7B%7D", data="ASK {}", content_type=SPARQL_QUERY).status_code == 400


def test_post_without_query_returns_400(client):
    assert client.post("/sparql", data={"format": "json"}).status_code == 400


def test_empty_query_returns_400(client):
    assert client.get("/sparql?query=").status_code == 400
    assert client.post("/sparql", data=b"  ", content_type=SPARQL_QUERY).status_code == 400


def test_other_methods_return_405(client):
    response = client.put("/sparql", data="ASK {}")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


# --- Service description --------------------------------------------------------------------------


def service_description(client, format="turtle") -> Graph:
    response = client.get("/sparql", query_string={"format": format})
    assert response.status_code == 200
    rdflib_format = {"ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}.get(format, format)
    return Graph().parse(data=response.data, format=rdflib_format)


def sd_query(graph: Graph, query: str) -> set[str]:
    return {str(row[0]) for row in graph.query(query, initNs={"sd": SD, "void": "http://rdfs.org/ns/void#"})}


def test_service_description_names_the_endpoint(client):
    graph = service_description(client)
    assert sd_query(graph, "SELECT ?e { ?s a sd:Service ; sd:endpoint ?e }") == {"http://localhost/sparql"}


def test_service_description_names_every_graph_with_its_size(client, release):
    graph = service_description(client)
    rows = graph.query(
        "SELECT ?name ?n { ?d sd:namedGraph ?g . ?g sd:name ?name ; sd:graph/void:triples ?n }",
        initNs={"sd": SD, "void": "http://rdfs.org/ns/void#"},
    )
    assert {str(name): int(n) for name, n in rows} == {g: triples_in(release, g) for g in graphs_of(release)}


def test_service_description_counts_the_union_default_graph(client):
    graph = service_description(client)
    (total,) = sd_query(graph, "SELECT ?n { ?s sd:defaultDataset/sd:defaultGraph/void:triples ?n }")
    assert int(total) == count(get(client, ALL_TRIPLES))


def test_service_description_states_language_features_and_formats(client):
    graph = service_description(client)
    assert sd_query(graph, "SELECT ?l { ?s sd:supportedLanguage ?l }") == {SD + "SPARQL11Query"}
    assert sd_query(graph, "SELECT ?f { ?s sd:feature ?f }") == {SD + "UnionDefaultGraph"}
    formats = sd_query(graph, "SELECT ?f { ?s sd:resultFormat ?f }")
    names = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV", "Turtle"]
    names += ["N-Triples", "RDF_XML", "JSON-LD", "TriG", "N-Quads"]
    assert formats == {"http://www.w3.org/ns/formats/" + name for name in names}


def test_service_description_states_prefixes_and_query_size_limit(client, config, release):
    graph = service_description(client)
    limit = sd_query(graph, f"SELECT ?n {{ ?s <{release.iris.term('maxQueryBytes')}> ?n }}")
    assert limit == {str(config.max_query_bytes)}
    declared = sd_query(
        graph, "SELECT ?p { ?s <http://www.w3.org/ns/shacl#declare>/<http://www.w3.org/ns/shacl#prefix> ?p }"
    )
    assert declared == set(release.iris.prefixes())


@pytest.mark.parametrize("format", [RDFLIB_JSONLD, "rdfxml", "ntriples"])
def test_service_description_is_the_same_in_every_rdf_format(client, format):
    assert isomorphic(service_description(client, format), service_description(client, "turtle"))


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("*/*", "text/turtle"),
        (BROWSER, "text/html"),
    ],
)
def test_service_description_is_negotiated(client, accept, media_type):
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]


def test_service_description_with_unacceptable_accept_returns_406(client):
    assert client.get("/sparql", headers={"Accept": "image/png"}).status_code == 406


# --- CORS -----------------------------------------------------------------------------------------


def test_preflight_allows_any_origin_to_query(client):
    response = client.options(
        "/sparql",
        headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, Accept"
    assert int(response.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize(
    "request_args",
    [
        {"method": "GET", "query_string": {"query": "ASK {}"}},
        {"method": "POST", "data": "ASK {}", "content_type": SPARQL_QUERY},
        {"method": "GET"},
        {"method": "GET", "query_string": {"query": "ASK {"}},
        {"method": "GET", "query_string": {"update": "CLEAR ALL"}},
    ],
)
def test_every_answer_allows_any_origin(client, request_args):
    response = client.open("/sparql", headers={"Origin": "https://yasgui.example"}, **request_args)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- Logging --------------------------------------------------------------------------------------


def test_query_is_logged_with_hash_and_duration_and_text_only_at_debug(client, caplog):
    query = "ASK { ?s ?p 'logged-marker' }"
    with caplog.at_level(logging.INFO, logger="server.web.sparql"):
        get(client, query)
    info = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    assert any("boolean" in message and " ms" in message for message in info)
    assert not any("logged-marker" in message for message in info)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="server.web.sparql"):
        get(client, query)
    assert any("logged-marker" in record.getMessage() for record in caplog.records if record.levelno == logging.DEBUG)


# --- The HTML page (kept apart from the machine-readable answers above) ---------------------------


def test_html_page_has_a_query_form(client):
    response = client.get("/sparql", headers={"Accept": BROWSER})
    html = response.get_data(as_text=True)
    assert '<form method="get" action="/sparql">' in html
    assert '<textarea id="query" name="query"' in html
    assert 'name="format"' in html


def test_html_page_lists_prefixes_limits_and_description_links(client, config, release):
    html = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    for prefix, namespace in release.iris.prefixes().items():
        assert f"<code>{prefix}:</code>" in html and namespace in html
    assert f"{config.max_query_bytes:,}" in html  # written with separators, as every number of the pages
    assert 'href="/sparql?format=turtle"' in html
    for graph in graphs_of(release):
        assert graph in html


def test_format_html_shows_select_results_as_a_table(client):
    response = get(client, f"SELECT ?label WHERE {{ <{MEETING}> rdfs:label ?label }}", format="html")
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    labels = json.loads(get(client, f"SELECT ?label WHERE {{ <{MEETING}> rdfs:label ?label }}").data)
    assert '>?label</a></th>' in html
    for row in labels["results"]["bindings"]:
        assert row["label"]["value"].replace("'", "&#39;") in html


def test_format_html_shows_construct_results_as_triples_and_a_graph(client):
    html = get(client, f"CONSTRUCT WHERE {{ <{MEETING}> a ?type }}", format="html").get_data(as_text=True)
    assert '>?subject</a></th>' in html and f'title="{MEETING}"' in html
    assert 'id="graph-data"' in html


def test_error_for_browser_is_an_html_page(client):
    response = get(client, "SELECT * WHERE {", accept="text/html")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
