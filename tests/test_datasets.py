"""Serving an RDF dataset of one's own (--dataset): graphs as given, either default graph, dumps, bad input.

The dataset is README's own TriG example (a default graph and two named graphs with IRIs of their own),
built as `serve --dataset` builds it and served by the real app and query workers.
"""

from __future__ import annotations

import gzip
import re
import shutil

import pytest
from pyoxigraph import CanonicalizationAlgorithm
from pyoxigraph import Dataset
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import parse
from pyoxigraph import serialize

from server.builder.dataset import UNVALIDATED
from server.cli.main import main
from server.common.config import Config
from server.engine.local import open_local_engine
from server.engine.published import published_dataset
from server.engine.remote import RemoteEngine
from server.engine.serving import Releases
from server.engine.serving import Served
from server.release.release import build_release
from server.web.app import create_app
from tests.conftest import ROOT
from tests.conftest import Oxigraph
from tests.engines import FOREIGN_GRAPH

BASE = "https://data.example.org/"
EX = "http://example.org/"
STAFF, VISITORS = EX + "staff", EX + "visitors"
TRIG = re.search(r"```trig\n(.+?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S).group(1)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
DUMP = "mic-ict-strategy"


def given_quads(text: str = TRIG) -> set[Quad]:
    return set(parse(text, format=RdfFormat.TRIG, base_iri=BASE + "people.trig"))


def canonical(quads) -> set[str]:
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad) for quad in dataset}


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    folder = tmp_path_factory.mktemp("people")
    (folder / "people.trig").write_text(TRIG, encoding="utf-8")
    return folder / "people.trig"


def serve(path, tmp_path, **settings):
    """Build the dataset as `serve --dataset` does and start its engine; return the release, engine and client."""
    config = Config(root=tmp_path, dataset=str(path), base_iri=BASE, build_dir=tmp_path / "build", workers=1,
                    rate_limit_per_s=0, **settings).check()
    release = build_release(config)
    engine = open_local_engine(release, config)
    return release, engine, create_app(config, Releases(Served(release, engine))).test_client()


@pytest.fixture(scope="module", params=["stored", "union"])
def served(request, people, tmp_path_factory):
    settings = {} if request.param == "stored" else {"default_graph": "union"}  # stored: the default for --dataset
    release, engine, client = serve(people, tmp_path_factory.mktemp(request.param), **settings)
    yield request.param, release, client
    engine.close()


def rows(client, query: str, **params) -> list[dict]:
    response = client.get("/sparql", query_string={"query": query, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [{k: v["value"] for k, v in row.items()} for row in response.get_json()["results"]["bindings"]]


def test_the_default_graph_is_the_stored_one_or_the_merge(served):
    mode, _, client = served
    assert rows(client, COUNT) == [{"n": "1" if mode == "stored" else "4"}]  # README says so


def test_graphs_keep_their_iris_and_the_description_is_none_of_them(served):
    _, _, client = served
    assert {row["g"]: row["n"] for row in rows(client, PER_GRAPH)} == {STAFF: "2", VISITORS: "2"}


def test_from_and_the_protocol_choose_among_the_dataset_graphs(served):
    _, _, client = served
    names = f"SELECT ?name FROM <{VISITORS}> WHERE {{ ?person <{EX}name> ?name }}"
    assert sorted(row["name"] for row in rows(client, names)) == ["Bob", "Carol"]
    assert rows(client, COUNT, **{"default-graph-uri": STAFF}) == [{"n": "2"}]
    named = f"SELECT DISTINCT ?g FROM NAMED <{STAFF}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert rows(client, named) == [{"g": STAFF}]


def test_service_description_declares_the_default_graph_truthfully(served):
    mode, _, client = served
    turtle = client.get("/sparql", headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    assert ("sparql-service-description#UnionDefaultGraph>" in turtle) == (mode == "union")


def test_quads_dumps_load_back_to_the_same_quads(served):
    _, release, _ = served
    description = NamedNode(BASE + "graph/dataset")
    for name, format in ((f"{DUMP}.nq", RdfFormat.N_QUADS), (f"{DUMP}.trig", RdfFormat.TRIG)):
        dumped = set(parse(path=release.directory / name, format=format))
        assert canonical(q for q in dumped if q.graph_name != description) == canonical(given_quads()), name
        assert any(q.graph_name == description for q in dumped)
    merged = {Triple(q.subject, q.predicate, q.object) for q in given_quads()}
    nt = set(parse(path=release.directory / f"{DUMP}.nt", format=RdfFormat.N_TRIPLES))
    assert {Triple(q.subject, q.predicate, q.object) for q in nt} == merged


def test_unvalidated_data_says_so_in_its_void(served):
    _, release, client = served
    assert release.report is None
    void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    assert UNVALIDATED in void


def test_a_dump_served_again_under_another_base_gives_the_same_graphs(served, tmp_path):
    """Our N-Quads dump, gzipped as downloaded, is a dataset like any other."""
    _, release, _ = served
    (tmp_path / "again").mkdir()
    shutil.copy(release.directory / f"{DUMP}.nq.gz", tmp_path / "again" / "dump.nq.gz")
    config = Config(root=tmp_path, dataset=str(tmp_path / "again"), base_iri="https://mirror.example.org/",
                    build_dir=tmp_path / "build").check()
    again = build_release(config)
    dumped = set(parse(gzip.decompress((release.directory / f"{DUMP}.nq.gz").read_bytes()), format=RdfFormat.N_QUADS))
    assert canonical(again.store) == canonical(dumped)


# --- shapes, syntaxes and bad input -----------------------------------------------------------------


def test_shapes_given_are_checked_and_a_violation_is_refused(people, tmp_path, capsys):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
        "ex:Named a sh:NodeShape ; sh:targetSubjectsOf ex:name ;\n"
        "  sh:property [ sh:path ex:name ; sh:pattern '^.{0,4}$' ] .\n",
        encoding="utf-8",
    )
    code = main(["build", "--dataset", str(people), "--shapes", str(shapes), "--build-dir", str(tmp_path / "b")], {})
    assert code == 1
    assert "Carol" in capsys.readouterr().err
    shapes.write_text(shapes.read_text(encoding="utf-8").replace("sh:pattern", "sh:target"), encoding="utf-8")
    code = main(["build", "--dataset", str(people), "--shapes", str(shapes), "--build-dir", str(tmp_path / "b")], {})
    assert code == 1
    assert "sh:target (SPARQL-based targets) is not supported" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "format", "told"),
    [
        ("people.nt", RdfFormat.N_TRIPLES, ""),
        ("people.rdf", RdfFormat.RDF_XML, ""),
        ("people.jsonld", RdfFormat.JSON_LD, ""),
        ("people.ttl.gz", RdfFormat.TURTLE, ""),
        ("people.data", RdfFormat.N_TRIPLES, "nt"),
        ("people.txt", RdfFormat.TURTLE, "text/turtle"),
    ],
)
def test_every_syntax_is_read_by_its_extension_or_as_told(name, format, told, tmp_path):
    triples = [Triple(q.subject, q.predicate, q.object) for q in given_quads() if q.graph_name == NamedNode(STAFF)]
    data = serialize(triples, format=format)
    (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    config = Config(root=tmp_path, dataset=str(tmp_path / name), dataset_format=told, base_iri=BASE,
                    build_dir=tmp_path / "b")
    release = build_release(config.check())
    assert {Triple(q.subject, q.predicate, q.object) for q in release.store} == set(triples)


def test_a_file_that_does_not_parse_stops_the_build_naming_file_line_and_column(tmp_path, capsys):
    broken = tmp_path / "broken.trig"
    broken.write_text(TRIG.replace('"Carol" .', '"Carol .'), encoding="utf-8")
    for command, extra in (("build", []), ("serve", ["--port", "0"])):
        assert main([command, "--dataset", str(broken), "--build-dir", str(tmp_path / "b"), *extra], {}) == 1
        error = capsys.readouterr().err
        assert "broken.trig" in error and re.search(r"line \d+ column \d+", error), error
    assert not (tmp_path / "b" / "releases").exists() or not list((tmp_path / "b" / "releases").glob("2*"))


def test_a_file_of_unknown_syntax_is_refused_with_what_to_do(tmp_path, capsys):
    (tmp_path / "people.data").write_text(TRIG, encoding="utf-8")
    assert main(["build", "--dataset", str(tmp_path / "people.data"), "--build-dir", str(tmp_path / "b")], {}) == 1
    assert "--dataset-format" in capsys.readouterr().err


def test_a_graph_named_like_the_description_graph_is_refused(tmp_path, capsys):
    clash = tmp_path / "clash.nq"
    clash.write_text(f"<{EX}s> <{EX}p> <{EX}o> <{BASE}graph/dataset> .\n", encoding="utf-8")
    code = main(["build", "--dataset", str(clash), "--base-iri", BASE, "--build-dir", str(tmp_path / "b")], {})
    assert code == 1
    error = capsys.readouterr().err
    assert "clash.nq" in error and f"<{BASE}graph/dataset>" in error and "description" in error


def test_relative_iris_of_a_file_resolve_at_its_place_under_the_base(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "sub" / "doc.ttl").write_text("<> <p> <#it> .\n", encoding="utf-8")
    config = Config(root=tmp_path, dataset=str(tmp_path / "data"), base_iri=BASE, build_dir=tmp_path / "b")
    (quad,) = build_release(config.check()).store
    assert (quad.subject.value, quad.object.value) == (BASE + "sub/doc.ttl", BASE + "sub/doc.ttl#it")


# --- on disk, and on a remote engine ------------------------------------------------------------------


def test_on_disk_store_serves_the_default_graph_it_was_built_for(people, tmp_path):
    counts = []
    for mode in ("stored", "union", "stored"):  # a change of setting rebuilds the store
        release, engine, client = serve(people, tmp_path, default_graph=mode, store_path=tmp_path / "store")
        try:
            counts.append(rows(client, COUNT)[0]["n"])
            assert {row["g"] for row in rows(client, PER_GRAPH)} == {STAFF, VISITORS}
        finally:
            engine.close()
    assert counts == ["1", "4", "1"]


@pytest.mark.parametrize("built_for", ["stored", "union"])
def test_publish_gives_a_remote_engine_the_same_dataset_for_either_default_graph(people, tmp_path, built_for):
    """Built for either setting (for union, the on-disk store's default graph holds the merge), publish sends the
    dataset's own default graph (one triple) and its named graphs as they are."""
    engine = Oxigraph(tmp_path / "oxigraph")
    engine.start()

    def publish(path):
        args, environ = engine.publish_args()
        return main(["publish", "--dataset", str(path), "--base-iri", BASE, "--build-dir", str(tmp_path / "build"),
                     "--default-graph", built_for, *args], environ)

    try:
        engine.update(engine.foreign_data)
        assert publish(people) == 0
        release = build_release(Config(root=tmp_path, dataset=str(people), base_iri=BASE, default_graph=built_for,
                                       build_dir=tmp_path / "build").check())
        assert release.materialised == (built_for == "union")
        for union, count in ((False, "1"), (True, "4")):  # one publish serves apps of either setting
            remote = RemoteEngine(engine.query_url, dataset=published_dataset(release, union=union))
            assert next(remote.query(COUNT))["n"].value == count
            assert {row["g"].value: row["n"].value for row in remote.query(PER_GRAPH)} == {STAFF: "2", VISITORS: "2"}
        # The next release has no visitors graph: publish empties it (it recorded the graph as the release's),
        # and nothing that is not the release's.
        staff_only = tmp_path / "staff.trig"
        staff_only.write_text(TRIG.split("ex:visitors")[0], encoding="utf-8")
        assert publish(staff_only) == 0
        assert STAFF in engine.graphs() and VISITORS not in engine.graphs() and FOREIGN_GRAPH in engine.graphs()
        assert engine.count() == 1  # the store's own default graph: another team's triple, untouched
    finally:
        engine.stop()
