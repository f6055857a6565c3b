"""SHACL validation reports (made by server/builder/shacl.py, read back from a release), and the shapes.

Nothing here fetches anything: owl:imports are not followed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.namespace import RDF
from rdflib.namespace import SH

from server.common.errors import SourceSyntaxError

log = logging.getLogger(__name__)


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
    """The shapes of every file in one graph.

    :raises SourceSyntaxError: naming the file (and the line) of the first that does not parse.
    """
    shapes = Graph()
    for path in paths:
        try:
            shapes.parse(path, format="turtle", publicID=base_iri)
        except (SyntaxError, ValueError) as exc:  # rdflib's BadSyntax is a SyntaxError; bad UTF-8 a ValueError
            raise SourceSyntaxError(f"{path}: {exc}") from None
    return shapes


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


