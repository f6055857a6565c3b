"""Remote mode: a real `oxigraph serve` on 127.0.0.1, the bundled graph published into it,
two app processes serving from it, and the engine stopped and started under them."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
import requests
from pyoxigraph import QueryResultsFormat
from pyoxigraph import RdfFormat
from pyoxigraph import parse
from pyoxigraph import parse_query_results

from tests.conftest import BASE_IRI
from tests.conftest import ROOT
from tests.conftest import publish
from tests.conftest import wait_until

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MIC = BASE_IRI + "id/organization/mic"


def sparql(url: str, query: str, **params) -> requests.Response:
    return requests.get(url + "/sparql", params={"query": query, **params}, timeout=30)


# --- publishing ----------------------------------------------------------------------------------


def test_publish_loads_every_graph_and_the_merged_default_graph(remote_engine, release):
    graphs = {graph.value for graph in release.store.named_graphs()}
    response = requests.get(remote_engine.url + "/query", timeout=10, headers={"Accept": "text/csv"},
                            params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert set(response.text.split()[1:]) == graphs
    distinct = len(list(release.store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))
    assert remote_engine.count() == distinct


# --- the same endpoint and page behaviour as the embedded mode, through both apps -------------------


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_answers_select_as_the_store_does(remote_apps, index, release):
    response = sparql(remote_apps[index], COUNT)
    assert response.status_code == 200
    distinct = len(list(release.store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == distinct


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_remote_app_gives_every_results_format(remote_apps, index, name):
    response = sparql(remote_apps[index], "SELECT ?label WHERE { ?s rdfs:label ?label } LIMIT 7", format=name)
    assert response.status_code == 200
    if name == "csv":  # pyoxigraph does not parse CSV results (the format is lossy)
        assert len(response.text.strip().splitlines()) == 1 + 7
        return
    formats = {"json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML, "tsv": QueryResultsFormat.TSV}
    assert len(list(parse_query_results(response.content, format=formats[name]))) == 7


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_constructs_and_describes(remote_apps, index):
    response = sparql(remote_apps[index], f"CONSTRUCT {{ <{MIC}> ?p ?o }} WHERE {{ <{MIC}> ?p ?o }}", format="nt")
    triples = list(parse(response.content, format=RdfFormat.N_TRIPLES))
    assert triples and all(triple.subject.value == MIC for triple in triples)


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_honours_graph_queries_and_dataset_parameters(remote_apps, index):
    graph = BASE_IRI + "graph/B1"
    direct = sparql(remote_apps[index], f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    by_protocol = sparql(remote_apps[index], COUNT, **{"default-graph-uri": graph})
    n = [int(r.json()["results"]["bindings"][0]["n"]["value"]) for r in (direct, by_protocol)]
    assert n[0] == n[1] > 0


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_resolves_iris_with_negotiation(remote_apps, index):
    turtle = requests.get(remote_apps[index] + "/id/organization/mic", headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and "総務省" in turtle.text
    page = requests.get(remote_apps[index] + "/id/organization/mic", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and "総務省" in page.text
    missing = requests.get(remote_apps[index] + "/id/organization/nothing-here.ttl", timeout=30)
    assert missing.status_code == 404


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("path", ["/", "/search?q=%EF%BC%A7%EF%BC%97", "/timeline", "/download/", "/.well-known/void",
                                  "/reconcile", "/download/linksets/wikidata.nt", "/sparql"])
def test_remote_app_serves_its_pages(remote_apps, index, path):
    response = requests.get(remote_apps[index] + path, headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 200


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_keeps_the_public_endpoint_safe(remote_apps, index, canary):
    update = sparql(remote_apps[index], "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }")
    assert update.status_code == 400 and "read-only" in update.json()["error"]
    assert sparql(remote_apps[index], f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}").status_code == 403
    assert canary.requests == []
    nested = requests.post(remote_apps[index] + "/sparql", timeout=30,
                           data={"query": "SELECT * WHERE " + "{ " * 3000 + "} " * 3000})
    assert nested.status_code == 400
    bad = sparql(remote_apps[index], "SELECT * WHERE { ?s ?p }")
    assert bad.status_code == 400 and "1:" in bad.json()["error"]


def test_search_finds_full_and_half_width_through_a_remote_app(remote_apps):
    for query in ("G7", "Ｇ７"):
        response = requests.get(remote_apps[0] + "/api/search", params={"q": query, "lang": "en"}, timeout=30)
        assert response.json()["results"][0]["id"] == BASE_IRI + "id/organization/g7"


# --- a failing engine, and a new release under readers ------------------------------------------


def test_engine_stopped_gives_502_quickly_and_the_app_recovers(remote_apps, remote_engine):
    remote_engine.stop()
    try:
        started = time.monotonic()
        response = sparql(remote_apps[0], COUNT)
        assert response.status_code in (502, 504)
        assert time.monotonic() - started < 5
        page = requests.get(remote_apps[1] + "/id/organization/mic.ttl", timeout=30)
        assert page.status_code in (200, 502, 504)  # a page made before may still be cached
    finally:
        remote_engine.start()
    assert wait_until(lambda: sparql(remote_apps[0], COUNT).status_code == 200)
    assert sparql(remote_apps[1], COUNT).status_code == 200


def test_readers_see_the_old_release_or_the_new_one_never_half(remote_apps, remote_engine, tmp_path):
    before = remote_engine.count()
    project = tmp_path / "project"
    for folder in ("ontology", "data", "shapes", "source", "links"):
        shutil.copytree(ROOT / folder, project / folder)
    with (project / "data" / "passages" / "A1.ttl").open("a", encoding="utf-8") as handle:
        handle.write('\n<id/organization/mic> <http://www.w3.org/2000/01/rdf-schema#comment> "a new fact"@en .\n')
    seen: set[int] = set()
    done = threading.Event()

    def reader():
        while not done.is_set() and len(seen) < 10_000:
            response = sparql(remote_apps[0], COUNT)
            if response.status_code == 200:
                seen.add(int(response.json()["results"]["bindings"][0]["n"]["value"]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert publish(remote_engine, tmp_path / "build", project) == 0
        time.sleep(0.5)
    finally:
        done.set()
        thread.join(timeout=30)
        assert publish(remote_engine, tmp_path / "build-again") == 0  # the bundled graph again, for other tests
    after = {count for count in seen if count != before}
    assert len(after) <= 1, f"readers saw counts {sorted(seen)} (before: {before})"
    assert after and min(after) > before


def test_remote_answers_are_neither_cached_nor_tagged(remote_apps):
    """`publish` can replace the engine's data under a running app: its answers are always fresh."""
    for _ in range(2):
        response = requests.get(
            remote_apps[0] + "/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert response.status_code == 200
        assert "ETag" not in response.headers and "X-Cache" not in response.headers
