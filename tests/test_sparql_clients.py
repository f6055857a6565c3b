"""Real SPARQL clients against the real server on 127.0.0.1: SPARQLWrapper and rdflib's SPARQLStore.

Each client is used as its documentation shows, unmodified, and must get the
same answers as the release's store gives directly.
"""

from __future__ import annotations

import pytest
import requests
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import GET
from SPARQLWrapper import JSON
from SPARQLWrapper import POST
from SPARQLWrapper import TURTLE
from SPARQLWrapper import XML
from SPARQLWrapper import SPARQLWrapper

from tests.conftest import MEETING
from tests.conftest import MIC

RDFS_PREFIX = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
LABELS = RDFS_PREFIX + f"SELECT ?label WHERE {{ <{MEETING}> rdfs:label ?label }}"
CONSTRUCT = (
    RDFS_PREFIX
    + f"CONSTRUCT {{ ?s rdfs:label ?label }} WHERE {{ VALUES ?s {{ <{MEETING}> <{MIC}> }} ?s rdfs:label ?label }}"
)


def store_labels(release, iri: str) -> set[tuple[str, str | None]]:
    query = RDFS_PREFIX + f"SELECT ?label WHERE {{ <{iri}> rdfs:label ?label }}"
    return {
        (s["label"].value, s["label"].language) for s in release.store.query(query, use_default_graph_as_union=True)
    }


def store_graph(release, query: str) -> Graph:
    ntriples = release.store.query(query, use_default_graph_as_union=True).serialize(format=RdfFormat.N_TRIPLES)
    return Graph().parse(data=ntriples, format="nt")


def wrapper(any_server, query: str, return_format: str, method: str = GET) -> SPARQLWrapper:
    client = SPARQLWrapper(any_server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_select_json_gets_the_store_answer(any_server, release, method):
    results = wrapper(any_server, LABELS, JSON, method).queryAndConvert()
    labels = {(b["label"]["value"], b["label"].get("xml:lang")) for b in results["results"]["bindings"]}
    assert labels == store_labels(release, MEETING)
    assert labels  # the meeting has labels in both projects


def test_sparqlwrapper_select_xml_gets_the_store_answer(any_server, release):
    document = wrapper(any_server, LABELS, XML).queryAndConvert()
    literals = document.getElementsByTagName("literal")
    labels = {(node.firstChild.data, node.getAttribute("xml:lang") or None) for node in literals}
    assert labels == store_labels(release, MEETING)


@pytest.mark.parametrize(("iri", "expected"), [(MEETING, True), ("https://example.org/nothing", False)])
def test_sparqlwrapper_ask_gets_the_store_answer(any_server, iri, expected):
    result = wrapper(any_server, f"ASK {{ <{iri}> ?p ?o }}", JSON).queryAndConvert()
    assert result["boolean"] is expected


def test_sparqlwrapper_construct_gets_the_store_graph(any_server, release):
    graph = wrapper(any_server, CONSTRUCT, TURTLE).queryAndConvert()
    assert isinstance(graph, bytes)  # SPARQLWrapper hands Turtle back unparsed
    assert isomorphic(Graph().parse(data=graph, format="turtle"), store_graph(release, CONSTRUCT))


# SPARQLWrapper 2.0 parses RDF answers into an rdflib ConjunctiveGraph, which rdflib 7 deprecates.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_sparqlwrapper_construct_as_rdfxml_is_parsed_by_the_wrapper(any_server, release):
    graph = wrapper(any_server, CONSTRUCT, XML).queryAndConvert()
    assert isinstance(graph, Graph)
    assert isomorphic(graph, store_graph(release, CONSTRUCT))


def sparql_store(any_server) -> SPARQLStore:
    return SPARQLStore(query_endpoint=any_server.url + "/sparql")


def test_sparqlstore_select_gets_the_store_answer(any_server, release):
    graph = Graph(store=sparql_store(any_server))
    rows = graph.query(LABELS)
    assert {(str(row.label), row.label.language) for row in rows} == store_labels(release, MEETING)


def test_sparqlstore_triple_pattern_gets_the_store_answer(any_server, release):
    graph = Graph(store=sparql_store(any_server))
    labels = set(graph.objects(URIRef(MIC), RDFS.label))
    assert {(str(label), label.language) for label in labels} == store_labels(release, MIC)
    assert all(isinstance(label, Literal) for label in labels)


def test_sparqlstore_sees_every_triple_of_a_resource_in_the_union(any_server, release):
    graph = Graph(store=sparql_store(any_server))
    quads = release.store.quads_for_pattern(NamedNode(MEETING), None, None)
    expected = {(q.predicate.value, q.object.value) for q in quads}
    found = {(str(p), str(o)) for _, p, o in graph.triples((URIRef(MEETING), None, None))}
    assert found == expected


def test_cors_preflight_over_http(any_server):
    response = requests.options(
        any_server.url + "/sparql",
        headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
