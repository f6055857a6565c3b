"""sources -> load -> validate -> store: the build, stopping at the first failing stage."""

from __future__ import annotations

import logging

from rdflib import Dataset

from .config import Config
from .errors import ShapesViolated
from .load import load_sources
from .release import Release
from .sources import find_shapes
from .sources import find_sources
from .store import build_store
from .validate import ValidationReport
from .validate import load_shapes
from .validate import union_graph
from .validate import validate_graph

log = logging.getLogger(__name__)


def load_dataset(config: Config) -> Dataset:
    """Find and parse every source into a Dataset of named graphs."""
    sources = find_sources(config)
    log.info("found %d sources", len(sources))
    return load_sources(sources, base_iri=config.base_iri)


def check_dataset(dataset: Dataset, config: Config) -> ValidationReport:
    """Validate the union of the dataset's graphs against shapes/."""
    shapes = load_shapes(find_shapes(config), base_iri=config.base_iri)
    return validate_graph(union_graph(dataset), shapes)


def build_release(config: Config) -> Release:
    """sources -> load -> validate -> store -> dumps: a new release, or the error of the first failing stage.

    :raises ShapesViolated: with the SHACL report, if the graph breaks a shape.
    :raises SourceSyntaxError: naming the file, if a source does not parse.
    """
    from .dumps import write_release

    dataset, report = load_and_validate(config)
    store = build_store(dataset, path=config.store_path)
    return write_release(store, report, config)


def load_and_validate(config: Config) -> tuple[Dataset, ValidationReport]:
    """Load and validate; raise ShapesViolated if any shape is violated."""
    dataset = load_dataset(config)
    report = check_dataset(dataset, config)
    if report.violations:
        raise ShapesViolated(report)
    return dataset, report
