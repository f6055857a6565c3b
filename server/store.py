"""Build and open the pyoxigraph Store; the only module that imports pyoxigraph's Store."""

from __future__ import annotations

import logging
from pathlib import Path

from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from rdflib import Dataset
from rdflib import URIRef

log = logging.getLogger(__name__)

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
