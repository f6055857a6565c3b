"""The SPARQL 1.1 Service Description of /sparql, as RDF triples built from the store and config.

The description names the endpoint, the query language, every result format,
the default graph (``sd:UnionDefaultGraph`` only when it is the union of all
graphs) and each named graph with its size, the prefixes a query may use
undeclared, and the limits this endpoint enforces.

It also lists the canned queries (server/web/canned.py), as the SPARQL
examples of the SIB Swiss Institute of Bioinformatics and others do: each one's
URL is a ``sh:SPARQLSelectExecutable`` (``…AskExecutable``,
``…ConstructExecutable``; a DESCRIBE query only ``sh:SPARQLExecutable``) with
its question as ``rdfs:label`` in Japanese and English, its text (parameters at
their defaults) as ``sh:select`` (``sh:ask``, ``sh:construct``; DESCRIBE:
``schema:text``) and ``schema:target`` the endpoint; each parameter is an
``sh:parameter`` as SHACL's SPARQL-based functions declare theirs: an
``sh:path`` whose local name is the variable, with ``sh:datatype`` (or
``sh:nodeKind sh:IRI``) and ``sh:defaultValue``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import BlankNode
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import QueryResultsFormat
from pyoxigraph import RdfFormat
from pyoxigraph import Triple

from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import RESULTS_OFFERS
from server.common.vocab import RDF
from server.common.vocab import RDFS
from server.common.vocab import SCHEMA
from server.common.vocab import SD
from server.common.vocab import SH
from server.common.vocab import VOID
from server.common.vocab import XSD
from server.common.vocab import Iris
from server.engine.querytext import first_keyword
from server.web.gallery import Example

FORMATS = "http://www.w3.org/ns/formats/"
ENTAILMENT_SIMPLE = "http://www.w3.org/ns/entailment/Simple"
# Every format a query answer can come in: SELECT/ASK results, then graphs.
RESULT_OFFERS = RESULTS_OFFERS + RDF_OFFERS + DATASET_OFFERS


@dataclass(frozen=True)
class ServiceFacts:
    """What the description states, also shown on the HTML page.

    :ivar endpoint: the absolute URL of /sparql as the client reached it.
    :ivar default_triples: distinct triples in the default graph.
    :ivar graphs: each named graph's IRI and its number of triples.
    :ivar union_default_graph: whether the default graph is the union of all graphs (else the stored one).
    :ivar queries: the canned queries, each with its URL.
    """

    endpoint: str
    default_triples: int
    graphs: dict[str, int]
    prefixes: dict[str, str]
    limits: dict[str, int | float]
    union_default_graph: bool = True
    queries: tuple[tuple[str, Example], ...] = ()

    @property
    def max_query_bytes(self) -> int:
        return int(self.limits["maxQueryBytes"])


# Each limit of the endpoint: (ontology term, Config field, what a client over it gets).
LIMITS = (
    ("queryTimeoutSeconds", "query_timeout_s", "a query past it is stopped: 503"),
    ("maxResultRows", "max_results", "more rows are cut, marked as truncated (JSON, XML) or refused (CSV, TSV: 413)"),
    ("maxResultBytes", "max_result_bytes", "a larger answer is refused: 413"),
    ("maxQueryBytes", "max_query_bytes", "a longer query or body is refused: 413"),
    ("maxQueryDepth", "max_query_depth", "a query nested deeper is refused: 400"),
    ("maxHeaderBytes", "max_header_bytes", "a larger request head is refused: 431"),
    ("rateLimitPerSecond", "rate_limit_per_s", "a client past its burst gets 429 with Retry-After (0: no limit)"),
    ("rateLimitBurst", "rate_limit_burst", "requests a client may make at once"),
    ("queueTimeoutSeconds", "queue_timeout_s", "a query that finds no free worker in time gets 503 with Retry-After"),
)


def service_limits(config) -> dict[str, int | float]:
    """The limits the description states, by ontology term, from the Config."""
    return {term: getattr(config, field) for term, field, _ in LIMITS}


def format_iri(format: RdfFormat | QueryResultsFormat) -> str:
    """The W3C IRI of a format, under http://www.w3.org/ns/formats/.

    >>> format_iri(RdfFormat.JSON_LD)
    'http://www.w3.org/ns/formats/JSON-LD'
    >>> format_iri(QueryResultsFormat.CSV)
    'http://www.w3.org/ns/formats/SPARQL_Results_CSV'
    """
    if format == RdfFormat.JSON_LD:  # pyoxigraph names it under /ns/formats/data/
        return FORMATS + "JSON-LD"
    return format.iri


def comment(facts: ServiceFacts) -> str:
    """The plain-English summary carried as the service's rdfs:comment."""
    prefixes = ", ".join(f"{prefix}:" for prefix in facts.prefixes)
    if facts.union_default_graph:
        default = f"The default graph is the union of all graphs ({len(facts.graphs)} named); GRAPH reaches each. "
    else:
        default = f"The default graph is the stored one; GRAPH reaches each of the {len(facts.graphs)} named graphs. "
    return (
        "Read-only SPARQL 1.1 Query endpoint (SPARQL Update is refused). "
        "Relative IRIs in a query without BASE resolve against the endpoint's URL. "
        + default
        + f"Queries may use these prefixes without declaring them: {prefixes}. "
        "Limits: "
        + "; ".join(f"{term} {facts.limits[term]:g}: {effect}" for term, _, effect in LIMITS if term in facts.limits)
        + "."
    )


def describe_service(facts: ServiceFacts, iris: Iris) -> list[Triple]:
    """The service description as triples.

    >>> facts = ServiceFacts("http://h/sparql", 3, {"http://e/g": 3}, {"e": "http://e/"}, {"maxQueryBytes": 100})
    >>> triples = describe_service(facts, Iris("http://e/"))
    >>> any(t.predicate.value.endswith("#endpoint") and t.object.value == "http://h/sparql" for t in triples)
    True
    """
    service, dataset, default_graph = BlankNode(), BlankNode(), BlankNode()
    triples = [
        Triple(service, _iri(RDF.type), _iri(SD.Service)),
        Triple(service, _iri(SD.endpoint), NamedNode(facts.endpoint)),
        Triple(service, _iri(SD.supportedLanguage), _iri(SD.SPARQL11Query)),
        Triple(service, _iri(SD.defaultEntailmentRegime), NamedNode(ENTAILMENT_SIMPLE)),
        Triple(service, _iri(RDFS.comment), Literal(comment(facts), language="en")),
        Triple(service, _iri(SD.defaultDataset), dataset),
        Triple(dataset, _iri(RDF.type), _iri(SD.Dataset)),
        Triple(dataset, _iri(SD.defaultGraph), default_graph),
        Triple(default_graph, _iri(RDF.type), _iri(SD.Graph)),
        Triple(default_graph, _iri(VOID.triples), _integer(facts.default_triples)),
    ]
    if facts.union_default_graph:
        triples.append(Triple(service, _iri(SD.feature), _iri(SD.UnionDefaultGraph)))
    for term, value in facts.limits.items():
        triples.append(Triple(service, NamedNode(iris.term(term)), _number(value)))
    for offer in RESULT_OFFERS:
        triples.append(Triple(service, _iri(SD.resultFormat), NamedNode(format_iri(offer.format))))
    for name, count in facts.graphs.items():
        named, graph = BlankNode(), BlankNode()
        triples += [
            Triple(dataset, _iri(SD.namedGraph), named),
            Triple(named, _iri(RDF.type), _iri(SD.NamedGraph)),
            Triple(named, _iri(SD.name), NamedNode(name)),
            Triple(named, _iri(SD.graph), graph),
            Triple(graph, _iri(RDF.type), _iri(SD.Graph)),
            Triple(graph, _iri(VOID.triples), _integer(count)),
        ]
    for prefix, namespace in facts.prefixes.items():
        declaration = BlankNode()
        triples += [
            Triple(service, _iri(SH.declare), declaration),
            Triple(declaration, _iri(SH.prefix), Literal(prefix)),
            Triple(declaration, _iri(SH.namespace), Literal(namespace, datatype=_iri(XSD.anyURI))),
        ]
    for url, example in facts.queries:
        triples += describe_query(url, example, endpoint=facts.endpoint)
    return triples


# The SHACL class and text property of each query form (DESCRIBE has none of its own).
EXECUTABLES = {
    "SELECT": ("SPARQLSelectExecutable", SH.select),
    "ASK": ("SPARQLAskExecutable", SH.ask),
    "CONSTRUCT": ("SPARQLConstructExecutable", SH.construct),
}


def describe_query(url: str, example: Example, *, endpoint: str) -> list[Triple]:
    """A canned query as triples: what it is, its question in each language, its text and its parameters.

    >>> from server.web.gallery import Parameter
    >>> example = Example("q", {"en": "What?"}, "SELECT ?x { }", (Parameter("x", "integer", "1"),), runnable="…")
    >>> triples = describe_query("http://h/queries/q", example, endpoint="http://h/sparql")
    >>> sorted(t.predicate.value.rsplit("#", 1)[-1] for t in triples if t.subject == NamedNode("http://h/queries/q"))
    ['https://schema.org/target', 'label', 'parameter', 'select', 'type', 'type']
    """
    query = NamedNode(url)
    kind, text_property = EXECUTABLES.get(first_keyword(example.text), (None, SCHEMA.text))
    triples = [Triple(query, _iri(RDF.type), _iri(SH.SPARQLExecutable))]
    if kind is not None:
        triples.append(Triple(query, _iri(RDF.type), _iri(SH[kind])))
    for lang, title in example.titles.items():
        triples.append(Triple(query, _iri(RDFS.label), Literal(title, language=lang)))
    triples += [
        Triple(query, _iri(text_property), Literal(example.runnable)),
        Triple(query, _iri(SCHEMA.target), NamedNode(endpoint)),
    ]
    for parameter in example.params:
        node = BlankNode()
        default = parameter.term(parameter.default, example.base_iri)
        triples += [
            Triple(query, _iri(SH.parameter), node),
            Triple(node, _iri(SH.path), NamedNode(f"{url}#{parameter.name}")),
            Triple(node, _iri(SH.name), Literal(parameter.name)),
            Triple(node, _iri(SH.defaultValue), default),
        ]
        if parameter.type == "iri":
            triples.append(Triple(node, _iri(SH.nodeKind), _iri(SH.IRI)))
        else:
            triples.append(Triple(node, _iri(SH.datatype), _iri(XSD[parameter.type])))
    return triples


def _iri(term) -> NamedNode:
    return NamedNode(str(term))


def _number(value: int | float) -> Literal:
    if isinstance(value, int) or float(value).is_integer():
        return _integer(int(value))
    return Literal(repr(float(value)), datatype=_iri(XSD.decimal))


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=_iri(XSD.integer))
