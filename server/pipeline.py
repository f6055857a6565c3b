"""sources -> load -> validate -> store: the build, stopping at the first failing stage."""

from __future__ import annotations

import hashlib
import logging
import shutil
from datetime import UTC
from datetime import datetime
from pathlib import Path

from pyoxigraph import Store

from .config import Config
from .errors import ShapesViolated
from .load import load_sources
from .release import Release
from .shacl import validate_store
from .sources import find_shapes
from .sources import find_sources
from .store import create_store
from .store import describe_store
from .store import drop_default_graph
from .store import has_default_graph
from .store import load_store
from .store import materialise_default_graph
from .store import new_store_dir
from .store import open_store
from .store import read_store_state
from .store import write_store_state
from .validate import ValidationReport
from .validate import load_shapes

log = logging.getLogger(__name__)


def load_dataset(config: Config, *, path: Path | None = None) -> Store:
    """Find and parse every source into a new store (in memory, or on disk at `path`), one named graph each."""
    sources = find_sources(config)
    log.info("found %d sources", len(sources))
    store = create_store(path)
    load_sources(sources, store, base_iri=config.base_iri)
    if path is not None:
        store.optimize()
    describe_store(store)
    return store


def check_dataset(store: Store, config: Config) -> ValidationReport:
    """Validate the union of the store's named graphs against shapes/."""
    shapes = load_shapes(find_shapes(config), base_iri=config.base_iri)
    return validate_store(store, shapes)


def fingerprint_sources(config: Config) -> str:
    """SHA-256 (hex) over the base IRI and every source and shape file's path and bytes.

    Equal fingerprints mean a build would parse, validate and store the same data.
    """
    digest = hashlib.sha256(config.base_iri.encode() + b"\0")
    paths = [source.path for source in find_sources(config)] + find_shapes(config)
    for path in paths:
        try:
            name = path.relative_to(config.root).as_posix()
        except ValueError:
            name = str(path)
        digest.update(f"{name}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def build_release(config: Config) -> Release:
    """sources -> load -> validate -> store -> dumps: a new release, or the error of the first failing stage.

    If the sources are unchanged since a release was written (same fingerprint), that
    release is opened instead: from the on-disk store with ``store_path``, else from
    its N-Quads dump; nothing is parsed, validated or written.

    :raises ShapesViolated: with the SHACL report, if the graph breaks a shape.
    :raises SourceSyntaxError: naming the file, if a source does not parse.
    """
    from .dumps import write_release

    fingerprint = fingerprint_sources(config)
    release = reopen_release(config, fingerprint)
    if release is not None:
        return release
    if config.store_path is None:
        store, report = load_and_validate(config)
        release = write_release(store, report, config, sources=fingerprint)
        drop_default_graph(store)  # the dumps' merge; in memory, readers ask for the union instead
        return release

    directory = new_store_dir(config.store_path, fingerprint)
    try:
        store, report = load_and_validate(config, path=directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # a refused build leaves nothing behind
        raise
    release = write_release(store, report, config, sources=fingerprint)
    if not has_default_graph(store):  # the dumps made it, unless the release was reused
        materialise_default_graph(store)
    release.store = store = None  # closes the writable store
    release.store = open_store(directory)
    release.store_path = directory
    write_store_state(
        config.store_path,
        {
            "fingerprint": fingerprint,
            "version": release.version,
            "store": directory.name,
            "release_dir": str(config.release_dir.resolve()),
            "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        },
    )
    return release


def reopen_release(config: Config, fingerprint: str) -> Release | None:
    """The release written before from sources with this fingerprint, opened for serving; None if there is none.

    With ``store_path`` the store recorded in its ``store.json`` must have been built from
    these sources for a release still in the build folder; it is opened read-only, at
    once. In memory, a release whose index entry has this fingerprint is loaded from its
    N-Quads dump (nothing parsed from the sources, nothing validated).
    """
    from .dumps import find_release
    from .dumps import read_release
    from .dumps import release_nquads

    if config.store_path is not None:
        state = read_store_state(config.store_path)
        if state is None or state.get("fingerprint") != fingerprint:
            return None
        if state.get("release_dir") not in (None, str(config.release_dir.resolve())):
            return None
        entry = find_release(config, version=state.get("version"))
        if entry is None:
            return None
        directory = config.store_path / state["store"]
        release = read_release(entry, open_store(directory), config)
        release.store_path = directory
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
    release.store = load_store(nquads)
    release.reused = True
    log.info("release %s: loaded from its N-Quads dump, sources unchanged", release.version)
    return release


def load_and_validate(config: Config, *, path: Path | None = None) -> tuple[Store, ValidationReport]:
    """Load (into a new store, on disk at `path` if given) and validate; raise ShapesViolated if a shape is violated."""
    store = load_dataset(config, path=path)
    report = check_dataset(store, config)
    if report.violations:
        del store  # an on-disk store is closed before its caller removes the folder
        raise ShapesViolated(report)
    return store, report
