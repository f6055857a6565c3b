"""The Release: one validated build of the graph, as the server serves it."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path

from pyoxigraph import Store

from .engine import Engine
from .validate import ValidationReport
from .vocab import Iris


@dataclass
class Release:
    """A built release.

    :ivar version: the release version, carried by its dumps and descriptions.
    :ivar store: the pyoxigraph store the release was built in (dumps are written from it).
    :ivar report: the SHACL report the release passed.
    :ivar directory: where this release's dumps and descriptions were written.
    :ivar built_at: when the release was first built (UTC).
    :ivar engine: what serving reads through: the store with its query workers, or a remote endpoint.
    :ivar store_path: the folder of the on-disk store it is served from (its default graph
        materialised as the merge of the named graphs), or None for an in-memory store.
    :ivar reused: True if it was not built now but opened as written before (sources unchanged).
    """

    version: str
    store: Store
    report: ValidationReport
    iris: Iris
    directory: Path
    built_at: datetime
    files: dict[str, dict] = field(default_factory=dict)
    engine: Engine | None = None
    store_path: Path | None = None
    reused: bool = False
