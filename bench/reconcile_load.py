"""A cheap page while 8 clients send the largest reconciliation requests: does the server keep answering?

Starts `python -m server serve` of a checkout (`--root`, default this one; its own
code and data, rate limit off so that one machine's clients count as many), then:

1. idle: times `GET /` every `--interval` seconds for `--seconds`;
2. loaded: the same while `--clients` clients each send, back to back, one kind of
   maximal reconciliation request (half of them each kind):

   - ``extend``: data extension of every resource of the graph (up to 500 ids) by
     the graph's predicates repeated until the JSON body is about 100 KB;
   - ``properties``: a batch of 500 queries with only a property constraint
     (``rdfs:label``), each with as many values as fill about 100 KB;

   with `--size caps`, each request is instead the largest this checkout's
   /reconcile accepts (server/web/reconcile.py's caps), so it is answered, not refused.

It prints p50, p99 and the slowest `GET /` of each phase, and the statuses and
median time of the reconciliation answers. Run it on two checkouts to compare:

    python3 bench/reconcile_load.py                         # this checkout
    python3 bench/reconcile_load.py --root /tmp/main-copy   # e.g. `git archive main | tar -x -C /tmp/main-copy`
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from load import ROOT
from load import percentile
from load import start_server

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
BODY_BYTES = 98_000  # the "~100 KB request", under the default 100,000-byte body cap
QUERIES = 500  # the batch size main accepts


def select(url: str, query: str) -> list[str]:
    accept = {"Accept": "application/sparql-results+json"}
    response = requests.get(url + "/sparql", params={"query": query}, headers=accept, timeout=60)
    response.raise_for_status()
    return [next(iter(row.values()))["value"] for row in response.json()["results"]["bindings"]]


def fill(make, items: list, *, cycle: bool = True) -> dict:
    """The largest `make(chosen)` whose JSON stays under BODY_BYTES, `chosen` the first n of `items`
    (repeated in turn if `cycle`)."""
    def first(n: int) -> list:
        return list(itertools.islice(itertools.cycle(items) if cycle else items, n))

    low, high = 1, 100_000 if cycle else len(items)
    while low < high:
        middle = (low + high + 1) // 2
        if len(json.dumps(make(first(middle)))) <= BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    return make(first(low))


def requests_of(url: str, size: str) -> dict[str, dict]:
    """The JSON body of each kind of request."""
    ids = select(url, "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), '/id/')) } ORDER BY ?s LIMIT 500")
    predicates = select(url, "SELECT DISTINCT ?p WHERE { ?s ?p ?o } ORDER BY ?p")
    labels = select(url, "SELECT DISTINCT ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l LIMIT 400")
    if size == "caps":
        from server.web.reconcile import CELLS_PER_WORK
        from server.web.reconcile import MAX_QUERIES
        from server.web.reconcile import MAX_VALUES
        from server.web.reconcile import MAX_WORK
        from server.web.reconcile import SCAN_WORK

        ids = ids[:MAX_QUERIES]
        width = MAX_WORK * CELLS_PER_WORK // len(ids)
        extend = {"ids": ids, "properties": [{"id": p} for p in itertools.islice(itertools.cycle(predicates), width)]}
        count = MAX_WORK // (1 + SCAN_WORK)

        def batch(values: list[str]) -> dict:
            return {"queries": {f"q{i}": {"properties": [{"pid": RDFS_LABEL, "v": values}]} for i in range(count)}}

        return {"extend": {"extend": extend}, "properties": fill(batch, labels[:MAX_VALUES], cycle=False)}
    extend = fill(lambda chosen: {"extend": {"ids": ids, "properties": [{"id": p} for p in chosen]}}, predicates)

    def batch(values: list[str]) -> dict:
        share = max(1, len(values) // QUERIES)
        return {"queries": {f"q{i}": {"properties": [{"pid": RDFS_LABEL, "v": values[i * share:(i + 1) * share]}]}
                            for i in range(QUERIES)}}

    return {"extend": extend, "properties": fill(batch, labels)}


def probe(url: str, stop: threading.Event, interval: float) -> list[float]:
    times = []
    session = requests.Session()
    while not stop.is_set():
        started = time.perf_counter()
        session.get(url + "/", timeout=600).raise_for_status()
        times.append(time.perf_counter() - started)
        stop.wait(interval)
    return times


def run_phase(url: str, bodies: dict[str, dict], clients: int, args, answers: dict, statuses: Counter) -> list[float]:
    """Probe `GET /` for `args.seconds` while `clients` clients send `bodies` (none: idle); the probe times."""
    stop = threading.Event()

    def client(kind: str) -> None:
        session = requests.Session()
        while not stop.is_set():
            started = time.perf_counter()
            status = session.post(url + "/reconcile", json=bodies[kind], timeout=600).status_code
            answers[kind].append(time.perf_counter() - started)
            statuses[(kind, status)] += 1

    threads = [threading.Thread(target=client, args=(kind,))
               for kind in itertools.islice(itertools.cycle(bodies), clients)]
    for thread in threads:
        thread.start()
    times: list[float] = []
    prober = threading.Thread(target=lambda: times.extend(probe(url, stop, args.interval)))
    prober.start()
    time.sleep(args.seconds)
    stop.set()
    prober.join()
    for thread in threads:
        thread.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--size", choices=("issue", "caps"), default="issue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as build:
        process, url = start_server(Path(build), 30.0, root=args.root)
        try:
            bodies = requests_of(url, args.size)
            sizes = {kind: len(json.dumps(body)) for kind, body in bodies.items()}
            answers: dict[str, list[float]] = {kind: [] for kind in bodies}
            statuses: Counter = Counter()
            phases = {phase: run_phase(url, bodies, clients, args, answers, statuses)
                      for phase, clients in (("idle", 0), ("loaded", args.clients))}
        finally:
            process.terminate()
            process.wait(timeout=60)
    print(f"checkout {args.root}; {args.clients} clients of {args.size}-size reconciliation requests "
          f"({', '.join(f'{kind} {n / 1000:.0f} KB' for kind, n in sizes.items())}), {args.seconds:g} s a phase\n")
    print("| GET / | probes | p50 ms | p99 ms | slowest ms |")
    print("|---|---|---|---|---|")
    for phase, times in phases.items():
        print(f"| {phase} | {len(times)} | {percentile(times, 50) * 1000:.1f} | {percentile(times, 99) * 1000:.1f} | "
              f"{max(times) * 1000:.1f} |")
    print("\n| reconciliation request | answers | statuses | median s |")
    print("|---|---|---|---|")
    for kind, times in answers.items():
        shown = ", ".join(f"{status}: {n}" for (k, status), n in sorted(statuses.items()) if k == kind)
        median = statistics.median(times) if times else float("nan")
        print(f"| {kind} | {len(times)} | {shown} | {median:.2f} |")


if __name__ == "__main__":
    main()
