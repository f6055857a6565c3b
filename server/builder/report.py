"""SHACL validation reports (made by server/builder/shacl.py, read back from a release), and the shapes.

Nothing here fetches anything: owl:imports are not followed.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from pyoxigraph import RdfFormat
from pyoxigraph import parse
from rdflib import BNode
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.namespace import RDF
from rdflib.namespace import SH
from rdflib.namespace import XSD

from server.common.errors import SourceSyntaxError

log = logging.getLogger(__name__)


class _IllTypedLiteralsAreData(logging.Filter):
    """rdflib logs a traceback for each literal whose form is not of its datatype; a report shows such values."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiteralsAreData())


@dataclass(frozen=True)
class Problem:
    """One SHACL result, in words a person can act on."""

    severity: str  # Violation, Warning or Info
    focus: str
    path: str
    value: str
    message: str
    shape: str

    def describe(self) -> str:
        where = f"{self.focus}"
        if self.path:
            where += f" {self.path}"
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.severity}: {where}: {self.message}{value}"


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    problems: list[Problem]
    graph: Graph

    @property
    def violations(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "Violation"]

    def blocking(self, severities: frozenset[str]) -> list[Problem]:
        """The results whose severity refuses a release (Config.blocking); `conforms` counts them all."""
        return [problem for problem in self.problems if problem.severity in severities]

    def text(self) -> str:
        """A report for people: one line per problem, most serious first."""
        if not self.problems:
            return "The graph conforms to every shape.\n"
        lines = [problem.describe() for problem in self.problems]
        head = (
            f"{len(self.violations)} violation(s), "
            f"{len(self.problems) - len(self.violations)} other result(s):"
        )
        return "\n".join([head, *lines]) + "\n"


def load_shapes(paths: list[Path], *, base_iri: str) -> Graph:
    """The shapes files as one rdflib Graph, literals as written ("1"^^xsd:boolean is not made "true").

    :raises SourceSyntaxError: naming the file, line and column of the first that does not parse.
    """
    shapes = Graph()
    for path in paths:
        try:
            quads = parse(path=str(path), format=RdfFormat.TURTLE, base_iri=base_iri)
            for quad in quads:
                shapes.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        except (SyntaxError, OSError, ValueError) as exc:  # OSError: unreadable; ValueError: not UTF-8
            raise SourceSyntaxError(f"{path}: {exc}") from None
        for prefix, namespace in quads.prefixes.items():
            shapes.bind(prefix, namespace, override=False)
    return shapes


def to_rdflib(term):
    """A pyoxigraph term as rdflib's, the lexical form kept (xsd:string literals are plain, as rdflib reads them)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):
            return Literal(term.value)
        with warnings.catch_warnings():  # rdflib warns about ill-typed lexical forms; they are data
            warnings.simplefilter("ignore")
            return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    raise ValueError(f"unexpected term: {term!r}")


SEVERITY_RANK = {"Violation": 0, "Warning": 1, "Info": 2}


def problems_of(results: Graph) -> list[Problem]:
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        found.append(
            Problem(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus=_show(results, results.value(result, SH.focusNode)),
                path=_show(results, results.value(result, SH.resultPath)),
                value=_show(results, results.value(result, SH.value)),
                message=" ".join(str(m) for m in results.objects(result, SH.resultMessage)),
                shape=_show(results, results.value(result, SH.sourceShape)),
            )
        )
    return found


def _show(graph: Graph, term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return repr(str(term)) + (f"@{term.language}" if term.language else "")
    if isinstance(term, BNode):
        # A property path such as [ sh:inversePath p ] or a blank focus node.
        inverse = graph.value(term, SH.inversePath)
        if inverse is not None:
            return f"^<{inverse}>"
        return "[blank node]"
    return str(term)



def read_report(path: Path) -> ValidationReport:
    """A release's SHACL report, read back from the Turtle it was written as."""
    graph = Graph().parse(path, format="turtle")
    conforms = all(bool(value.toPython()) for value in graph.objects(None, SH.conforms))
    problems = sorted(problems_of(graph), key=lambda p: (SEVERITY_RANK.get(p.severity, 9), p.focus, p.path))
    return ValidationReport(conforms=conforms, problems=problems, graph=graph)


