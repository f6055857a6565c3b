"""Many clients at once, with and without a runaway query: statuses and latency percentiles.

Starts the server on the bundled graph (rate limit off, so that one machine's
32 clients are not mistaken for a flood), then runs phases of `--clients`
concurrent clients doing a mixed read workload for `--seconds` each:

- idle: the workload alone;
- runaway: the same while a query that cannot finish runs to its deadline.

Phases alternate `--rounds` times to resist machine noise. It prints, per
phase, the requests made, their statuses, and p50/p95/p99 latency, then the
ratio of p99 under a runaway to idle p99, and the count of 5xx answers.

    python bench/load.py --clients 32 --seconds 10 --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://mic-ict.example.org/"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
WORKLOAD = [
    ("/sparql", {"query": "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(?label, 'G7')) }"}, None),
    ("/sparql", {"query": "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)"}, None),
    ("/sparql", {"query": f"DESCRIBE <{BASE}id/organization/mic>"}, None),
    ("/sparql", {"query": "ASK { ?s ?p ?o }", "format": "xml"}, None),
    ("/id/organization/mic", {}, "text/turtle"),
    ("/id/event/g7-digital-tech-ministers-meeting-2023", {}, "text/html"),
    ("/id/fund/beyond-5g.jsonld", {}, None),
    ("/.well-known/void", {}, None),
    ("/download/index.json", {}, None),
]


def start_server(build_dir: Path, timeout_s: float, *, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """`python -m server serve` of the checkout at `root` (its own code and data), rate limit off."""
    command = [
        sys.executable, "-m", "server", "serve", "--port", "0", "--build-dir", str(build_dir),
        "--rate-limit-per-s", "0", "--query-timeout-s", str(timeout_s), "--log-level", "WARNING",
    ]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if line.startswith("serving on "):
            return process, line.split()[-1].rstrip("/")
    raise SystemExit("the server did not start")


def run_phase(url: str, clients: int, seconds: float) -> tuple[list[float], Counter]:
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        step = index
        while time.monotonic() < deadline:
            path, params, accept = WORKLOAD[step % len(WORKLOAD)]
            step += 1
            headers = {"Accept": accept} if accept else {}
            started = time.perf_counter()
            try:
                status = session.get(url + path, params=params, headers=headers, timeout=60).status_code
            except requests.RequestException:
                status = 599
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    deadline = args.seconds + 5  # the runaway outlives every phase
    with tempfile.TemporaryDirectory() as build:
        process, url = start_server(Path(build), deadline)
        try:
            results: dict[str, tuple[list[float], Counter]] = {"idle": ([], Counter()), "runaway": ([], Counter())}
            for _ in range(args.rounds):
                for phase in ("idle", "runaway"):
                    runaway = None
                    if phase == "runaway":
                        runaway = threading.Thread(
                            target=lambda: requests.get(url + "/sparql", params={"query": RUNAWAY}, timeout=120)
                        )
                        runaway.start()
                        time.sleep(1.5)  # past the demotion of a long query
                    latencies, statuses = run_phase(url, args.clients, args.seconds)
                    results[phase][0].extend(latencies)
                    results[phase][1].update(statuses)
                    if runaway:
                        runaway.join()
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"{args.clients} clients, {args.seconds:g} s a phase, {args.rounds} rounds, mixed read workload\n")
    print("| phase | requests | statuses | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    p99 = {}
    for phase, (latencies, statuses) in results.items():
        p99[phase] = percentile(latencies, 99)
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        print(
            f"| {phase} | {len(latencies)} | {shown} | {percentile(latencies, 50) * 1000:.1f} | "
            f"{percentile(latencies, 95) * 1000:.1f} | {p99[phase] * 1000:.1f} |"
        )
    errors = sum(n for phase in results.values() for status, n in phase[1].items() if status >= 500)
    print(f"\np99 with a runaway / idle p99: {p99['runaway'] / p99['idle']:.2f} (target: at most 2)")
    print(f"5xx answers: {errors} (target: 0)")


if __name__ == "__main__":
    main()
