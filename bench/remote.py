"""Remote mode's overhead: the same queries sent to an Oxigraph server directly and through our app.

Starts `oxigraph serve` on a temporary location, publishes the bundled graph (or
`--root` a generated one, see generate.py) into it, starts one app in remote
mode, then sends each query of a fixed mix `--repeat` times to both, interleaved,
and prints per query the median latency of each and their ratio. Both read the
same dataset: the app names the release's graphs in the protocol's dataset
parameters (server/engine/remote.py), and so do the direct requests.

    python3 bench/remote.py --repeat 50
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://mic-ict.example.org/"
MIX = {
    "lookup": f"SELECT ?p ?o WHERE {{ <{BASE}id/organization/mic> ?p ?o }}",
    "describe": f"DESCRIBE <{BASE}id/fund/beyond-5g>",
    "label search": "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
    "FILTER(CONTAINS(LCASE(?l), 'digital')) }",
    "aggregate": "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)",
    "graph provenance": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "construct": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p <{BASE}id/organization/mic> . ?s ?p ?o }}",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def oxigraph_command() -> str:
    """The `oxigraph` installed with this Python's packages (no PATH needed), else the one on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else "oxigraph"


def release_dataset(query_url: str) -> list[tuple[str, str]]:
    """The dataset parameters an app sends: the merge as default graph, each release graph as a named graph."""
    namespace = BASE + "graph/"
    response = requests.post(query_url, data={"query": "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"},
                             headers={"Accept": "application/sparql-results+json"}, timeout=60)
    rows = response.json()["results"]["bindings"]
    graphs = sorted(row["g"]["value"] for row in rows if row["g"]["value"].startswith(namespace))
    return [("default-graph-uri", namespace)] + [("named-graph-uri", g) for g in graphs if g != namespace]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        engine_url = f"http://127.0.0.1:{free_port()}"
        engine = subprocess.Popen(
            [oxigraph_command(), "serve", "--location", str(work / "db"), "--bind", engine_url.removeprefix("http://")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        app = None
        try:
            for _ in range(100):
                try:
                    requests.get(engine_url + "/query", params={"query": "ASK {}"}, timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            common = ["--root", str(args.root), "--build-dir", str(work / "build")]
            subprocess.run(
                [sys.executable, "-m", "server", "publish", *common, "--log-level", "WARNING",
                 "--engine-update-url", engine_url + "/update", "--engine-store-url", engine_url + "/store"],
                cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
            )
            app = subprocess.Popen(
                [sys.executable, "-m", "server", "serve", *common, "--port", "0", "--rate-limit-per-s", "0",
                 "--engine-url", engine_url + "/query", "--log-level", "WARNING"],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            app_url = next(line.split()[-1].rstrip("/") for line in app.stdout if line.startswith("serving on"))
            targets = {"oxigraph": engine_url + "/query", "ours": app_url + "/sparql"}
            dataset = {"oxigraph": release_dataset(engine_url + "/query"), "ours": []}
            session = requests.Session()
            timings: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.repeat):
                for name, query in MIX.items():
                    for system, url in targets.items():
                        started = time.perf_counter()
                        response = session.post(url, data=[("query", query), *dataset[system]], timeout=60,
                                                headers={"Accept": "application/sparql-results+json, text/turtle"})
                        elapsed = time.perf_counter() - started
                        assert response.status_code == 200, (system, name, response.text[:200])
                        timings.setdefault((system, name), []).append(elapsed)
        finally:
            if app is not None:
                app.terminate()
                app.wait(timeout=10)
            engine.terminate()
            engine.wait(timeout=10)
    print(f"{args.repeat} runs per query, interleaved; median latency in ms\n")
    print("| query | Oxigraph server | ours (remote mode) | ratio |")
    print("|---|---|---|---|")
    ratios = []
    for name in MIX:
        direct = statistics.median(timings[("oxigraph", name)]) * 1000
        ours = statistics.median(timings[("ours", name)]) * 1000
        ratios.append(ours / direct)
        print(f"| {name} | {direct:.2f} | {ours:.2f} | {ours / direct:.2f} |")
    print(f"\ngeometric mean of the ratios: {statistics.geometric_mean(ratios):.2f}")


if __name__ == "__main__":
    main()
