"""The embedded engine: the release's pyoxigraph store, with clients' queries run by killable workers.

`LocalEngine` reads the store in this process for the server's own trusted queries, and
hands every client's query to a worker process of a `QueryPool` (server/engine/workers.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import DefaultGraph
from pyoxigraph import NamedNode
from pyoxigraph import Quad

from server.builder.dataset import dataset_graph
from server.engine.answers import QueryAnswer
from server.engine.answers import QueryJob
from server.release.release import release_nquads


class LocalEngine:
    """The embedded store; clients' queries go to the worker pool, never to this process's engine.

    The store is the release's own and is never written while served (`fixed_data`).

    With `materialised` (an on-disk store served with the union default graph, whose
    default graph holds the merge of all graphs, see store.materialise_default_graph)
    the default graph already is the union: `use_default_graph_as_union` is ignored, as
    by RemoteEngine, and `quads_for_pattern` without a graph reads the named graphs only.
    """

    fixed_data = True

    def __init__(self, store, pool=None, *, materialised: bool = False):
        self.store = store
        self.pool = pool
        self.materialised = materialised

    def query(self, text: str, *, use_default_graph_as_union: bool = False, prefixes: dict | None = None):
        union = use_default_graph_as_union and not self.materialised
        return self.store.query(text, use_default_graph_as_union=union, prefixes=prefixes)

    def quads_for_pattern(self, subject, predicate, object, graph_name=None) -> Iterator[Quad]:
        quads = self.store.quads_for_pattern(subject, predicate, object, graph_name)
        if graph_name is None and self.materialised:
            return (quad for quad in quads if not isinstance(quad.graph_name, DefaultGraph))
        return quads

    def contains_named_graph(self, graph: NamedNode) -> bool:
        return self.store.contains_named_graph(graph)

    def named_graphs(self) -> Iterator[NamedNode]:
        return self.store.named_graphs()

    def run(self, job: QueryJob) -> QueryAnswer:
        return self.pool.run(job)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def open_local_engine(release, config) -> LocalEngine:
    """The embedded engine of a release: its store, and query workers on the same data.

    The workers open the release's on-disk store read-only (built as it is served:
    with the union default graph, its default graph materialised), or else load the
    release's own N-Quads dump, written once at build, without its description.
    """
    from server.engine.workers import DataSource
    from server.engine.workers import start_pool

    union = config.union_default_graph
    if release.store_path is not None:
        source = DataSource(store_path=release.store_path)
    else:
        hidden = (dataset_graph(release.iris).value,)
        source = DataSource(nquads_path=release_nquads(release), union=union, hidden_graphs=hidden)
    return LocalEngine(release.store, start_pool(source, config), materialised=release.materialised)


