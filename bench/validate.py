"""SHACL validation of the generated data: our validator (server/builder/shacl.py) next to pySHACL.

    python bench/validate.py --triples 100000            # both, about 30 s on 2 cores
    python bench/validate.py --triples 1000000           # pySHACL takes minutes and gigabytes here

Generates the data as bench/run.py does (bench/generate.py, cached in bench/_data/{size}/), then runs
each validator in a child process of its own, so that each one's peak memory is its own:

    ours     the sources loaded as a build loads them (server/builder/pipeline.py: pyoxigraph's parser
             into an in-memory store, noting the literals the store keeps in another form than written),
             then validated against shapes/ (SPARQL queries run by the store's engine)
    pyshacl  the same sources parsed as written into an rdflib Graph, then pyshacl.validate
             (server/builder/reference.py: no inference, advanced features, nothing fetched)

It prints, for each, the time to load, the time to validate (wall clock, and the CPU time of its
process, which a busy shared machine changes less), the peak RSS of its process (load and validation),
and the verdict with its number of results; the ratios are pySHACL's figure over ours, and the load
average before and after is printed beside them. Nothing is asserted: the figures vary with the
machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
BASE = "https://mic-ict.example.org/"
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(PROJECT))

from generate import generate  # noqa: E402
from generate import size_name  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(root: Path) -> dict:
    from server.builder.pipeline import check_dataset
    from server.builder.pipeline import load_written
    from server.common.config import Config

    config = Config(root=root, base_iri=BASE)
    started = time.perf_counter()
    store, written = load_written(config)
    loaded, loaded_cpu = time.perf_counter(), time.process_time()
    report = check_dataset(store, config, written=written)
    done, done_cpu = time.perf_counter(), time.process_time()
    return {
        "quads": len(store),
        "written": len(written),
        "load_s": loaded - started,
        "validate_s": done - loaded,
        "validate_cpu_s": done_cpu - loaded_cpu,
        "conforms": report.conforms,
        "results": len(report.problems),
    }


def run_pyshacl(root: Path) -> dict:
    from pyoxigraph import NamedNode
    from pyoxigraph import parse
    from rdflib import Graph

    from server.builder.reference import validate_graph
    from server.builder.report import load_shapes
    from server.builder.report import to_rdflib
    from server.common.config import Config
    from server.sources.find import PASSAGES
    from server.sources.find import find_shapes
    from server.sources.find import find_sources
    from server.sources.load import passage_quads
    from server.sources.load import read_passages

    config = Config(root=root, base_iri=BASE)
    started = time.perf_counter()
    data = Graph()
    for source in find_sources(config):
        if source.format == PASSAGES:
            quads = passage_quads(read_passages(source.path), NamedNode(source.graph_iri), base_iri=BASE)
        else:
            quads = parse(path=str(source.path), format=source.format, base_iri=BASE)
        for quad in quads:
            data.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    shapes = load_shapes(find_shapes(config), base_iri=BASE)
    loaded, loaded_cpu = time.perf_counter(), time.process_time()
    report = validate_graph(data, shapes)
    done, done_cpu = time.perf_counter(), time.process_time()
    return {
        "quads": len(data),
        "load_s": loaded - started,
        "validate_s": done - loaded,
        "validate_cpu_s": done_cpu - loaded_cpu,
        "conforms": report.conforms,
        "results": len(report.problems),
    }


SYSTEMS = {"ours": run_ours, "pyshacl": run_pyshacl}


def child(system: str, root: Path) -> None:
    figures = SYSTEMS[system](root)
    figures["peak_mb"] = peak_mb()
    print(json.dumps(figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="generated triples: 100000, 1000000...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--systems", default="ours,pyshacl", help="comma-separated subset of ours,pyshacl")
    parser.add_argument("--child", choices=sorted(SYSTEMS), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root)
        return 0
    root = BENCH / "_data" / size_name(args.triples)
    summary = root / "bench.json"
    if not summary.is_file() or json.loads(summary.read_text())["seed"] != args.seed:
        generate(root, triples=args.triples, seed=args.seed)
    figures = {}
    before = os.getloadavg()
    for system in args.systems.split(","):
        print(f"running {system} on {root} ...", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--child", system, "--root", str(root)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures[system] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n#### SHACL validation, {size_name(args.triples)} generated triples (seed {args.seed})\n")
    print("| validator | quads | load (s) | validate (s) | × | validate, CPU (s) | × | peak RSS (MB) | × | conforms "
          "| results |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ours = figures.get("ours")
    for system, f in figures.items():
        ratio_t = f"{f['validate_s'] / ours['validate_s']:.1f}×" if ours else "–"
        ratio_c = f"{f['validate_cpu_s'] / ours['validate_cpu_s']:.1f}×" if ours else "–"
        ratio_m = f"{f['peak_mb'] / ours['peak_mb']:.1f}×" if ours else "–"
        print(
            f"| {system} | {f['quads']:,} | {f['load_s']:.2f} | {f['validate_s']:.2f} | {ratio_t} | "
            f"{f['validate_cpu_s']:.2f} | {ratio_c} | {f['peak_mb']:.0f} | {ratio_m} | {f['conforms']} | "
            f"{f['results']} |"
        )
    load = os.getloadavg()
    print(f"\nload average before and after: {before[0]:.1f}, {load[0]:.1f} (1 min); {os.cpu_count()} CPUs")
    if ours:
        print(f"\nours: {ours['written']} stored quad(s) whose literal the store keeps in another form than written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
