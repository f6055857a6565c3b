"""What a release's description must pass before the release enters the index: DCAT-AP 3 and the counts.

- **DCAT-AP 3**: the description as ``void.ttl`` holds it is validated against the official
  DCAT-AP 3.0.1 SHACL shapes (``dcat_ap/``: ``shapes.ttl`` and ``range.ttl``, whose results are
  Violations, ``shapes_recommended.ttl``, whose results are Warnings; see dcat_ap/README.md).
  They are run by pySHACL: they use ``sh:closed`` and ``xsd:nonNegativeInteger``, which the
  store's own validator (shacl.py) refuses, and the description is a few hundred triples.
- **Counts**: every RDF file of the release is read back and its triples or quads counted
  (`count_file`: the lines of N-Triples and N-Quads, which hold one statement a line; the others
  parsed); the triples dumps must hold the dataset's ``void:triples``, the quads
  dumps the data's quads plus the description's triples (``void:triples`` of ``graph/dataset``),
  that many of them in graph ``graph/dataset``.

Any Violation refuses the release (DescriptionRefused, with the report); the Warnings are kept
in the release's ``dcat-ap-report.ttl``.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import parse
from pyoxigraph import serialize
from rdflib import Graph
from rdflib.namespace import VOID

from server.builder.dataset import DATASET_GRAPH
from server.builder.dataset import DUMPS
from server.builder.dataset import dataset_iri
from server.builder.reference import validate_graph
from server.builder.report import SEVERITY_RANK
from server.builder.report import Problem
from server.builder.report import ValidationReport
from server.common.errors import DescriptionRefused
from server.common.progress import stage
from server.common.progress import stage_items
from server.common.vocab import Iris

log = logging.getLogger(__name__)

DCAT_AP_DIR = Path(__file__).resolve().parent / "dcat_ap"
DCAT_AP_FILES = ("shapes.ttl", "range.ttl", "shapes_recommended.ttl")
DCAT_AP_REPORT = "dcat-ap-report.ttl"
RDF_SUFFIXES = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES, ".jsonld": RdfFormat.JSON_LD,
                ".trig": RdfFormat.TRIG, ".nq": RdfFormat.N_QUADS}
QUAD_FORMATS = (RdfFormat.TRIG, RdfFormat.N_QUADS)  # JSON-LD could hold quads; our JSON-LD dump holds triples
COUNT_CHECK = "count check"


@cache
def dcat_ap_shapes() -> Graph:
    """The DCAT-AP 3.0.1 shapes shipped in dcat_ap/, parsed once."""
    shapes = Graph()
    for name in DCAT_AP_FILES:
        shapes.parse(DCAT_AP_DIR / name, format="turtle")
    return shapes


def validate_dcat_ap(triples: list[Triple]) -> ValidationReport:
    """The DCAT-AP 3 validation report of a description (pySHACL, no inference, nothing fetched)."""
    data = Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")
    return validate_graph(data, dcat_ap_shapes(), advanced=False)


@dataclass(frozen=True)
class Counted:
    """What one RDF file holds: `kind` "triples" or "quads", how many, and how many in graph/dataset."""

    kind: str
    total: int
    described: int = 0


def rdf_format_of(name: str) -> RdfFormat | None:
    """The RDF syntax of a release file by its name (under .gz), or None.

    >>> rdf_format_of("mic-ict-strategy.nq.gz"), rdf_format_of("manifest.json")
    (<RdfFormat N-Quads>, None)
    """
    return RDF_SUFFIXES.get(Path(name.removesuffix(".gz")).suffix)


LINE_FORMATS = (RdfFormat.N_TRIPLES, RdfFormat.N_QUADS)  # one statement a line at most, by their grammar


def count_file(path: Path, *, described_graph: NamedNode) -> Counted:
    """Count what one RDF file (gzipped or not) holds.

    N-Triples and N-Quads hold one statement on each line that is neither empty nor a comment; of
    the N-Quads lines, those ending in `described_graph` are parsed to count its quads. Other
    formats are parsed whole.
    """
    format = rdf_format_of(path.name)
    opener = gzip.open if path.name.endswith(".gz") else open
    total = described = 0
    with opener(path, "rb") as handle:
        if format in LINE_FORMATS:
            end = f"<{described_graph.value}> .".encode()
            tails = []
            for line in handle:
                line = line.strip()
                if line and not line.startswith(b"#"):
                    total += 1
                    if line.endswith(end):
                        tails.append(line)
            if tails:  # a triple whose object is the graph's IRI ends so too
                quads = parse(input=b"\n".join(tails), format=format)
                described = sum(quad.graph_name == described_graph for quad in quads)
        else:
            for quad in parse(handle, format=format):
                total += 1
                described += quad.graph_name == described_graph
    return Counted("quads" if format in QUAD_FORMATS else "triples", total, described)


def count_statements(
    directory: Path, names: list[str], *, iris: Iris, counted: dict[str, Counted] | None = None
) -> dict[str, Counted]:
    """Count each RDF file among `names` in `directory`, but those already `counted` (kept as they are);
    a gzipped dump counts as the plain one it packs (written from it, gate-checked when the tests decompress it)."""
    graph = NamedNode(iris.graph(DATASET_GRAPH))
    counted = dict(counted or {})
    rdf = sorted((name for name in names if rdf_format_of(name) is not None and name not in counted),
                 key=lambda n: n.endswith(".gz"))
    for name in stage_items(rdf, "counts", unit="files"):
        plain = name.removesuffix(".gz")
        if plain != name and plain in counted:
            counted[name] = counted[plain]
        else:
            counted[name] = count_file(directory / name, described_graph=graph)
    return counted


def _number(void: list[Triple], subject: str) -> int | None:
    for triple in void:
        if triple.subject.value == subject and triple.predicate.value == str(VOID.triples):
            return int(triple.object.value)
    return None


def count_problems(void: list[Triple], counted: dict[str, Counted], *, iris: Iris, data_quads: int) -> list[Problem]:
    """Where the files do not hold what the description (`void`) and the build (`data_quads`) count."""
    data = _number(void, dataset_iri(iris))
    described = _number(void, iris.graph(DATASET_GRAPH))
    problems = []

    def wrong(name: str, found: int, expected, what: str) -> None:
        if found != expected:
            message = f"holds {found} {what}, but {expected} were counted"
            problems.append(Problem("Violation", name, COUNT_CHECK, str(found), message, COUNT_CHECK))

    for dump in DUMPS:
        got = counted.get(dump.name)
        if got is None:
            problems.append(Problem("Violation", dump.name, COUNT_CHECK, "", "is missing", COUNT_CHECK))
        elif got.kind == "triples":
            wrong(dump.name, got.total, data, "triples (void:triples of the dataset)")
        else:
            wrong(dump.name, got.total, data_quads + (described or 0), "quads (the data's and the description's)")
            if not dump.gzip:
                wrong(dump.name, got.described, described, "quads in graph/dataset (void:triples of graph/dataset)")
    return problems


def check_release(void: list[Triple], counted: dict[str, Counted], *, iris: Iris, data_quads: int) -> ValidationReport:
    """DCAT-AP and the counts of a release: its report, if nothing is violated.

    :param void: the description as void.ttl holds it.
    :param counted: what each RDF file of the release holds, from `count_statements`.
    :param data_quads: the quads of the data, as the build counted them.
    :raises DescriptionRefused: with the report (every DCAT-AP result and count problem), on a Violation.
    """
    with stage("DCAT-AP check", total=1, unit="descriptions") as progress:
        dcat = validate_dcat_ap(void)
        progress.advance()
    problems = dcat.problems + count_problems(void, counted, iris=iris, data_quads=data_quads)
    problems.sort(key=lambda p: (SEVERITY_RANK.get(p.severity, 9), p.focus, p.path))
    conforms = dcat.conforms and not any(p.shape == COUNT_CHECK for p in problems)
    report = ValidationReport(conforms=conforms, problems=problems, graph=dcat.graph)
    log.info(
        "release description: %d DCAT-AP or count violation(s), %d other result(s)",
        len(report.violations),
        len(problems) - len(report.violations),
    )
    if report.violations:
        raise DescriptionRefused(report)
    return report
