"""Find the files the graph is made of; no parsing here.

The project folder (the default):

| files                         | named graph          |
|-------------------------------|----------------------|
| ontology/*.ttl                | graph/ontology       |
| data/passages/{id}.ttl        | graph/{id}           |
| data/{name}.ttl               | graph/{name}         |
| source/passages.tsv           | graph/source         |
| links/links.tsv               | graph/verified-links |

Or RDF files and folders given as they are (``--dataset``): each file in any
syntax pyoxigraph reads (Turtle, N-Triples, TriG, N-Quads, RDF/XML, JSON-LD,
N3; gzipped too, ``.nq.gz``), told by its extension unless ``--dataset-format``
says; a folder gives every such file under it. Graphs a file names keep their
IRIs; triples outside any named graph go to the default graph. A file is taken
to be published at its place under the base IRI (``{base}{name}`` for a file
given, ``{base}{path below the folder}`` for a file of a folder given), which is
what its relative IRIs resolve against (``<>`` is the file itself).

Shapes are not part of the graph; `find_shapes` lists them for validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import RdfFormat

from server.common.config import Config
from server.common.errors import SourceSyntaxError
from server.common.vocab import Iris

PASSAGES_TSV = "passages.tsv"
SOURCE_GRAPH = "source"
ONTOLOGY_GRAPH = "ontology"
PASSAGES = "passages-tsv"
LINKS_TSV = "links.tsv"
VERIFIED_LINKS_GRAPH = "verified-links"
LINKS = "links-tsv"
GZIP = ".gz"


@dataclass(frozen=True)
class Source:
    """One file to parse.

    :ivar format: its RDF syntax, or PASSAGES for source/passages.tsv, LINKS for links/links.tsv.
    :ivar graph_iri: the named graph it fills; None for a file loaded as it is (its named
        graphs keep their IRIs, the rest goes to the default graph).
    :ivar location: its path below the base IRI, where its relative IRIs resolve ("": at the
        base itself, as the project's files are written).
    """

    path: Path
    format: RdfFormat | str
    graph_iri: str | None
    location: str = ""


def find_sources(config: Config) -> list[Source]:
    """Every source file of the graph, in a stable order: the --dataset files, else the project folder's.

    :raises FileNotFoundError: if no source is found at all.
    :raises SourceSyntaxError: for a --dataset file whose syntax cannot be told.
    """
    sources = dataset_sources(config) if config.dataset_paths else project_sources(config)
    if not sources:
        where = ", ".join(str(path) for path in config.dataset_paths) or config.root
        raise FileNotFoundError(f"no sources under {where}")
    return sources


def project_sources(config: Config) -> list[Source]:
    """The project folder's files, each into the named graph of the table above."""
    iris = Iris(config.base_iri)
    sources = [
        Source(path, RdfFormat.TURTLE, iris.graph(ONTOLOGY_GRAPH))
        for path in sorted(config.ontology_dir.glob("*.ttl"))
    ]
    passages = sorted((config.data_dir / "passages").glob("*.ttl"))
    sources += [Source(path, RdfFormat.TURTLE, iris.graph(path.stem)) for path in passages]
    sources += [
        Source(path, RdfFormat.TURTLE, iris.graph(path.stem)) for path in sorted(config.data_dir.glob("*.ttl"))
    ]
    tsv = config.source_dir / PASSAGES_TSV
    if tsv.is_file():
        sources.append(Source(tsv, PASSAGES, iris.graph(SOURCE_GRAPH)))
    links = config.links_dir / LINKS_TSV
    if links.is_file():
        sources.append(Source(links, LINKS, iris.graph(VERIFIED_LINKS_GRAPH)))
    return sources


def dataset_sources(config: Config) -> list[Source]:
    """The --dataset files, loaded as they are: each file given, and every RDF file under each folder given."""
    forced = rdf_format(config.dataset_format) if config.dataset_format else None
    if config.dataset_format and forced is None:
        raise SourceSyntaxError(f"unknown RDF syntax {config.dataset_format!r}: give an extension or a media type")
    sources = []
    for path in config.dataset_paths:
        if path.is_dir():
            files = [file for file in sorted(path.rglob("*")) if file.is_file() and not _hidden(file, path)]
            sources += [
                Source(file, forced or rdf_format_of(file), None, file.relative_to(path).as_posix())
                for file in files
                if rdf_format_of(file)
            ]
            continue
        format = forced or rdf_format_of(path)
        if format is None:
            raise SourceSyntaxError(f"{path}: cannot tell its RDF syntax from its name; give it with --dataset-format")
        sources.append(Source(path, format, None, path.name))
    return sources


def rdf_format(name: str) -> RdfFormat | None:
    """The RDF syntax a file extension or a media type names, or None.

    >>> rdf_format("trig"), rdf_format(".nq"), rdf_format("application/ld+json"), rdf_format("csv")
    (<RdfFormat TriG>, <RdfFormat N-Quads>, <RdfFormat JSON-LD>, None)
    """
    name = name.strip().lower().removeprefix(".")
    return RdfFormat.from_media_type(name) if "/" in name else RdfFormat.from_extension(name)


def rdf_format_of(path: Path) -> RdfFormat | None:
    """The RDF syntax of a file by its extension, under a `.gz` one if any; None if it names none.

    >>> rdf_format_of(Path("dump.nq.gz")), rdf_format_of(Path("README.md"))
    (<RdfFormat N-Quads>, None)
    """
    name = path.name.removesuffix(GZIP)
    return rdf_format(Path(name).suffix) if Path(name).suffix else None


def _hidden(file: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(folder).parts)


def find_shapes(config: Config) -> list[Path]:
    """The SHACL shape files (Turtle), in a stable order: the files given, and the *.ttl of each folder given."""
    shapes = []
    for path in config.shape_paths:
        shapes += sorted(path.glob("*.ttl")) if path.is_dir() else [path]
    return shapes
