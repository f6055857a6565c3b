"""Parse each Source into a pyoxigraph Store: into its own named graph, or as the file gives its graphs.

The project's Turtle files use relative IRIs (``@prefix mic: <ontology/>``),
resolved here against the configured base IRI, so one setting moves every IRI;
those of a file loaded as it is, against its place under the base (Source.location). Every RDF file is parsed
by the store's own (Rust) parser and bulk-loaded: nothing of the data passes
through Python objects on the way into the store, so ten million triples load in minutes.
``source/passages.tsv`` becomes the passages' own resources: their id, order,
section heading, Japanese text and English gloss. ``links/links.tsv`` becomes the
verified-links graph: for each verified row, its link record's scheme, identifier,
external IRI and evidence, which the SHACL shapes check every external identifier against.

The store keeps typed literals as values: ``"4.0"^^xsd:decimal`` is stored as ``"4"``,
``"5"^^xsd:int`` as ``"5"^^xsd:integer``. SHACL validates the graph as written, so
`load_sources` notes, while loading, each literal the store changed and returns them
(`written_forms`) for the validator (server/builder/shacl.py).
"""

from __future__ import annotations

import csv
import gzip
import logging
import re
from collections.abc import Iterable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from pyoxigraph import BlankNode
from pyoxigraph import DefaultGraph
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from pyoxigraph import parse

from server.common.errors import SourceSyntaxError
from server.common.progress import Stage
from server.common.progress import reading
from server.common.progress import stage
from server.common.vocab import DCTERMS
from server.common.vocab import PROV
from server.common.vocab import RDF
from server.common.vocab import RDFS
from server.common.vocab import SCHEMA
from server.common.vocab import XSD
from server.common.vocab import Iris
from server.sources.find import GZIP
from server.sources.find import LINKS
from server.sources.find import PASSAGES
from server.sources.find import Source

log = logging.getLogger(__name__)

SOURCE_PART = "id/document/business-guide-2023-global-strategy-bureau"
LINKS_DOCUMENT = "id/document/links-tsv"
LINK_COLUMNS = ("scheme", "identifier", "full_uri", "verified", "source")
# A Japanese law number (法律番号) as its link record's IRI writes it: 令和4年法律第93号 -> reiwa-4-93.
LAW_NUMBER = re.compile(r"^(明治|大正|昭和|平成|令和)([0-9]+)年法律第([0-9]+)号$")
ERAS = {"明治": "meiji", "大正": "taisho", "昭和": "showa", "平成": "heisei", "令和": "reiwa"}
# The passages.tsv section of a photo or figure caption: captions stand between paragraphs, under no heading.
CAPTION_SECTION = "caption"


def load_sources(
    sources: list[Source], store: Store, *, base_iri: str, reserved: Iterable[str] = ()
) -> dict[Quad, tuple[Literal, ...]]:
    """Parse every source into `store`: into its named graph (several sources may share one), or as it is.

    The store should be new: loading is not transactional, so after an error
    it holds part of the data and is to be thrown away.

    Each RDF file is bulk-loaded by the store's parser; a second, Python pass over the same file notes
    the typed literals the store keeps in another form than written (see the module). The store
    names blank nodes afresh, so if such a literal hangs off a blank node, the graphs holding one
    are loaded again through the Python parser, whose blank nodes the notes then name.

    :param reserved: graph IRIs the server gives its own graphs, which no source may fill.
    :returns: the literals as written, for each stored quad whose literal the store changed.
    :raises SourceSyntaxError: naming the file, line and column of the first syntax error,
        or the file that fills a reserved graph.
    """
    reserved = [NamedNode(iri) for iri in reserved]
    size = sum(source.path.stat().st_size for source in sources)
    rdf = [source for source in sources if source.format not in TABLES]  # tables: literals as the store keeps them
    with ThreadPoolExecutor(max_workers=1) as pool:  # the store's parser lets the Python one run meanwhile
        noting = pool.submit(_note_written, rdf, base_iri)
        with stage("parse and load", total=size, unit="B") as progress:
            for source in sources:
                graph = NamedNode(source.graph_iri) if source.graph_iri else None
                if source.format in TABLES:
                    read, quads = TABLES[source.format]
                    store.bulk_extend(quads(read(source.path), graph, base_iri=base_iri))
                    progress.advance(source.path.stat().st_size)
                else:
                    parse_rdf(source.path, store, source.format, graph, base_iri=_location(source, base_iri),
                              progress=progress)
                for name in reserved:
                    if store.contains_named_graph(name):
                        raise SourceSyntaxError(
                            f"{source.path}: fills the graph <{name.value}>, the name this server gives its own "
                            "description of the dataset; rename that graph, or serve with another --base-iri"
                        )
                log.debug("loaded %s into %s", source.path.name, f"<{graph.value}>" if graph else "the graphs it names")
        written = noting.result()
    blank = {quad.graph_name for quad in written if isinstance(quad.subject, BlankNode)}
    if not blank:
        return written
    again = WrittenForms()
    for graph in blank:
        store.clear_graph(graph)
    for source in sources:
        graph = NamedNode(source.graph_iri) if source.graph_iri else None
        if (graph or DefaultGraph()) not in blank and (graph is not None or source.format in TABLES):
            continue
        if source.format in TABLES:
            read, quads = TABLES[source.format]
            store.bulk_extend(quads(read(source.path), graph, base_iri=base_iri))
            continue
        quads = read_rdf(source.path, source.format, base_iri=_location(source, base_iri))
        store.bulk_extend(again.watch(quad for quad in _fresh(quads, graph) if quad.graph_name in blank))
    log.info("loaded %d graph(s) again to name the blank nodes of literals as written", len(blank))
    return {quad: forms for quad, forms in written.items() if quad.graph_name not in blank} | again.written()


def _note_written(rdf: list[Source], base_iri: str) -> dict[Quad, tuple[Literal, ...]]:
    """The literals the store keeps in another form than the RDF sources write them (`WrittenForms`)."""
    watcher = WrittenForms()
    with stage("note literals as written", total=sum(s.path.stat().st_size for s in rdf), unit="B") as progress:
        for source in rdf:
            graph = NamedNode(source.graph_iri) if source.graph_iri else None
            watcher.note(read_rdf(source.path, source.format, base_iri=_location(source, base_iri),
                                  progress=progress), graph)
    return watcher.written()


def _location(source: Source, base_iri: str) -> str:
    """The IRI a source's relative IRIs resolve against."""
    return base_iri + quote(source.location)


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


def read_rdf(path: Path, format: RdfFormat, *, base_iri: str, progress: Stage | None = None) -> Iterator[Quad]:
    """The quads of one RDF file (gzipped if its name ends in .gz), as Python objects: blank nodes as labelled.

    Only for a file the store has loaded already (parse_rdf has named any syntax error).
    """
    with reading(path, progress) as raw:
        handle = gzip.open(raw) if path.name.endswith(GZIP) else raw
        with handle:
            yield from parse(handle, format=format, base_iri=base_iri)


def _fresh(quads: Iterable[Quad], graph: NamedNode | None) -> Iterator[Quad]:
    """The parsed quads in `graph` (or their own graph if None), each blank node label a fresh blank node."""
    fresh: dict[str, BlankNode] = {}

    def node(term):
        return fresh.setdefault(term.value, BlankNode()) if type(term) is BlankNode else term

    for quad in quads:
        yield Quad(node(quad.subject), quad.predicate, node(quad.object), quad.graph_name if graph is None else graph)


# Literals of these datatypes the store reads as values (or, for the narrower integer types and
# xsd:dateTimeStamp, as xsd:integer and xsd:dateTime): it may keep them in another form.
VALUE_DATATYPES = frozenset(
    str(XSD[name])
    for name in (
        "integer decimal float double boolean dateTime date time gYear gYearMonth gMonth gDay gMonthDay duration "
        "dayTimeDuration yearMonthDuration long int short byte nonNegativeInteger positiveInteger unsignedLong "
        "unsignedInt unsignedShort unsignedByte nonPositiveInteger negativeInteger dateTimeStamp"
    ).split()
)
WATCH_BATCH = 50_000
# Forms the store is known to keep as they are (checked against the store by tests/test_shacl.py):
# these skip the round trip through `stored_forms`.
KEPT_AS_WRITTEN = {
    str(XSD[name]): re.compile(pattern)
    for name, pattern in {
        "integer": r"0|-?[1-9][0-9]{0,17}",
        "decimal": r"(?:0|-?[1-9][0-9]{0,17})(?:\.[0-9]{0,17}[1-9])?|-0\.[0-9]{0,17}[1-9]",
        "boolean": "true|false",
        "date": r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}",
        "dateTime": r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z?",
        "gYear": r"[1-9][0-9]{3}",
        "gYearMonth": r"[1-9][0-9]{3}-[0-9]{2}",
    }.items()
}


class WrittenForms:
    """Notes, while quads stream into a store, the literals the store will keep in another form.

    Typed literals are checked in batches (`stored_forms`); of the unchanged ones only a hash is
    kept, to tell whether a changed literal's stored form was also written for the same triple
    (a 64-bit hash: a false match would keep the stored form beside the written ones).
    """

    def __init__(self) -> None:
        self.pending: list[Quad] = []
        self.changed: list[tuple[Quad, Literal]] = []
        self.unchanged: set[int] = set()

    def note(self, quads: Iterable[Quad], graph: NamedNode | None) -> None:
        """Note the typed literals of parsed `quads`, as statements of `graph` (None: of their own graph)."""
        for quad in quads:
            value = quad.object
            if type(value) is Literal and value.datatype.value in VALUE_DATATYPES:
                self.add(quad if graph is None else Quad(quad.subject, quad.predicate, value, graph))

    def watch(self, quads: Iterable[Quad]) -> Iterator[Quad]:
        """The quads, noting their typed literals on the way into a store."""
        for quad in quads:
            value = quad.object
            if type(value) is Literal and value.datatype.value in VALUE_DATATYPES:
                self.add(quad)
            yield quad

    def add(self, quad: Quad) -> None:
        kept = KEPT_AS_WRITTEN.get(quad.object.datatype.value)
        if kept is not None and kept.fullmatch(quad.object.value):
            self.unchanged.add(hash(quad))
            return
        self.pending.append(quad)
        if len(self.pending) >= WATCH_BATCH:
            self.check()

    def check(self) -> None:
        forms = stored_forms(quad.object for quad in self.pending)
        for quad in self.pending:
            form = forms[quad.object]
            if form == quad.object:
                self.unchanged.add(hash(quad))
            else:
                self.changed.append((quad, form))
        self.pending.clear()

    def written(self) -> dict[Quad, tuple[Literal, ...]]:
        """For each stored quad whose literal the store changed: the literals written for it."""
        self.check()
        found: dict[Quad, list[Literal]] = {}
        for quad, form in self.changed:
            stored = Quad(quad.subject, quad.predicate, form, quad.graph_name)
            found.setdefault(stored, [form] if hash(stored) in self.unchanged else []).append(quad.object)
        if found:
            log.info("the store keeps %d literal(s) in another form than written", len(self.changed))
        return {stored: tuple(dict.fromkeys(literals)) for stored, literals in found.items()}


def stored_forms(literals: Iterable[Literal]) -> dict[Literal, Literal]:
    """Each literal, and the form the store keeps it in (a SPARQL query reads literals as the store does).

    >>> from server.common.vocab import XSD
    >>> forms = stored_forms([Literal("4.0", datatype=NamedNode(XSD.decimal)), Literal("x")])
    >>> sorted(str(form) for form in forms.values())
    ['"4"^^<http://www.w3.org/2001/XMLSchema#decimal>', '"x"']
    """
    distinct = list(dict.fromkeys(literals))
    if not distinct:
        return {}
    rows = " ".join(f"({index} {literal})" for index, literal in enumerate(distinct))
    solutions = Store().query(f"SELECT ?i ?form WHERE {{ VALUES (?i ?form) {{ {rows} }} }}")
    return {distinct[int(solution["i"].value)]: solution["form"] for solution in solutions}


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
    >>> caption = [{"id": "C1", "section": "caption", "text_ja": "写真の説明", "gloss_en": "Photo"}]
    >>> len(list(passage_quads(caption, NamedNode("http://e/graph/source"), base_iri="http://e/")))
    8
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
            (NamedNode(str(SCHEMA.text)), Literal(row["text_ja"], language="ja")),
            (mic("gloss"), Literal(row["gloss_en"], language="en")),
        ]
        if row["section"] and row["section"] != CAPTION_SECTION:
            statements.append((mic("sectionHeading"), Literal(row["section"], language="ja")))
        for predicate, value in statements:
            yield Quad(passage, predicate, value, graph)


def read_links(path: Path) -> list[dict[str, str]]:
    """The rows of links.tsv, each with its line number under ``line``.

    :raises SourceSyntaxError: naming the file and line of a row without scheme, identifier or source,
        or with an identifier that has no IRI form (``link_slug``), or the file if a column is missing.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [column for column in LINK_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise SourceSyntaxError(f"{path}:1: missing column(s) {', '.join(missing)}")
        rows = [{**row, "line": str(number)} for number, row in enumerate(reader, start=2)]
    for row in rows:
        empty = [column for column in ("scheme", "identifier", "source") if not (row.get(column) or "").strip()]
        if empty:
            raise SourceSyntaxError(f"{path}:{row['line']}: a verified link needs a {' and a '.join(empty)}")
        if link_slug(row["identifier"].strip()) is None:
            raise SourceSyntaxError(
                f"{path}:{row['line']}: the identifier {row['identifier'].strip()!r} has no IRI form: only ASCII "
                "identifiers and law numbers (令和4年法律第93号) have one"
            )
    return rows


def link_quads(rows: list[dict[str, str]], graph: NamedNode, *, base_iri: str) -> Iterator[Quad]:
    """What each verified row of links.tsv says, about its link record ``id/link/{scheme}-{identifier}``.

    Rows whose ``verified`` column is not ``yes`` are left out: their identifiers are not verified.

    >>> rows = [{"scheme": "wikidata", "identifier": "Q17", "full_uri": "http://www.wikidata.org/entity/Q17",
    ...          "verified": "yes", "source": "a file, line 3"}]
    >>> quads = list(link_quads(rows, NamedNode("http://e/graph/verified-links"), base_iri="http://e/"))
    >>> len(quads), str(quads[0].subject)
    (6, '<http://e/id/link/wikidata-q17>')
    >>> list(link_quads([{**rows[0], "verified": "no"}], NamedNode("http://e/g"), base_iri="http://e/"))
    []
    """
    iris = Iris(base_iri)
    document = NamedNode(base_iri + LINKS_DOCUMENT)
    for row in rows:
        if row["verified"].strip() != "yes":
            log.info("links.tsv line %s is not verified: left out", row.get("line", "?"))
            continue
        scheme, identifier = row["scheme"].strip(), row["identifier"].strip()
        record = NamedNode(iris.resource("link", f"{scheme}-{link_slug(identifier)}"))
        statements = [
            (NamedNode(iris.term("identifierScheme")), Literal(scheme)),
            (NamedNode(iris.term("identifierValue")), Literal(identifier)),
            (NamedNode(iris.term("evidence")), Literal(row["source"].strip())),
            (NamedNode(str(PROV.wasDerivedFrom)), document),
            (NamedNode(str(DCTERMS.source)), document),
        ]
        if row["full_uri"].strip():
            statements.append((NamedNode(iris.term("linkTarget")), NamedNode(row["full_uri"].strip())))
        for predicate, value in statements:
            yield Quad(record, predicate, value, graph)



def link_slug(identifier: str) -> str | None:
    """The identifier as the last part of its link record's IRI (lower case ASCII), or None if it has none.

    >>> link_slug("Q17"), link_slug("令和4年法律第93号"), link_slug("群馬県")
    ('q17', 'reiwa-4-93', None)
    """
    law = LAW_NUMBER.match(identifier)
    if law:
        return f"{ERAS[law[1]]}-{law[2]}-{law[3]}"
    return identifier.lower() if identifier.isascii() else None

# The project's tab-separated files: how each is read, and the quads its rows make.
TABLES = {PASSAGES: (read_passages, passage_quads), LINKS: (read_links, link_quads)}
