"""The description of one resource: what a client gets when it dereferences an IRI of ours.

A description holds, so that a client needs no second request to show it:

- the resource's own statements (``<iri> ?p ?o``);
- the statements pointing to it (``?s ?p <iri>``), at most MAX_INBOUND of them
  (a class with a million instances would otherwise be a million-triple page;
  the rest is a SPARQL query away, and `truncated` says so);
- the ``rdfs:label`` and ``skos:prefLabel`` of everything it names: the
  objects and predicates of its statements, the subjects and predicates of
  those pointing to it;
- for a named graph's IRI (``graph/A1``) and for the ontology IRI
  (``ontology``, whose graph is ``graph/ontology``), the statements of that
  graph too, unless it holds more than MAX_GRAPH_CONTENT.

Each statement keeps the named graphs that state it, and the description
holds the passage each of those graphs was drawn from, as the data says it
(``graph/A1 prov:wasDerivedFrom id/passage/A1`` in ``graph/provenance``, the
passage having a ``schema:text``), so pages can show the passage behind every
fact and the TriG twin can carry it as data. A graph drawn from no passage
(``graph/links``, ``graph/schemes``, ``graph/ontology``) is named as itself.

A graph kept outside the store (`Extra`: the release's own description,
``graph/dataset``, which no query of the data may see) is read as if the store
held it, so the dataset, its releases and distributions have pages too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from functools import cached_property
from itertools import islice
from typing import TYPE_CHECKING

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import serialize
from rdflib.namespace import PROV
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS

from server.common.errors import QueryFailed
from server.common.errors import ResourceNotFound
from server.common.vocab import GRAPH_PATH
from server.common.vocab import SCHEMA
from server.common.vocab import Iris
from server.common.vocab import output_prefixes
from server.common.vocab import used_prefixes

if TYPE_CHECKING:
    from pyoxigraph import Store

log = logging.getLogger(__name__)

DATASET_FORMATS = (RdfFormat.TRIG, RdfFormat.N_QUADS)  # the formats of named graphs (JSON-LD stays triples)
MAX_INBOUND = 1000
MAX_GRAPH_CONTENT = 10_000
LABEL_PREDICATES = (str(RDFS.label), str(SKOS.prefLabel))
ONTOLOGY_GRAPH = "ontology"

QUADS = """
SELECT ?s ?p ?o ?g WHERE {
  { GRAPH ?g { <$iri> ?p ?o } BIND(<$iri> AS ?s) }
  UNION
  { SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p <$iri> } BIND(<$iri> AS ?o) } LIMIT $limit }
}
"""
# One pattern per label predicate, each with a constant predicate: a variable predicate bound by
# VALUES is planned as a scan of every quad (27 ms at 100k triples against 0.4 ms for 50 names).
LABELS = """
SELECT ?n ?p ?l ?g WHERE {
  VALUES ?n { $names }
  { GRAPH ?g { ?n <http://www.w3.org/2000/01/rdf-schema#label> ?l }
    BIND(<http://www.w3.org/2000/01/rdf-schema#label> AS ?p) }
  UNION
  { GRAPH ?g { ?n <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }
    BIND(<http://www.w3.org/2004/02/skos/core#prefLabel> AS ?p) }
}
"""
# The passage each graph was drawn from, with its text, and the graph that says so.
PASSAGES = """
SELECT ?g ?p ?t ?h WHERE {
  VALUES ?g { $graphs }
  GRAPH ?h { ?g <$derived> ?p }
  ?p <$text> ?t
}
""".replace("$derived", str(PROV.wasDerivedFrom)).replace("$text", str(SCHEMA.text))


@dataclass(frozen=True)
class Extra:
    """A named graph kept outside the store: its IRI and its triples (indexed once, on first use)."""

    graph: str = ""
    triples: Sequence[Triple] = ()

    @cached_property
    def mentioning(self) -> dict[str, list[Triple]]:
        """The triples whose subject or object has this value (an IRI), by the value."""
        index: dict[str, list[Triple]] = {}
        for triple in self.triples:
            for value in {triple.subject.value, triple.object.value}:
                index.setdefault(value, []).append(triple)
        return index

    @cached_property
    def labels(self) -> dict[NamedNode, list[Triple]]:
        """The label triples (LABEL_PREDICATES), by their subject."""
        index: dict[NamedNode, list[Triple]] = {}
        for triple in self.triples:
            if triple.predicate.value in LABEL_PREDICATES:
                index.setdefault(triple.subject, []).append(triple)
        return index


@dataclass(frozen=True)
class Statement:
    """One triple of the description and the named graphs that state it."""

    triple: Triple
    graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """The passage a named graph was drawn from: its IRI, its text, and the graph stating the derivation."""

    iri: str
    text: str
    stated_in: str

    @property
    def name(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


@dataclass
class Description:
    """What is known about one IRI; see the module docstring."""

    iri: str
    own: list[Statement] = field(default_factory=list)
    inbound: list[Statement] = field(default_factory=list)
    labels: list[Statement] = field(default_factory=list)
    contents: list[Triple] = field(default_factory=list)
    content_graph: str | None = None
    truncated: bool = False
    passages: dict[str, Passage] = field(default_factory=dict)  # graph -> the passage it was drawn from

    @property
    def size(self) -> int:
        """The number of statements held (at least 1)."""
        return 1 + len(self.own) + len(self.inbound) + len(self.labels) + len(self.contents)

    def triples(self) -> list[Triple]:
        """Every triple of the description once, the resource's own first, then by subject."""
        seen = {s.triple for s in self.own + self.inbound + self.labels} | set(self.contents)
        return sorted(seen, key=self._order)

    def quads(self) -> list[Quad]:
        """Every statement of the description in each graph that states it, and which passage each graph
        was drawn from, in the graph that says so."""
        quads = {Quad(*s.triple, NamedNode(g)) for s in self.own + self.inbound + self.labels for g in s.graphs}
        if self.content_graph is not None:
            quads |= {Quad(*t, NamedNode(self.content_graph)) for t in self.contents}
        derived = NamedNode(str(PROV.wasDerivedFrom))
        quads |= {
            Quad(NamedNode(graph), derived, NamedNode(p.iri), NamedNode(p.stated_in))
            for graph, p in self.passages.items()
        }
        return sorted(quads, key=lambda q: (str(q.graph_name), *self._order(q.triple)))

    def _order(self, t: Triple) -> tuple:
        return (t.subject.value != self.iri, str(t.subject), str(t.predicate), str(t.object))

    def label_map(self) -> dict[str, dict[str, str]]:
        """IRI -> {language: label}, rdfs:label winning over skos:prefLabel."""
        labels: dict[str, dict[str, str]] = {}
        ordered = sorted((s.triple for s in self.labels), key=lambda t: LABEL_PREDICATES.index(t.predicate.value))
        for triple in reversed(ordered):
            if isinstance(triple.object, Literal):
                labels.setdefault(triple.subject.value, {})[triple.object.language or ""] = triple.object.value
        return labels


def describe_resource(store: Store, iri: str, *, iris: Iris, extra: Extra = Extra()) -> Description:
    """Describe `iri` from the store's graphs and the `extra` graph.

    :raises ResourceNotFound: if no statement mentions `iri` and no graph has it as name.
    :raises QueryFailed: if the engine fails reading the store.
    """
    try:
        node = NamedNode(iri)
    except ValueError:
        raise ResourceNotFound(iri) from None
    description = Description(iri)
    try:
        _add_statements(store, description, extra)
        graph = _content_graph(store, iri, iris)
        if graph is not None and graph.value == extra.graph:
            description.content_graph, description.contents = extra.graph, list(extra.triples)
        elif graph is not None:
            _add_contents(store, description, graph)
        if not description.own and not description.inbound and not description.contents:
            if graph is None or not store.contains_named_graph(graph):
                raise ResourceNotFound(iri)
        _add_labels(store, description, node, extra)
        _add_passages(store, description)
    except OSError as exc:
        log.exception("the engine failed describing <%s>", iri)
        raise QueryFailed("The query engine failed; the error has been logged.") from exc
    return description


def _content_graph(store: Store, iri: str, iris: Iris) -> NamedNode | None:
    if iri == iris.ontology:
        return NamedNode(iris.graph(ONTOLOGY_GRAPH))
    if iri.startswith(iris.base + GRAPH_PATH):
        return NamedNode(iri)
    return None


def _add_statements(store: Store, description: Description, extra: Extra) -> None:
    query = QUADS.replace("$iri", description.iri).replace("$limit", str(MAX_INBOUND + 1))
    graphs: dict[Triple, list[str]] = {}
    for solution in store.query(query):
        triple = Triple(solution["s"], solution["p"], solution["o"])
        graphs.setdefault(triple, []).append(solution["g"].value)
    for triple in extra.mentioning.get(description.iri, ()):
        graphs.setdefault(triple, []).append(extra.graph)
    inbound_quads = 0
    for triple, names in graphs.items():
        statement = Statement(triple, tuple(sorted(set(names))))
        if triple.subject.value == description.iri and isinstance(triple.subject, NamedNode):
            description.own.append(statement)
        else:
            description.inbound.append(statement)
            inbound_quads += len(names)
    if inbound_quads > MAX_INBOUND:
        description.truncated = True
    key = _statement_order
    description.own.sort(key=key)
    description.inbound.sort(key=key)


def _statement_order(statement: Statement) -> tuple[str, str, str]:
    t = statement.triple
    return (str(t.predicate), str(t.object), str(t.subject))


def _add_contents(store: Store, description: Description, graph: NamedNode) -> None:
    quads = list(islice(store.quads_for_pattern(None, None, None, graph), MAX_GRAPH_CONTENT + 1))
    if len(quads) > MAX_GRAPH_CONTENT:
        description.truncated = True
        return
    description.content_graph = graph.value
    description.contents = [Triple(q.subject, q.predicate, q.object) for q in quads]


def _add_labels(store: Store, description: Description, node: NamedNode, extra: Extra) -> None:
    names = {node}
    for statement in description.own:
        names |= {statement.triple.predicate, statement.triple.object}
    for statement in description.inbound:
        names |= {statement.triple.predicate, statement.triple.subject}
    for triple in description.contents:
        names |= {triple.subject, triple.predicate, triple.object}
    names = {name for name in names if isinstance(name, NamedNode)}
    labels: dict[Triple, set[str]] = {}
    batch = sorted(names, key=str)
    for start in range(0, len(batch), 500):
        values = " ".join(str(name) for name in batch[start : start + 500])
        for solution in store.query(LABELS.replace("$names", values)):
            triple = Triple(solution["n"], solution["p"], solution["l"])
            labels.setdefault(triple, set()).add(solution["g"].value)
    for name in names:
        for triple in extra.labels.get(name, ()):
            labels.setdefault(triple, set()).add(extra.graph)
    statements = (Statement(triple, tuple(sorted(graphs))) for triple, graphs in labels.items())
    description.labels = sorted(statements, key=lambda s: str(s.triple))


def _add_passages(store: Store, description: Description) -> None:
    graphs = sorted({g for s in description.own + description.inbound for g in s.graphs})
    if not graphs:
        return
    query = PASSAGES.replace("$graphs", " ".join(f"<{g}>" for g in graphs))
    for row in store.query(query, use_default_graph_as_union=True):
        passage = Passage(row["p"].value, row["t"].value, row["h"].value)
        description.passages.setdefault(row["g"].value, passage)


def serialize_description(description: Description, format: RdfFormat, *, iris: Iris) -> bytes:
    """The description in `format`, with the prefixes it uses where the format has them: its triples, or for
    a format of datasets (TriG, N-Quads) its quads, each statement in the graphs that state it."""
    if format in DATASET_FORMATS:
        quads = description.quads()
        return serialize(quads, format=format, prefixes=used_prefixes([q.triple for q in quads], output_prefixes(iris)))
    triples = description.triples()
    return serialize(triples, format=format, prefixes=used_prefixes(triples, output_prefixes(iris)))
