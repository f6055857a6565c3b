"""Where a release lies in a remote store, and which graphs there are its own.

- each named graph of the release keeps its IRI (``BASE/graph/A1``, or the IRI a
  TriG or N-Quads dataset gives it);
- under the release's graph namespace ``BASE/graph/``: the merge of all the
  release's graphs is the graph named by the namespace itself, and the
  release's own default graph, if it has one, is ``BASE/graph/?default``;
  readers see one or the other as their default graph, as the app's
  default-graph setting says;
- while a release is being sent, each graph is staged under the namespace, as
  ``BASE/graph/?staging={version}&graph={its IRI, percent-encoded}``;
- the graph ``BASE/graph/?live`` records the live release: a stamp unique to
  each publish, which the switch to a new release changes in the same
  transaction (so a reader can tell that a release was switched in while its
  query ran), and the release's named graphs.

`publish` (server/engine/publish.py) writes this layout, the same whatever the
default-graph setting, and `RemoteEngine` (server/engine/remote.py) reads it.
A graph is the release's own if it is under the namespace or recorded in the
live graph: publish creates, replaces or deletes no other (not the store's own
default graph, nor another team's graphs, nor the store's system graphs).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from pyoxigraph import DefaultGraph
from pyoxigraph import RdfFormat

LIVE = "?live"
STORED_DEFAULT = "?default"
STAMP = "http://www.w3.org/2002/07/owl#versionInfo"
MEMBER = "http://www.w3.org/ns/prov#hadMember"


@dataclass(frozen=True)
class PublishedDataset:
    """The graphs of a release in a remote store.

    :ivar namespace: the release's graph namespace (``BASE/graph/``).
    :ivar named_graphs: the release's named graphs, in order.
    :ivar has_default: the release has a default graph of its own (triples outside any named graph).
    :ivar union: readers' default graph is the merge of all graphs (else the release's own default graph).
    """

    namespace: str
    named_graphs: tuple[str, ...]
    has_default: bool = False
    union: bool = True

    @property
    def union_graph(self) -> str:
        """The graph holding the merge of all the release's graphs."""
        return self.namespace

    @property
    def stored_graph(self) -> str:
        """The graph holding the release's own default graph (absent if it has none)."""
        return self.namespace + STORED_DEFAULT

    @property
    def default_graph(self) -> str:
        """The graph readers see as their default graph."""
        return self.union_graph if self.union else self.stored_graph

    @property
    def live_graph(self) -> str:
        """The graph recording the live release: its stamp (`STAMP`) and named graphs (`MEMBER`)."""
        return self.namespace + LIVE

    def staging(self, graph: str, version: str) -> str:
        """The name `graph` is staged under while `version` is being sent.

        >>> PublishedDataset("https://x.org/graph/", ()).staging("https://x.org/graph/A1", "v1")
        'https://x.org/graph/?staging=v1&graph=https%3A%2F%2Fx.org%2Fgraph%2FA1'
        """
        return f"{self.namespace}?staging={version}&graph={quote(graph, safe='')}"

    def reserved(self, graph: str) -> bool:
        """Whether `graph` is one of the names this layout uses itself (no release graph may have it).

        >>> dataset = PublishedDataset("https://x.org/graph/", ())
        >>> dataset.reserved("https://x.org/graph/"), dataset.reserved("https://x.org/graph/?live")
        (True, True)
        >>> dataset.reserved("https://x.org/graph/A1")
        False
        """
        return graph == self.namespace or graph.startswith(self.namespace + "?")


# The triples of a store's default graph that no named graph states: a materialised default graph's own.
OWN_DEFAULT_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"


def published_dataset(release, *, union: bool = True) -> PublishedDataset:
    """The graphs `release` has in a remote store (read from its built store); `union` as the setting says."""
    graphs = tuple(sorted(graph.value for graph in release.store.named_graphs()))
    if release.materialised:  # its default graph holds the merge: only triples of its own are its own graph
        has_default = next(iter(release.store.query(OWN_DEFAULT_TRIPLES)), None) is not None
    else:
        has_default = next(release.store.quads_for_pattern(None, None, None, DefaultGraph()), None) is not None
    return PublishedDataset(release.iris.graph(""), graphs, has_default, union)


def default_graph_ntriples(release) -> bytes:
    """The release's own default graph as N-Triples (of a materialised store, the triples no named graph states)."""
    if release.materialised:
        return release.store.query(OWN_DEFAULT_TRIPLES).serialize(format=RdfFormat.N_TRIPLES)
    return release.store.dump(format=RdfFormat.N_TRIPLES, from_graph=DefaultGraph())
