"""The VoID and DCAT (DCAT-AP 3) description of the dataset, made at build and written with each release.

One dataset, one IRI: ``{base}id/dataset/mic-global-strategy-bureau-2023``. Its
record (title, description, attribution, publisher, licence, keywords,
themes, period, place, contact point) is written once, by the editors, in
``data/provenance.ttl``; `record_triples` copies it from the store into the
description, with what the record's objects are called. The builder adds what
only a build knows: the counts, the release (version, dates, version notes
from the change log), the distributions with their media types and titles,
the SPARQL service, and (in ``void.ttl`` only) each dump's size and checksum.
`Record` reads the texts back (title, attribution, licence) for the pages,
the dump headers and the citation, so the attribution has one source.

Data given with ``--dataset`` has no record: the description then says only
what the server knows (`FALLBACK_TITLE`).

What "the dataset" is: every named graph of the store except ``graph/dataset``,
the graph holding this description. ``void:triples`` of the dataset counts the
distinct triples of those data graphs, which are the triples of the triples
dumps (Turtle, N-Triples, JSON-LD). The description's own triples, as the quads
dumps hold them in graph ``graph/dataset``, are counted on the node
``graph/dataset`` (`DESCRIPTION_COUNT`), so each quads dump holds the data's
quads plus that many. The same data count on the endpoint::

    SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o
      WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <{base}graph/dataset>) } }

The description lives in two places, and never in the store that queries read:

- in the quads dumps (TriG, N-Quads), as graph ``graph/dataset``;
- in ``void.ttl`` beside the dumps and at ``/.well-known/void``, the same
  triples plus each distribution's ``dcat:byteSize`` and ``spdx:checksum``
  (a dump cannot state its own size or checksum).

Every node of the description is an IRI (no blank nodes), so rebuilding it gives
identical quads. URLs are under the data's base IRI, where the data is meant to
be published, even when a test or a mirror serves it from another host.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import Triple
from rdflib.namespace import DCTERMS
from rdflib.namespace import FOAF
from rdflib.namespace import OWL
from rdflib.namespace import PROV
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS
from rdflib.namespace import VOID
from rdflib.namespace import XSD

from server.common.progress import stage
from server.common.vocab import ADMS
from server.common.vocab import DCAT3 as DCAT
from server.common.vocab import SD
from server.common.vocab import SPDX
from server.common.vocab import VCARD
from server.common.vocab import Iris

if TYPE_CHECKING:
    from pyoxigraph import Store

DATASET_SLUG = "mic-global-strategy-bureau-2023"
DATASET_GRAPH = "dataset"
IANA = "https://www.iana.org/assignments/media-types/"
LANGUAGES = ("ja", "en")

FALLBACK_TITLE = {"ja": "RDFデータセット", "en": "RDF dataset"}
FALLBACK_DESCRIPTION = {
    "ja": "サーバーに与えられたRDFファイルを、そのまま公開したもの。",
    "en": "The RDF files given to the server, published as they are.",
}
UNVALIDATED = "Not validated: no SHACL shapes were given when this release was built."

# What the record in the data says that the description does not copy: DCAT-AP 3 gives dct:source the
# range dcat:Dataset, and the record's source is a document (prov:wasDerivedFrom names it too).
NOT_COPIED = {str(DCTERMS.source)}
# What the description copies of a resource the record names, unless the resource belongs to the record
# (its IRI is under the dataset's: the period, the contact point), which is copied whole.
CARRIED = {str(RDFS.label), str(SKOS.prefLabel), str(OWL.sameAs)}
# The class DCAT-AP 3 requires of each property's values (its range shapes), stated in the description
# so that it is complete without the vocabularies.
RANGES = {
    str(DCTERMS.publisher): FOAF.Agent,
    str(DCTERMS.creator): FOAF.Agent,
    str(DCAT.contactPoint): VCARD.Kind,
    str(DCTERMS.temporal): DCTERMS.PeriodOfTime,
    str(DCTERMS.spatial): DCTERMS.Location,
    str(DCAT.theme): SKOS.Concept,
    str(DCTERMS.license): DCTERMS.LicenseDocument,
    str(DCTERMS.conformsTo): DCTERMS.Standard,
    str(PROV.wasGeneratedBy): PROV.Activity,
    str(DCAT.landingPage): FOAF.Document,
    str(DCAT.mediaType): DCTERMS.MediaType,
    str(DCAT.compressFormat): DCTERMS.MediaType,
    str(SPDX.checksum): SPDX.Checksum,
    str(SPDX.algorithm): SPDX.ChecksumAlgorithm,
}
# What the record says of the dataset that holds for each release and for the SPARQL service too (DCAT-AP
# recommends them of every dcat:Dataset and dcat:DataService).
FOR_SERVICE = {str(p) for p in (DCTERMS.publisher, DCAT.contactPoint, DCAT.keyword, DCAT.theme)}
FOR_RELEASE = FOR_SERVICE | {str(p) for p in (DCTERMS.spatial, DCTERMS.temporal, DCTERMS.license)}
# Names DCAT-AP requires, given from a resource's rdfs:label: an agent's foaf:name, a concept's skos:prefLabel.
NAMES = {str(FOAF.Agent): FOAF.name, str(SKOS.Concept): SKOS.prefLabel}


def _n(term) -> NamedNode:
    """A pyoxigraph NamedNode for an rdflib URIRef or a string."""
    return NamedNode(str(term))


TYPE = _n(RDF.type)
LABEL = _n(RDFS.label)
BYTE_SIZE = _n(DCAT.byteSize)
TRIPLES = _n(VOID.triples)
ATTRIBUTION_TERM = "attributionStatement"


def dataset_iri(iris: Iris) -> str:
    """The IRI of the dataset (all releases): ``{base}id/dataset/mic-global-strategy-bureau-2023``."""
    return iris.resource("dataset", DATASET_SLUG)


def dataset_graph(iris: Iris) -> NamedNode:
    """The named graph holding the description, in the quads dumps."""
    return NamedNode(iris.graph(DATASET_GRAPH))


@dataclass(frozen=True)
class Dump:
    """One downloadable dump file, as the description names it; `title` is {language: title}."""

    name: str
    media_type: str
    title: dict[str, str]
    gzip: bool = False


DUMP_STEM = "mic-ict-strategy"
DUMPS: tuple[Dump, ...] = tuple(
    Dump(
        f"{DUMP_STEM}.{suffix}{gz}",
        media_type,
        {"en": en + (" (gzip)" if gz else ""), "ja": ja + ("（gzip）" if gz else "")},
        gzip=bool(gz),
    )
    for suffix, media_type, en, ja in (
        ("ttl", "text/turtle", "Turtle, all graphs merged", "Turtle（全グラフを統合）"),
        ("nt", "application/n-triples", "N-Triples, all graphs merged", "N-Triples（全グラフを統合）"),
        ("jsonld", "application/ld+json", "JSON-LD, all graphs merged", "JSON-LD（全グラフを統合）"),
        ("trig", "application/trig", "TriG, with the named graphs", "TriG（名前付きグラフごと）"),
        ("nq", "application/n-quads", "N-Quads, with the named graphs", "N-Quads（名前付きグラフごと）"),
    )
    for gz in ("", ".gz")
)
SHAPES_FILE = "shapes.ttl"


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


@dataclass(frozen=True)
class ReleaseFacts:
    """What the build knows of the release it describes.

    :ivar first_issued: when the first release of the dataset was built.
    :ivar previous: the version of the release before this one, if any.
    :ivar added: quads added since `previous` (None for a first release); `removed` likewise.
    :ivar validated: False if built without shapes (said by an rdfs:comment).
    """

    version: str
    built_at: datetime
    first_issued: datetime
    previous: str | None = None
    added: int | None = None
    removed: int | None = None
    validated: bool = True

    def notes(self) -> dict[str, str]:
        """The version notes, from the change log.

        >>> ReleaseFacts("v2", datetime(2026, 1, 1), datetime(2026, 1, 1), "v1", 3, 1).notes()["en"]
        '3 quads added and 1 removed since release v1.'
        """
        if self.previous is None:
            return {"ja": "最初のリリース。", "en": "The first release."}
        return {
            "ja": f"リリース {self.previous} から四つ組を {self.added} 件追加、{self.removed} 件削除。",
            "en": f"{self.added} quads added and {self.removed} removed since release {self.previous}.",
        }


def _count(store: Store, query: str) -> int:
    solutions = store.query(query)
    for solution in solutions:
        return int(solution[0].value)
    return 0  # pragma: no cover - COUNT always answers


def _by_iri(store: Store, query: str) -> dict[str, int]:
    counts = {}
    for solution in store.query(query):
        if isinstance(solution[0], NamedNode):
            counts[solution[0].value] = int(solution[1].value)
    return counts


def _iris(store: Store, query: str) -> list[str]:
    return [solution[0].value for solution in store.query(query) if isinstance(solution[0], NamedNode)]


def count_dataset(store: Store, iris: Iris) -> DatasetStats:
    """Count what the data holds, in the store's default graph holding the merge of the data graphs
    (store.merged_default_graph): every named graph but ``graph/dataset`` (which the store never holds)
    and the stored default graph (of data served as given). That merge is what the triples dumps hold."""
    linkset_query = (
        f"SELECT DISTINCT ?ls WHERE {{ GRAPH ?g {{ ?ls a <{VOID.Linkset}> }} "
        f"FILTER(?g != <{iris.graph(DATASET_GRAPH)}>) }} ORDER BY ?ls"
    )
    queries = {  # the merge is a set: no DISTINCT needed over its triples
        "triples": (_count, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        "entities": (
            _count,
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{iris.base}id/")) }}',
        ),
        "distinct_subjects": (_count, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        "distinct_objects": (_count, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        "classes": (_by_iri, f"SELECT ?o (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{RDF.type}> ?o }} GROUP BY ?o"),
        "properties": (_by_iri, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"),
        "linksets": (_iris, linkset_query),
    }
    answers = {}
    with stage("VoID counts", total=len(queries), unit="queries") as progress:
        for name, (read, query) in queries.items():
            answers[name] = read(store, query)
            progress.advance()
    return DatasetStats(**answers)


def _statements(store: Store, subject: NamedNode) -> list[tuple[NamedNode, object]]:
    query = f"SELECT DISTINCT ?p ?o WHERE {{ <{subject.value}> ?p ?o }} ORDER BY ?p ?o"
    return [(row["p"], row["o"]) for row in store.query(query, use_default_graph_as_union=True)]


def record_triples(store: Store, iris: Iris) -> list[Triple]:
    """The dataset's record as the data states it, for the description; [] if the data has none.

    The dataset's own statements (but NOT_COPIED); of each resource they name, its labels and
    owl:sameAs (CARRIED), or all its statements if its IRI is under the dataset's.
    """
    dataset = NamedNode(dataset_iri(iris))
    own = [Triple(dataset, p, o) for p, o in _statements(store, dataset) if p.value not in NOT_COPIED]
    found = list(own)
    for triple in own:
        target = triple.object
        if not isinstance(target, NamedNode) or triple.predicate == TYPE:
            continue
        whole = target.value.startswith(dataset.value + "/")
        found += [Triple(target, p, o) for p, o in _statements(store, target) if whole or p.value in CARRIED]
    return found


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


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=_n(XSD.integer))


def _when(moment: datetime) -> Literal:
    # The canonical form, as the store gives it back: UTC with "Z".
    return Literal(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=_n(XSD.dateTime))


class _Description:
    """Triples in the order added, each once."""

    def __init__(self):
        self.triples: dict[Triple, None] = {}

    def add(self, s: NamedNode, p, o) -> None:
        self.triples[Triple(s, p if isinstance(p, NamedNode) else _n(p), o)] = None

    def texts(self, s: NamedNode, p, texts: dict[str, str]) -> None:
        for lang in LANGUAGES:
            self.add(s, p, Literal(texts[lang], language=lang))

    def labels(self, s: NamedNode, texts: dict[str, str], *, title: bool = False) -> None:
        self.texts(s, RDFS.label, texts)
        if title:
            self.texts(s, DCTERMS.title, texts)


def describe_dataset(
    stats: DatasetStats,
    record: list[Triple],
    *,
    iris: Iris,
    release: ReleaseFacts,
    dumps: Iterable[Dump],
    shapes: bool = False,
) -> list[Triple]:
    """The VoID/DCAT description of the dataset at one release, as the quads dumps hold it.

    :param stats: counts over the data graphs, from `count_dataset`.
    :param record: the dataset's record in the data, from `record_triples` ([] if there is none).
    :param dumps: the dump files this release offers.
    :param shapes: True if the release offers the shapes it was validated against (SHAPES_FILE).
    """
    dataset = NamedNode(dataset_iri(iris))
    version = release.version
    current = NamedNode(iris.release(version))
    d = _Description()
    for triple in record:
        d.add(triple.subject, triple.predicate, triple.object)
    texts = Record.of(record, iris)

    d.add(dataset, RDF.type, _n(VOID.Dataset))
    d.add(dataset, RDF.type, _n(DCAT.Dataset))
    if not texts.has_record:
        d.labels(dataset, FALLBACK_TITLE, title=True)
        d.texts(dataset, DCTERMS.description, FALLBACK_DESCRIPTION)
    if not release.validated:
        d.add(dataset, RDFS.comment, Literal(UNVALIDATED, language="en"))
    d.add(dataset, OWL.versionInfo, Literal(version))
    d.add(dataset, DCAT.version, Literal(version))
    d.texts(dataset, ADMS.versionNotes, release.notes())
    d.add(dataset, DCTERMS.issued, _when(release.first_issued))
    d.add(dataset, DCTERMS.modified, _when(release.built_at))
    d.add(dataset, DCAT.hasCurrentVersion, current)
    d.add(dataset, VOID.uriSpace, Literal(iris.base + "id/"))
    d.add(dataset, VOID.sparqlEndpoint, NamedNode(iris.base + "sparql"))
    d.add(dataset, DCAT.landingPage, NamedNode(iris.base))
    d.labels(NamedNode(iris.base), {"ja": "ホームページ", "en": "Home page"})
    if shapes:
        standard = NamedNode(dump_url(iris, version, SHAPES_FILE))
        d.add(dataset, DCTERMS.conformsTo, standard)
        d.labels(standard, {"ja": f"リリース {version} を検証したSHACLシェイプ",
                            "en": f"The SHACL shapes release {version} was validated against"}, title=True)

    d.add(dataset, VOID.triples, _integer(stats.triples))
    d.add(dataset, VOID.entities, _integer(stats.entities))
    d.add(dataset, VOID.distinctSubjects, _integer(stats.distinct_subjects))
    d.add(dataset, VOID.distinctObjects, _integer(stats.distinct_objects))
    d.add(dataset, VOID.classes, _integer(len(stats.classes)))
    d.add(dataset, VOID.properties, _integer(len(stats.properties)))
    for vocabulary in sorted({vocabulary_of(t, iris) for t in (*stats.classes, *stats.properties)}):
        d.add(dataset, VOID.vocabulary, NamedNode(vocabulary))
    for kind, counts, link, measure, ja in (
        ("class", stats.classes, VOID["class"], VOID.entities, "クラス"),
        ("property", stats.properties, VOID.property, VOID.triples, "プロパティ"),
    ):
        for term, count in sorted(counts.items()):
            partition = NamedNode(f"{dataset.value}/{kind}-partition/{_short_hash(term)}")
            d.add(dataset, VOID.classPartition if kind == "class" else VOID.propertyPartition, partition)
            d.add(partition, RDF.type, _n(VOID.Dataset))
            d.labels(partition, {"ja": f"{ja} <{term}> の部分", "en": f"Partition of the {kind} <{term}>"})
            d.add(partition, link, NamedNode(term))
            d.add(partition, measure, _integer(count))
    for linkset in stats.linksets:
        d.add(dataset, VOID.subset, NamedNode(linkset))

    title = texts.title
    endpoint = NamedNode(iris.base + "sparql")
    for triple in (t for t in record if t.subject == dataset):
        for node, shared in ((current, FOR_RELEASE), (endpoint, FOR_SERVICE)):
            if triple.predicate.value in shared:
                d.add(node, triple.predicate, triple.object)
    d.add(current, RDF.type, _n(DCAT.Dataset))
    d.labels(current, {"ja": f"{title['ja']} リリース {version}", "en": f"{title['en']}, release {version}"},
             title=True)
    d.texts(current, DCTERMS.description, release.notes())
    d.add(current, DCAT.isVersionOf, dataset)
    d.add(current, DCAT.version, Literal(version))
    d.add(current, DCTERMS.issued, _when(release.built_at))
    if release.previous:
        d.add(current, DCAT.previousVersion, NamedNode(iris.release(release.previous)))

    d.add(endpoint, RDF.type, _n(DCAT.DataService))
    d.add(endpoint, RDF.type, _n(SD.Service))
    d.labels(endpoint, {"ja": "SPARQLエンドポイント", "en": "SPARQL endpoint"}, title=True)
    d.add(endpoint, DCAT.endpointURL, endpoint)
    d.add(endpoint, DCAT.endpointDescription, endpoint)
    d.add(endpoint, DCAT.servesDataset, dataset)

    for dump in dumps:
        url = NamedNode(dump_url(iris, version, dump.name))
        distribution = NamedNode(distribution_iri(iris, dump.name))
        d.add(dataset, VOID.dataDump, url)
        d.add(dataset, DCAT.distribution, distribution)
        d.add(current, DCAT.distribution, distribution)
        d.add(distribution, RDF.type, _n(DCAT.Distribution))
        d.labels(distribution, dump.title, title=True)
        d.texts(distribution, DCTERMS.description, {
            "ja": f"リリース {version} のファイル {dump.name}：{dump.title['ja']}。",
            "en": f"File {dump.name} of release {version}: {dump.title['en']}.",
        })
        d.add(distribution, DCAT.downloadURL, url)
        d.add(distribution, DCAT.accessURL, NamedNode(iris.base + "download/"))
        d.add(distribution, DCAT.mediaType, NamedNode(IANA + dump.media_type))
        if texts.license:
            d.add(distribution, DCTERMS.license, NamedNode(texts.license))
        if dump.gzip:
            d.add(distribution, DCAT.compressFormat, NamedNode(IANA + "application/gzip"))

    _complete(d)
    count = NamedNode(iris.graph(DATASET_GRAPH))
    d.add(count, RDF.type, _n(VOID.Dataset))
    d.labels(count, {"ja": "このリリースの記述（VoID・DCAT）", "en": "This release's description (VoID, DCAT)"})
    d.texts(count, DCTERMS.description, DESCRIPTION_COUNT)
    d.add(count, TRIPLES, _integer(len(d.triples) + 1))  # this triple included
    return list(d.triples)


DESCRIPTION_COUNT = {
    "ja": "四つ組ダンプの名前付きグラフ graph/dataset が持つトリプルの数（void:triples）。"
    "void.ttl と /.well-known/void はこれに各ダンプの大きさとチェックサムを加えたもの。",
    "en": "void:triples counts the triples of graph graph/dataset in the quads dumps; "
    "void.ttl and /.well-known/void add each dump's size and checksum.",
}


def _complete(d: _Description) -> None:
    """Type each value with the class DCAT-AP requires of it (RANGES), and name agents and concepts."""
    for triple in list(d.triples):
        required = RANGES.get(triple.predicate.value)
        if required is not None and isinstance(triple.object, NamedNode):
            d.add(triple.object, RDF.type, _n(required))
    for triple in list(d.triples):
        name = NAMES.get(triple.object.value) if triple.predicate == TYPE else None
        if name is None:
            continue
        for label in [t.object for t in d.triples if t.subject == triple.subject and t.predicate == LABEL]:
            d.add(triple.subject, name, label)


def file_triples(iris: Iris, files: dict[str, dict], dumps: Iterable[Dump]) -> list[Triple]:
    """Each dump's ``dcat:byteSize`` and ``spdx:checksum`` (SHA-256), known only once the dumps are written."""
    d = _Description()
    for dump in dumps:
        if dump.name not in files:
            continue
        distribution = NamedNode(distribution_iri(iris, dump.name))
        checksum = NamedNode(distribution.value + "/checksum")
        d.add(distribution, BYTE_SIZE, Literal(str(files[dump.name]["size"]), datatype=_n(XSD.nonNegativeInteger)))
        d.add(distribution, SPDX.checksum, checksum)
        d.add(checksum, RDF.type, _n(SPDX.Checksum))
        d.labels(checksum, {"ja": f"{dump.name} のSHA-256", "en": f"SHA-256 of {dump.name}"})
        d.add(checksum, SPDX.algorithm, _n(SPDX.checksumAlgorithm_sha256))
        d.add(checksum, SPDX.checksumValue, Literal(files[dump.name]["sha256"], datatype=_n(XSD.hexBinary)))
    _complete(d)
    return list(d.triples)


@dataclass(frozen=True)
class Record:
    """The texts of the dataset's record that pages, dump headers and citations show.

    :ivar has_record: False if the data has no record (the FALLBACK texts are used).
    """

    dataset: str
    title: dict[str, str]
    description: dict[str, str]
    attribution: dict[str, str] = field(default_factory=dict)
    license: str | None = None
    publisher: dict[str, str] = field(default_factory=dict)
    has_record: bool = True

    @classmethod
    def of(cls, triples: Iterable[Triple], iris: Iris) -> Record:
        """The record's texts among `triples` (the record, or a whole description)."""
        dataset = dataset_iri(iris)
        found: dict[str, dict[str, str]] = {}
        objects: dict[str, list] = {}
        triples = list(triples)
        for triple in triples:
            if triple.subject.value != dataset:
                continue
            objects.setdefault(triple.predicate.value, []).append(triple.object)
            if isinstance(triple.object, Literal) and triple.object.language in LANGUAGES:
                found.setdefault(triple.predicate.value, {})[triple.object.language] = triple.object.value
        title = found.get(str(DCTERMS.title), {})
        publishers = {o.value for o in objects.get(str(DCTERMS.publisher), []) if isinstance(o, NamedNode)}
        publisher = {
            t.object.language: t.object.value
            for t in triples
            if t.subject.value in publishers and t.predicate == LABEL and isinstance(t.object, Literal)
        }
        licenses = sorted(o.value for o in objects.get(str(DCTERMS.license), []) if isinstance(o, NamedNode))
        complete = all(lang in title for lang in LANGUAGES)
        return cls(
            dataset=dataset,
            title=title if complete else FALLBACK_TITLE,
            description=found.get(str(DCTERMS.description), {}) if complete else FALLBACK_DESCRIPTION,
            attribution=found.get(iris.term(ATTRIBUTION_TERM), {}),
            license=licenses[0] if licenses else None,
            publisher=publisher,
            has_record=complete,
        )


def dump_header(record: Record, version: str) -> bytes:
    """The comment lines that open the Turtle, TriG, N-Triples and N-Quads dumps: title, attribution, licence."""
    lines = [record.title[lang] for lang in LANGUAGES]
    lines += [record.attribution[lang] for lang in LANGUAGES if lang in record.attribution]
    licence = f", licence {record.license}" if record.license else ""
    lines.append(f"Dataset {record.dataset}, release {version}{licence}")
    return "".join(f"# {' '.join(line.split())}\n" for line in lines).encode("utf-8")


def sort_triples(triples: Iterable[Triple]) -> list[Triple]:
    """Triples sorted by subject, so Turtle groups each subject's statements."""
    return sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def as_quads(triples: Iterable[Triple], graph: NamedNode) -> list[Quad]:
    return [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
