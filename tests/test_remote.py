"""Remote mode on two real stores, a real `oxigraph serve` and a real Virtuoso, on 127.0.0.1: the release
published into each (beside another team's graph), two app processes serving from each, publishing again
(and once stopped halfway) under them, and the engine stopped and started under them.

Every test that takes `remote_engine` or `remote_apps` runs once per store (ids `oxigraph`, `virtuoso`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
from tests.conftest import build_dir
from tests.conftest import foreign_counts
from tests.conftest import publish
from tests.conftest import wait_until

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MIC = BASE_IRI + "id/organization/mic"
NAMESPACE = BASE_IRI + "graph/"


def sparql(url: str, query: str, **params) -> requests.Response:
    return requests.get(url + "/sparql", params={"query": query, **params}, timeout=30)


def count(url: str) -> int:
    response = sparql(url, COUNT)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def distinct_triples(release) -> int:
    return len(list(release.store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))


def release_graphs(release) -> set[str]:
    return {graph.value for graph in release.store.named_graphs()}


def published_graphs(release) -> set[str]:
    """What publish leaves in the store: the release's graphs, their merge and the live stamp's graph."""
    return release_graphs(release) | {NAMESPACE, NAMESPACE + "?live"}


def changed_project(tmp_path):
    """A copy of the project with one more statement in passage A1 (so a new release version)."""
    project = tmp_path / "project"
    for folder in ("ontology", "data", "shapes", "source", "links", "queries"):
        shutil.copytree(ROOT / folder, project / folder)
    with (project / "data" / "passages" / "A1.ttl").open("a", encoding="utf-8") as handle:
        handle.write('\n<id/organization/mic> <http://www.w3.org/2000/01/rdf-schema#comment> "a new fact"@en .\n')
    return project


# The triples of the default graph (the merge) and of the named graph A1 (which changed_project changes),
# read in one query.
BOTH_COUNTS = ("SELECT ?merged ?named WHERE { { SELECT (COUNT(*) AS ?merged) WHERE { ?s ?p ?o } } "
               f"{{ SELECT (COUNT(*) AS ?named) WHERE {{ GRAPH <{NAMESPACE}A1> {{ ?s ?p ?o }} }} }} }}")


def both_counts(url: str) -> tuple[int, int] | None:
    response = sparql(url, BOTH_COUNTS)
    if response.status_code != 200:
        return None
    row = response.json()["results"]["bindings"][0]
    return int(row["merged"]["value"]), int(row["named"]["value"])


# --- publishing ----------------------------------------------------------------------------------


def test_publish_loads_every_graph_and_their_merge_under_the_namespace(remote_engine, release):
    ours = {graph for graph in remote_engine.graphs() if graph.startswith(NAMESPACE)}
    assert ours == published_graphs(release)
    assert remote_engine.count(**{"default-graph-uri": NAMESPACE}) == distinct_triples(release)


def test_publish_twice_and_once_stopped_halfway_touches_only_its_own_graphs(remote_engine, remote_apps, release,
                                                                             tmp_path):
    served_before = both_counts(remote_apps[0])
    args, environ = remote_engine.publish_args()
    command = [sys.executable, "-m", "server", "publish", "--root", str(changed_project(tmp_path)),
               "--build-dir", str(tmp_path / "stopped"), "--log-level", "DEBUG", *args]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **environ}, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for line in process.stderr:
        if "staged <" in line:  # the first graph is in the engine: stop the publish there, as a crash would
            process.kill()
            break
    process.wait(timeout=30)
    process.stderr.close()
    assert process.returncode == -9, "the publish ended before it could be stopped halfway"
    assert any("?staging=" in graph for graph in remote_engine.graphs()), "nothing was staged"
    assert both_counts(remote_apps[0]) == served_before, "a publish stopped halfway changed what readers see"

    for _ in range(2):
        assert publish(remote_engine, build_dir(release)) == 0
    ours = {graph for graph in remote_engine.graphs() if graph.startswith(NAMESPACE)}
    assert ours == published_graphs(release), "staging graphs were left behind"
    assert foreign_counts(remote_engine) == remote_engine.foreign_counts, "publish touched graphs not its own"
    assert both_counts(remote_apps[0]) == served_before


def test_readers_see_the_old_release_or_the_new_one_never_half(remote_apps, remote_engine, release, tmp_path):
    before = both_counts(remote_apps[0])
    seen: set[tuple[int, int]] = set()
    done = threading.Event()

    def reader():
        while not done.is_set() and len(seen) < 10_000:
            counts = both_counts(remote_apps[0])
            if counts is not None:
                seen.add(counts)

    readers = [threading.Thread(target=reader) for _ in range(2)]  # two readers: more chances to see half
    for thread in readers:
        thread.start()
    try:
        assert publish(remote_engine, tmp_path / "build", changed_project(tmp_path)) == 0
        time.sleep(0.5)
    finally:
        done.set()
        for thread in readers:
            thread.join(timeout=30)
        assert publish(remote_engine, build_dir(release)) == 0  # the session's release again, for other tests
    after = {counts for counts in seen if counts != before}
    assert len(after) <= 1, f"readers saw (merged, named) counts {sorted(seen)} (before: {before})"
    assert after and min(after) == (before[0] + 1, before[1] + 1)


# --- the app reads only the release, whatever else the store holds ------------------------------------


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_answers_select_as_the_store_does(remote_apps, index, release):
    assert count(remote_apps[index]) == distinct_triples(release)


def test_remote_app_sees_only_the_release_graphs(remote_apps, release):
    response = sparql(remote_apps[0], "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", format="json")
    graphs = {row["g"]["value"] for row in response.json()["results"]["bindings"]}
    assert graphs == release_graphs(release)


# --- the same endpoint and page behaviour as the embedded mode, through both apps -------------------


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
    response = sparql(remote_apps[index], f"DESCRIBE <{MIC}>", format="nt")
    assert response.status_code == 200 and any(t.subject.value == MIC for t in parse(response.content,
                                                                                       format=RdfFormat.N_TRIPLES))


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_honours_graph_queries_and_dataset_parameters(remote_apps, index):
    graph = BASE_IRI + "graph/B1"
    direct = sparql(remote_apps[index], f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    by_protocol = sparql(remote_apps[index], COUNT, **{"default-graph-uri": graph})
    by_from = sparql(remote_apps[index], f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    n = [int(r.json()["results"]["bindings"][0]["n"]["value"]) for r in (direct, by_protocol, by_from)]
    assert n[0] == n[1] == n[2] > 0


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


# --- a failing engine ---------------------------------------------------------------------------------


def test_engine_stopped_gives_502_quickly_and_the_app_recovers_with_the_release(remote_apps, remote_engine):
    before = count(remote_apps[0])
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
    assert count(remote_apps[1]) == before, "the engine lost the published release when it was stopped"


def test_remote_answers_are_neither_cached_nor_tagged(remote_apps):
    """`publish` can replace the engine's data under a running app: its answers are always fresh."""
    for _ in range(2):
        response = requests.get(
            remote_apps[0] + "/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert response.status_code == 200 and response.json()["boolean"] is True
        assert "ETag" not in response.headers and "X-Cache" not in response.headers
