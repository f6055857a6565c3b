"""Benchmark our server against the Oxigraph server, pyoxigraph in process and rdflib-endpoint, on the same data.

    python bench/run.py --triples 100000

One invocation: generates the data (bench/generate.py, cached under bench/_data/), starts each system on it,
runs a fixed query mix interleaved round-robin across the systems, checks every answer's status and result
count against the Oxigraph server's, measures throughput with 1 and 8 concurrent clients, load time, restart
time and peak memory (RSS of the process tree), and prints Markdown tables with each figure's ratio to the
Oxigraph server. Results are also written to bench/_runs/{size}/results.{json,md}.

Systems (all answer with the default graph as the union of the named graphs):

    ours        `python -m server serve --root DATA --port 0` with README's settings (build, validate, dumps, worker
                pool, waitress; its on-disk store, which restart reopens; --ours-store=memory adds --storage memory)
    oxigraph    `oxigraph load` into a fresh location, then `oxigraph serve-read-only --union-default-graph`
    pyoxigraph  a child process with `Store(path).bulk_load(...)`, queried directly (no HTTP); the same
                store reopened read-only for the restart time
    rdflib      `rdflib-endpoint serve quads.nq` (uvicorn + rdflib Dataset); a query that passes --timeout is
                reported as a timeout, the endpoint is restarted, and that query is not sent to it again

The other systems load `quads.nq`: exactly the quads our server loads from the same folder (its sources.py
mapping of files to named graphs, Turtle parsed by pyoxigraph against the same base IRI, passages.tsv
through the server's own load.py); our server adds its own VoID description graph, which no query touches.
Requires README's install (`pip install -e '.[test]'`: the oxigraph CLI and psutil); rdflib-endpoint is
optional (`python -m venv --system-site-packages bench/.venv && bench/.venv/bin/pip install rdflib-endpoint
uvicorn`; or --rdflib-python) and left out when missing. It exits 1 if two systems disagree on an answer's
rows or triples, or an answer failed (tests/test_bench.py runs the smallest size).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
BASE = "https://mic-ict.example.org/"
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(PROJECT))

from generate import VERSION  # noqa: E402
from generate import generate  # noqa: E402
from generate import size_name  # noqa: E402

PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
"""
JSON_RESULTS = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


# ---------------------------------------------------------------- the query mix


@dataclass(frozen=True)
class Item:
    """One entry of the mix. `query(k)` gives the SPARQL for repetition k; `page` marks our resource pages.

    kind: "select" or "graph" (SPARQL), "page-html" / "page-ttl" (our /id/ pages; other systems run
    `query(k)`, the CONSTRUCT of the same description), "dump" (the whole data as N-Quads).
    """

    name: str
    kind: str
    query: object  # callable k -> str, or None for the dump
    path: object = None  # callable k -> str, our page path
    in_throughput: bool = True


def mix(sample: dict, sizes: dict) -> list[Item]:
    iri = lambda path: f"<{BASE}{path}>"  # noqa: E731
    ministry = iri(sample["ministry"])
    people = max(1, sizes["people"])
    events = max(1, sizes["events"])
    units = sizes["units"]

    def person(k: int) -> str:
        return f"id/person/bench-person-{(k * 7919) % people}"

    def event(k: int) -> str:
        return f"id/event/bench-meeting-{(k * 104729) % events}"

    def unit(k: int) -> str:
        return units[(k * 31) % len(units)]

    def description(path: str) -> str:
        node = iri(path)
        return (
            PREFIXES
            + f"""CONSTRUCT {{ {node} ?p ?o . ?s ?q {node} . ?n rdfs:label ?l }} WHERE {{
  {{ {node} ?p ?o }} UNION {{ ?s ?q {node} }}
  UNION {{ {{ {node} ?p2 ?n }} UNION {{ ?n ?q2 {node} }} ?n rdfs:label ?l }}
}}"""
        )

    return [
        Item("describe", "graph", lambda k: f"DESCRIBE {iri(unit(k))}"),
        Item("properties", "select", lambda k: f"SELECT ?p ?o WHERE {{ {iri(person(k))} ?p ?o }}"),
        Item(
            "label-ja",
            "select",
            lambda k: (
                PREFIXES
                + """SELECT ?s ?label WHERE {
  ?s rdfs:label ?label FILTER(LANG(?label) = "ja" && CONTAINS(?label, "電波")) } LIMIT 100"""
            ),
        ),
        Item(
            "label-en",
            "select",
            lambda k: (
                PREFIXES
                + """SELECT ?s ?label WHERE {
  ?s rdfs:label ?label FILTER(LANG(?label) = "en" && CONTAINS(LCASE(?label), "broadcasting")) } LIMIT 100"""
            ),
        ),
        Item(
            "join-3-hop",
            "select",
            lambda k: (
                PREFIXES
                + f"""SELECT ?person ?name ?unit WHERE {{
  ?unit org:subOrganizationOf {ministry} .
  ?division org:subOrganizationOf ?unit .
  ?post org:postIn ?division .
  ?person org:holds ?post ; rdfs:label ?name FILTER(LANG(?name) = "en")
}}"""
            ),
        ),
        Item(
            "aggregate",
            "select",
            lambda k: (
                PREFIXES
                + f"""SELECT ?area (COUNT(?obs) AS ?n) (SUM(?v) AS ?total) WHERE {{
  ?obs qb:dataSet <{BASE}id/statistics/bench-staff> ;
       sdmx-dimension:refArea ?area ; sdmx-measure:obsValue ?v .
}} GROUP BY ?area ORDER BY DESC(?total) ?area"""
            ),
        ),
        Item(
            "optional-not-exists",
            "select",
            lambda k: (
                PREFIXES
                + """SELECT ?unit ?label ?parent WHERE {
  ?unit a org:OrganizationalUnit ; org:unitOf ?parent .
  OPTIONAL { ?unit rdfs:label ?label FILTER(LANG(?label) = "en") }
  FILTER NOT EXISTS { ?post org:postIn ?unit }
  FILTER NOT EXISTS { ?child org:unitOf ?unit }
}"""
            ),
        ),
        Item(
            "path", "select", lambda k: PREFIXES + f"SELECT ?unit WHERE {{ ?unit org:subOrganizationOf+ {ministry} }}"
        ),
        Item(
            "paging",
            "select",
            lambda k: (
                PREFIXES
                + f"""SELECT ?event ?start WHERE {{
  ?event a schema:Event ; schema:startDate ?start
}} ORDER BY ?start ?event LIMIT 50 OFFSET {50 * (k % 10)}"""
            ),
        ),
        Item(
            "construct",
            "graph",
            lambda k: (
                f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ {iri(event(k))} ?p ?o BIND({iri(event(k))} AS ?s) }}
  UNION {{ ?s ?p {iri(event(k))} BIND({iri(event(k))} AS ?o) }}
  UNION {{ {iri(event(k))} ?p1 ?s . ?s ?p ?o }}
}}"""
            ),
        ),
        Item(
            "date-range",
            "select",
            lambda k: (
                PREFIXES
                + """SELECT ?event ?start WHERE {
  ?event a schema:Event ; schema:startDate ?start
  FILTER(?start >= "2020-04-01"^^xsd:date && ?start < "2020-05-01"^^xsd:date)
} ORDER BY ?start ?event"""
            ),
        ),
        Item("page-html", "page-html", lambda k: description(person(k + 1)), path=lambda k: "/" + person(k + 1)),
        Item("page-ttl", "page-ttl", lambda k: description(unit(k + 2)), path=lambda k: "/" + unit(k + 2) + ".ttl"),
        Item("dump", "dump", None, in_throughput=False),
    ]


# ---------------------------------------------------------------- data


def prepare_data(triples: int, seed: int, *, regenerate: bool, out: Path = BENCH) -> tuple[Path, dict]:
    root = out / "_data" / size_name(triples)
    summary_path = root / "bench.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else None
    if (
        regenerate
        or summary is None
        or (summary["seed"], summary["triples_requested"], summary.get("version")) != (seed, triples, VERSION)
    ):
        log(f"generating {triples} triples (seed {seed}) into {root}")
        summary = generate(root, triples=triples, seed=seed)
        shutil.rmtree(root.parent.parent / "_runs" / size_name(triples) / "stores", ignore_errors=True)
    quads = root / "_bench" / "quads.nq"
    if not quads.is_file():
        started = time.perf_counter()
        write_quads(root, quads)
        log(f"wrote {quads} in {time.perf_counter() - started:.1f} s")
    return root, summary


def write_quads(root: Path, target: Path) -> None:
    """Every quad our server loads from `root`, as N-Quads (graph per source file, as server/sources/find.py says)."""
    from pyoxigraph import RdfFormat

    from server.builder.pipeline import load_dataset
    from server.common.config import Config

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    load_dataset(Config(root=root, base_iri=BASE)).dump(output=str(partial), format=RdfFormat.N_QUADS)
    partial.replace(target)


def data_sizes(root: Path) -> dict:
    """The generated organisational units, and how many people and events there are (for the mix's IRIs)."""

    def subjects(name: str, prefix: str) -> list[str]:
        with (root / "data" / name).open(encoding="utf-8") as handle:
            return [line.strip() for line in handle if line.startswith(prefix)]

    kinds = ("bureau", "division", "office", "section")
    units = [
        f"id/organization/{s.split(':', 1)[1]}"
        for s in subjects("bench-organizations.ttl", "organization:")
        if s.split(":", 1)[1].split("-")[1] in kinds
    ]
    return {
        "units": units,
        "people": len(subjects("bench-people.ttl", "person:")),
        "events": len(subjects("bench-events.ttl", "event:")),
    }


# ---------------------------------------------------------------- measuring


class Sampler:
    """Peak RSS of a process and all its descendants, sampled every `interval` seconds."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak = 0
        self.pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, pid: int | None) -> None:
        self.pid = pid

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.pid is not None:
                self.peak = max(self.peak, self.tree(proportional=False))

    def tree(self, *, proportional: bool) -> int:
        """Memory of the process and its descendants now: the sum of their RSS, or with `proportional`
        of their PSS (each shared page, such as a library's code, counted once over the processes that map it)."""
        import psutil

        try:
            processes = [psutil.Process(self.pid)]
            processes += processes[0].children(recursive=True)
        except psutil.Error:
            return 0
        total = 0
        for process in processes:
            try:
                total += process.memory_full_info().pss if proportional else process.memory_info().rss
            except psutil.Error:
                pass
        return total

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Answer:
    status: int
    count: int | None
    seconds: float
    size: int = 0
    error: str = ""


def count_answer(kind: str, content_type: str, body: bytes) -> int | None:
    """Rows of a SELECT, triples of a graph answer; None if there is nothing to count."""
    if kind == "select":
        data = json.loads(body)
        return len(data["results"]["bindings"]) if "results" in data else int(bool(data.get("boolean")))
    if kind in ("graph", "page-ttl"):
        from pyoxigraph import RdfFormat
        from pyoxigraph import parse

        media = content_type.split(";")[0].strip() or NTRIPLES
        fmt = RdfFormat.from_media_type(media) or RdfFormat.N_TRIPLES
        if body.lstrip().startswith(b"<?xml") and b"<rdf:RDF" in body[:2000]:
            fmt = RdfFormat.RDF_XML  # rdflib-endpoint sends DESCRIBE as RDF/XML labelled sparql-results+xml
        return sum(1 for _ in parse(body, format=fmt, base_iri=BASE))
    if kind == "dump":
        return count_dump(body)
    return None


def count_dump(body: bytes) -> int:
    """N-Quads lines, leaving out our server's own description graph (graph/dataset) and the comment lines
    of its header, which others lack."""
    comments = body.count(b"\n#") + body.startswith(b"#")
    return body.count(b"\n") - body.count(f"<{BASE}graph/dataset> .\n".encode()) - comments


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpClient:
    """A keep-alive HTTP/1.1 connection, re-opened after an error or a timeout."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.last_retry_after: str | None = None

    def get(self, path: str, headers: dict) -> tuple[int, str, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers=headers)
                response = self.conn.getresponse()
                body = response.read()
                self.last_retry_after = response.getheader("Retry-After")
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response.getheader("Content-Type", ""), body
            except TimeoutError:
                self.close()
                raise
            except (
                http.client.RemoteDisconnected,
                ConnectionResetError,
                BrokenPipeError,
                http.client.CannotSendRequest,
                http.client.ResponseNotReady,
            ):
                self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


# ---------------------------------------------------------------- systems


class System:
    name = ""
    label = ""

    def __init__(self, args, root: Path, quads: Path, workdir: Path, sampler: Sampler):
        self.args, self.root, self.quads, self.workdir, self.sampler = args, root, quads, workdir, sampler
        self.process: subprocess.Popen | None = None
        self.load_s: float | None = None
        self.restart_s: float | None = None
        self.stages: dict[str, float] = {}  # our build's stages, in seconds (the "build stages:" line)
        self.excluded: set[str] = set()
        self.notes: list[str] = []
        self.local = threading.local()

    # HTTP systems
    host = "127.0.0.1"
    port = 0

    def client(self) -> HttpClient:
        c = getattr(self.local, "client", None)
        if c is None:
            c = self.local.client = HttpClient(self.host, self.port, self.args.timeout)
        return c

    def sparql_path(self, query: str) -> str:
        raise NotImplementedError

    def supports(self, item: Item) -> bool:
        return True

    def run(self, item: Item, k: int) -> Answer:
        if item.kind == "dump":
            path, headers, kind = self.dump_request()
        elif item.kind.startswith("page") and self.name == "ours":
            accept = "text/html" if item.kind == "page-html" else "text/turtle"
            path, headers, kind = item.path(k), {"Accept": accept}, item.kind
        else:
            kind = "graph" if item.kind != "select" else "select"
            path = self.sparql_path(item.query(k))
            headers = {"Accept": JSON_RESULTS if kind == "select" else NTRIPLES}
        started = time.perf_counter()
        try:
            status, content_type, body = self.client().get(path, headers)
        except TimeoutError:
            return Answer(0, None, time.perf_counter() - started, error="timeout")
        except OSError as exc:
            return Answer(0, None, time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        count = None
        if status == 200:
            try:
                count = count_answer(kind, content_type, body)
            except Exception as exc:  # noqa: BLE001 - reported as a failed answer
                return Answer(status, None, seconds, len(body), error=f"unreadable answer: {exc}")
        return Answer(
            status, count, seconds, len(body), error="" if status == 200 else body[:200].decode(errors="replace")
        )

    def dump_request(self) -> tuple[str, dict, str]:
        raise NotImplementedError

    def wait_http(self, path: str, deadline_s: float) -> None:
        end = time.perf_counter() + deadline_s
        while time.perf_counter() < end:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
                conn.request("GET", path, headers={"Accept": JSON_RESULTS})
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer within {deadline_s} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        c = getattr(self.local, "client", None)
        if c is not None:
            c.close()
            self.local.client = None

    def popen(self, argv: list[str], **kwargs) -> subprocess.Popen:
        stdout = kwargs.pop("stdout", None) or open(self.workdir / f"{self.name}.log", "ab")
        process = subprocess.Popen(
            argv, stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True, cwd=PROJECT, **kwargs
        )
        self.sampler.watch(process.pid)
        return process


def build_stages(line: str) -> dict[str, float]:
    """The seconds of each stage, from our build's "build stages:" line (server/cli/main.py).

    >>> build_stages("build stages: parse and load 3.4 s, validate 12.0 s")
    {'parse and load': 3.4, 'validate': 12.0}
    """
    stages = {}
    for part in line.removeprefix("build stages: ").strip().split(", "):
        name, seconds, _ = part.rsplit(" ", 2)
        stages[name] = float(seconds)
    return stages


class Ours(System):
    name, label = "ours", "our server"

    def start(self) -> float:
        argv = [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--root",
            str(self.root),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--build-dir",
            str(self.workdir / "ours-build"),
            "--query-timeout-s",
            str(self.args.timeout),
            "--log-level",
            "WARNING",
            *self.default_args(),
            *self.store_args(),
            *self.args.ours_arg,
        ]
        started = time.perf_counter()
        self.process = self.popen(argv, stdout=subprocess.PIPE)
        log_file = open(self.workdir / "ours.log", "ab")
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"our server exited with {self.process.wait()}; see {self.workdir / 'ours.log'}")
            log_file.write(line)
            if line.startswith(b"build stages: "):
                self.stages = build_stages(line.decode())
            if line.startswith(b"serving on "):
                url = urllib.parse.urlsplit(line.split()[-1].decode())
                self.port = url.port
                break
        elapsed = time.perf_counter() - started
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: shutil.copyfileobj(self.process.stdout, log_file), daemon=True).start()
        return elapsed

    @staticmethod
    def default_args() -> list[str]:
        """The benchmark is one client address: turn the per-client rate limit off where the server has one.

        The answer cache is off too, so that every system runs every query: the mix repeats its heavy
        queries, which a cache would answer from memory. `--ours-arg=--answer-cache-mb=64` turns it on.
        """
        config = (PROJECT / "server" / "common" / "config.py").read_text(encoding="utf-8")
        args = ["--rate-limit-per-s=0"] if "rate_limit_per_s" in config else []
        return args + (["--answer-cache-mb=0"] if "answer_cache_mb" in config else [])

    def store_args(self) -> list[str]:
        """README's on-disk store (in the build folder), or with --ours-store=memory a copy in each worker."""
        return ["--storage", "memory"] if self.args.ours_store == "memory" else []

    def load(self) -> None:
        shutil.rmtree(self.workdir / "ours-build", ignore_errors=True)
        self.load_s = self.start()

    def restart(self) -> None:
        self.stop()
        self.restart_s = self.start()
        if self.store_args():
            self.notes.append("restart (in memory): the release is found by the sources' fingerprint and "
                              "loaded from its N-Quads dump; nothing is parsed or validated")
        else:
            self.notes.append(
                "restart reopens the on-disk store read-only: the sources' fingerprint is unchanged, "
                "so nothing is parsed, validated or written"
            )

    def sparql_path(self, query: str) -> str:
        return "/sparql?" + urllib.parse.urlencode({"query": query})

    def dump_request(self):
        return "/download/mic-ict-strategy.nq", {}, "dump"


class OxigraphServer(System):
    name, label = "oxigraph", "Oxigraph server"

    def load(self) -> None:
        location = self.workdir / "oxigraph-store"
        shutil.rmtree(location, ignore_errors=True)
        started = time.perf_counter()
        loader = self.popen([self.args.oxigraph, "load", "--location", str(location), "--file", str(self.quads)])
        if loader.wait() != 0:
            raise RuntimeError(f"oxigraph load failed; see {self.workdir / 'oxigraph.log'}")
        self.start()
        self.load_s = time.perf_counter() - started

    def start(self) -> float:
        self.port = free_port()
        started = time.perf_counter()
        self.process = self.popen(
            [
                self.args.oxigraph,
                "serve-read-only",
                "--location",
                str(self.workdir / "oxigraph-store"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
                *(["--timeout-s", str(int(self.args.timeout))] if getattr(self.args, "oxigraph_timeout", True) else []),
            ]
        )
        self.wait_http("/query?" + urllib.parse.urlencode({"query": "ASK {}"}), 600)
        return time.perf_counter() - started

    def restart(self) -> None:
        self.stop()
        self.restart_s = self.start()

    def sparql_path(self, query: str) -> str:
        return "/query?" + urllib.parse.urlencode({"query": query})

    def dump_request(self):
        return "/store", {"Accept": "application/n-quads"}, "dump"


class RdflibEndpoint(System):
    name, label = "rdflib", "rdflib-endpoint"

    def load(self) -> None:
        self.load_s = self.start()
        self.restart_s = self.load_s
        self.notes.append("restart = load: rdflib-endpoint keeps no store and parses the files at every start")

    def start(self) -> float:
        self.port = free_port()
        started = time.perf_counter()
        self.process = self.popen(
            [
                self.args.rdflib_python,
                "-m",
                "rdflib_endpoint",
                "serve",
                str(self.quads),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ]
        )
        self.wait_http("/?" + urllib.parse.urlencode({"query": "ASK {}"}), 3600)
        return time.perf_counter() - started

    def restart(self) -> None:
        self.stop()
        self.start()

    def supports(self, item: Item) -> bool:
        return item.kind != "dump"

    def sparql_path(self, query: str) -> str:
        return "/?" + urllib.parse.urlencode({"query": query})


class InProcess(System):
    """pyoxigraph in a child process of ours, driven over a pipe; timings are taken inside the child."""

    name, label = "pyoxigraph", "pyoxigraph in process"

    def load(self) -> None:
        location = self.workdir / "pyoxigraph-store"
        shutil.rmtree(location, ignore_errors=True)
        self.spawn()
        reply = self.call({"op": "load", "location": str(location), "quads": str(self.quads)})
        self.load_s = reply["seconds"]

    def spawn(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "run.py"), "_pyoxigraph_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
            cwd=PROJECT,
        )
        self.sampler.watch(self.process.pid)
        self.lock = threading.Lock()

    def call(self, message: dict) -> dict:
        with self.lock:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the pyoxigraph child died")
        return json.loads(line)

    def restart(self) -> None:
        self.stop()
        started = time.perf_counter()
        self.spawn()
        reply = self.call({"op": "open", "location": str(self.workdir / "pyoxigraph-store")})
        self.restart_s = time.perf_counter() - started
        self.notes.append(f"restart: process start + Store.read_only + first query ({reply['seconds']:.3f} s inside)")

    def run(self, item: Item, k: int) -> Answer:
        kind = "dump" if item.kind == "dump" else ("select" if item.kind == "select" else "graph")
        reply = self.call({"op": "run", "kind": kind, "query": item.query(k) if item.query else None})
        if "error" in reply:
            return Answer(500, None, reply.get("seconds", 0), error=reply["error"])
        return Answer(200, reply["count"], reply["seconds"], reply["size"])

    def throughput(self, items: list[Item], clients: int, duration: float) -> tuple[int, int]:
        jobs = [
            {"kind": "select" if i.kind == "select" else "graph", "query": [i.query(k) for k in range(20)]}
            for i in items
        ]
        reply = self.call({"op": "throughput", "jobs": jobs, "clients": clients, "duration": duration})
        return reply["done"], reply["failed"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def pyoxigraph_child() -> None:  # pragma: no cover - runs in the child
    """Answer {"op": ...} lines on stdin with one JSON line each on stdout."""
    from concurrent.futures import ThreadPoolExecutor

    from pyoxigraph import QueryResultsFormat
    from pyoxigraph import QuerySolutions
    from pyoxigraph import RdfFormat
    from pyoxigraph import Store
    from pyoxigraph import serialize

    store = None
    out = sys.stdout.buffer

    def answer(kind: str, query: str | None, *, count: bool = True) -> tuple[int, int]:
        """Run and serialise one item (the timed work); count its rows or triples afterwards if asked."""
        if kind == "dump":
            body = store.dump(format=RdfFormat.N_QUADS)
            return count_dump(body), len(body)
        result = store.query(query, use_default_graph_as_union=True)
        if isinstance(result, QuerySolutions):
            body = result.serialize(format=QueryResultsFormat.JSON)
            return (len(json.loads(body)["results"]["bindings"]) if count else 0), len(body)
        body = serialize(result, format=RdfFormat.N_TRIPLES)
        return body.count(b"\n"), len(body)

    for line in sys.stdin.buffer:
        message = json.loads(line)
        op = message["op"]
        started = time.perf_counter()
        reply: dict = {}
        try:
            if op == "load":
                store = Store(message["location"])
                store.bulk_load(path=message["quads"], format=RdfFormat.N_QUADS)
                store.optimize()
            elif op == "open":
                store = Store.read_only(message["location"])
                answer("select", "ASK { ?s ?p ?o }")
            elif op == "run":
                reply["count"], reply["size"] = answer(message["kind"], message["query"])
            elif op == "throughput":
                stop_at = time.perf_counter() + message["duration"]
                jobs = message["jobs"]

                def client(c: int, stop_at: float = stop_at, jobs: list = jobs) -> tuple[int, int]:
                    done = failed = 0
                    n = c
                    while time.perf_counter() < stop_at:
                        job = jobs[n % len(jobs)]
                        try:
                            answer(job["kind"], job["query"][(n // len(jobs)) % len(job["query"])], count=False)
                            done += 1
                        except Exception:  # noqa: BLE001
                            failed += 1
                        n += 1
                    return done, failed

                with ThreadPoolExecutor(message["clients"]) as pool:
                    results = list(pool.map(client, range(message["clients"])))
                reply["done"] = sum(r[0] for r in results)
                reply["failed"] = sum(r[1] for r in results)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply["error"] = f"{type(exc).__name__}: {exc}"
        reply["seconds"] = time.perf_counter() - started
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()


# ---------------------------------------------------------------- the run


@dataclass
class Results:
    latencies: dict = field(default_factory=dict)  # (system, item) -> [seconds]
    counts: dict = field(default_factory=dict)  # (system, item, k) -> count
    failures: dict = field(default_factory=dict)  # (system, item) -> [error]
    throughput: dict = field(default_factory=dict)  # (system, clients) -> queries/s
    memory: dict = field(default_factory=dict)  # system -> peak bytes
    ready_memory: dict = field(default_factory=dict)  # system -> (RSS, PSS) of the tree when ready, bytes


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def measure_latency(systems: list[System], items: list[Item], reps: int, results: Results) -> None:
    """Every item `reps` times on every system, the systems' order rotated each time (round-robin)."""
    for k in range(reps + 1):  # k = 0 is a warm-up, not recorded
        for i, item in enumerate(items):
            order = systems[(k + i) % len(systems) :] + systems[: (k + i) % len(systems)]
            for system in order:
                if not system.supports(item) or item.name in system.excluded:
                    continue
                answer = system.run(item, k)
                ok = answer.status == 200 and not answer.error
                if not ok:
                    results.failures.setdefault((system.name, item.name), []).append(answer.error or str(answer.status))
                    if answer.error == "timeout":
                        log(f"{system.name}: {item.name} timed out after {system.args.timeout} s; not sent again")
                        system.excluded.add(item.name)
                        system.restart()
                    continue
                results.counts[(system.name, item.name, k)] = answer.count
                if k > 0:
                    results.latencies.setdefault((system.name, item.name), []).append(answer.seconds)
        log(f"round {k}/{reps} done")


def measure_throughput(system: System, items: list[Item], clients: int, duration: float) -> tuple[float, int]:
    usable = [
        item for item in items if item.in_throughput and system.supports(item) and item.name not in system.excluded
    ]
    if isinstance(system, InProcess):
        done, failed = system.throughput(usable, clients, duration)
        return done / duration, failed
    stop_at = time.perf_counter() + duration
    totals = [0, 0]
    lock = threading.Lock()

    def client(c: int) -> None:
        done = failed = 0
        n = c * 3
        while time.perf_counter() < stop_at:
            item = usable[n % len(usable)]
            answer = system.run(item, 1 + n // len(usable))
            if answer.status == 200 and not answer.error:
                done += 1
            else:
                failed += 1
            n += 1
        with lock:
            totals[0] += done
            totals[1] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return totals[0] / (time.perf_counter() - started), totals[1]


def check_counts(systems: list[System], items: list[Item], reps: int, results: Results) -> list[str]:
    problems = []
    for item in items:
        if item.kind == "page-html":
            continue
        for k in range(reps + 1):
            seen = {
                s.name: results.counts.get((s.name, item.name, k))
                for s in systems
                if (s.name, item.name, k) in results.counts
            }
            if item.kind == "page-ttl":
                seen.pop("ours", None)  # our page is the description plus labels of its terms: not a query answer
            if len(set(seen.values())) > 1:
                problems.append(f"{item.name} (rep {k}): counts differ: {seen}")
    return problems


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "–"
    return f"{value / base:.2f}×"


def report(
    args, summary: dict, systems: list[System], items: list[Item], results: Results, problems: list[str], elapsed: float
) -> str:
    names = [s.name for s in systems]
    labels = {s.name: s.label for s in systems}
    base = "oxigraph" if "oxigraph" in names else names[0]
    lines = [
        f"### {args.quads:,} quads ({summary['triples_generated']:,} generated + the bundled graph; seed "
        f"{args.seed}), {args.reps} reps, {os.cpu_count()} cores",
        "",
        "Latency in ms, median / p95; ratio = median ÷ the Oxigraph server's median.",
        "",
    ]
    head = "| query | rows | " + " | ".join(f"{labels[n]}" + ("" if n == base else " | ×") for n in names) + " |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    medians: dict[str, list[float]] = {n: [] for n in names}
    common = []
    for item in items:
        row = [item.name]
        counts = {results.counts.get((n, item.name, 1)) for n in names if n != "ours" or item.kind != "page-ttl"}
        counts.discard(None)
        row.append("/".join(str(c) for c in sorted(counts)) if item.kind != "page-html" else "html")
        base_values = results.latencies.get((base, item.name))
        base_median = statistics.median(base_values) if base_values else None
        all_have = True
        for n in names:
            values = results.latencies.get((n, item.name))
            system = next(s for s in systems if s.name == n)
            if not values:
                if not system.supports(item):
                    cell = "n/a"
                elif item.name in system.excluded:
                    cell = f"timeout (>{args.timeout:g} s)"
                else:
                    cell = "failed"
                all_have = False
                row.append(cell)
                if n != base:
                    row.append("–")
                continue
            median = statistics.median(values)
            row.append(f"{ms(median)} / {ms(pct(values, 0.95))}")
            if n != base:
                row.append(ratio(median, base_median))
        if all_have and item.kind not in ("dump",):
            common.append(item.name)
        lines.append("| " + " | ".join(row) + " |")
    # Summary over the SPARQL/page items every system answered.
    for n in names:
        for name in common:
            medians[n].append(statistics.median(results.latencies[(n, name)]))
    geo = {n: math.exp(statistics.mean(math.log(v) for v in medians[n])) if medians[n] else None for n in names}
    row = ["**mix: geometric mean of medians**", f"{len(common)} items"]
    for n in names:
        row.append(f"**{ms(geo[n])}**")
        if n != base:
            row.append(f"**{ratio(geo[n], geo[base])}**")
    lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "| measure | " + " | ".join(labels[n] + ("" if n == base else " | ×") for n in names) + " |",
        "|" + "---|" * (1 + len(names) * 2 - 1),
    ]

    def measure(title: str, values: dict, fmt, higher_better: bool = False):
        row = [title]
        for n in names:
            v = values.get(n)
            row.append(fmt(v) if v is not None else "–")
            if n != base:
                row.append(ratio(v, values.get(base)))
        lines.append("| " + " | ".join(row) + " |")

    for clients in args.clients:
        measure(
            f"throughput, {clients} client{'s' if clients > 1 else ''} (answers/s)",
            {n: results.throughput.get((n, clients)) for n in names},
            lambda v: f"{v:.1f}",
        )
    measure("load (s)", {s.name: s.load_s for s in systems}, lambda v: f"{v:.1f}")
    for system in systems:
        if system.stages:  # our build, stage by stage (Ours.load records the first build's)
            for stage, seconds in system.stages.items():
                measure(f"load: {stage} (s)", {system.name: seconds, base: None}, lambda v: f"{v:.1f}")
    measure("restart on the existing store (s)", {s.name: s.restart_s for s in systems}, lambda v: f"{v:.2f}")
    measure("peak memory, process tree (MB)", {n: results.memory.get(n) for n in names}, lambda v: f"{v / 1e6:.0f}")
    ready = results.ready_memory
    measure("memory when ready, RSS of the tree (MB)", {n: ready.get(n, (None,))[0] for n in names},
            lambda v: f"{v / 1e6:.0f}")
    measure("memory when ready, PSS of the tree (MB)", {n: ready.get(n, (None, None))[1] for n in names},
            lambda v: f"{v / 1e6:.0f}")
    lines.append("")
    notes = []
    for s in systems:
        if s.excluded:
            notes.append(
                f"{s.label}: timed out (> {args.timeout:g} s) on {', '.join(sorted(s.excluded))}; "
                "those queries are left out of its throughput mix."
            )
        notes += [f"{s.label}: {note}" for note in dict.fromkeys(s.notes)]
    notes += [f"check: {p}" for p in problems] or [
        "count check: every system gave the same count for every answer (status 200 throughout)."
    ]
    notes.append(
        f"Throughput: {args.duration:g} s per system and client count, over the mix without the dump; "
        "page items ask for a different resource each time. pyoxigraph is timed inside its process."
    )
    notes.append(
        f"Our server: {args.server_version}, flags {' '.join(Ours.default_args() + args.ours_arg) or 'none'}; "
        f"run took {elapsed / 60:.1f} min."
    )
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def server_version() -> str:
    """The commit our server was run from, and whether server/ had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "server"], cwd=PROJECT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {commit}" + (" with uncommitted changes in server/" if dirty else "")


def oxigraph_cli() -> str:
    """The oxigraph CLI on PATH, else the one pip installed beside this Python (a venv not activated)."""
    beside = Path(sys.executable).parent / "oxigraph"
    return shutil.which("oxigraph") or (str(beside) if beside.exists() else "oxigraph")


def has_rdflib_endpoint(python: str) -> bool:
    return subprocess.run([python, "-c", "import rdflib_endpoint"], capture_output=True).returncode == 0


SYSTEMS = {"ours": Ours, "oxigraph": OxigraphServer, "pyoxigraph": InProcess, "rdflib": RdflibEndpoint}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_pyoxigraph_child"]:
        pyoxigraph_child()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="generated triples: 10000, 100000, 1000000...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions of each item per system (default 7)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-query timeout in seconds (default 10)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per throughput measurement")
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8])
    parser.add_argument(
        "--systems",
        default="ours,oxigraph,pyoxigraph,rdflib",
        help="comma-separated subset of " + ",".join(SYSTEMS) + " (rdflib is skipped if rdflib-endpoint is missing)",
    )
    parser.add_argument("--regenerate", action="store_true", help="generate the data again even if cached")
    parser.add_argument(
        "--out", type=Path, default=BENCH, help="folder for _data/ and _runs/ (default bench/)"
    )
    parser.add_argument("--oxigraph", default=oxigraph_cli(), help="the oxigraph CLI (pip install oxigraph)")
    default_rdflib = BENCH / ".venv" / "bin" / "python"
    parser.add_argument(
        "--rdflib-python",
        default=str(default_rdflib if default_rdflib.exists() else sys.executable),
        help="a python with rdflib-endpoint installed",
    )
    parser.add_argument(
        "--ours-store",
        choices=["disk", "memory"],
        default="disk",
        help="our server's store: on disk, shared by the query workers (README's default), or a copy in each "
        "worker's memory (--storage memory)",
    )
    parser.add_argument(
        "--ours-arg",
        action="append",
        default=[],
        help="extra flag for `python -m server serve` (repeatable), e.g. --ours-arg=--workers=2",
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    args.server_version = server_version()
    names = args.systems.split(",")
    if "rdflib" in names and not has_rdflib_endpoint(args.rdflib_python):
        log(f"rdflib-endpoint is not installed for {args.rdflib_python}: leaving it out (see bench/README.md)")
        names.remove("rdflib")
    started = time.perf_counter()

    root, summary = prepare_data(args.triples, args.seed, regenerate=args.regenerate, out=args.out)
    quads = root / "_bench" / "quads.nq"
    with quads.open("rb") as handle:
        args.quads = sum(1 for _ in handle)
    sizes = data_sizes(root)
    items = mix(summary["sample"], sizes)
    workdir = args.out / "_runs" / size_name(args.triples)
    workdir.mkdir(parents=True, exist_ok=True)
    results = Results()
    systems: list[System] = []
    try:
        for name in names:
            sampler = Sampler()
            system = SYSTEMS[name](args, root, quads, workdir, sampler)
            system.sampler = sampler
            log(f"{system.label}: loading")
            system.load()
            log(f"{system.label}: loaded in {system.load_s:.1f} s")
            if name != "rdflib":
                system.restart()
                log(f"{system.label}: restarted in {system.restart_s:.2f} s")
            systems.append(system)
        time.sleep(2)  # our query workers join the pool after the first one is ready
        for system in systems:
            results.ready_memory[system.name] = (
                system.sampler.tree(proportional=False), system.sampler.tree(proportional=True)
            )
        measure_latency(systems, items, args.reps, results)
        for system in systems:
            for clients in args.clients:
                rate, failed = measure_throughput(system, items, clients, args.duration)
                results.throughput[(system.name, clients)] = rate
                log(f"{system.label}: {rate:.1f} answers/s with {clients} client(s), {failed} failed")
                if failed and isinstance(system, RdflibEndpoint):
                    system.restart()
    finally:
        for system in systems:
            system.stop()
            system.sampler.stop()
            results.memory[system.name] = system.sampler.peak
    problems = check_counts(systems, items, args.reps, results) + [
        f"{system} {item}: {len(errors)} failed answer(s): {errors[0][:160]}"
        for (system, item), errors in sorted(results.failures.items())
        if any(e != "timeout" for e in errors)
    ]
    text = report(args, summary, systems, items, results, problems, time.perf_counter() - started)
    print(text)
    (workdir / "results.md").write_text(text, encoding="utf-8")
    (workdir / "results.json").write_text(
        json.dumps(
            {
                "args": {k: v for k, v in vars(args).items()},
                "latencies": {f"{s}/{i}": v for (s, i), v in results.latencies.items()},
                "throughput": {f"{s}/{c}": v for (s, c), v in results.throughput.items()},
                "load_s": {s.name: s.load_s for s in systems},
                "restart_s": {s.name: s.restart_s for s in systems},
                "memory": results.memory,
                "ready_memory": results.ready_memory,
                "problems": problems,
            },
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
