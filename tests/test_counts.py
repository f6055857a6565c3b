"""Honest counts: what VoID states, what /download/index.json lists, and what the dumps hold when parsed.

The triples dumps hold the dataset's void:triples; the quads dumps the data's quads plus the description's
own triples (void:triples of graph/dataset), that many in graph/dataset. The build checks the same before
a release is written (server/builder/gate.py) and refuses one whose files do not hold what it counts.
"""

from __future__ import annotations

import gzip

from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import parse

from server.builder.dataset import DUMPS
from server.builder.dataset import dataset_iri
from server.builder.gate import count_problems
from server.builder.gate import count_statements

VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
FORMATS = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES, ".jsonld": RdfFormat.JSON_LD,
           ".trig": RdfFormat.TRIG, ".nq": RdfFormat.N_QUADS}
QUADS = (".trig", ".nq")


def void_number(client, subject: str) -> int:
    response = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    (value,) = [q.object.value for q in parse(response.get_data(), format=RdfFormat.N_TRIPLES)
                if q.subject.value == subject and q.predicate.value == VOID_TRIPLES]
    return int(value)


def parsed(client, name: str, graph: NamedNode) -> tuple[int, int]:
    """(statements, statements in `graph`) of a file downloaded from /download/, decompressed if gzipped."""
    body = client.get(f"/download/{name}", buffered=True).get_data()
    plain = name.removesuffix(".gz")
    if plain != name:
        body = gzip.decompress(body)
    suffix = plain[plain.rindex("."):]
    quads = list(parse(body, format=FORMATS[suffix]))
    return len(quads), sum(q.graph_name == graph for q in quads)


def test_void_index_json_and_the_parsed_dumps_agree(client, release, capsys):
    graph = NamedNode(release.iris.graph("dataset"))
    data_triples = void_number(client, dataset_iri(release.iris))
    described = void_number(client, graph.value)
    index = client.get("/download/index.json", buffered=True).get_json()["current"]
    counts = index["counts"]
    assert counts["data_triples"] == data_triples
    assert counts["description_triples"] == described
    rows = []
    for dump in DUMPS:
        total, in_description = parsed(client, dump.name, graph)
        info = index["files"][dump.name]
        quads = dump.name.removesuffix(".gz").endswith(QUADS)
        listed = info["quads"] if quads else info["triples"]
        expected = counts["data_quads"] + described if quads else data_triples
        rows.append((dump.name, "quads" if quads else "triples", expected, listed, total, in_description))
        assert listed == total == expected, dump.name
        assert in_description == (described if quads else 0), dump.name
        assert info["size"] > 0 and len(info["sha256"]) == 64
    void_file = index["files"]["void.ttl"]["triples"]
    assert void_file == parsed(client, "void.ttl", graph)[0] > described  # + each dump's size and checksum
    with capsys.disabled():
        print(f"\nVoID: dataset void:triples {data_triples}, graph/dataset void:triples {described}; "
              f"index.json counts {counts}")
        print(f"{'file':32} {'kind':8} {'VoID':>6} {'index.json':>10} {'parsed':>6} {'in graph/dataset':>16}")
        for row in rows:
            print(f"{row[0]:32} {row[1]:8} {row[2]:>6} {row[3]:>10} {row[4]:>6} {row[5]:>16}")


def test_the_count_check_finds_a_dump_that_lost_a_triple(release, tmp_path):
    """The build's check, run on a copy of the release whose N-Triples dump has lost its last line."""
    names = [dump.name for dump in DUMPS if not dump.gzip]
    for name in names:
        (tmp_path / name).write_bytes((release.directory / name).read_bytes())
    nt = tmp_path / "mic-ict-strategy.nt"
    nt.write_bytes(b"".join(nt.read_bytes().splitlines(keepends=True)[:-1]))
    counted = count_statements(tmp_path, names, iris=release.iris)
    void = release.description
    data_quads = release.files["mic-ict-strategy.nq"]["quads"] - counted["mic-ict-strategy.nq"].described
    problems = count_problems(void, counted, iris=release.iris, data_quads=data_quads)
    assert [(p.focus, p.value) for p in problems if not p.focus.endswith(".gz")] == [
        ("mic-ict-strategy.nt", str(counted["mic-ict-strategy.ttl"].total - 1))
    ]
    counted_right = count_statements(release.directory, names, iris=release.iris)
    assert not [p for p in count_problems(void, counted_right, iris=release.iris, data_quads=data_quads)
                if not p.focus.endswith(".gz")]
