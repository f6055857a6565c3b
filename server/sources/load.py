"""Parse each Source into a pyoxigraph Store: into its own named graph, or as the file gives its graphs.

The project's Turtle files use relative IRIs (``@prefix mic: <ontology/>``),
resolved here against the configured base IRI, so one setting moves every IRI;
those of a file loaded as it is, against its place under the base (Source.location). Every RDF file is parsed
by the store's own (Rust) parser and bulk-loaded: nothing of the data passes
through Python objects, so ten million triples load in minutes.
``source/passages.tsv`` becomes the passages' own resources: their id, order,
section heading, Japanese text and English gloss.
"""

from __future__ import annotations

import csv
import gzip
import logging
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Store

from server.common.errors import SourceSyntaxError
from server.common.progress import Stage
from server.common.progress import reading
from server.common.progress import stage
from server.common.vocab import DCTERMS
from server.common.vocab import RDF
from server.common.vocab import RDFS
from server.common.vocab import SCHEMA
from server.common.vocab import XSD
from server.common.vocab import Iris
from server.sources.find import GZIP
from server.sources.find import PASSAGES
from server.sources.find import Source

log = logging.getLogger(__name__)

SOURCE_PART = "id/document/business-guide-2023-global-strategy-bureau"


def load_sources(sources: list[Source], store: Store, *, base_iri: str, reserved: Iterable[str] = ()) -> None:
    """Parse every source into `store`: into its named graph (several sources may share one), or as it is.

    The store should be new: loading is not transactional, so after an error
    it holds part of the data and is to be thrown away.

    :param reserved: graph IRIs the server gives its own graphs, which no source may fill.
    :raises SourceSyntaxError: naming the file, line and column of the first syntax error,
        or the file that fills a reserved graph.
    """
    reserved = [NamedNode(iri) for iri in reserved]
    size = sum(source.path.stat().st_size for source in sources)
    with stage("parse and load", total=size, unit="B") as progress:
        for source in sources:
            graph = NamedNode(source.graph_iri) if source.graph_iri else None
            if source.format == PASSAGES:
                store.bulk_extend(passage_quads(read_passages(source.path), graph, base_iri=base_iri))
                progress.advance(source.path.stat().st_size)
            else:
                location = base_iri + quote(source.location)
                parse_rdf(source.path, store, source.format, graph, base_iri=location, progress=progress)
            for name in reserved:
                if store.contains_named_graph(name):
                    raise SourceSyntaxError(
                        f"{source.path}: fills the graph <{name.value}>, the name this server gives its own "
                        "description of the dataset; rename that graph, or serve with another --base-iri"
                    )
            log.debug("loaded %s into %s", source.path.name, f"<{graph.value}>" if graph else "the graphs it names")


def parse_rdf(
    path: Path,
    store: Store,
    format: RdfFormat,
    graph: NamedNode | None,
    *,
    base_iri: str,
    progress: Stage | None = None,
) -> None:
    """Bulk-load one RDF file (gzipped if its name ends in .gz) into `graph`, or as it is if `graph` is None.

    Every byte read from the file advances `progress`.
    """
    try:
        with reading(path, progress) as raw:
            handle = gzip.open(raw) if path.name.endswith(GZIP) else raw
            with handle:
                store.bulk_load(handle, format=format, base_iri=base_iri, to_graph=graph)
    except SyntaxError as exc:
        raise SourceSyntaxError(f"{path}: {exc}") from exc
    except (OSError, ValueError, EOFError) as exc:  # unreadable, not UTF-8, or a broken gzip
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
