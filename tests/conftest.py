"""Shared fixtures: configs, built releases, the app, its client, and a live server on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
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
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
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


# --- remote mode: a real Oxigraph server and app processes serving from it -----------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def as_rdflib(store) -> Dataset:
    """A pyoxigraph store's named graphs as an rdflib Dataset, for checks written with rdflib (and pySHACL)."""
    dataset = Dataset()
    for name in store.named_graphs():
        ntriples = store.dump(format=RdfFormat.N_TRIPLES, from_graph=name)
        dataset.graph(URIRef(name.value)).parse(data=ntriples, format="nt")
    return dataset


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


def start_app(engine: Oxigraph, build_dir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """An app in remote mode on `engine`."""
    process, url, _ = start_serve("--build-dir", str(build_dir), "--engine-url", engine.url + "/query",
                                  "--rate-limit-per-s", "0", "--query-timeout-s", "5", *extra)
    return process, url


def publish(engine: Oxigraph, build_dir: Path, root: Path = ROOT) -> int:
    return main(
        ["publish", "--root", str(root), "--build-dir", str(build_dir),
         "--engine-update-url", engine.url + "/update", "--engine-store-url", engine.url + "/store"],
        {},
    )


@pytest.fixture(scope="session")
def remote_engine(tmp_path_factory):
    """A real `oxigraph serve` on 127.0.0.1 with the bundled graph published into it."""
    server = Oxigraph(tmp_path_factory.mktemp("oxigraph"))
    server.start()
    assert publish(server, tmp_path_factory.mktemp("publish")) == 0
    yield server
    server.stop()


@pytest.fixture(scope="session")
def remote_apps(remote_engine, tmp_path_factory):
    """Two app processes, each serving from the one engine (remote mode)."""
    build = tmp_path_factory.mktemp("apps")
    started = [start_app(remote_engine, build) for _ in range(2)]
    yield [url for _, url in started]
    for process, _ in started:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@dataclass(frozen=True)
class Endpoint:
    url: str
    mode: str


@pytest.fixture(params=["embedded", "remote-1", "remote-2"])
def any_server(request) -> Endpoint:
    """The server over HTTP in each mode: embedded store, and each of two apps on a remote engine."""
    if request.param == "embedded":
        return Endpoint(request.getfixturevalue("live_server").url, "embedded")
    return Endpoint(request.getfixturevalue("remote_apps")[int(request.param[-1]) - 1], request.param)
