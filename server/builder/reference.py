"""pySHACL: the reference validator of the tests and the benchmark, and the DCAT-AP check of a release's description.

The data of a release is validated by server/builder/shacl.py, which compiles the shapes to SPARQL run by
the store's engine; the tests check that both give the same results. The release's description, a few
hundred triples, is validated by pySHACL against the DCAT-AP shapes (server/builder/gate.py), which use
what shacl.py does not support.
"""

from __future__ import annotations

import logging

from rdflib import Dataset
from rdflib import Graph

from server.builder.report import SEVERITY_RANK
from server.builder.report import ValidationReport
from server.builder.report import problems_of

log = logging.getLogger(__name__)


def union_graph(dataset: Dataset) -> Graph:
    """All triples of all named graphs, as one rdflib Graph."""
    union = Graph()
    for prefix, namespace in dataset.namespaces():
        union.bind(prefix, namespace, override=False)
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def validate_graph(data: Graph, shapes: Graph, *, advanced: bool = True) -> ValidationReport:
    """Validate `data` against `shapes` with pySHACL.

    The data graph is expected to hold the ontology too, so that sh:class sees
    rdfs:subClassOf; no inference is run and nothing is fetched. `advanced` turns on the SHACL
    Advanced Features (SPARQL-based targets, rules, functions), which shapes without them do not
    need (it doubles the time).
    """
    import pyshacl  # imported here: a server reopening a built release never needs it

    conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=advanced,
        do_owl_imports=False,
        allow_warnings=False,  # sh:conforms as SHACL defines it: false if there is any result
        abort_on_first=False,
    )
    problems = sorted(problems_of(results), key=lambda p: (SEVERITY_RANK.get(p.severity, 9), p.focus, p.path))
    report = ValidationReport(conforms=bool(conforms), problems=problems, graph=results)
    log.info("validation: %d violation(s), %d result(s)", len(report.violations), len(problems))
    return report
