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

Each statement keeps the named graphs that state it, so pages can show the
passage behind every fact (graph ``graph/A1`` is what passage ``id/passage/A1``
states).

A graph kept outside the store (`Extra`: the release's own description,
``graph/dataset``, which no query of the data may see) is read as if the store
held it, so the dataset, its releases and distributions have pages too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from itertools import islice
from typing import TYPE_CHECKING

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import serialize
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS

from server.common.errors import QueryFailed
from server.common.errors import ResourceNotFound
from server.common.vocab import GRAPH_PATH
from server.common.vocab import ID_PATH
from server.common.vocab import SCHEMA
from server.common.vocab import Iris
from server.common.vocab import output_prefixes
from server.common.vocab import used_prefixes

if TYPE_CHECKING:
    from pyoxigraph import Store

log = logging.getLogger(__name__)

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
SELECT ?n ?p ?l WHERE {
  VALUES ?n { $names }
  { ?n <http://www.w3.org/2000/01/rdf-schema#label> ?l BIND(<http://www.w3.org/2000/01/rdf-schema#label> AS ?p) }
  UNION
  { ?n <http://www.w3.org/2004/02/skos/core#prefLabel> ?l BIND(<http://www.w3.org/2004/02/skos/core#prefLabel> AS ?p) }
}
"""


@dataclass(frozen=True)
class Extra:
    """A named graph kept outside the store: its IRI and its triples."""

    graph: str = ""
    triples: Sequence[Triple] = ()


@dataclass(frozen=True)
class Statement:
    """One triple of the description and the named graphs that state it."""

    triple: Triple
    graphs: tuple[str, ...] = ()


@dataclass
class Description:
    """What is known about one IRI; see the module docstring."""

    iri: str
    own: list[Statement] = field(default_factory=list)
    inbound: list[Statement] = field(default_factory=list)
    labels: list[Triple] = field(default_factory=list)
    contents: list[Triple] = field(default_factory=list)
    content_graph: str | None = None
    truncated: bool = False

    def triples(self) -> list[Triple]:
        """Every triple of the description once, the resource's own first, then by subject."""
        seen = {s.triple for s in self.own} | {s.triple for s in self.inbound}
        seen |= set(self.labels) | set(self.contents)
        return sorted(
            seen, key=lambda t: (t.subject.value != self.iri, str(t.subject), str(t.predicate), str(t.object))
        )

    def label_map(self) -> dict[str, dict[str, str]]:
        """IRI -> {language: label}, rdfs:label winning over skos:prefLabel."""
        labels: dict[str, dict[str, str]] = {}
        for triple in sorted(self.labels, key=lambda t: LABEL_PREDICATES.index(t.predicate.value), reverse=True):
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
    for triple in extra.triples:
        if description.iri in (triple.subject.value, triple.object.value):
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
    labels: set[Triple] = set()
    batch = sorted(names, key=str)
    for start in range(0, len(batch), 500):
        values = " ".join(str(name) for name in batch[start : start + 500])
        for solution in store.query(LABELS.replace("$names", values), use_default_graph_as_union=True):
            labels.add(Triple(solution["n"], solution["p"], solution["l"]))
    labels |= {t for t in extra.triples if t.subject in names and t.predicate.value in LABEL_PREDICATES}
    description.labels = sorted(labels, key=str)


def passage_of(graph: str, iris: Iris) -> str | None:
    """The passage whose statements a graph holds, or None for other graphs.

    >>> passage_of("https://x.org/graph/A1", Iris("https://x.org/"))
    'https://x.org/id/passage/A1'
    >>> passage_of("https://x.org/graph/ontology", Iris("https://x.org/")) is None
    True
    """
    name = graph[len(iris.base + GRAPH_PATH) :] if graph.startswith(iris.base + GRAPH_PATH) else None
    if not name or "/" in name or name in (ONTOLOGY_GRAPH, "dataset", "source"):
        return None
    return iris.base + ID_PATH + "passage/" + name


def passage_texts(store: Store, passages: set[str]) -> dict[str, str]:
    """Passage IRI -> its Japanese text (``schema:text``), for those that have one."""
    if not passages:
        return {}
    values = " ".join(f"<{p}>" for p in sorted(passages))
    query = f"SELECT ?p ?t WHERE {{ VALUES ?p {{ {values} }} ?p <{SCHEMA.text}> ?t }}"
    return {s["p"].value: s["t"].value for s in store.query(query, use_default_graph_as_union=True)}


def serialize_description(description: Description, format: RdfFormat, *, iris: Iris) -> bytes:
    """The description's triples in `format`, with the prefixes it uses where the format has them."""
    triples = description.triples()
    return serialize(triples, format=format, prefixes=used_prefixes(triples, output_prefixes(iris)))
