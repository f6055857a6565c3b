"""The benchmark runs for a newcomer: bench/run.py at its smallest size, our server beside the Oxigraph server.

A smoke run, so that the bench cannot rot: it generates the data, builds and serves it with both systems,
asks each the whole mix and checks that every answer is 200 and that both give the same rows or triples.
It checks answers, never times.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(out: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--triples", "10000", "--reps", "1"]
    command += ["--duration", "0.3", "--clients", "2", "--systems", "ours,oxigraph", "--out", str(out), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_bench_smoke_run_answers_agree(tmp_path):
    run = run_bench(tmp_path)
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    table = (tmp_path / "_runs" / "10k" / "results.md").read_text(encoding="utf-8")
    assert "every system gave the same count for every answer" in table
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    for item in ("describe", "path", "construct", "page-html", "page-ttl", "dump"):
        assert "failed" not in rows[item] and "n/a" not in rows[item], rows[item]
    assert "throughput, 2 clients" in table
