"""The W3C SHACL test suite (core and SPARQL folders) against server/builder/shacl.py.

The suite's files are in tests/data/w3c-shacl/ (its README names the source commit and licence).
Each test loads its data graph as a build does (server/sources/load.py) and its shapes graph as a
build does (server/builder/report.py), then either passes (the same sh:conforms and the same results:
focus node, path, value, severity, component, source shape and, where the suite gives them, source
constraint and messages), or is listed in REFUSED: the validator must then refuse it with
ShapesUnsupported, whose message contains the reason given. Any other outcome fails: a result that is
newly wrong, or a refusal not listed.

Results are compared as sets. Two expected reports state a result twice: core/property/lessThan-002
once per pair of compared values, core/property/property-001 once per focus node that reaches the
value node; our report states each result once. A blank node is compared by what it states (its
labels differ between graphs), a result path by the path it denotes.

    python tests/test_shacl_w3c.py        # prints the outcome of every test and the counts
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import BlankNode
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from rdflib import BNode
from rdflib import Graph
from rdflib import Literal
from rdflib import Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF
from rdflib.namespace import SH

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.builder.report import load_shapes  # noqa: E402
from server.builder.report import to_rdflib  # noqa: E402
from server.builder.shacl import validate_store  # noqa: E402
from server.common.errors import ShapesUnsupported  # noqa: E402
from server.sources.find import Source  # noqa: E402
from server.sources.load import load_sources  # noqa: E402

SUITE = Path(__file__).resolve().parent / "data" / "w3c-shacl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")

# Tests the validator refuses, each with (part of) the message it refuses them with.
REFUSED = {
    "sparql/pre-binding/shapesGraph-001": "$shapesGraph is not supported",
}


@dataclass(frozen=True)
class SuiteTest:
    name: str  # its file under the suite, without .ttl: core/node/datatype-001
    data: Path
    shapes: Path
    manifest: Graph
    result: object  # the expected sh:ValidationReport node, or sht:Failure


def suite_tests() -> list[SuiteTest]:
    """Every test the manifests of the core and sparql folders include, in their order."""
    found = []
    for folder in ("core", "sparql"):
        found += _tests_of(SUITE / folder / "manifest.ttl")
    return found


def _tests_of(path: Path) -> list[SuiteTest]:
    graph = load_shapes([path], base_iri=path.as_uri())
    found = []
    for included in graph.objects(None, MF.include):
        found += _tests_of(_path(included))
    for entries in graph.objects(None, MF.entries):
        for test in Collection(graph, entries):
            action = graph.value(test, MF.action)
            found.append(
                SuiteTest(
                    name=path.relative_to(SUITE).with_suffix("").as_posix(),
                    data=_path(graph.value(action, SHT.dataGraph)),
                    shapes=_path(graph.value(action, SHT.shapesGraph)),
                    manifest=graph,
                    result=graph.value(test, MF.result),
                )
            )
    return found


def _path(iri) -> Path:
    return Path(str(iri).removeprefix("file://"))


# ---------------------------------------------------------------- running one test


def run(test: SuiteTest) -> tuple[str, str]:
    """(outcome, detail): "pass", "refused" (with the message) or "wrong" (with the difference)."""
    store = Store()
    source = Source(test.data, RdfFormat.TURTLE, "urn:x-w3c-shacl:data")
    written = load_sources([source], store, base_iri=test.data.as_uri())
    try:
        shapes = load_shapes([test.shapes], base_iri=test.shapes.as_uri())
        report = validate_store(store, shapes, written=written)
    except ShapesUnsupported as exc:
        return ("pass" if test.result == SHT.Failure else "refused"), str(exc)
    if test.result == SHT.Failure:
        return "wrong", "the suite expects a failure; the validator gave a report"
    expected_conforms = test.manifest.value(test.result, SH.conforms) == Literal(True)
    expected = _results(test.manifest, test.result, lambda node: _outgoing(test.manifest, node))
    keys = {key for result in expected for key, _ in result}
    ours = Counter(
        _narrow(result, keys)
        for result in _results(report.graph, _report_node(report.graph), lambda n: _stored(store, shapes, n))
    )
    expected = Counter(_narrow(result, keys) for result in expected)
    if set(ours) != set(expected) or report.conforms != expected_conforms:
        missing, extra = set(expected) - set(ours), set(ours) - set(expected)
        shown = "; ".join([*(f"missing {_show(r)}" for r in missing), *(f"extra {_show(r)}" for r in extra)])
        return "wrong", f"conforms {report.conforms} (expected {expected_conforms}); {shown}"
    return "pass", ""


def _show(result: tuple) -> str:
    return "(" + ", ".join(f"{key.split('#')[-1]}={'|'.join(map(str, values))}" for key, values in result) + ")"


def _report_node(graph: Graph):
    return next(graph.subjects(RDF.type, SH.ValidationReport))


KEYS = (SH.focusNode, SH.resultPath, SH.value, SH.resultSeverity, SH.sourceConstraintComponent, SH.sourceShape)
OPTIONAL_KEYS = (SH.sourceConstraint, SH.resultMessage)


def _results(graph: Graph, report, outgoing) -> list[tuple]:
    """Each result of a report as (key, value) pairs, blank nodes by what they are (see _signature)."""
    found = []
    for result in graph.objects(report, SH.result):
        pairs = []
        for key in KEYS + OPTIONAL_KEYS:
            values = sorted(_signature(value, outgoing) for value in graph.objects(result, key))
            if values:
                pairs.append((key, tuple(values)))
        found.append(tuple(pairs))
    return found


def _narrow(result: tuple, keys: set) -> tuple:
    """A result without the optional parts the expected results do not give."""
    return tuple((key, value) for key, value in result if key in KEYS or key in keys)


def _signature(term, outgoing, depth: int = 0):
    """A blank node as its outgoing statements (its labels differ between graphs); other terms as they are.

    A list (a sequence path) is its members, whatever else its first node states.
    """
    if isinstance(term, Literal):
        return ("literal", str(term), str(term.datatype or ""), (term.language or "").lower())
    if not isinstance(term, BNode):
        return ("iri", str(term))
    if depth > 5:
        return ("blank", "…")
    statements = dict(outgoing(term))
    if RDF.first in statements:
        members, node = [], term
        while node != RDF.nil and len(members) < 20:
            step = dict(outgoing(node))
            members.append(_signature(step.get(RDF.first), outgoing, depth + 1))
            node = step.get(RDF.rest, RDF.nil)
        return ("list", tuple(members))
    return ("blank", tuple(sorted((str(p), _signature(o, outgoing, depth + 1)) for p, o in outgoing(term))))


def _outgoing(graph: Graph, node) -> list:
    return list(graph.predicate_objects(node))


def _stored(store: Store, shapes: Graph, node) -> list:
    """What a blank node of our report states: in the shapes graph, or (a focus node or value) in the data."""
    described = list(shapes.predicate_objects(node))
    if described:
        return described
    quads = store.quads_for_pattern(BlankNode(str(node)), None, None)
    return [(to_rdflib(quad.predicate), to_rdflib(quad.object)) for quad in quads]


# ---------------------------------------------------------------- the tests

TESTS = suite_tests()


def test_the_suite_is_all_there():
    """98 tests in core and 22 in sparql, as the suite at the vendored commit has them."""
    assert Counter(test.name.split("/")[0] for test in TESTS) == {"core": 98, "sparql": 22}
    assert set(REFUSED) <= {test.name for test in TESTS}


@pytest.mark.parametrize("test", TESTS, ids=[test.name for test in TESTS])
def test_w3c_shacl(test):
    outcome, detail = run(test)
    if test.name in REFUSED:
        assert outcome == "refused", detail
        assert REFUSED[test.name] in detail
    else:
        assert outcome == "pass", detail


if __name__ == "__main__":
    counts: Counter = Counter()
    for test in TESTS:
        outcome, detail = run(test)
        silent = outcome == "wrong" and "conforms True (expected False)" in detail
        counts[test.name.split("/")[0], outcome] += 1
        counts[test.name.split("/")[0], "silent"] += silent
        if outcome != "pass":
            print(f"{test.name}: {outcome}: {detail}")
    for folder in ("core", "sparql"):
        total = sum(n for (f, o), n in counts.items() if f == folder and o != "silent")
        print(
            f"{folder} ({total}): pass {counts[folder, 'pass']} / refused {counts[folder, 'refused']} / "
            f"wrong {counts[folder, 'wrong']} (silently conforming: {counts[folder, 'silent']})"
        )
