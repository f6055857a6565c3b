"""Parse each Source into its own named graph of a pyoxigraph Store.

Turtle files use relative IRIs (``@prefix mic: <ontology/>``), resolved here
against the configured base IRI, so one setting moves every IRI. They are
parsed by the store's own (Rust) parser and bulk-loaded: nothing of the data
passes through Python objects, so ten million triples load in minutes.
``source/passages.tsv`` becomes the passages' own resources: their id, order,
section heading, Japanese text and English gloss.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Store

from server.common.errors import SourceSyntaxError
from server.common.vocab import DCTERMS
from server.common.vocab import RDF
from server.common.vocab import RDFS
from server.common.vocab import SCHEMA
from server.common.vocab import XSD
from server.common.vocab import Iris
from server.sources.find import Source

log = logging.getLogger(__name__)

SOURCE_PART = "id/document/business-guide-2023-global-strategy-bureau"


def load_sources(sources: list[Source], store: Store, *, base_iri: str) -> None:
    """Parse every source into `store`, one named graph per graph IRI (several sources may share one).

    The store should be new: loading is not transactional, so after an error
    it holds part of the data and is to be thrown away.

    :raises SourceSyntaxError: naming the file, line and column of the first syntax error.
    """
    for source in sources:
        graph = NamedNode(source.graph_iri)
        if source.format == "turtle":
            parse_turtle(source.path, store, graph, base_iri=base_iri)
        elif source.format == "passages-tsv":
            store.bulk_extend(passage_quads(read_passages(source.path), graph, base_iri=base_iri))
        else:  # pragma: no cover - find.py only makes the two
            raise SourceSyntaxError(f"{source.path}: unknown format {source.format}")
        log.info("loaded %s into <%s>", source.path.name, source.graph_iri)


def parse_turtle(path: Path, store: Store, graph: NamedNode, *, base_iri: str) -> None:
    try:
        store.bulk_load(path=str(path), format=RdfFormat.TURTLE, base_iri=base_iri, to_graph=graph)
    except SyntaxError as exc:
        raise SourceSyntaxError(f"{path}: {exc}") from exc
    except (OSError, ValueError) as exc:  # unreadable, or not UTF-8
        raise SourceSyntaxError(f"{path}: {exc}") from exc


def read_passages(path: Path) -> list[dict[str, str]]:
    """The rows of passages.tsv: id, section, text_ja, gloss_en."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    for number, row in enumerate(rows, start=2):
        if not row.get("id") or not row.get("text_ja"):
            raise SourceSyntaxError(f"{path}:{number}: a passage needs an id and a text")
    return rows


def passage_quads(rows: list[dict[str, str]], graph: NamedNode, *, base_iri: str) -> Iterator[Quad]:
    """The statements about each passage of passages.tsv, in `graph`.

    >>> rows = [{"id": "A1", "section": "節", "text_ja": "本文", "gloss_en": "Text"}]
    >>> quads = list(passage_quads(rows, NamedNode("http://e/graph/source"), base_iri="http://e/"))
    >>> len(quads), str(quads[0].subject)
    (9, '<http://e/id/passage/A1>')
    """
    iris = Iris(base_iri)

    def mic(name: str) -> NamedNode:
        return NamedNode(iris.term(name))

    document = NamedNode(base_iri + SOURCE_PART)
    integer = NamedNode(str(XSD.integer))
    for order, row in enumerate(rows, start=1):
        passage = NamedNode(iris.passage(row["id"]))
        statements = [
            (NamedNode(str(RDF.type)), mic("Passage")),
            (NamedNode(str(RDFS.label)), Literal(f"箇所 {row['id']}", language="ja")),
            (NamedNode(str(RDFS.label)), Literal(f"Passage {row['id']}", language="en")),
            (NamedNode(str(DCTERMS.identifier)), Literal(row["id"])),
            (NamedNode(str(DCTERMS.isPartOf)), document),
            (mic("sequence"), Literal(str(order), datatype=integer)),
            (mic("sectionHeading"), Literal(row["section"], language="ja")),
            (NamedNode(str(SCHEMA.text)), Literal(row["text_ja"], language="ja")),
            (mic("gloss"), Literal(row["gloss_en"], language="en")),
        ]
        for predicate, value in statements:
            yield Quad(passage, predicate, value, graph)
