"""Shared fixtures: configs, built releases, the app, its client, and a live server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from waitress import wasyncore
from waitress.server import create_server

from server import create_app
from server.__main__ import server_options
from server.config import Config
from server.engine import open_local_engine
from server.pipeline import build_release
from server.release import Release
from server.state import Releases

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "data" / "mini"
# The project folder the server tests are built from.
TEST_ROOT = ROOT
BASE_IRI = "https://mic-ict.example.org/"


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> Iterator[Release]:
    """The read-only release built once for the whole session, with its query workers."""
    config = Config(root=TEST_ROOT, base_iri=BASE_IRI, build_dir=tmp_path_factory.mktemp("build"))
    built = build_release(config)
    built.engine = open_local_engine(built.store, tmp_path_factory.mktemp("work"), config)
    yield built
    built.engine.close()


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
def make_app(release, make_config):
    def make(**overrides):
        config = make_config(**overrides)
        return create_app(config, Releases(release))

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
def make_live_server(release, make_config):
    """Start live servers with settings overridden (and optionally another release); stopped after the test."""
    servers = []

    def make(*, release_override=None, **overrides) -> LiveServer:
        config = make_config(**overrides)
        server = LiveServer(create_app(config, Releases(release_override or release)), config)
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
