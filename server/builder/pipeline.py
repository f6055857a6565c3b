"""sources -> load -> validate -> store: the build, stopping at the first failing stage."""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from pyoxigraph import Store

from server.builder.dataset import dataset_graph
from server.builder.report import ValidationReport
from server.builder.report import load_shapes
from server.builder.shacl import Written
from server.builder.shacl import validate_store
from server.common.config import Config
from server.common.errors import ShapesUnusable
from server.common.errors import ShapesViolated
from server.common.progress import reading
from server.common.progress import stage
from server.common.vocab import Iris
from server.sources.find import find_shapes
from server.sources.find import find_sources
from server.sources.load import load_sources
from server.sources.store import create_store
from server.sources.store import describe_store

log = logging.getLogger(__name__)


def load_dataset(config: Config, *, path: Path | None = None) -> Store:
    """Find and parse every source into a new store (in memory, or on disk at `path`)."""
    return load_written(config, path=path)[0]


def load_written(config: Config, *, path: Path | None = None) -> tuple[Store, Written]:
    """The new store, and the literals as written where the store keeps them in another form.

    No source may fill the graph the release's description is given (dataset.dataset_graph).
    """
    sources = find_sources(config)
    log.info("found %d sources", len(sources))
    store = create_store(path)
    reserved = [dataset_graph(Iris(config.base_iri)).value]
    written = load_sources(sources, store, base_iri=config.base_iri, reserved=reserved)
    if path is not None:
        with stage("optimise store"):
            store.optimize()
    describe_store(store)
    return store, written


def check_dataset(store: Store, config: Config, *, written: Written | None = None) -> ValidationReport | None:
    """Validate the union of the store's graphs against the shapes; None if no shapes are given.

    `written`: the literals as written where the store keeps another form (see server/builder/shacl.py).

    :raises ShapesUnusable: if the shapes do not parse, or use what the validator does not support.
    """
    paths = find_shapes(config)
    if not paths:
        log.warning("no SHACL shapes given: the dataset is served unvalidated")
        return None
    started = time.perf_counter()
    try:
        report = validate_store(store, load_shapes(paths, base_iri=config.base_iri), written=written)
    except (SyntaxError, OSError, ValueError) as exc:  # rdflib's BadSyntax is a SyntaxError
        raise ShapesUnusable(f"the shapes ({', '.join(str(path) for path in paths)}) cannot be used: {exc}") from exc
    log.info("validated in %.1f s: %d result(s)", time.perf_counter() - started, len(report.problems))
    return report


def validate_dataset(config: Config) -> ValidationReport | None:
    """Load the sources into a store in memory and validate them, as a build would, without refusing."""
    store, written = load_written(config)
    return check_dataset(store, config, written=written)


def fingerprint_sources(config: Config) -> str:
    """SHA-256 (hex) over the base IRI and every source and shape file's path and bytes.

    Equal fingerprints mean a build would parse, validate and store the same data.
    """
    digest = hashlib.sha256(f"{config.base_iri}\0{config.dataset_format}\0".encode())
    paths = [source.path for source in find_sources(config)] + find_shapes(config)
    with stage("fingerprint sources", total=sum(path.stat().st_size for path in paths), unit="B") as progress:
        for path in paths:
            try:
                name = path.relative_to(config.root).as_posix()
            except ValueError:
                name = str(path)
            digest.update(f"{name}\0{path.stat().st_size}\0".encode())
            with reading(path, progress) as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def load_and_validate(config: Config, *, path: Path | None = None) -> tuple[Store, ValidationReport | None]:
    """Load (into a new store, on disk at `path` if given) and validate.

    The report is None when no shapes are given (the dataset is served unvalidated).

    :raises ShapesViolated: if a result has a severity of `config.blocking` (Violation by default).
    """
    store, written = load_written(config, path=path)
    report = check_dataset(store, config, written=written)
    blocking = report.blocking(config.blocking) if report is not None else []
    if blocking:
        del store  # an on-disk store is closed before its caller removes the folder
        raise ShapesViolated(report, blocking)
    return store, report
