"""Create, fill and open pyoxigraph Stores: in memory, or on disk in a store folder."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from pyoxigraph import DefaultGraph
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Store

from server.common.progress import reading
from server.common.progress import stage

log = logging.getLogger(__name__)


def create_store(path: Path | None = None) -> Store:
    """A new, empty store: in memory, or on disk in the folder `path` (which must be new or empty)."""
    if path is None:
        return Store()
    path.mkdir(parents=True, exist_ok=True)
    return Store(str(path))


def describe_store(store: Store) -> None:
    """Log how many quads and named graphs the store holds."""
    log.info("store holds %d quads in %d graphs", len(store), sum(1 for _ in store.named_graphs()))


MATERIALISE_BATCH = 200_000


def materialise_default_graph(store: Store, into: Store | None = None) -> None:
    """Bulk-load the merge of every graph of `store` (a set) into the default graph of `into`, else of `store`.

    In place, the default graph then holds the named graphs' triples beside its own:
    readers of such a store query its default graph as it is; they must not ask for
    the union of all graphs, which would count every triple twice. Into another store
    (a scratch one for the triples dumps), `store` is left as it is. Blank nodes keep
    their identity: the triples are copied, not re-parsed.
    """
    in_place = into is None
    quads = (
        Quad(quad.subject, quad.predicate, quad.object, DefaultGraph())
        for quad in store.quads_for_pattern(None, None, None, None)
        if not (in_place and isinstance(quad.graph_name, DefaultGraph))
    )
    target = store if in_place else into
    with stage("materialise default graph", total=len(store), unit="quads") as progress:
        while batch := list(islice(quads, MATERIALISE_BATCH)):  # the bulk loader holds a batch in memory
            target.bulk_extend(batch)
            progress.advance(len(batch))
        target.flush()


# --- the on-disk store folder -------------------------------------------------
#
# ``store_path/`` holds ``store.json`` (which store is current and what it was built
# from: the sources' fingerprint and the release version) and one folder per build,
# ``store-{fingerprint12}-{n}/``. A build goes into a new folder, so the store being
# served is never written; the folders of older builds are removed by a later build.

STORE_STATE = "store.json"
STORE_PREFIX = "store-"


def new_store_dir(store_path: Path, fingerprint: str) -> Path:
    """A fresh folder under `store_path` for a new build; older builds but the current one are removed."""
    store_path.mkdir(parents=True, exist_ok=True)
    state = read_store_state(store_path)
    keep = state.get("store") if state else None
    for folder in store_path.glob(STORE_PREFIX + "*"):
        if folder.is_dir() and folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
    return store_path / f"{STORE_PREFIX}{fingerprint[:12]}-{time.time_ns()}"


def read_store_state(store_path: Path) -> dict | None:
    """What ``store.json`` says about the current store, or None if there is none (or it is unreadable)."""
    try:
        state = json.loads((store_path / STORE_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not (store_path / str(state.get("store", ""))).is_dir():
        return None
    return state


def write_store_state(store_path: Path, state: dict) -> None:
    """Record the current store atomically (written beside, then renamed)."""
    partial = store_path / (STORE_STATE + ".partial")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, store_path / STORE_STATE)


def load_store(nquads: Path, *, without: Iterable[str] = ()) -> Store:
    """A new in-memory store holding the quads of an N-Quads file, but those of the graphs named `without`."""
    store = Store()
    with stage("load release dump", total=nquads.stat().st_size, unit="B") as progress:
        with reading(nquads, progress) as handle:
            store.load(handle, format=RdfFormat.N_QUADS)
    for graph in without:
        store.remove_graph(NamedNode(graph))
    return store


def open_store(path: Path, *, read_only: bool = True) -> Store:
    """Open an on-disk store built earlier."""
    if not path.is_dir():
        raise FileNotFoundError(f"no store at {path}")
    return Store.read_only(str(path)) if read_only else Store(str(path))


def count_triples(store: Store, *, union: bool = True) -> tuple[int, dict[str, int]]:
    """Distinct triples in the default graph queries see (with `union`, the merge of all graphs;
    else the stored default graph), and the triples of each named graph.

    >>> from pyoxigraph import Literal, Quad
    >>> store = Store()
    >>> for g in ("http://e/g1", "http://e/g2"):
    ...     store.add(Quad(NamedNode("http://e/s"), NamedNode("http://e/p"), Literal("o"), NamedNode(g)))
    >>> count_triples(store)
    (1, {'http://e/g1': 1, 'http://e/g2': 1})
    """
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    total = next(store.query(distinct, use_default_graph_as_union=union))["n"]
    graphs = {solution["g"].value: int(solution["n"].value) for solution in store.query(per_graph)}
    return int(total.value), graphs
