"""Cheap requests while heavy queries run: our server beside the Oxigraph server, on the bench data.

    python3 bench/starvation.py --triples 100000

Starts our server with the settings a user gets from README's command (the answer cache on, the rate
limit off because the bench is one client address; `--ours-store memory` for `--storage memory`) and the
Oxigraph server (`serve-read-only --union-default-graph`, no `--timeout-s`: see main()) on the data of
bench/run.py. For 0, 8 and 16 heavy queries (`--heavy`), each system in turn: the heavy queries are sent
at once, each a different cross product that runs past any deadline, and for `--duration` seconds
meanwhile `--clients` clients send cheap requests back to back:

    page-html, page-ttl   our resource pages (a different resource each time)
    cached                one SELECT whose answer is in our answer cache
    service               the service description (GET /sparql, Turtle)
    lookup                all properties of a person (SELECT ?p ?o; a different person each time: a worker)
    describe              the Oxigraph server: the CONSTRUCT our page-ttl runs (a different resource each time)

It prints the p50 / p99 / slowest of each kind of cheap request, their statuses, and the time at which
each heavy query got its answer (503 at its deadline, or 503 with Retry-After at once when the queue is
full) with its message. The Oxigraph server is restarted after each phase with heavy queries: its
--timeout-s does not stop these, and they run on after their clients have given up. Nothing is asserted:
it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from generate import size_name  # noqa: E402
from run import JSON_RESULTS  # noqa: E402
from run import HttpClient  # noqa: E402
from run import Ours  # noqa: E402
from run import OxigraphServer  # noqa: E402
from run import Sampler  # noqa: E402
from run import data_sizes  # noqa: E402
from run import log  # noqa: E402
from run import mix  # noqa: E402
from run import oxigraph_cli  # noqa: E402
from run import pct  # noqa: E402
from run import prepare_data  # noqa: E402

# A cross product of every triple, three ways: runs far past any deadline in ~0.2 GB (five ways took 0.5 GB
# a query, and the Oxigraph server, whose --timeout-s does not stop it, ran out of memory with 24 of them);
# `# n` makes each text its own.
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }} # heavy {n}"
CACHED = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 20"


def cheap_requests(system, items: dict) -> list[tuple[str, callable]]:
    """(kind, k -> (path, headers)) of the cheap requests this system is sent."""

    def sparql(query: str, accept: str = JSON_RESULTS) -> tuple[str, dict]:
        return system.sparql_path(query), {"Accept": accept}

    lookup = ("lookup", lambda k: sparql(items["properties"].query(k)))
    if system.name == "oxigraph":
        return [lookup, ("describe", lambda k: sparql(items["page-ttl"].query(k), "application/n-triples"))]
    return [
        ("page-html", lambda k: (items["page-html"].path(k), {"Accept": "text/html"})),
        ("page-ttl", lambda k: (items["page-ttl"].path(k), {"Accept": "text/turtle"})),
        ("cached", lambda k: sparql(CACHED)),
        ("service", lambda k: ("/sparql", {"Accept": "text/turtle"})),
        lookup,
    ]


def phase(system, items: dict, heavy: int, args) -> dict:
    """Send `heavy` heavy queries at once and cheap requests for args.duration s; their timings."""
    kinds = cheap_requests(system, items)
    latencies: dict[str, list[float]] = {kind: [] for kind, _ in kinds}
    statuses: dict[str, dict[int, int]] = {kind: {} for kind, _ in kinds}
    heavy_answers: list[dict] = []
    lock = threading.Lock()
    # The runs before must have ended: wait until a lookup is answered at once.
    probe = HttpClient(system.host, system.port, 60)
    path, headers = kinds[-1][1](0) if system.name == "ours" else kinds[0][1](0)
    for _ in range(300):
        status, _, _ = probe.get(path, headers)
        if status == 200:
            break
        time.sleep(0.2)
    probe.close()

    def heavy_client(n: int) -> None:
        client = HttpClient(system.host, system.port, args.deadline + 10)
        started = time.perf_counter()
        try:
            status, _, body = client.get(system.sparql_path(HEAVY.format(n=n)), {"Accept": JSON_RESULTS})
            retry_after = client.last_retry_after
        except OSError as exc:
            status, body, retry_after = 0, str(exc).encode(), None
        finally:
            client.close()
        seconds = time.perf_counter() - started
        with lock:
            heavy_answers.append(
                {"status": status, "seconds": seconds, "retry_after": retry_after, "message": message_of(body)}
            )

    def cheap_client(c: int, stop_at: float) -> None:
        client = HttpClient(system.host, system.port, 60)
        k = c * 1000
        while time.perf_counter() < stop_at:
            kind, request = kinds[k % len(kinds)]
            path, headers = request(k)
            started = time.perf_counter()
            try:
                status, _, _ = client.get(path, headers)
            except OSError:
                status = 0
            seconds = time.perf_counter() - started
            with lock:
                latencies[kind].append(seconds)
                statuses[kind][status] = statuses[kind].get(status, 0) + 1
            k += 1
        client.close()

    heavy_threads = [threading.Thread(target=heavy_client, args=(n + 1000 * heavy,)) for n in range(heavy)]
    for thread in heavy_threads:
        thread.start()
    time.sleep(0.5 if heavy else 0)  # the heavy queries are running (or refused) when sampling starts
    stop_at = time.perf_counter() + args.duration
    cheap = [threading.Thread(target=cheap_client, args=(c, stop_at)) for c in range(args.clients)]
    for thread in cheap:
        thread.start()
    for thread in cheap + heavy_threads:
        thread.join()
    return {"latencies": latencies, "statuses": statuses, "heavy": sorted(heavy_answers, key=lambda a: a["seconds"])}


def message_of(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        text = json.loads(text).get("error", text)
    except (ValueError, AttributeError):
        pass
    return " ".join(text.split())[:120]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def report(results: dict, args, load: tuple) -> str:
    lines = [
        f"### Cheap requests while heavy queries run: {args.triples:,} triples, {args.duration:g} s per phase, "
        f"{args.clients} cheap clients, {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} "
        "(start / end)",
        "",
        "| system | heavy queries | request | answered | p50 ms | p99 ms | slowest ms | statuses |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (name, heavy), result in results.items():
        for kind, values in result["latencies"].items():
            if not values:
                continue
            statuses = ", ".join(f"{s}: {n}" for s, n in sorted(result["statuses"][kind].items()))
            lines.append(
                f"| {name} | {heavy} | {kind} | {len(values)} | {ms(statistics.median(values))} | "
                f"{ms(pct(values, 0.99))} | {ms(max(values))} | {statuses} |"
            )
    lines += ["", "| system | heavy queries | each heavy query's answer: status after s (Retry-After) | message |",
              "|---|---|---|---|"]
    for (name, heavy), result in results.items():
        if not heavy:
            continue
        groups: dict[tuple, list[float]] = {}
        for answer in result["heavy"]:
            key = (answer["status"], answer["retry_after"], answer["message"])
            groups.setdefault(key, []).append(answer["seconds"])
        for (status, retry_after, message), times in groups.items():
            when = ", ".join(f"{t:.2f}" for t in times) if len(times) <= 4 else (
                f"{len(times)} between {min(times):.2f} and {max(times):.2f}")
            retry = f" (Retry-After {retry_after})" if retry_after else ""
            lines.append(f"| {name} | {heavy} | {status} after {when} s{retry} | {message} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--heavy", type=lambda s: [int(x) for x in s.split(",")], default=[0, 8, 16])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of cheap requests per phase")
    parser.add_argument("--clients", type=int, default=2, help="cheap clients sending back to back")
    parser.add_argument("--deadline", type=float, default=None, help="our --query-timeout-s; default: the server's")
    parser.add_argument("--systems", default="ours,oxigraph")
    parser.add_argument("--ours-store", choices=["disk", "memory"], default="disk")
    parser.add_argument("--ours-arg", action="append", default=[])
    parser.add_argument("--out", type=Path, default=BENCH)
    parser.add_argument("--oxigraph", default=oxigraph_cli())
    args = parser.parse_args(argv)
    if args.deadline is None:
        sys.path.insert(0, str(BENCH.parent))
        from server.common.config import Config

        args.deadline = Config().query_timeout_s
    args.timeout = args.deadline  # what run.py's systems read
    # The Oxigraph server's --timeout-s starts a thread per query that lives as long as the timeout: with
    # cheap requests back to back it ran out of threads and stopped ("thread spawn error"). It runs without.
    args.oxigraph_timeout = False
    args.ours_arg = ["--answer-cache-mb=64", *args.ours_arg]  # README's default: the cache on
    root, summary = prepare_data(args.triples, args.seed, regenerate=False, out=args.out.resolve())
    items = {item.name: item for item in mix(summary["sample"], data_sizes(root))}
    workdir = args.out.resolve() / "_runs" / size_name(args.triples) / "starvation"
    workdir.mkdir(parents=True, exist_ok=True)
    quads = root / "_bench" / "quads.nq"
    classes = {"ours": Ours, "oxigraph": OxigraphServer}
    load_start = os.getloadavg()
    results: dict = {}
    for name in args.systems.split(","):
        sampler = Sampler()
        system = classes[name](args, root, quads, workdir, sampler)
        try:
            log(f"{system.label}: starting")
            system.load()
            for heavy in args.heavy:
                log(f"{system.label}: {heavy} heavy queries")
                results[(name, heavy)] = phase(system, items, heavy, args)
                if heavy and name == "oxigraph":
                    system.restart()  # its heavy queries run on after their clients gave up
        finally:
            system.stop()
            sampler.stop()
    text = report(results, args, (load_start[0], os.getloadavg()[0]))
    print(text)
    (workdir / "results.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
