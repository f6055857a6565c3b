"""Shared fixtures: configs, built releases, the app, its client, and a live server on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import DefaultGraph
from pyoxigraph import RdfFormat
from rdflib import Dataset
from rdflib import URIRef
from waitress import wasyncore
from waitress.server import create_server

from server.cli.main import main
from server.cli.main import server_options
from server.common.config import Config
from server.engine.local import open_local_engine
from server.engine.serving import Releases
from server.engine.serving import Served
from server.release.release import Release
from server.release.release import build_release
from server.web.app import create_app
from tests.engines import ISQL
from tests.engines import VIRTUOSO
from tests.engines import Oxigraph
from tests.engines import Store
from tests.engines import Virtuoso
from tests.engines import free_port  # noqa: F401 - for the tests that import it from here
from tests.engines import wait_until  # noqa: F401 - for the tests that import it from here

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "data" / "mini"
# The project folder the server tests are built from.
TEST_ROOT = ROOT
BASE_IRI = "https://mic-ict.example.org/"
BASE = BASE_IRI
# IRIs and formats many tests name
MIC = BASE + "id/organization/mic"
MEETING = BASE + "id/event/g7-digital-tech-ministers-meeting-2023"
FUND = BASE + "id/fund/beyond-5g"
RDF_FORMATS = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
}


def ask_union(release) -> bool:
    """Whether a query of the release's own store asks for the union default graph: not of a store whose default
    graph holds the merge already (the on-disk store served with the union default graph), which would count
    every triple twice."""
    return not release.materialised


def data_quads(release) -> set:
    """The quads of the release's data as built: its store's, but a materialised default graph (the merge)."""
    return {quad for quad in release.store if not (release.materialised and quad.graph_name == DefaultGraph())}


@pytest.fixture(scope="session")
def served(tmp_path_factory) -> Iterator[Served]:
    """The read-only release built once for the whole session, with its embedded engine and query workers."""
    config = Config(root=TEST_ROOT, base_iri=BASE_IRI, build_dir=tmp_path_factory.mktemp("build"))
    built = build_release(config)
    engine = open_local_engine(built, config)
    yield Served(built, engine)
    engine.close()


@pytest.fixture(scope="session")
def release(served) -> Release:
    """The session's release (its files, version and store)."""
    return served.release


@pytest.fixture
def make_config(tmp_path):
    def make(**overrides) -> Config:
        # No rate limit unless a test asks for one: tests make many requests from one address.
        values = {"root": TEST_ROOT, "base_iri": BASE_IRI, "build_dir": tmp_path / "build", "rate_limit_per_s": 0}
        values.update(overrides)
        return Config(**values).check()

    return make


@pytest.fixture
def config(make_config) -> Config:
    return make_config()


@pytest.fixture
def make_app(served, make_config):
    def make(**overrides):
        config = make_config(**overrides)
        return create_app(config, Releases(served))

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


class LiveServer:
    def __init__(self, app, config: Config):
        options = {**server_options(config), "host": "127.0.0.1", "port": 0, "threads": 8}
        self.server = create_server(app, **options)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # Close from the server's own loop: closing from this thread races it ("Bad file descriptor").
        self.server.task_dispatcher.shutdown()
        try:
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        except OSError:  # the loop closed its trigger already (a worker thread's error ended it): close here
            wasyncore.close_all(self.server._map)
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app, config) -> Iterator[LiveServer]:
    """The app served by waitress on 127.0.0.1, on a port the OS chose."""
    with LiveServer(app, config) as server:
        yield server


@pytest.fixture
def make_live_server(served, make_config):
    """Start live servers with settings overridden (and optionally another served release); stopped after the test."""
    servers = []

    def make(*, served_override=None, **overrides) -> LiveServer:
        config = make_config(**overrides)
        server = LiveServer(create_app(config, Releases(served_override or served)), config)
        servers.append(server.__enter__())
        return server

    yield make
    for server in servers:
        server.__exit__(None, None, None)


class Canary:
    """An HTTP listener on 127.0.0.1 that records every request it receives."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler
        from http.server import ThreadingHTTPServer

        requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                requests.append(f"{self.command} {self.path}")
                self.send_response(418)
                self.end_headers()

            do_GET = do_POST = do_HEAD = _record

            def log_message(self, *args):
                pass

        self.requests = requests
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    """A listener that must hear nothing when the server is asked to reach it."""
    listener = Canary()
    yield listener
    listener.close()


# --- remote mode: a real Oxigraph server and a real Virtuoso, and app processes serving from each -------


def as_rdflib(store) -> Dataset:
    """A pyoxigraph store's named graphs as an rdflib Dataset, for checks written with rdflib (and pySHACL)."""
    dataset = Dataset()
    for name in store.named_graphs():
        ntriples = store.dump(format=RdfFormat.N_TRIPLES, from_graph=name)
        dataset.graph(URIRef(name.value)).parse(data=ntriples, format="nt")
    return dataset


def start_serve(*args: str, stderr=subprocess.DEVNULL) -> tuple[subprocess.Popen, str, list[str]]:
    """Start `python -m server serve --port 0 ARGS`; return the process, the URL it prints,
    and the lines it printed before."""
    command = [sys.executable, "-m", "server", "serve", "--port", "0", *args]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    printed: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("serving on "):
            return process, line.split()[-1].rstrip("/"), printed
        printed.append(line)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError("the server did not start: " + "".join(printed))


def start_app(engine: Store, build_dir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """An app in remote mode on `engine`."""
    process, url, _ = start_serve("--build-dir", str(build_dir), "--engine-url", engine.query_url,
                                  "--rate-limit-per-s", "0", "--query-timeout-s", "5", *extra)
    return process, url


def publish(engine: Store, build_dir: Path, root: Path = ROOT) -> int:
    """`publish` the project at `root` into `engine`, as its documented user; the exit status."""
    args, environ = engine.publish_args()
    return main(["publish", "--root", str(root), "--build-dir", str(build_dir), *args], environ)


def started_engine(engine: Store, release: Release) -> Store:
    """Start `engine`, put another team's data in it (which no publish may touch), then publish the session's
    release (from its build folder, so the engine holds the very release the embedded tests serve)."""
    engine.start()
    try:
        engine.update(engine.foreign_data)
        engine.foreign_counts = foreign_counts(engine)
        assert publish(engine, build_dir(release)) == 0
    except BaseException:
        engine.stop()  # no fixture teardown runs for a setup that failed
        raise
    return engine


def build_dir(release: Release) -> Path:
    """The build folder `release` was written to: a process given it reuses the release, built the same instant."""
    return release.directory.parents[1]


def foreign_counts(engine: Store) -> dict[str, int]:
    """The triples of each graph in the store outside our namespace, and of its own default graph if it has one."""
    rows = engine.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                         f'FILTER(!STRSTARTS(STR(?g), "{BASE_IRI}graph/")) }} GROUP BY ?g')
    counts = {row["g"]: int(row["n"]) for row in rows}
    return counts | {"(default)": engine.count()} if engine.stores_a_default_graph else counts


@pytest.fixture(scope="session")
def oxigraph_engine(tmp_path_factory, release) -> Iterator[Oxigraph]:
    """A real `oxigraph serve` on 127.0.0.1 holding a foreign graph and the bundled graph, published."""
    engine = started_engine(Oxigraph(tmp_path_factory.mktemp("oxigraph")), release)
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def virtuoso_engine(tmp_path_factory, release) -> Iterator[Virtuoso]:
    """A real Virtuoso on 127.0.0.1 (docs/deployment.md's recipe) holding a foreign graph and the bundled graph."""
    if VIRTUOSO is None or ISQL is None:
        pytest.skip("Debian's Virtuoso is not installed (apt-get install virtuoso-opensource-7-bin)")
    engine = started_engine(Virtuoso(tmp_path_factory.mktemp("virtuoso")), release)
    yield engine
    engine.stop()


ENGINES = ("oxigraph", "virtuoso")


@pytest.fixture(scope="session", params=ENGINES)
def remote_engine(request) -> Store:
    """Each real store in turn, with the bundled graph published into it."""
    return request.getfixturevalue(f"{request.param}_engine")


def running_apps(engine: Store, release: Release) -> Iterator[list[str]]:
    started = []
    try:
        for _ in range(2):
            started.append(start_app(engine, build_dir(release)))
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()


@pytest.fixture(scope="session")
def oxigraph_apps(oxigraph_engine, release):
    """Two app processes, each serving from the one Oxigraph server (remote mode)."""
    yield from running_apps(oxigraph_engine, release)


@pytest.fixture(scope="session")
def virtuoso_apps(virtuoso_engine, release):
    """Two app processes, each serving from the one Virtuoso (remote mode)."""
    yield from running_apps(virtuoso_engine, release)


@pytest.fixture(scope="session")
def remote_apps(remote_engine, request) -> list[str]:
    """The two apps serving from `remote_engine`."""
    return request.getfixturevalue(f"{remote_engine.name}_apps")


@dataclass(frozen=True)
class Endpoint:
    url: str
    mode: str


@pytest.fixture(params=["embedded", *ENGINES])
def any_server(request) -> Endpoint:
    """The server over HTTP in each mode: embedded store, and an app on each real remote engine."""
    if request.param == "embedded":
        return Endpoint(request.getfixturevalue("live_server").url, "embedded")
    return Endpoint(request.getfixturevalue(f"{request.param}_apps")[0], request.param)
