"""Restart on an on-disk store: unchanged sources reopen the store at once; changed ones rebuild it."""

from __future__ import annotations

import json
import shutil
import signal
import time

import pytest
import requests

from server.builder.pipeline import fingerprint_sources
from server.engine.local import open_local_engine
from server.engine.serving import Releases
from server.engine.serving import Served
from server.release.release import build_release
from server.web.app import create_app
from tests.conftest import MINI
from tests.conftest import start_serve

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
DISTINCT_UNION = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
ADDED = '<id/organization/mic> <http://www.w3.org/2000/01/rdf-schema#comment> "new" .\n'


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


def start_server(project, build, store):
    """`serve` on a free port; returns the process, its URL and what it printed before serving."""
    return start_serve("--root", str(project), "--build-dir", str(build), "--store-path", str(store),
                       "--workers", "1", "--rate-limit-per-s", "0")


def stop(process):
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def answers(url) -> dict:
    def ask(query):
        response = requests.get(url + "/sparql", params={"query": query}, timeout=10,
                                headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200
        return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]

    return {"count": ask(COUNT), "union": ask(DISTINCT_UNION), "graphs": ask(PER_GRAPH)}


def test_second_serve_reuses_the_store_and_answers_the_same(project, tmp_path):
    build, store = tmp_path / "build", tmp_path / "store"
    process, url, printed = start_server(project, build, store)
    try:
        first = answers(url)
    finally:
        stop(process)
    assert any(line.startswith("release ") and " written to " in line for line in printed)

    started = time.monotonic()
    process, url, printed = start_server(project, build, store)
    restart_s = time.monotonic() - started
    try:
        assert answers(url) == first
    finally:
        stop(process)
    assert any("reusing release" in line and "sources unchanged" in line for line in printed), printed
    assert restart_s < 30
    assert first["count"] == first["union"]


def test_changed_source_rebuilds_the_store(make_config, project):
    config = make_config(root=project, store_path=project.parent / "store")
    first = build_release(config)
    assert not first.reused
    again = build_release(config)
    assert again.reused and again.version == first.version and again.store_path == first.store_path
    with (project / "data" / "passages" / "A1.ttl").open("a", encoding="utf-8") as handle:
        handle.write(ADDED)
    changed = build_release(config)
    assert not changed.reused
    assert changed.version != first.version
    assert changed.store_path != first.store_path
    state = json.loads((config.store_path / "store.json").read_text())
    assert state["fingerprint"] == fingerprint_sources(config)
    assert state["version"] == changed.version
    index = json.loads((config.release_dir / "releases" / "index.json").read_text())["releases"]
    assert index[-1]["sources"] == state["fingerprint"]


def test_on_disk_store_answers_as_the_in_memory_one(make_config, project, tmp_path):
    in_memory = make_config(root=project, build_dir=tmp_path / "memory", workers=1)
    on_disk = make_config(root=project, build_dir=tmp_path / "disk", store_path=tmp_path / "store", workers=1)
    results = []
    for config in (in_memory, on_disk):
        release = build_release(config)
        engine = open_local_engine(release, config)
        try:
            client = create_app(config, Releases(Served(release, engine))).test_client()
            rows = {}
            for name, query in (("count", COUNT), ("union", DISTINCT_UNION), ("graphs", PER_GRAPH)):
                response = client.get("/sparql", query_string={"query": query},
                                      headers={"Accept": "application/sparql-results+json"})
                assert response.status_code == 200
                rows[name] = response.get_json()["results"]["bindings"]
            rows["engine-union"] = next(iter(engine.query(COUNT, use_default_graph_as_union=True)))["n"].value
            rows["quads"] = sum(1 for _ in engine.quads_for_pattern(None, None, None, None))
            rows["page"] = client.get("/download/").status_code
            results.append(rows)
        finally:
            engine.close()
    assert results[0] == results[1]
    assert results[1]["count"] == results[1]["union"]
    assert int(results[1]["engine-union"]) == int(results[1]["count"][0]["n"]["value"])


def test_restarted_release_keeps_its_report_and_files(make_config, project):
    config = make_config(root=project, store_path=project.parent / "store")
    first = build_release(config)
    first.store = None
    again = build_release(config)
    assert again.reused
    assert again.files == first.files
    assert again.built_at == first.built_at
    assert again.directory == first.directory
    assert again.report.conforms and again.report.violations == []


def test_sighup_reload_rebuilds_the_store(project, tmp_path):
    process, url, _ = start_server(project, tmp_path / "build", tmp_path / "store")
    try:
        before = int(answers(url)["count"][0]["n"])
        b1 = project / "data" / "passages" / "B1.ttl"
        b1.write_text(b1.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and int(answers(url)["count"][0]["n"]) == before:
            time.sleep(0.2)
        after = answers(url)
        assert int(after["count"][0]["n"]) > before  # the new triple, and the new description
        assert after["count"] == after["union"]
    finally:
        stop(process)


def test_materialising_copies_every_triple_once(tmp_path):
    from pyoxigraph import DefaultGraph
    from pyoxigraph import Literal
    from pyoxigraph import NamedNode
    from pyoxigraph import Quad

    from server.sources.store import create_store
    from server.sources.store import materialise_default_graph

    store = create_store(tmp_path / "store")
    triples = [(NamedNode(f"http://e/s{i}"), NamedNode("http://e/p"), Literal(str(i))) for i in range(7)]
    for number, graph in enumerate(("http://e/g1", "http://e/g2")):
        store.extend(Quad(*triple, NamedNode(graph)) for triple in triples[number * 3 :])  # s3..s6 in both
    materialise_default_graph(store)
    merged = [(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, DefaultGraph())]
    assert sorted(merged, key=str) == sorted(triples, key=str)


def test_the_store_folder_keeps_a_blank_node_one_node_in_its_graph_and_in_the_merge(tmp_path):
    """write_store loads the release's N-Quads and N-Triples dumps in one pass: a blank node the
    dumps share is one node of the store, in its named graph and in the default graph (the merge)."""
    from pyoxigraph import DefaultGraph
    from pyoxigraph import NamedNode

    from server.sources.store import open_store
    from server.sources.store import write_store

    nquads, ntriples = tmp_path / "d.nq", tmp_path / "d.nt"
    nquads.write_text('# header\n_:b1 <http://e/p> "x" <http://e/g> .\n'
                      '<http://e/d> <http://e/p> "d" <http://e/dataset> .\n')
    ntriples.write_text('# header\n_:b1 <http://e/p> "x" .\n')
    write_store(tmp_path / "store", nquads, without=["http://e/dataset"], merged=ntriples)
    store = open_store(tmp_path / "store")
    [named] = store.quads_for_pattern(None, None, None, NamedNode("http://e/g"))
    [merged] = store.quads_for_pattern(None, None, None, DefaultGraph())
    assert named.subject == merged.subject
    assert len(store) == 2  # the graph named `without` is left out
