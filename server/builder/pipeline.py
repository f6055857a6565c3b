"""sources -> load -> validate -> store: the build, stopping at the first failing stage."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from pyoxigraph import Store

from server.builder.report import ValidationReport
from server.builder.report import load_shapes
from server.builder.shacl import validate_store
from server.common.config import Config
from server.common.errors import ShapesViolated
from server.sources.find import find_shapes
from server.sources.find import find_sources
from server.sources.load import load_sources
from server.sources.store import create_store
from server.sources.store import describe_store

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


def load_and_validate(config: Config, *, path: Path | None = None) -> tuple[Store, ValidationReport]:
    """Load (into a new store, on disk at `path` if given) and validate; raise ShapesViolated if a shape is violated."""
    store = load_dataset(config, path=path)
    report = check_dataset(store, config)
    if report.violations:
        del store  # an on-disk store is closed before its caller removes the folder
        raise ShapesViolated(report)
    return store, report
