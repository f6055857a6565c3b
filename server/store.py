"""Build and open the pyoxigraph Store; the only module that imports pyoxigraph's Store."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from pyoxigraph import NamedNode
from pyoxigraph import QueryBoolean
from pyoxigraph import QuerySolutions
from pyoxigraph import QueryTriples
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from rdflib import Dataset
from rdflib import URIRef

from .errors import BadQuery
from .errors import BadRequest
from .errors import QueryFailed
from .errors import UpdateRefused

log = logging.getLogger(__name__)

READ_ONLY = "This endpoint is read-only: SPARQL Update is not accepted."


def build_store(dataset: Dataset, *, path: Path | None = None) -> Store:
    """Copy every named graph of `dataset` into a new Store (in memory unless `path`).

    The rdflib Dataset's default graph is empty by construction (load.py puts
    each source in a named graph); the SPARQL default graph is their union.
    """
    store = Store(str(path)) if path is not None else Store()
    if path is not None:
        store.clear()
    for graph in dataset.graphs():
        if not isinstance(graph.identifier, URIRef) or len(graph) == 0:
            continue
        ntriples = graph.serialize(format="nt", encoding="utf-8")
        to_graph = NamedNode(str(graph.identifier))
        if path is None:
            store.load(ntriples, format=RdfFormat.N_TRIPLES, to_graph=to_graph)
        else:
            store.bulk_load(ntriples, format=RdfFormat.N_TRIPLES, to_graph=to_graph)
    if path is not None:
        store.optimize()
    log.info("store holds %d quads in %d graphs", len(store), sum(1 for _ in store.named_graphs()))
    return store


def open_store(path: Path, *, read_only: bool = True) -> Store:
    """Open an on-disk store built earlier."""
    if not path.is_dir():
        raise FileNotFoundError(f"no store at {path}")
    return Store.read_only(str(path)) if read_only else Store(str(path))


def run_query(
    store: Store,
    text: str,
    *,
    prefixes: dict[str, str] | None = None,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
) -> QuerySolutions | QueryBoolean | QueryTriples:
    """Run one SPARQL query on `store`; the only place user queries reach the engine.

    The dataset is, in order: the protocol's `default_graphs` and `named_graphs`
    when either is given (a side not given is empty); else the query's own
    FROM / FROM NAMED; else the union of all named graphs as the default graph,
    with every named graph open to GRAPH.

    :param prefixes: prefixes the query may use without declaring them.
    :return: pyoxigraph's lazy result; SELECT solutions are computed as they are read.
    :raises UpdateRefused: if `text` is a SPARQL Update.
    :raises BadQuery: if `text` is not valid SPARQL; the message has the line:column.
    :raises BadRequest: if a graph IRI is not an absolute IRI.
    :raises QueryFailed: if the engine fails reading the store (logged).

    >>> from pyoxigraph import Literal, Quad
    >>> store = Store()
    >>> store.add(Quad(NamedNode("http://e/s"), NamedNode("http://e/p"), Literal("o"), NamedNode("http://e/g")))
    >>> bool(run_query(store, "ASK { e:s e:p ?o }", prefixes={"e": "http://e/"}))
    True
    >>> bool(run_query(store, "ASK { ?s ?p ?o }", named_graphs=["http://e/g"]))
    False
    >>> run_query(store, "CLEAR ALL")
    Traceback (most recent call last):
    server.errors.UpdateRefused: This endpoint is read-only: SPARQL Update is not accepted.
    """
    options: dict[str, object] = {}
    if default_graphs or named_graphs:
        options["default_graph"] = [_graph_name(iri) for iri in default_graphs]
        options["named_graphs"] = [_graph_name(iri) for iri in named_graphs]
    elif not names_dataset(text):
        options["use_default_graph_as_union"] = True
    try:
        return store.query(text, prefixes=prefixes, **options)
    except SyntaxError as exc:
        if is_update(text):
            raise UpdateRefused(READ_ONLY) from None
        raise BadQuery(f"The query is not valid SPARQL: {exc}") from None
    except OSError as exc:
        log.exception("the query engine failed")
        raise QueryFailed("The query engine failed; the error has been logged.") from exc


def _graph_name(iri: str) -> NamedNode:
    try:
        return NamedNode(iri)
    except ValueError as exc:
        raise BadRequest(f"The graph IRI <{iri}> is not an absolute IRI: {exc}") from None


def is_update(text: str) -> bool:
    """Whether `text` parses as a SPARQL Update request (never run, only parsed).

    Used only after the query parser has refused `text`, to say why.

    >>> is_update("PREFIX x: <http://x/> DELETE WHERE { ?s x:p ?o }")
    True
    >>> is_update("SELECT * WHERE { ?s ?p }")
    False
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except (ParseBaseException, RecursionError, ValueError):
        return False
    return True


def names_dataset(text: str) -> bool:
    """Whether a query has a FROM or FROM NAMED clause (outside strings, IRIs and comments).

    pyoxigraph drops a query's own dataset when asked for the union default graph.

    >>> names_dataset("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }")
    True
    >>> names_dataset('SELECT ?from { ?s <http://e/FROM> "from", ex:from } # FROM')
    False
    """
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
        elif c == "<":
            j = i + 1
            while j < n and text[j] not in '<>"{}|^`\\ \t\r\n':
                j += 1
            i = j + 1 if j < n and text[j] == ">" else i + 1
        elif c.isalnum() or c in "_?$:":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_-.:?$%"):
                j += 1
            if text[i:j].upper() == "FROM":
                return True
            i = j
        else:
            i += 1
    return False


def count_triples(store: Store) -> tuple[int, dict[str, int]]:
    """Distinct triples in the union default graph, and the triples of each named graph.

    >>> from pyoxigraph import Literal, Quad
    >>> store = Store()
    >>> for g in ("http://e/g1", "http://e/g2"):
    ...     store.add(Quad(NamedNode("http://e/s"), NamedNode("http://e/p"), Literal("o"), NamedNode(g)))
    >>> count_triples(store)
    (1, {'http://e/g1': 1, 'http://e/g2': 1})
    """
    union = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    total = next(store.query(union, use_default_graph_as_union=True))["n"]
    graphs = {solution["g"].value: int(solution["n"].value) for solution in store.query(per_graph)}
    return int(total.value), graphs
