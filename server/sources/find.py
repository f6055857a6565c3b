"""Find the files the graph is made of; no parsing here.

| files                         | named graph          |
|-------------------------------|----------------------|
| ontology/*.ttl                | graph/ontology       |
| data/passages/{id}.ttl        | graph/{id}           |
| data/{name}.ttl               | graph/{name}         |
| source/passages.tsv           | graph/source         |

Shapes are not part of the graph; `find_shapes` lists them for validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.common.config import Config
from server.common.vocab import Iris

PASSAGES_TSV = "passages.tsv"
SOURCE_GRAPH = "source"
ONTOLOGY_GRAPH = "ontology"


@dataclass(frozen=True)
class Source:
    path: Path
    format: str  # "turtle" or "passages-tsv"
    graph_iri: str


def find_sources(config: Config) -> list[Source]:
    """Every source file of the graph, in a stable order.

    :raises FileNotFoundError: if a folder holds no source at all.
    """
    iris = Iris(config.base_iri)
    sources = [
        Source(path, "turtle", iris.graph(ONTOLOGY_GRAPH))
        for path in sorted(config.ontology_dir.glob("*.ttl"))
    ]
    passages = sorted((config.data_dir / "passages").glob("*.ttl"))
    sources += [Source(path, "turtle", iris.graph(path.stem)) for path in passages]
    sources += [
        Source(path, "turtle", iris.graph(path.stem)) for path in sorted(config.data_dir.glob("*.ttl"))
    ]
    tsv = config.source_dir / PASSAGES_TSV
    if tsv.is_file():
        sources.append(Source(tsv, "passages-tsv", iris.graph(SOURCE_GRAPH)))
    if not sources:
        raise FileNotFoundError(f"no sources under {config.root}")
    return sources


def find_shapes(config: Config) -> list[Path]:
    """The SHACL shape files, in a stable order."""
    return sorted(config.shapes_dir.glob("*.ttl"))
