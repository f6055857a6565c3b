"""Throughput under a compiled load generator: `wrk` against our server, the Oxigraph server and a plain Flask app.

    apt-get install wrk
    python3 bench/wrk.py --triples 100000

bench/run.py's load client is Python and tops out near a few hundred answers a second, so its throughput
ratios hide the cost in front of the engine. Here `wrk` (C, Debian's package) sends bench/run.py's mix
without the dump (a different resource or offset at each round, 20 rounds) over `--connections` keep-alive
connections for `--duration` seconds to each system in turn, on the same data:

    ours      `python -m server serve` with README's settings, answer cache and rate limit off (as run.py);
              its on-disk store (--ours-store memory: a copy in each worker)
    oxigraph  `oxigraph serve-read-only --union-default-graph` on its own store (no --timeout-s: see main())
    flask     bench/flask_app.py: Flask + pyoxigraph in process, waitress with 8 threads, no checks
    rdflib    rdflib-endpoint, when installed (see bench/README.md)

It prints answers per second, the ratio to the Oxigraph server, the non-2xx answers wrk counted, and the
load average before and after. Nothing is asserted: it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from generate import size_name  # noqa: E402
from run import JSON_RESULTS  # noqa: E402
from run import NTRIPLES  # noqa: E402
from run import Ours  # noqa: E402
from run import OxigraphServer  # noqa: E402
from run import RdflibEndpoint  # noqa: E402
from run import Sampler  # noqa: E402
from run import System  # noqa: E402
from run import data_sizes  # noqa: E402
from run import free_port  # noqa: E402
from run import has_rdflib_endpoint  # noqa: E402
from run import log  # noqa: E402
from run import mix  # noqa: E402
from run import oxigraph_cli  # noqa: E402
from run import prepare_data  # noqa: E402

ROUNDS = 20


class FlaskApp(System):
    name, label = "flask", "Flask + pyoxigraph"

    def load(self) -> None:
        from pyoxigraph import RdfFormat
        from pyoxigraph import Store

        location = self.workdir / "flask-store"
        shutil.rmtree(location, ignore_errors=True)
        started = time.perf_counter()
        store = Store(str(location))
        store.bulk_load(path=str(self.quads), format=RdfFormat.N_QUADS)
        del store
        self.start()
        self.load_s = time.perf_counter() - started

    def start(self) -> None:
        self.port = free_port()
        argv = [sys.executable, str(BENCH / "flask_app.py"), str(self.workdir / "flask-store"), str(self.port)]
        self.process = self.popen(argv)
        self.wait_http(self.sparql_path("ASK {}"), 120)

    def sparql_path(self, query: str) -> str:
        import urllib.parse

        return "/sparql?" + urllib.parse.urlencode({"query": query})


def requests_of(system: System, items) -> list[tuple[str, str]]:
    """(path, Accept) of every request of the mix, ROUNDS rounds, as this system is asked them."""
    out = []
    for k in range(1, ROUNDS + 1):
        for item in items:
            if not item.in_throughput:
                continue
            if item.kind.startswith("page") and system.name == "ours":
                out.append((item.path(k), "text/html" if item.kind == "page-html" else "text/turtle"))
            else:
                accept = JSON_RESULTS if item.kind == "select" else NTRIPLES
                out.append((system.sparql_path(item.query(k)), accept))
    return out


def lua_script(requests: list[tuple[str, str]]) -> str:
    entries = ",\n".join(f"  {{{json.dumps(path)}, {json.dumps(accept)}}}" for path, accept in requests)
    return f"""local requests = {{
{entries}
}}
local i = math.random(#requests)
request = function()
  i = i % #requests + 1
  local r = requests[i]
  return wrk.format("GET", r[1], {{["Accept"] = r[2]}})
end
"""


def run_wrk(system: System, script: Path, args) -> dict:
    argv = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration:g}s",
            f"--timeout={args.timeout:g}s", "-s", str(script), f"http://{system.host}:{system.port}"]
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {"rate": rate, "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "errors": errors.group(1) if errors else "", "output": output}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per system")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, and our query deadline")
    parser.add_argument("--systems", default="ours,oxigraph,flask,rdflib")
    parser.add_argument("--items", default="", help="comma-separated items of the mix (default: all but the dump)")
    parser.add_argument("--ours-store", choices=["disk", "memory"], default="disk")
    parser.add_argument("--ours-arg", action="append", default=[])
    parser.add_argument("--out", type=Path, default=BENCH)
    parser.add_argument("--oxigraph", default=oxigraph_cli())
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    default_rdflib = BENCH / ".venv" / "bin" / "python"
    parser.add_argument("--rdflib-python", default=str(default_rdflib if default_rdflib.exists() else sys.executable))
    args = parser.parse_args(argv)
    # The Oxigraph server's --timeout-s starts a thread per query that lives as long as the timeout: under
    # wrk it ran out of threads and answered 500 ("Resource temporarily unavailable"). It runs without.
    args.oxigraph_timeout = False
    if not shutil.which(args.wrk):
        parser.error("wrk is not installed (apt-get install wrk)")
    names = args.systems.split(",")
    if "rdflib" in names and not has_rdflib_endpoint(args.rdflib_python):
        log("rdflib-endpoint is not installed: leaving it out")
        names.remove("rdflib")
    root, summary = prepare_data(args.triples, args.seed, regenerate=False, out=args.out.resolve())
    items = mix(summary["sample"], data_sizes(root))
    if args.items:
        items = [item for item in items if item.name in args.items.split(",")]
    workdir = args.out.resolve() / "_runs" / size_name(args.triples) / "wrk"
    workdir.mkdir(parents=True, exist_ok=True)
    quads = root / "_bench" / "quads.nq"
    classes = {"ours": Ours, "oxigraph": OxigraphServer, "flask": FlaskApp, "rdflib": RdflibEndpoint}
    load_before = os.getloadavg()[0]
    results = {}
    for name in names:
        sampler = Sampler()
        system = classes[name](args, root, quads, workdir, sampler)
        try:
            log(f"{system.label}: starting")
            system.load()
            script = workdir / f"{name}.lua"
            script.write_text(lua_script(requests_of(system, items)), encoding="utf-8")
            run_wrk(system, script, argparse.Namespace(**{**vars(args), "duration": 2}))  # warm-up
            results[name] = run_wrk(system, script, args)
            log(f"{system.label}: {results[name]['rate']:.1f} answers/s, {results[name]['non_2xx']} not 2xx")
        finally:
            system.stop()
            sampler.stop()
    base = results.get("oxigraph", {}).get("rate")
    lines = [
        f"### wrk, {args.connections} connections, {args.duration:g} s, "
        f"{'items ' + args.items if args.items else 'the mix of bench/run.py without the dump'}, "
        f"{summary['triples_generated']:,} generated triples; load average {load_before:.1f} / "
        f"{os.getloadavg()[0]:.1f} (before / after), {os.cpu_count()} cores",
        "",
        "| system | answers/s | × Oxigraph server | not 2xx | socket errors |",
        "|---|---|---|---|---|",
    ]
    for name, result in results.items():
        ratio = f"{result['rate'] / base:.2f}×" if base else "–"
        lines.append(f"| {classes[name].label} | {result['rate']:.1f} | {ratio} | {result['non_2xx']} | "
                     f"{result['errors'] or '–'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (workdir / "results.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
