"""Blueprint for /sparql: the SPARQL 1.1 Protocol, read-only, over the release being served.

- GET ``?query=``, POST form-encoded ``query=``, or POST ``application/sparql-query``;
  ``default-graph-uri`` and ``named-graph-uri`` choose the dataset.
- The answer's format comes from the ``format`` parameter (a name or a media
  type), else from the Accept header; a browser preferring HTML gets the
  default format, and ``format=html`` a table.
- GET without a query gives the service description (RDF or an HTML page).
- Relative IRIs in a query without BASE resolve against the endpoint's URL.
- Updates are refused by every path (403; 400 for one sent as a query); nothing a client sends changes the data.

A client's query is checked (`querytext.check_query`) and then answered by the
release's engine (`engine.Engine.run`): worker processes, or a remote endpoint.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import Blueprint
from flask import Response
from flask import request
from flask import url_for
from pyoxigraph import serialize

from server.common.config import Config
from server.common.errors import BadRequest
from server.common.errors import MissingQuery
from server.common.errors import NotAcceptable
from server.common.errors import PublisherError
from server.common.errors import QueryTooLarge
from server.common.errors import UnsupportedMediaType
from server.common.errors import UpdateRefused
from server.common.lru import LruCache
from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import HTML_OFFER
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import RESULTS_OFFERS
from server.common.negotiate import Offer
from server.common.negotiate import choose
from server.engine.answercache import answer_cache
from server.engine.answercache import answer_tag
from server.engine.answers import QueryAnswer
from server.engine.answers import QueryJob
from server.engine.querytext import READ_ONLY
from server.engine.querytext import check_query
from server.engine.serving import Engine
from server.engine.serving import Releases
from server.engine.serving import Served
from server.linking.search import Indexes
from server.sources.store import count_triples
from server.web.gallery import load_examples
from server.web.i18n import choose_language
from server.web.service import RESULT_OFFERS
from server.web.service import ServiceFacts
from server.web.service import describe_service
from server.web.service import service_limits
from server.web.table import LabelOf
from server.web.table import View
from server.web.urls import public_url
from server.web.workbench import answer_rows
from server.web.workbench import render_workbench

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
# Answers to GET queries may be kept by browsers and proxies for as long as resource pages are.
ANSWER_CACHE_CONTROL = "public, max-age=300"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
GRAPH_OFFERS = RDF_OFFERS + DATASET_OFFERS
DESCRIPTION_OFFERS = RDF_OFFERS + (HTML_OFFER,)
MAX_PARAMETERS = 200
# Set on answers cut at the row cap; the body says so too (server/engine/results.py).
TRUNCATED_HEADER = "SPARQL-Results-Truncated"
CORS_PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Max-Age": "86400",
}
EXAMPLE_QUERY = """SELECT ?resource ?label WHERE {
  ?resource rdfs:label ?label .
} LIMIT 20"""


@dataclass(frozen=True)
class ProtocolRequest:
    """The SPARQL Protocol parameters of one request, decoded and checked.

    :ivar query: the query text, or None for GET without a query.
    :ivar format_name: the ``format`` parameter: a name from negotiate.py or a media type.
    """

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format_name: str | None = None


class Answering:
    """What /sparql and the canned queries (canned.py) share: the release being served and its service
    facts, the checks and caps of every client query, the answer cache, and the answer as a response
    (with its ETag, caching and truncation headers) or as rows for the HTML view."""

    def __init__(self, releases: Releases, config: Config, indexes: Indexes):
        self.releases = releases
        self.config = config
        self.indexes = indexes
        self.answers = answer_cache(max_bytes=int(config.answer_cache_mb * 2**20))
        # The answers the HTML pages show a page of, whole: paging through a long answer runs it once.
        self.paged = answer_cache(max_bytes=int(config.answer_cache_mb * 2**20), largest=1)
        self._counted: list = [None, None]  # [release, count_triples(engine)], counted once per release
        self.examples = load_examples(config.root / "queries", config.base_iri)

    def facts(self, served: Served) -> ServiceFacts:
        release, engine = served
        if self._counted[0] is not release:
            self._counted[:] = [release, count_triples(engine, union=self.config.union_default_graph)]
        default_triples, graphs = self._counted[1]
        return ServiceFacts(
            public_url(url_for("sparql.endpoint")), default_triples, graphs, release.iris.prefixes(),
            service_limits(self.config), union_default_graph=self.config.union_default_graph,
            queries=tuple((public_url(url_for("canned.run", name=e.slug)), e) for e in self.examples),
        )

    def job(
        self, served: Served, query: str, results_offer: Offer | None, graph_offer: Offer | None,
        default_graphs: tuple[str, ...] = (), named_graphs: tuple[str, ...] = (),
    ) -> QueryJob:
        """A job for `query` within this endpoint's caps; relative IRIs resolve against the URL asked."""
        return QueryJob(
            query=query,
            results_media_type=results_offer.media_type if results_offer else None,
            graph_media_type=graph_offer.media_type if graph_offer else None,
            prefixes=served.release.iris.prefixes(),
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            max_rows=self.config.max_results,
            max_bytes=self.config.max_result_bytes,
            base_iri=request.base_url,
        )

    def _tag(self, served: Served, job: QueryJob) -> str | None:
        # Only an embedded store's answers are fixed for a release; a remote engine's data can change under us.
        return answer_tag(served.release.version, job) if served.engine.fixed_data else None

    def answer(self, served: Served, job: QueryJob) -> QueryAnswer:
        """The answer to `job` for an HTML page, checked first (updates, depth, SERVICE), from the engine or
        from `paged`, which keeps answers of any size up to the whole budget, so the next page of a long
        answer is not run again."""
        check_query(job.query, max_depth=self.config.max_query_depth, allowed_services=self.config.allowed_services)
        return logged_answer(served.engine, job, self.paged, self._tag(served, job))[0]

    def respond(self, served: Served, job: QueryJob) -> Response:
        """The answer to `job` in its format: 304 when the client has it, else the body with its headers."""
        check_query(job.query, max_depth=self.config.max_query_depth, allowed_services=self.config.allowed_services)
        tag = self._tag(served, job)
        readable = request.method in ("GET", "HEAD")  # answers HTTP caches may keep and revalidate
        if tag is not None and readable and request.if_none_match.contains_weak(tag):
            not_modified = Response(status=304)
            not_modified.set_etag(tag, weak=True)
            not_modified.headers["Cache-Control"] = ANSWER_CACHE_CONTROL
            return not_modified
        answer, cache_state = logged_answer(served.engine, job, self.answers, tag)
        offer = next(offer for offer in RESULT_OFFERS if offer.media_type == answer.media_type)
        headers = {"Content-Disposition": f'inline; filename="results.{offer.suffix}"'}
        if answer.truncated:
            headers[TRUNCATED_HEADER] = f"rows={answer.rows}"
        response = Response(answer.body, content_type=offer.content_type, headers=headers)
        if tag is not None:
            response.headers["X-Cache"] = cache_state
            if readable:
                response.set_etag(tag, weak=True)
                response.headers["Cache-Control"] = ANSWER_CACHE_CONTROL
        return response

    def label_of(self, lang: str) -> LabelOf:
        """The label in `lang` of an IRI the search index knows (a resource, class or property), else None."""
        index = self.indexes.current()

        def label(iri: str) -> str | None:
            found = index.label(iri, lang)
            return None if found == iri else found

        return label


def make_blueprint(answering: Answering) -> Blueprint:
    """The /sparql endpoint (`sparql.endpoint`) over the release being served."""
    blueprint = Blueprint("sparql", __name__)
    config = answering.config

    @blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS"])
    def endpoint():
        if request.method == "OPTIONS":
            preflight = Response(status=204, headers=CORS_PREFLIGHT)
            del preflight.headers["Content-Type"]
            return preflight
        served = answering.releases.current
        protocol = read_protocol_request(max_query_bytes=config.max_query_bytes)
        if protocol.query is None:
            return describe(answering, served, format_name=protocol.format_name)
        results_offer, graph_offer, as_html = negotiate_answer(request.headers.get("Accept"), protocol.format_name)
        job = answering.job(
            served, protocol.query, results_offer, graph_offer, protocol.default_graphs, protocol.named_graphs
        )
        if as_html:
            return workbench_page(answering, served, job)
        return answering.respond(served, job)

    @blueprint.after_request
    def add_cors_and_vary(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.vary.add("Accept")
        return response

    return blueprint


def workbench_page(answering: Answering, served: Served, job: QueryJob) -> Response:
    """The workbench with the answer to `job`, or with the error that stopped it (in the page, with its status)."""
    facts = answering.facts(served)
    try:
        view = View.read(request.args)
        results = answer_rows(answering.answer(served, job))
        label_of = answering.label_of(choose_language())
        html = render_workbench(
            facts, answering.examples, query=job.query, results=results, view=view, label_of=label_of
        )
    except PublisherError as exc:
        html = render_workbench(facts, answering.examples, query=job.query, error=exc)
        return Response(html, status=exc.status, headers=exc.headers, content_type=HTML_OFFER.content_type)
    return Response(html, content_type=HTML_OFFER.content_type)


def read_protocol_request(*, max_query_bytes: int) -> ProtocolRequest:
    """Read the query and dataset of the current request per the SPARQL 1.1 Protocol.

    :raises UpdateRefused: for an ``update`` parameter or an ``application/sparql-update`` body.
    :raises UnsupportedMediaType: for a POST body of any other type than the protocol's two.
    :raises MissingQuery: for a POST without a query, or an empty query.
    :raises BadRequest: for a query given twice, invalid UTF-8, or a NUL character.
    :raises QueryTooLarge: for a query over `max_query_bytes` bytes of UTF-8.
    """
    params = decode_parameters(request.query_string, where="the URL")
    queries = [value for name, value in params if name == "query"]
    if request.method == "POST":
        if request.mimetype == SPARQL_UPDATE:
            raise UpdateRefused(READ_ONLY)
        if request.mimetype == FORM:
            body = decode_parameters(request.get_data(), where="the form body")
            body_queries = [value for name, value in body if name == "query"]
            if queries and body_queries:
                raise BadRequest("Give the query in the URL or in the body, not both.")
            params += body
            queries += body_queries
        elif request.mimetype == SPARQL_QUERY:
            queries.append(decode_text(request.get_data(), where="the request body"))
        else:
            raise UnsupportedMediaType(
                f"POST a query as {FORM} (query=...) or as {SPARQL_QUERY}, "
                f"not as {request.mimetype or 'a body without Content-Type'}."
            )
    if any(name == "update" for name, _ in params):
        raise UpdateRefused(READ_ONLY)
    if len(queries) > 1:
        raise BadRequest("Give the query once: the request has more than one.")
    query = queries[0] if queries else None
    if query is None and request.method == "POST":
        raise MissingQuery("POST a query: no 'query' parameter or body was given.")
    if query is not None:
        if not query.strip():
            raise MissingQuery("The query is empty.")
        size = len(query.encode("utf-8"))
        if size > max_query_bytes:
            raise QueryTooLarge(f"The query is {size} bytes; this endpoint accepts at most {max_query_bytes}.")
    formats = [value for name, value in params if name == "format"]
    return ProtocolRequest(
        query=query,
        default_graphs=tuple(value for name, value in params if name == "default-graph-uri"),
        named_graphs=tuple(value for name, value in params if name == "named-graph-uri"),
        format_name=formats[0] if formats else None,
    )


def decode_parameters(raw: bytes, *, where: str) -> list[tuple[str, str]]:
    """Decode URL-encoded parameters strictly as UTF-8, keeping repeats and order.

    >>> decode_parameters(b"query=ASK%7B%7D&named-graph-uri=a&named-graph-uri=b", where="the URL")
    [('query', 'ASK{}'), ('named-graph-uri', 'a'), ('named-graph-uri', 'b')]

    :raises BadRequest: on invalid UTF-8, a NUL character, or too many parameters.
    """
    text = decode_text(raw, where=where)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_PARAMETERS)
    except UnicodeDecodeError:
        raise BadRequest(f"The parameters in {where} are not valid UTF-8.") from None
    except ValueError:
        raise BadRequest(f"More than {MAX_PARAMETERS} parameters in {where}.") from None
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise BadRequest(f"The parameters in {where} contain a NUL character.")
    return pairs


def decode_text(raw: bytes, *, where: str) -> str:
    """`raw` as UTF-8 text without NUL characters.

    :raises BadRequest: on invalid UTF-8 or a NUL character.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"The text in {where} is not valid UTF-8.") from None
    if "\x00" in text:
        raise BadRequest(f"The text in {where} contains a NUL character.")
    return text


def negotiate_answer(accept: str | None, format_name: str | None) -> tuple[Offer | None, Offer | None, bool]:
    """The formats for a SELECT/ASK answer and for a CONSTRUCT/DESCRIBE answer, and whether to show HTML.

    The ``format`` parameter wins over Accept. A client preferring HTML by
    Accept gets the default format (SPARQL JSON, Turtle); only ``format=html``
    gives the HTML view.

    >>> negotiate_answer("text/html,application/xml;q=0.9,*/*;q=0.8", None)[0].media_type
    'application/sparql-results+json'
    >>> negotiate_answer(None, "csv")[:2] == (RESULTS_OFFERS[2], None)
    True

    :raises NotAcceptable: if no format fits either kind of answer.
    """
    name = format_name.split(";")[0].strip() if format_name else None
    as_html = bool(name) and choose((HTML_OFFER,), name=name) is not None
    chosen = []
    for offers in (RESULTS_OFFERS, GRAPH_OFFERS):
        offer = choose(offers + (HTML_OFFER,), accept=accept, name=name)
        chosen.append(offers[0] if offer is HTML_OFFER else offer)
    if chosen == [None, None]:
        raise NotAcceptable(not_acceptable_message(RESULTS_OFFERS + GRAPH_OFFERS, "answers"))
    return chosen[0], chosen[1], as_html


def not_acceptable_message(offers: tuple[Offer, ...], what: str) -> str:
    media_types = ", ".join(offer.media_type for offer in offers)
    names = ", ".join(offer.names[0] for offer in offers)
    return (
        f"None of the formats this endpoint gives {what} in is acceptable: {media_types}. "
        f"Ask for one with the Accept header or the format parameter ({names})."
    )


def logged_answer(engine: Engine, job: QueryJob, answers: LruCache, tag: str | None) -> tuple[QueryAnswer, str]:
    """Answer `job` from the cache (by `tag`) or in the engine, logged: kind, short hash, size and duration
    at INFO, the text at DEBUG. Returns the answer and "hit" or "miss"."""
    digest = hashlib.sha256(job.query.encode("utf-8")).hexdigest()[:12]
    log.debug("query %s:\n%s", digest, job.query)
    started = time.perf_counter()
    answer = answers.get(tag) if tag is not None else None
    state = "hit" if answer is not None else "miss"
    if answer is None:
        try:
            answer = engine.run(job)
        except PublisherError as exc:
            log.info("query %s refused (%d) after %.1f ms: %s", digest, exc.status, _ms(started), exc.message)
            raise
        if tag is not None:
            answers.put(tag, answer)
    log.info(
        "query %s: %s as %s, %d bytes in %.1f ms%s",
        digest,
        answer.kind,
        answer.media_type,
        len(answer.body),
        _ms(started),
        " (answer cache)" if state == "hit" else "",
    )
    return answer, state


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def describe(answering: Answering, served: Served, *, format_name: str | None) -> Response:
    """The service description in the format asked for, or the HTML page (the workbench, with an example).

    :raises NotAcceptable: if none of Turtle, N-Triples, RDF/XML, JSON-LD or HTML is acceptable.
    """
    name = format_name.split(";")[0].strip() if format_name else None
    offer = choose(DESCRIPTION_OFFERS, accept=request.headers.get("Accept"), name=name)
    if offer is None:
        raise NotAcceptable(not_acceptable_message(DESCRIPTION_OFFERS, "the service description"))
    facts = answering.facts(served)
    if offer is HTML_OFFER:
        html = render_workbench(facts, answering.examples, query=EXAMPLE_QUERY)
        return Response(html, content_type=HTML_OFFER.content_type)
    shown = ("sd", "void", "rdfs", "sh", "xsd", "mic", "schema")
    prefixes = {name: iri for name, iri in facts.prefixes.items() if name in shown}
    body = serialize(describe_service(facts, served.release.iris), format=offer.format, prefixes=prefixes)
    return Response(body, content_type=offer.content_type)
