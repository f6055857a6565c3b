"""Remote mode: a real `oxigraph serve` on 127.0.0.1, the bundled graph published into it,
two app processes serving from it, and the engine stopped and started under them."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from pyoxigraph import QueryResultsFormat
from pyoxigraph import RdfFormat
from pyoxigraph import parse
from pyoxigraph import parse_query_results

from server.__main__ import main
from tests.conftest import BASE_IRI
from tests.conftest import ROOT

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MIC = BASE_IRI + "id/organization/mic"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


class Oxigraph:
    """An `oxigraph serve` process on a fixed location and port, which can be stopped and started."""

    def __init__(self, location: Path):
        self.location = location
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["oxigraph", "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(lambda: requests.get(self.url + "/query", params={"query": "ASK {}"}, timeout=2).ok)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def count(self) -> int:
        response = requests.get(self.url + "/query", params={"query": COUNT}, timeout=10,
                                headers={"Accept": "application/sparql-results+json"})
        return int(response.json()["results"]["bindings"][0]["n"]["value"])


def start_app(engine: Oxigraph, build_dir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    command = [
        sys.executable, "-m", "server", "serve", "--port", "0", "--build-dir", str(build_dir),
        "--engine-url", engine.url + "/query", "--rate-limit-per-s", "0", "--query-timeout-s", "5", *extra,
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("serving on "):
            return process, line.split()[-1].rstrip("/")
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError("the app did not start")


def publish(engine: Oxigraph, build_dir: Path, root: Path = ROOT) -> int:
    return main(
        ["publish", "--root", str(root), "--build-dir", str(build_dir),
         "--engine-update-url", engine.url + "/update", "--engine-store-url", engine.url + "/store"],
        {},
    )


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    server = Oxigraph(tmp_path_factory.mktemp("oxigraph"))
    server.start()
    assert publish(server, tmp_path_factory.mktemp("publish")) == 0
    yield server
    server.stop()


@pytest.fixture(scope="module")
def apps(engine, tmp_path_factory):
    """Two app processes behind no proxy, each serving from the one engine."""
    build = tmp_path_factory.mktemp("apps")
    started = [start_app(engine, build) for _ in range(2)]
    yield [url for _, url in started]
    for process, _ in started:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def sparql(url: str, query: str, **params) -> requests.Response:
    return requests.get(url + "/sparql", params={"query": query, **params}, timeout=30)


# --- publishing ----------------------------------------------------------------------------------


def test_publish_loads_every_graph_and_the_merged_default_graph(engine, release):
    graphs = {graph.value for graph in release.store.named_graphs()}
    response = requests.get(engine.url + "/query", timeout=10, headers={"Accept": "text/csv"},
                            params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert set(response.text.split()[1:]) == graphs
    distinct = len(list(release.store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))
    assert engine.count() == distinct


# --- the same endpoint and page behaviour as the embedded mode, through both apps -------------------


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_answers_select_as_the_store_does(apps, index, release):
    response = sparql(apps[index], COUNT)
    assert response.status_code == 200
    distinct = len(list(release.store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == distinct


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_remote_app_gives_every_results_format(apps, index, name):
    response = sparql(apps[index], "SELECT ?label WHERE { ?s rdfs:label ?label } LIMIT 7", format=name)
    assert response.status_code == 200
    if name == "csv":  # pyoxigraph does not parse CSV results (the format is lossy)
        assert len(response.text.strip().splitlines()) == 1 + 7
        return
    formats = {"json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML, "tsv": QueryResultsFormat.TSV}
    assert len(list(parse_query_results(response.content, format=formats[name]))) == 7


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_constructs_and_describes(apps, index):
    response = sparql(apps[index], f"CONSTRUCT {{ <{MIC}> ?p ?o }} WHERE {{ <{MIC}> ?p ?o }}", format="nt")
    triples = list(parse(response.content, format=RdfFormat.N_TRIPLES))
    assert triples and all(triple.subject.value == MIC for triple in triples)


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_honours_graph_queries_and_dataset_parameters(apps, index):
    graph = BASE_IRI + "graph/B1"
    direct = sparql(apps[index], f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    by_protocol = sparql(apps[index], COUNT, **{"default-graph-uri": graph})
    n = [int(r.json()["results"]["bindings"][0]["n"]["value"]) for r in (direct, by_protocol)]
    assert n[0] == n[1] > 0


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_resolves_iris_with_negotiation(apps, index):
    turtle = requests.get(apps[index] + "/id/organization/mic", headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and "総務省" in turtle.text
    page = requests.get(apps[index] + "/id/organization/mic", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and "総務省" in page.text
    missing = requests.get(apps[index] + "/id/organization/nothing-here.ttl", timeout=30)
    assert missing.status_code == 404


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("path", ["/", "/search?q=%EF%BC%A7%EF%BC%97", "/timeline", "/download/", "/.well-known/void",
                                  "/reconcile", "/download/linksets/wikidata.nt", "/sparql"])
def test_remote_app_serves_its_pages(apps, index, path):
    response = requests.get(apps[index] + path, headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 200


@pytest.mark.parametrize("index", [0, 1])
def test_remote_app_keeps_the_public_endpoint_safe(apps, index, canary):
    assert sparql(apps[index], "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }").status_code == 403
    assert sparql(apps[index], f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}").status_code == 403
    assert canary.requests == []
    nested = requests.post(apps[index] + "/sparql", timeout=30,
                           data={"query": "SELECT * WHERE " + "{ " * 3000 + "} " * 3000})
    assert nested.status_code == 400
    bad = sparql(apps[index], "SELECT * WHERE { ?s ?p }")
    assert bad.status_code == 400 and "1:" in bad.json()["error"]


def test_search_finds_full_and_half_width_through_a_remote_app(apps):
    for query in ("G7", "Ｇ７"):
        response = requests.get(apps[0] + "/api/search", params={"q": query, "lang": "en"}, timeout=30)
        assert response.json()["results"][0]["id"] == BASE_IRI + "id/organization/g7"


# --- a failing engine, and a new release under readers ------------------------------------------


def test_engine_stopped_gives_502_quickly_and_the_app_recovers(apps, engine):
    engine.stop()
    try:
        started = time.monotonic()
        response = sparql(apps[0], COUNT)
        assert response.status_code in (502, 504)
        assert time.monotonic() - started < 5
        page = requests.get(apps[1] + "/id/organization/mic.ttl", timeout=30)
        assert page.status_code in (200, 502, 504)  # a page made before may still be cached
    finally:
        engine.start()
    assert wait_until(lambda: sparql(apps[0], COUNT).status_code == 200)
    assert sparql(apps[1], COUNT).status_code == 200


def test_readers_see_the_old_release_or_the_new_one_never_half(apps, engine, tmp_path):
    before = engine.count()
    project = tmp_path / "project"
    for folder in ("ontology", "data", "shapes", "source", "links"):
        shutil.copytree(ROOT / folder, project / folder)
    with (project / "data" / "passages" / "A1.ttl").open("a", encoding="utf-8") as handle:
        handle.write('\n<id/organization/mic> <http://www.w3.org/2000/01/rdf-schema#comment> "a new fact"@en .\n')
    seen: set[int] = set()
    done = threading.Event()

    def reader():
        while not done.is_set() and len(seen) < 10_000:
            response = sparql(apps[0], COUNT)
            if response.status_code == 200:
                seen.add(int(response.json()["results"]["bindings"][0]["n"]["value"]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert publish(engine, tmp_path / "build", project) == 0
        time.sleep(0.5)
    finally:
        done.set()
        thread.join(timeout=30)
        assert publish(engine, tmp_path / "build-again") == 0  # the bundled graph again, for other tests
    after = {count for count in seen if count != before}
    assert len(after) <= 1, f"readers saw counts {sorted(seen)} (before: {before})"
    assert after and min(after) > before
