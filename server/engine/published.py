"""Where a release lies in a remote store: every graph it has there is under the release's graph namespace.

- each named graph of the release keeps its IRI (``BASE/graph/A1``);
- the default graph that readers see is the merge of the named graphs, stored
  as the graph named by the namespace itself (``BASE/graph/``), so the store's
  own default graph, and every graph outside the namespace, belong to others;
- while a release is being sent, each graph is staged as
  ``{graph}?staging={version}``;
- the graph ``BASE/graph/?live`` holds one triple, which the switch to a new
  release changes in the same transaction (a stamp unique to each publish), so
  a reader can tell that a release was switched in while its query ran.

`publish` (server/engine/publish.py) writes this layout and `RemoteEngine`
(server/engine/remote.py) reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGING = "?staging="
LIVE = "?live"
STAMP = "http://www.w3.org/2002/07/owl#versionInfo"


@dataclass(frozen=True)
class PublishedDataset:
    """The graphs of a release in a remote store.

    :ivar namespace: the release's graph namespace; publish writes only graphs whose IRIs start with it.
    :ivar named_graphs: the release's named graphs, in order.
    """

    namespace: str
    named_graphs: tuple[str, ...]

    @property
    def default_graph(self) -> str:
        """The graph holding the merge of the named graphs, which readers see as the default graph."""
        return self.namespace

    @property
    def live_graph(self) -> str:
        """The graph whose one triple (the namespace, `STAMP`, a stamp) says which publish is live."""
        return self.namespace + LIVE

    def owns(self, graph: str) -> bool:
        """Whether `graph` is under the namespace (publish may write it).

        >>> dataset = PublishedDataset("https://x.org/graph/", ("https://x.org/graph/A1",))
        >>> dataset.owns("https://x.org/graph/A1?staging=v1"), dataset.owns("https://x.org/other")
        (True, False)
        """
        return graph.startswith(self.namespace)


def staging_iri(graph: str, version: str) -> str:
    """The name a graph is staged under while a release is being sent.

    >>> staging_iri("https://x.org/graph/A1", "20261125-abc")
    'https://x.org/graph/A1?staging=20261125-abc'
    """
    return f"{graph}{STAGING}{version}"


def published_dataset(release) -> PublishedDataset:
    """The graphs `release` has in a remote store (read from its built store)."""
    graphs = tuple(sorted(graph.value for graph in release.store.named_graphs()))
    return PublishedDataset(release.iris.graph(""), graphs)
