"""pySHACL as the reference validator, for the tests and the benchmark (installed with the test extra).

Releases are validated by server/builder/shacl.py, which compiles the shapes to SPARQL run by
the store's engine; the tests check that both give the same results.
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


def validate_graph(data: Graph, shapes: Graph) -> ValidationReport:
    """Validate `data` against `shapes` with pySHACL (the reference; needs the test extra).

    The data graph is expected to hold the ontology too, so that sh:class sees
    rdfs:subClassOf; no inference is run and nothing is fetched.
    """
    import pyshacl  # imported here: a server reopening a validated release never needs it

    conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        do_owl_imports=False,
        allow_warnings=True,
        abort_on_first=False,
    )
    problems = sorted(problems_of(results), key=lambda p: (SEVERITY_RANK.get(p.severity, 9), p.focus, p.path))
    report = ValidationReport(conforms=bool(conforms), problems=problems, graph=results)
    log.info("validation: %d violation(s), %d result(s)", len(report.violations), len(problems))
    return report
