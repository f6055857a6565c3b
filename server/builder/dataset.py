"""The VoID and DCAT description of the dataset, made at build and written with each release.

What "the dataset" is: every named graph of the store except ``graph/dataset``,
the graph holding this description. The counts (``void:triples``,
``void:entities``, the partitions) and the release's content hash are taken
over those data graphs only, so the description never has to count itself
(it could not: adding a count changes what is counted). The same count on the
endpoint::

    SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o
      WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <{base}graph/dataset>) } }

The description lives in two places, and never in the store that queries read
(it would be counted as data by every ``?s ?p ?o``):

- in the quads dumps (TriG, N-Quads), as graph ``graph/dataset``, with each
  distribution's download URL and media type;
- in ``void.ttl`` beside the dumps and at ``/.well-known/void``, the same
  triples plus each distribution's ``dcat:byteSize``. A dump cannot state its
  own size or checksum, so those live only outside the dumps (and, with
  SHA-256, in ``manifest.json`` and ``SHA256SUMS``).

Data served without shapes says so: the dataset gets an ``rdfs:comment``
(UNVALIDATED) instead of passing for checked data.

URLs: ``void:sparqlEndpoint`` is ``{base}sparql`` and dump URLs are
``{base}download/releases/{version}/{file}``, i.e. the data's base IRI, which
is where the data is meant to be published even when a test or a mirror
serves it from another host. Every node of the description is an IRI (no
blank nodes), so rebuilding it gives identical quads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import Triple
from rdflib import Namespace
from rdflib.namespace import DCTERMS
from rdflib.namespace import OWL
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import VOID
from rdflib.namespace import XSD

from server.common.progress import stage
from server.common.vocab import CC
from server.common.vocab import SD
from server.common.vocab import Iris
from server.sources.load import SOURCE_PART

if TYPE_CHECKING:
    from pyoxigraph import Store

DATASET_SLUG = "mic-ict-strategy"
DATASET_GRAPH = "dataset"
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's DCAT lacks DCAT 3's version terms
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
IANA = "https://www.iana.org/assignments/media-types/"

TITLE = {
    "ja": "総務省 国際戦略局の施策（2023年度業務案内）リンクトオープンデータ",
    "en": "MIC international ICT strategy (2023 business guide) as linked open data",
}
DESCRIPTION = {
    "ja": "総務省2023年度業務案内のうち国際戦略局の頁を、箇所ごとの出典つきでRDFにしたデータ。",
    "en": "The International Strategy Bureau pages of MIC's 2023 business guide as RDF, "
    "every statement traced to the passage that states it.",
}
RIGHTS = {
    "ja": "政府標準利用規約（第2.0版）に準拠（CC BY 4.0 互換）。"
    "出典：総務省「総務省2023年度業務案内」（国際戦略局）を加工して作成。総務省の公表物ではない。",
    "en": "Under the Government of Japan Standard Terms of Use (Version 2.0), compatible with CC BY 4.0. "
    "Source: MIC 2023 business guide (International Strategy Bureau), edited by the publisher; "
    "not a publication of MIC.",
}
UNVALIDATED = "Not validated: no SHACL shapes were given when this release was built."
ATTRIBUTION = {
    "ja": "出典：総務省「総務省2023年度業務案内」（国際戦略局）を加工して作成",
    "en": "Source: MIC 2023 business guide (International Strategy Bureau), edited by the publisher",
}


def _n(term) -> NamedNode:
    """A pyoxigraph NamedNode for an rdflib URIRef or a string."""
    return NamedNode(str(term))


TYPE = _n(RDF.type)
LABEL = _n(RDFS.label)
BYTE_SIZE = _n(DCAT.byteSize)
SPDX_CHECKSUM = NamedNode("http://spdx.org/rdf/terms#checksum")


def dataset_iri(iris: Iris) -> str:
    """The IRI of the dataset (all releases), e.g. ``{base}id/dataset/mic-ict-strategy``."""
    return iris.resource("dataset", DATASET_SLUG)


def dataset_graph(iris: Iris) -> NamedNode:
    """The named graph holding the description."""
    return NamedNode(iris.graph(DATASET_GRAPH))


@dataclass(frozen=True)
class Dump:
    """One downloadable dump file, as the description names it."""

    name: str
    media_type: str
    title: str
    gzip: bool = False


DUMP_STEM = "mic-ict-strategy"
DUMPS: tuple[Dump, ...] = tuple(
    Dump(f"{DUMP_STEM}.{suffix}{gz}", media_type, title + (" (gzip)" if gz else ""), gzip=bool(gz))
    for suffix, media_type, title in (
        ("ttl", "text/turtle", "Turtle, all graphs merged"),
        ("nt", "application/n-triples", "N-Triples, all graphs merged"),
        ("jsonld", "application/ld+json", "JSON-LD, all graphs merged"),
        ("trig", "application/trig", "TriG, with the named graphs"),
        ("nq", "application/n-quads", "N-Quads, with the named graphs"),
    )
    for gz in ("", ".gz")
)


def dump_url(iris: Iris, version: str, name: str) -> str:
    """The archival URL of a release's file."""
    return f"{iris.base}download/releases/{version}/{name}"


def distribution_iri(iris: Iris, name: str) -> str:
    """A distribution's IRI; dots become dashes so no suffix twin rule applies."""
    return f"{dataset_iri(iris)}/distribution/{name.replace('.', '-')}"


@dataclass(frozen=True)
class DatasetStats:
    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    classes: dict[str, int]  # class IRI -> instances
    properties: dict[str, int]  # property IRI -> distinct triples
    linksets: list[str]


def _count(store: Store, query: str) -> int:
    solutions = store.query(query, use_default_graph_as_union=True)
    for solution in solutions:
        return int(solution[0].value)
    return 0  # pragma: no cover - COUNT always answers


def _by_iri(store: Store, query: str) -> dict[str, int]:
    counts = {}
    for solution in store.query(query, use_default_graph_as_union=True):
        if isinstance(solution[0], NamedNode):
            counts[solution[0].value] = int(solution[1].value)
    return counts


def _iris(store: Store, query: str) -> list[str]:
    return [solution[0].value for solution in store.query(query) if isinstance(solution[0], NamedNode)]


def count_dataset(store: Store, iris: Iris) -> DatasetStats:
    """Count what the data graphs hold (every graph but ``graph/dataset``).

    Call it before the description is added to the store, or it is counted
    out explicitly by the graph filter below.
    """
    data = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{iris.graph(DATASET_GRAPH)}>)"
    distinct = f"SELECT DISTINCT ?s ?p ?o WHERE {{ {data} }}"
    linkset_query = (
        f"SELECT DISTINCT ?ls WHERE {{ GRAPH ?g {{ ?ls a <{VOID.Linkset}> }} "
        f"FILTER(?g != <{iris.graph(DATASET_GRAPH)}>) }} ORDER BY ?ls"
    )
    queries = {
        "triples": (_count, f"SELECT (COUNT(*) AS ?n) WHERE {{ {distinct} }}"),
        "entities": (
            _count,
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {data} "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{iris.base}id/")) }}',
        ),
        "distinct_subjects": (_count, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {data} }}"),
        "distinct_objects": (_count, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {data} }}"),
        "classes": (
            _by_iri,
            f"SELECT ?o (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {data} FILTER(?p = <{RDF.type}>) }} GROUP BY ?o",
        ),
        "properties": (_by_iri, f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {distinct} }} GROUP BY ?p"),
        "linksets": (_iris, linkset_query),
    }
    answers = {}
    with stage("VoID counts", total=len(queries), unit="queries") as progress:
        for name, (read, query) in queries.items():
            answers[name] = read(store, query)
            progress.advance()
    return DatasetStats(**answers)


def vocabulary_of(iri: str, iris: Iris) -> str:
    """The vocabulary (namespace) a class or property belongs to; ours is the ontology.

    >>> vocabulary_of("http://www.w3.org/2000/01/rdf-schema#label", Iris("https://x.org/"))
    'http://www.w3.org/2000/01/rdf-schema#'
    >>> vocabulary_of("https://x.org/ontology/Fund", Iris("https://x.org/"))
    'https://x.org/ontology'
    """
    if iri.startswith(iris.terms):
        return iris.ontology
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def describe_dataset(
    stats: DatasetStats,
    *,
    iris: Iris,
    version: str,
    built_at: datetime,
    first_issued: datetime,
    previous: str | None,
    dumps: Iterable[Dump],
    validated: bool = True,
) -> list[Triple]:
    """The VoID/DCAT description of the dataset at one release, as triples.

    :param stats: counts over the data graphs, from `count_dataset`.
    :param first_issued: when the first release of the dataset was built.
    :param previous: the version of the release before this one, if any.
    :param dumps: the dump files this release offers.
    :param validated: False if the release was built without shapes (said by an rdfs:comment).
    """
    dataset = NamedNode(dataset_iri(iris))
    release = NamedNode(iris.release(version))
    triples: list[Triple] = []

    def add(s: NamedNode, p, o) -> None:
        triples.append(Triple(s, _n(p) if not isinstance(p, NamedNode) else p, o))

    def integer(value: int) -> Literal:
        return Literal(str(value), datatype=_n(XSD.integer))

    def when(moment: datetime) -> Literal:
        # The canonical form, as the store gives it back: UTC with "Z".
        return Literal(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=_n(XSD.dateTime))

    add(dataset, RDF.type, _n(VOID.Dataset))
    add(dataset, RDF.type, _n(DCAT.Dataset))
    for lang in ("ja", "en"):
        add(dataset, DCTERMS.title, Literal(TITLE[lang], language=lang))
        add(dataset, RDFS.label, Literal(TITLE[lang], language=lang))
        add(dataset, DCTERMS.description, Literal(DESCRIPTION[lang], language=lang))
        add(dataset, CC.attributionName, Literal(ATTRIBUTION[lang], language=lang))
    if not validated:
        add(dataset, RDFS.comment, Literal(UNVALIDATED, language="en"))
    add(dataset, DCTERMS.license, NamedNode(LICENSE))
    add(dataset, CC.license, NamedNode(LICENSE))
    rights = NamedNode(dataset.value + "/rights")
    add(dataset, DCTERMS.rights, rights)
    add(rights, RDF.type, _n(DCTERMS.RightsStatement))
    for lang in ("ja", "en"):
        add(rights, RDFS.label, Literal(RIGHTS[lang], language=lang))
    add(dataset, DCTERMS.source, NamedNode(iris.base + SOURCE_PART))
    add(dataset, OWL.versionInfo, Literal(version))
    add(dataset, DCAT.version, Literal(version))
    add(dataset, DCTERMS.issued, when(first_issued))
    add(dataset, DCTERMS.modified, when(built_at))
    add(dataset, DCAT.hasCurrentVersion, release)
    add(dataset, VOID.uriSpace, Literal(iris.base + "id/"))
    add(dataset, VOID.sparqlEndpoint, NamedNode(iris.base + "sparql"))
    add(dataset, DCAT.landingPage, NamedNode(iris.base))

    add(dataset, VOID.triples, integer(stats.triples))
    add(dataset, VOID.entities, integer(stats.entities))
    add(dataset, VOID.distinctSubjects, integer(stats.distinct_subjects))
    add(dataset, VOID.distinctObjects, integer(stats.distinct_objects))
    add(dataset, VOID.classes, integer(len(stats.classes)))
    add(dataset, VOID.properties, integer(len(stats.properties)))
    for vocabulary in sorted({vocabulary_of(t, iris) for t in (*stats.classes, *stats.properties)}):
        add(dataset, VOID.vocabulary, NamedNode(vocabulary))
    for kind, counts, link, measure in (
        ("class", stats.classes, VOID["class"], VOID.entities),
        ("property", stats.properties, VOID.property, VOID.triples),
    ):
        for term, count in sorted(counts.items()):
            partition = NamedNode(f"{dataset.value}/{kind}-partition/{_short_hash(term)}")
            add(dataset, VOID.classPartition if kind == "class" else VOID.propertyPartition, partition)
            add(partition, RDF.type, _n(VOID.Dataset))
            add(partition, link, NamedNode(term))
            add(partition, measure, integer(count))
    for linkset in stats.linksets:
        add(dataset, VOID.subset, NamedNode(linkset))

    add(release, RDF.type, _n(DCAT.Dataset))
    add(release, RDFS.label, Literal(f"Release {version}", language="en"))
    add(release, RDFS.label, Literal(f"リリース {version}", language="ja"))
    add(release, DCAT.isVersionOf, dataset)
    add(release, DCAT.version, Literal(version))
    add(release, DCTERMS.issued, when(built_at))
    if previous:
        add(release, DCAT.previousVersion, NamedNode(iris.release(previous)))

    endpoint = NamedNode(iris.base + "sparql")
    add(endpoint, RDF.type, _n(DCAT.DataService))
    add(endpoint, RDF.type, _n(SD.Service))
    add(endpoint, DCAT.endpointURL, endpoint)
    add(endpoint, DCAT.servesDataset, dataset)
    add(endpoint, RDFS.label, Literal("SPARQL endpoint", language="en"))

    for dump in dumps:
        url = NamedNode(dump_url(iris, version, dump.name))
        distribution = NamedNode(distribution_iri(iris, dump.name))
        add(dataset, VOID.dataDump, url)
        add(dataset, DCAT.distribution, distribution)
        add(distribution, RDF.type, _n(DCAT.Distribution))
        add(distribution, DCTERMS.title, Literal(dump.title, language="en"))
        add(distribution, RDFS.label, Literal(dump.title, language="en"))
        add(distribution, DCAT.downloadURL, url)
        add(distribution, DCAT.accessURL, NamedNode(iris.base + "download/"))
        add(distribution, DCAT.mediaType, NamedNode(IANA + dump.media_type))
        add(distribution, DCTERMS.license, NamedNode(LICENSE))
        if dump.gzip:
            add(distribution, DCAT.compressFormat, NamedNode(IANA + "application/gzip"))
    return triples


def size_triples(iris: Iris, files: dict[str, dict], dumps: Iterable[Dump]) -> list[Triple]:
    """``dcat:byteSize`` of each dump, known only once the dumps are written."""
    return [
        Triple(
            NamedNode(distribution_iri(iris, dump.name)),
            BYTE_SIZE,
            Literal(str(files[dump.name]["size"]), datatype=_n(XSD.nonNegativeInteger)),
        )
        for dump in dumps
        if dump.name in files
    ]


def sort_triples(triples: Iterable[Triple]) -> list[Triple]:
    """Triples sorted by subject, so Turtle groups each subject's statements."""
    return sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def as_quads(triples: Iterable[Triple], graph: NamedNode) -> list[Quad]:
    return [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
