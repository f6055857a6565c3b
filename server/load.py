"""Parse each Source into its own named graph of an rdflib Dataset.

Turtle files use relative IRIs (``@prefix mic: <ontology/>``), resolved here
against the configured base IRI, so one setting moves every IRI.
``source/passages.tsv`` becomes the passages' own resources: their id, order,
section heading, Japanese text and English gloss.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from rdflib import Dataset
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.namespace import DCTERMS
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import XSD

from .errors import SourceSyntaxError
from .sources import Source
from .vocab import SCHEMA
from .vocab import Iris

log = logging.getLogger(__name__)

SOURCE_PART = "id/document/business-guide-2023-global-strategy-bureau"


def load_sources(sources: list[Source], *, base_iri: str) -> Dataset:
    """Parse every source into a Dataset with one named graph per graph IRI.

    :raises SourceSyntaxError: naming the file and line of the first syntax error.
    """
    dataset = Dataset()
    for source in sources:
        graph = dataset.graph(URIRef(source.graph_iri))
        before = len(graph)
        if source.format == "turtle":
            parse_turtle(source.path, graph, base_iri=base_iri)
        elif source.format == "passages-tsv":
            add_passages(read_passages(source.path), graph, base_iri=base_iri)
        else:  # pragma: no cover - sources.py only makes the two
            raise SourceSyntaxError(f"{source.path}: unknown format {source.format}")
        log.info("loaded %s: %d triples into <%s>", source.path.name, len(graph) - before, source.graph_iri)
    return dataset


def parse_turtle(path: Path, graph: Graph, *, base_iri: str) -> None:
    try:
        graph.parse(path, format="turtle", publicID=base_iri)
    except Exception as exc:  # rdflib raises several types for bad syntax
        raise SourceSyntaxError(f"{path}: {exc}") from exc


def read_passages(path: Path) -> list[dict[str, str]]:
    """The rows of passages.tsv: id, section, text_ja, gloss_en."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    for number, row in enumerate(rows, start=2):
        if not row.get("id") or not row.get("text_ja"):
            raise SourceSyntaxError(f"{path}:{number}: a passage needs an id and a text")
    return rows


def add_passages(rows: list[dict[str, str]], graph: Graph, *, base_iri: str) -> None:
    iris = Iris(base_iri)
    mic = iris.term
    document = URIRef(base_iri + SOURCE_PART)
    for order, row in enumerate(rows, start=1):
        passage = URIRef(iris.passage(row["id"]))
        graph.add((passage, RDF.type, URIRef(mic("Passage"))))
        graph.add((passage, RDFS.label, Literal(f"箇所 {row['id']}", lang="ja")))
        graph.add((passage, RDFS.label, Literal(f"Passage {row['id']}", lang="en")))
        graph.add((passage, DCTERMS.identifier, Literal(row["id"])))
        graph.add((passage, DCTERMS.isPartOf, document))
        graph.add((passage, URIRef(mic("sequence")), Literal(order, datatype=XSD.integer)))
        graph.add((passage, URIRef(mic("sectionHeading")), Literal(row["section"], lang="ja")))
        graph.add((passage, SCHEMA.text, Literal(row["text_ja"], lang="ja")))
        graph.add((passage, URIRef(mic("gloss")), Literal(row["gloss_en"], lang="en")))
