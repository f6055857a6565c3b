"""Create, fill and open pyoxigraph Stores: in memory, or on disk in a store folder."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import DefaultGraph
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from pyoxigraph import parse

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


# The merge of the named graphs, made in the default graph by the engine (SPARQL updates, no quad passes
# through Python; blank nodes keep their identity). A set: a triple two graphs state is held once.
MERGE_GRAPH = "INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH <{}> {{ ?s ?p ?o }} }}"  # an update holds what it adds
MERGE_NAMED_GRAPHS = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"  # graphs named by blank nodes
# Where the stored default graph waits while the merge is in its place (`merged_default_graph`).
HELD_DEFAULT_GRAPH = NamedNode("urn:x-mic-lod:held-default-graph")


def materialise_default_graph(store: Store) -> None:
    """Add the triples of every named graph of `store` to its default graph, which then holds the merge.

    Readers of such a store query its default graph as it is; they must not ask for
    the union of all graphs, which would count every triple twice.
    """
    with stage("materialise default graph", unit="quads") as progress:
        before = len(store)
        graphs = sorted(store.named_graphs(), key=str)  # in one order: the store keeps the order added
        if all(isinstance(graph, NamedNode) for graph in graphs):  # a graph at a time: less held at once
            for graph in graphs:
                store.update(MERGE_GRAPH.format(graph.value))
        else:
            store.update(MERGE_NAMED_GRAPHS)
        store.flush()
        progress.advance(len(store) - before)


@contextmanager
def merged_default_graph(store: Store) -> Iterator[None]:
    """The merge of every graph of `store` (a set) in its default graph while the block runs.

    The stored default graph's own triples are part of the merge; after the block it is as it was.
    """
    held = next(store.quads_for_pattern(None, None, None, DefaultGraph()), None) is not None
    if held:
        store.update(f"MOVE DEFAULT TO <{HELD_DEFAULT_GRAPH.value}>")
    materialise_default_graph(store)
    try:
        yield
    finally:
        store.clear_graph(DefaultGraph())
        if held:
            store.update(f"MOVE <{HELD_DEFAULT_GRAPH.value}> TO DEFAULT")


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


LOAD_BLOCK = 32 << 20  # bytes of N-Quads per bulk load: the loader holds a block's quads in memory


def write_store(path: Path, nquads: Path, *, without: Iterable[str] = (), merged: Path | None = None) -> None:
    """Bulk-load a new on-disk store in the folder `path` from a release's dumps: the quads of its N-Quads
    dump but those of the graphs named `without`, and the triples of its N-Triples dump (`merged`, the
    merge of all graphs) into the default graph, for readers of the union default graph.

    The files are loaded a block of lines at a time by the store's loader, which names blank nodes afresh
    at each call: a block with a blank node (or "_:" in a literal, to be safe) is read by the Python parser
    instead, which keeps their labels, so that a blank node is one node in the named graphs and in the merge.
    """
    files = [nquads] if merged is None else [nquads, merged]  # N-Triples is N-Quads in the default graph
    store = create_store(path)
    with stage("write store", total=sum(file.stat().st_size for file in files), unit="B") as progress:
        for file in files:
            with file.open("rb") as handle:
                for block in _line_blocks(handle):
                    if b"_:" in block:
                        store.bulk_extend(parse(block, format=RdfFormat.N_QUADS))
                    else:
                        store.bulk_load(block, format=RdfFormat.N_QUADS)
                    progress.advance(len(block))
    for graph in without:
        store.remove_graph(NamedNode(graph))
    with stage("optimise store"):
        store.optimize()
    store.flush()


def _line_blocks(handle: BinaryIO) -> Iterator[bytes]:
    """The bytes of `handle` in blocks of LOAD_BLOCK bytes or so, each cut after a line."""
    rest = b""
    while block := handle.read(LOAD_BLOCK):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        if cut:
            rest = block[cut:]
            yield block[:cut]
        else:
            rest = block
    if rest:
        yield rest


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
