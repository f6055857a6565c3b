"""What serving reads through: the Engine interface, a release with its engine, and the switch between releases.

`Engine` is what every serving module uses: ``query`` for the server's own
trusted queries (pyoxigraph result objects), ``quads_for_pattern``,
``contains_named_graph`` and ``named_graphs`` for reading graphs, and ``run``
for a client's query (a `QueryJob`, answered within its deadline and caps).
Nothing else knows which engine it has: `LocalEngine` (server/engine/local.py)
or `RemoteEngine` (server/engine/remote.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import NamedTuple
from typing import Protocol

from pyoxigraph import NamedNode
from pyoxigraph import Quad

from server.engine.answers import QueryAnswer
from server.engine.answers import QueryJob
from server.release.release import Release


class Engine(Protocol):
    def query(self, text: str, *, use_default_graph_as_union: bool = False, prefixes: dict | None = None): ...

    def quads_for_pattern(self, subject, predicate, object, graph_name=None) -> Iterator[Quad]: ...

    def contains_named_graph(self, graph: NamedNode) -> bool: ...

    def named_graphs(self) -> Iterator[NamedNode]: ...

    # True if the data answered never changes while this engine serves a release (an embedded
    # store); a remote engine's data can be replaced by `publish` under a running app.
    fixed_data: bool

    def run(self, job: QueryJob) -> QueryAnswer: ...

    def close(self) -> None: ...


class Served(NamedTuple):
    """A release as it is served: the release (version, files, IRIs) and the engine that answers for it.

    Views unpack it once per request (``release, engine = releases.current``), so both belong together.
    """

    release: Release
    engine: Engine


class Releases:
    """Holds what is served now; views read `.current` once per request, so release and engine agree."""

    def __init__(self, served: Served):
        self._current = served
        self._lock = threading.Lock()

    @property
    def current(self) -> Served:
        return self._current

    def switch(self, served: Served) -> Served:
        """Serve `served` from now on; return what it replaces."""
        with self._lock:
            previous, self._current = self._current, served
        return previous
