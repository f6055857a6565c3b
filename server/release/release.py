"""The Release: one validated build of the graph, as written in the build folder and served.

`build_release` makes the release of the sources: the one written before from the same
sources if there is one (reopened at once), else a new build (server/builder/pipeline.py,
server/builder/dumps.py). `find_release` and `read_release` read what the build wrote.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from functools import cached_property
from pathlib import Path

from pyoxigraph import Store
from pyoxigraph import Triple

from server.builder.dataset import Record
from server.builder.dataset import dataset_graph
from server.builder.dumps import DUMPS_NQ
from server.builder.dumps import DUMPS_NT
from server.builder.dumps import MANIFEST
from server.builder.dumps import RELEASES
from server.builder.dumps import REPORT
from server.builder.dumps import read_description
from server.builder.dumps import read_index
from server.builder.dumps import write_release
from server.builder.pipeline import fingerprint_sources
from server.builder.pipeline import load_and_validate
from server.builder.report import ValidationReport
from server.builder.report import read_report
from server.common.config import Config
from server.common.vocab import Iris
from server.sources.store import load_store
from server.sources.store import new_store_dir
from server.sources.store import open_store
from server.sources.store import read_store_state
from server.sources.store import write_store
from server.sources.store import write_store_state

log = logging.getLogger(__name__)


@dataclass
class Release:
    """A built release.

    :ivar version: the release version, carried by its dumps and descriptions.
    :ivar store: the pyoxigraph store the release was built in (dumps are written from it).
    :ivar report: the SHACL report the release passed, or None if it was built without shapes.
    :ivar directory: where this release's dumps and descriptions were written.
    :ivar built_at: when the release was first built (UTC).
    :ivar store_path: the folder of the on-disk store it is served from (with the union
        default graph, its default graph materialised as the merge of all graphs), or None
        for an in-memory store.
    :ivar materialised: its store's default graph holds the merge of all its graphs (an on-disk store
        served with the union default graph): its readers query that graph as it is.
    :ivar reused: True if it was not built now but opened as written before (sources unchanged).
    :ivar files: name -> size, SHA-256, media type and (RDF files) triples or quads, as the build wrote them.
    :ivar counts: the data's triples and quads and the description's triples (builder/dumps.py).

    The store holds the data only; the release's description (VoID/DCAT) is `description`.
    """

    version: str
    store: Store | None
    report: ValidationReport | None
    iris: Iris
    directory: Path
    built_at: datetime
    files: dict[str, dict] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    store_path: Path | None = None
    materialised: bool = False
    reused: bool = False

    @cached_property
    def description(self) -> list[Triple]:
        """The release's VoID/DCAT description, as /.well-known/void serves it (read from its void.ttl)."""
        return read_description(self.directory)

    @cached_property
    def record(self) -> Record:
        """The dataset's record (title, attribution, licence, publisher), as the description states it."""
        return Record.of(self.description, self.iris)


def build_release(config: Config) -> Release:
    """sources -> load -> validate -> store -> dumps: a new release, or the error of the first failing stage.

    If the sources are unchanged since a release was written (same fingerprint), that
    release is opened instead: from the on-disk store with ``store_path``, else from
    its N-Quads dump; nothing is parsed, validated or written.

    :raises ShapesViolated: with the SHACL report, if the graph breaks a shape.
    :raises SourceSyntaxError: naming the file, if a source does not parse.
    """
    fingerprint = fingerprint_sources(config)
    release = reopen_release(config, fingerprint)
    if release is not None:
        return release
    # Built in memory, where parsing, validation and the dumps run several times faster than in an
    # on-disk store; an on-disk store is then bulk-loaded from the release's dumps.
    store, report = load_and_validate(config)
    entry = write_release(store, report, config, sources=fingerprint)
    if config.store_dir is None:
        return read_release(entry, store, config, report=report)
    release = read_release(entry, None, config, report=report)
    del store  # the in-memory store is freed before the on-disk one is written
    directory = new_store_dir(config.store_dir, fingerprint)
    try:
        write_store(directory, release_nquads(release), without=[dataset_graph(release.iris).value],
                    merged=release.directory / DUMPS_NT if config.union_default_graph else None)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # a failed build leaves nothing behind
        raise
    serve_from_store(release, directory, config)
    write_store_state(
        config.store_dir,
        {
            "fingerprint": fingerprint,
            "version": release.version,
            "store": directory.name,
            "union_default_graph": config.union_default_graph,
            "release_dir": str(config.release_dir.resolve()),
            "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        },
    )
    return release


def serve_from_store(release: Release, directory: Path, config: Config) -> None:
    """Serve `release` from the on-disk store in `directory` (read-only), built as `config` serves it: with the
    union default graph, its default graph holds the merge."""
    release.store = open_store(directory)
    release.store_path = directory
    release.materialised = config.union_default_graph


def reopen_release(config: Config, fingerprint: str) -> Release | None:
    """The release written before from sources with this fingerprint, opened for serving; None if there is none.

    With ``store_path`` the store recorded in its ``store.json`` must have been built from
    these sources, with the same default graph, for a release still in the build folder;
    it is opened read-only, at once. In memory, a release whose index entry has this
    fingerprint is loaded from its N-Quads dump, but for its description (nothing parsed
    from the sources, nothing validated).
    """
    if config.store_dir is not None:
        state = read_store_state(config.store_dir)
        if state is None or state.get("fingerprint") != fingerprint:
            return None
        if state.get("union_default_graph", True) != config.union_default_graph:
            return None
        if state.get("release_dir") not in (None, str(config.release_dir.resolve())):
            return None
        entry = find_release(config, version=state.get("version"))
        if entry is None:
            return None
        directory = config.store_dir / state["store"]
        release = read_release(entry, None, config)
        serve_from_store(release, directory, config)
        release.reused = True
        log.info("release %s: the store at %s was built from these sources", release.version, directory)
        return release
    entry = find_release(config, sources=fingerprint)
    if entry is None:
        return None
    release = read_release(entry, None, config)
    nquads = release_nquads(release)
    if not nquads.is_file():
        return None
    release.store = load_store(nquads, without=[dataset_graph(release.iris).value])
    release.reused = True
    log.info("release %s: loaded from its N-Quads dump, sources unchanged", release.version)
    return release


def find_release(config: Config, *, version: str | None = None, sources: str | None = None) -> dict | None:
    """The index entry of a written release by `version` or by the fingerprint of its `sources`.

    The newest match whose folder still holds its manifest, or None. Entries written
    before fingerprints were recorded have no "sources" and match only by version.
    """
    releases_dir = config.release_dir / RELEASES
    for entry in reversed(read_index(releases_dir)):
        if version is not None and entry["version"] != version:
            continue
        if sources is not None and entry.get("sources") != sources:
            continue
        if (releases_dir / entry["version"] / MANIFEST).is_file():
            return entry
    return None


def read_release(
    entry: dict, store: Store | None, config: Config, *, report: ValidationReport | None = None
) -> Release:
    """The Release of an index entry, served from `store`; its report as given, else read back."""
    directory = config.release_dir / RELEASES / entry["version"]
    if report is None and REPORT in entry["files"]:
        report = read_report(directory / REPORT)
    built_at = datetime.fromisoformat(entry["built_at"])
    return Release(
        entry["version"], store, report, Iris(config.base_iri), directory, built_at, dict(entry["files"]),
        dict(entry.get("counts", {})),
    )


def release_nquads(release: Release) -> Path:
    """The release's N-Quads dump: every quad of its store, then its description (graph/dataset)."""
    return release.directory / DUMPS_NQ


