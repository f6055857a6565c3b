"""The VoID/DCAT description of the dataset, at /.well-known/void and in the store."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import parse

from server.builder.dataset import DUMPS
from server.builder.dataset import dataset_iri
from server.builder.dataset import dump_url
from tests.conftest import RDF_FORMATS

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def graph_of(response) -> set[Triple]:
    return {
        Triple(q.subject, q.predicate, q.object)
        for q in parse(response.get_data(), format=RDF_FORMATS[response.mimetype])
    }


@pytest.fixture
def void(client) -> set[Triple]:
    response = client.get("/.well-known/void")
    assert response.status_code == 200
    return graph_of(response)


def values(graph: set[Triple], subject: str, predicate: str) -> list:
    return [t.object for t in graph if t.subject.value == subject and t.predicate.value == predicate]


def number(graph: set[Triple], subject: str, predicate: str) -> int:
    (value,) = values(graph, subject, predicate)
    return int(value.value)


def data_query(release, body: str) -> list:
    """Run `body` over every graph but graph/dataset: ?s ?p ?o range over the data."""
    data = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{release.iris.graph('dataset')}>)"
    return list(release.store.query(body.replace("DATA", data)))


def test_void_is_turtle_by_default(client):
    response = client.get("/.well-known/void")
    assert response.mimetype == "text/turtle"
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("media_type", RDF_FORMATS)
def test_void_negotiates_every_rdf_format(client, void, media_type):
    response = client.get("/.well-known/void", headers={"Accept": media_type})
    assert response.mimetype == media_type
    assert graph_of(response) == void


def test_void_sends_browsers_to_the_dataset_page(client, release):
    response = client.get("/.well-known/void", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert client.get(response.headers["Location"], headers={"Accept": "text/html"}).status_code == 200


def test_void_refuses_unacceptable_formats(client):
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


def test_dataset_is_a_void_and_dcat_dataset(void, release):
    types = {t.value for t in values(void, dataset_iri(release.iris), RDF_TYPE)}
    assert {VOID + "Dataset", DCAT + "Dataset"} <= types


def test_triple_count_is_the_distinct_triples_of_the_data(void, release):
    rows = data_query(release, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { DATA } }")
    assert number(void, dataset_iri(release.iris), VOID + "triples") == int(rows[0]["n"].value)


def test_class_partitions_count_each_class(void, release):
    rows = data_query(
        release,
        f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ DATA FILTER(?p = <{RDF_TYPE}>) BIND(?o AS ?c) }} GROUP BY ?c",
    )
    expected = {row["c"].value: int(row["n"].value) for row in rows}
    partitions = values(void, dataset_iri(release.iris), VOID + "classPartition")
    found = {
        values(void, p.value, VOID + "class")[0].value: number(void, p.value, VOID + "entities") for p in partitions
    }
    assert found == expected


def test_property_partitions_count_each_property(void, release):
    rows = data_query(
        release, "SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { DATA } } GROUP BY ?p"
    )
    expected = {row["p"].value: int(row["n"].value) for row in rows}
    partitions = values(void, dataset_iri(release.iris), VOID + "propertyPartition")
    found = {
        values(void, p.value, VOID + "property")[0].value: number(void, p.value, VOID + "triples") for p in partitions
    }
    assert found == expected


def test_void_names_the_sparql_endpoint(void, release):
    assert values(void, dataset_iri(release.iris), VOID + "sparqlEndpoint") == [NamedNode(release.iris.base + "sparql")]


def test_void_names_licence_titles_attribution_and_source(void, release):
    dataset = dataset_iri(release.iris)
    assert values(void, dataset, DCT + "license") == [NamedNode("https://creativecommons.org/licenses/by/4.0/")]
    assert {t.language for t in values(void, dataset, DCT + "title")} == {"ja", "en"}
    assert {t.language for t in values(void, dataset, release.iris.term("attributionStatement"))} == {"ja", "en"}
    assert values(void, dataset, "http://www.w3.org/ns/prov#wasDerivedFrom") == [
        NamedNode(release.iris.resource("document", "business-guide-2023-global-strategy-bureau"))
    ]


def test_void_carries_the_release_version(void, release):
    dataset = dataset_iri(release.iris)
    assert values(void, dataset, DCAT + "version") == [Literal(release.version)]


def test_void_links_every_dump_with_its_size(void, release):
    dataset = dataset_iri(release.iris)
    dumps = {node.value for node in values(void, dataset, VOID + "dataDump")}
    assert dumps == {dump_url(release.iris, release.version, dump.name) for dump in DUMPS}
    for distribution in values(void, dataset, DCAT + "distribution"):
        (url,) = values(void, distribution.value, DCAT + "downloadURL")
        name = url.value.rsplit("/", 1)[1]
        assert number(void, distribution.value, DCAT + "byteSize") == release.files[name]["size"]
        assert values(void, distribution.value, DCAT + "mediaType")


def test_void_lists_vocabularies_and_uri_space(void, release):
    dataset = dataset_iri(release.iris)
    vocabularies = {node.value for node in values(void, dataset, VOID + "vocabulary")}
    assert release.iris.ontology in vocabularies
    assert values(void, dataset, VOID + "uriSpace") == [Literal(release.iris.base + "id/")]


def test_void_refers_to_every_linkset_in_the_store(void, release):
    rows = data_query(release, f"SELECT DISTINCT ?s WHERE {{ DATA FILTER(?p = <{RDF_TYPE}> && ?o = <{VOID}Linkset>) }}")
    linksets = {row["s"].value for row in rows}
    assert {node.value for node in values(void, dataset_iri(release.iris), VOID + "subset")} == linksets


def test_store_holds_no_description(release):
    """The store holds the dataset's record (data) but nothing the build says of the release."""
    assert not release.store.contains_named_graph(NamedNode(release.iris.graph("dataset")))
    dataset = NamedNode(dataset_iri(release.iris))
    assert next(release.store.quads_for_pattern(dataset, NamedNode(DCT + "title"), None), None) is not None
    for generated in (VOID + "triples", DCAT + "distribution", DCAT + "version", DCT + "modified"):
        assert next(release.store.quads_for_pattern(dataset, NamedNode(generated), None), None) is None, generated


def test_void_file_matches_what_is_served(void, release):
    written = {
        Triple(q.subject, q.predicate, q.object)
        for q in parse((release.directory / "void.ttl").read_bytes(), format=RdfFormat.TURTLE)
    }
    assert written == void


def test_no_query_sees_the_description_but_its_page_shows_it(client, release):
    """The description is no data: a count of ?s ?p ?o leaves it out, GRAPH ?g does not find it."""
    dataset = dataset_iri(release.iris)
    for query in (
        f"ASK {{ <{dataset}> <{VOID}triples> ?o }}",
        f"ASK {{ GRAPH ?g {{ <{dataset}> <{DCAT}version> ?o }} }}",
        f"ASK {{ GRAPH <{release.iris.graph('dataset')}> {{ ?s ?p ?o }} }}",
    ):
        assert client.get("/sparql", query_string={"query": query}).get_json()["boolean"] is False, query
    page = client.get("/" + release.iris.path_of(dataset) + ".nt")
    assert page.status_code == 200 and VOID + "Dataset" in page.get_data(as_text=True)
    graph_page = client.get("/graph/dataset.nt")
    assert graph_page.status_code == 200 and dataset in graph_page.get_data(as_text=True)
