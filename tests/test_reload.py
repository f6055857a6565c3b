"""A reload (SIGHUP) switches to a new release atomically; a bad one leaves the old release answering."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import requests

from tests.conftest import MINI
from tests.conftest import start_serve

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def start_server(project, build):
    process, url, _ = start_serve("--root", str(project), "--build-dir", str(build), stderr=subprocess.PIPE)
    return process, url


def triple_count(url) -> int:
    response = requests.get(url + "/sparql", params={"query": COUNT}, timeout=10)
    assert response.status_code == 200
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def wait_for(predicate, seconds=60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_bad_reload_keeps_the_old_release_and_a_good_one_switches(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    process, url = start_server(project, tmp_path / "build")
    try:
        before = triple_count(url)
        a1 = project / "data" / "passages" / "A1.ttl"
        good = a1.read_text(encoding="utf-8")

        a1.write_text(good + "\n<id/organization/mic> <ontology/broken> .\n", encoding="utf-8")  # a syntax error
        process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reload failed" in _stderr_so_far(process))
        assert triple_count(url) == before

        a1.write_text(good, encoding="utf-8")
        b1 = project / "data" / "passages" / "B1.ttl"
        b1.write_text(b1.read_text(encoding="utf-8").replace("mic:startDate", "mic:organizer"), encoding="utf-8")
        process.send_signal(signal.SIGHUP)  # breaks a shape: refused with its report
        assert wait_for(lambda: "reload refused" in _stderr_so_far(process))
        assert triple_count(url) == before

        b1.write_text((MINI / "data" / "passages" / "B1.ttl").read_text(encoding="utf-8"), encoding="utf-8")
        record = project / "data" / "record.ttl"  # a date the build states: the description breaks DCAT-AP
        record.write_text('<id/dataset/mic-global-strategy-bureau-2023> <http://purl.org/dc/terms/modified> "2026"'
                          " .\n", encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        logged = []
        assert wait_for(lambda: logged.append(_stderr_so_far(process)) or "reload refused" in logged[-1])
        assert "DCAT-AP" in logged[-1] and "dct:modified" in logged[-1].replace(
            "<http://purl.org/dc/terms/modified>", "dct:modified")
        assert triple_count(url) == before
        record.unlink()

        added = '<id/organization/mic> <http://www.w3.org/2000/01/rdf-schema#comment> "new" .\n'
        b1.write_text((MINI / "data" / "passages" / "B1.ttl").read_text(encoding="utf-8") + added, encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: triple_count(url) > before)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def _stderr_so_far(process) -> str:
    """What the server has logged since the last call (read without blocking)."""
    fd = process.stderr.fileno()
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 1 << 20).decode("utf-8", "replace")
    except BlockingIOError:
        return ""
