"""Blueprint for /reconcile: the W3C Entity Reconciliation Service API 0.2 (what OpenRefine speaks).

Identifiers are the full IRIs of our resources (``identifierSpace`` is
``{base}id/``) and of our ontology's and the standard vocabularies' terms
(``schemaSpace`` is ``{base}ontology/``). Names are matched by server/linking/search.py.

==========================================  =====================================================
request                                      answer
==========================================  =====================================================
``GET /reconcile``                           the service manifest (``?callback=f`` for JSONP)
``GET|POST /reconcile?queries={...}``        a batch of reconciliation queries: ``{"q0": {"result": [...]}}``
``GET|POST /reconcile?extend={...}``         data extension (also at ``/reconcile/extend``)
``GET /reconcile/preview?id=IRI``            a small HTML card of the resource
``GET /reconcile/view?id=IRI``               redirect to the resource's page on this server
``GET /reconcile/suggest/entity?prefix=``    entity suggestions (``type``, ``cursor``, ``limit`` optional)
``GET /reconcile/suggest/type?prefix=``      class suggestions
``GET /reconcile/suggest/property?prefix=``  property suggestions
``GET /reconcile/propose_properties?type=``  properties used by instances of a class (``limit`` optional)
==========================================  =====================================================

A query is ``{"query": name, "type": IRI or [IRIs], "limit": n, "properties": [{"pid": IRI, "v": value}]}``.
Each candidate is ``{id, name, score, match, type: [{id, name}], description}``; ``match`` is true only
when search.is_certain holds and no property constraint contradicts the candidate. A property value
equal to the candidate's (its IRI, or a name of the IRI, or the literal in normal form) adds
PROPERTY_MATCH to the score; a different value takes PROPERTY_MISMATCH off; no value, PROPERTY_MISSING.
Every answer carries ``Access-Control-Allow-Origin: *``.

Every batch and extension has a bounded cost, counted before any work is done (`work_of_batch`,
`work_of_extension`): 1 per query, plus per property constraint 1 (it re-scores the query's best
CANDIDATES names) or SCAN_WORK when the query has no name (the constraint's property is scanned),
plus 1 per CELLS_PER_WORK cells (ids x properties) of an extension. A request over MAX_WORK, or with
more than MAX_QUERIES queries or ids, MAX_PROPERTIES constraints, MAX_VALUES values or MAX_TYPES types
to a query, or a name over MAX_NAME_CHARS, is refused with 413 saying which cap and how to split it.
A request is charged one token of the client's rate limit per WORK_PER_TOKEN (server/web/ratelimit.py;
429 with Retry-After when its bucket is short). Requests of more than one token run at most
`reconciliation_slots` at a time, so that most web threads stay free for everything else; one that
finds no free slot gets 503 with Retry-After at once. Each stops at its deadline (the lesser of
DEADLINE_S and the query deadline): 503 with Retry-After.

Request parameters are read as JSON (`read_json`): malformed JSON, numbers that are not finite
(``NaN``, ``Infinity``, ``1e309``) and nesting deeper than MAX_DEPTH are refused with 400.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace

from flask import Blueprint
from flask import Response
from flask import g
from flask import redirect
from flask import render_template_string
from flask import request
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from rdflib.namespace import RDF
from rdflib.namespace import XSD

from server.common.config import Config
from server.common.errors import BadRequest
from server.common.errors import QueryTimedOut
from server.common.errors import ResourceNotFound
from server.common.errors import ServiceBusy
from server.common.errors import TooLarge
from server.common.vocab import ID_PATH
from server.common.vocab import ONTOLOGY_PATH
from server.engine.serving import Releases
from server.linking.search import LABEL
from server.linking.search import MAX_NAME_CHARS
from server.linking.search import Entry
from server.linking.search import Hit
from server.linking.search import Indexes
from server.linking.search import Name
from server.linking.search import SearchIndex
from server.linking.search import UnknownType
from server.linking.search import is_certain
from server.linking.search import normalise
from server.web.headers import embeddable
from server.web.ratelimit import charge
from server.web.urls import href_of
from server.web.urls import public_url

log = logging.getLogger(__name__)

SERVICE_NAME = "MIC international ICT strategy (linked open data)"
DEFAULT_LIMIT = 5
MAX_LIMIT = 100
MAX_QUERIES = 500  # queries in a batch, ids in an extension
MAX_PROPERTIES = 20  # property constraints of a query
MAX_VALUES = 50  # values of a property constraint
MAX_TYPES = 20  # types of a query
MAX_DEPTH = 32  # nesting of a request's JSON
CANDIDATES = MAX_LIMIT  # the best names a property constraint re-scores
SCAN_WORK = 10  # a property constraint of a query without a name: a scan of the property's statements
CELLS_PER_WORK = 10  # cells (id x property) of an extension
MAX_WORK = 1000
WORK_PER_TOKEN = 20
DEADLINE_S = 5.0
PROPERTY_MATCH = 10.0
PROPERTY_MISMATCH = 20.0
PROPERTY_MISSING = 5.0
PREVIEW_WIDTH = 400
PREVIEW_HEIGHT = 140
CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")
DEFAULT_TYPES = (
    "http://www.w3.org/ns/org#Organization",
    "https://schema.org/Place",
    "https://schema.org/Event",
    "http://xmlns.com/foaf/0.1/Person",
    "http://www.w3.org/2004/02/skos/core#Concept",
    "http://www.w3.org/ns/prov#Activity",
)
INTEGER_TYPES = {
    str(XSD[name]) for name in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")
}
FLOAT_TYPES = {str(XSD[name]) for name in ("decimal", "double", "float")}
DATE = str(XSD.date)
DATE_TIME = str(XSD.dateTime)
FULL_DATE_TIME = re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")

PREVIEW = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ label }}</title>
<link rel="stylesheet" href="{{ url_for('static', filename='preview.css') }}"></head>
<body><h1><a href="{{ url }}" target="_blank" rel="noopener">{{ label }}</a></h1>
{% for other in others %}<p>{{ other }}</p>{% endfor %}
{% if types %}<p class="t">{{ types|join(" · ") }}</p>{% endif %}
{% if description %}<p>{{ description }}</p>{% endif %}
<p class="i">{{ iri }}</p></body></html>
"""


def make_blueprint(releases: Releases, indexes: Indexes, config: Config) -> Blueprint:
    """Blueprint "reconcile"; `indexes` gives the current release's search index."""
    blueprint = Blueprint("reconcile", __name__)
    slots = threading.BoundedSemaphore(reconciliation_slots(config))
    deadline_s = min(DEADLINE_S, config.query_timeout_s)

    @contextmanager
    def budget(work: int) -> Iterator[Deadline]:
        """Charge `work` to the client, take a slot if it is more than a token's worth, and time it."""
        if work > MAX_WORK:
            raise TooLarge(
                f"This request asks for {work} units of work; a request may ask for at most {MAX_WORK} "
                f"(1 a query, 1 a property constraint or {SCAN_WORK} without a name, 1 per "
                f"{CELLS_PER_WORK} extension cells). Send it in smaller batches."
            )
        tokens = math.ceil(work / WORK_PER_TOKEN)
        charge(tokens - 1)  # the request's own token is taken already
        if tokens > 1 and not slots.acquire(blocking=False):
            raise ServiceBusy("The reconciliation service is busy with other large requests; try again shortly.",
                              headers={"Retry-After": "2"})
        try:
            yield Deadline(deadline_s)
        finally:
            if tokens > 1:
                slots.release()

    def batch(index: SearchIndex, queries: object) -> dict:
        with budget(work_of_batch(queries)) as deadline:
            return reconcile_batch(index, releases, queries, deadline)

    def extension(index: SearchIndex, query: object) -> dict:
        with budget(work_of_extension(query)) as deadline:
            return extend_data(index, releases, query, deadline)

    blueprint.record_once(lambda state: state.app.extensions.__setitem__("reconciliation_slots", slots))

    @blueprint.after_request
    def _cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        return response

    @blueprint.route("/reconcile", methods=["GET", "POST"])
    def service():
        index = indexes.current()
        queries = _parameter("queries")
        if queries is not None:
            return reply(batch(index, queries))
        query = _parameter("query", plain=True)
        if query is not None:
            single = query if isinstance(query, dict) else {"query": query}
            return reply(batch(index, {"q": single})["q"])
        extend = _parameter("extend")
        if extend is not None:
            return reply(extension(index, extend))
        return reply(manifest(index, config))

    @blueprint.route("/reconcile/extend", methods=["GET", "POST"])
    def extend():
        extend = _parameter("extend")
        if extend is None:
            raise BadRequest("Give the data extension query as the `extend` parameter.")
        return reply(extension(indexes.current(), extend))

    @blueprint.get("/reconcile/propose_properties")
    def propose_properties():
        index = indexes.current()
        type_ = request.args.get("type", "")
        limit = _limit(request.args.get("limit"), default=20)
        counts: Counter = Counter()
        for iri in index.expand_types(_resolve_types(index, type_)) if type_ else index.usage:
            counts.update(index.usage.get(iri, {}))
        lang = _lang()
        proposed = [
            {"id": iri, "name": index.property_label(iri, lang)}
            for iri, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            if iri != str(RDF.type)
        ][:limit]
        body: dict = {"properties": proposed, "limit": limit}
        if type_:
            body["type"] = type_
        return reply(body)

    @blueprint.get("/reconcile/suggest/entity")
    def suggest_entity():
        index = indexes.current()
        prefix, cursor, limit = _suggest_arguments()
        types = _resolve_types(index, request.args.get("type", ""))
        hits = index.search(prefix, types=types, limit=cursor + limit)[cursor:]
        result = []
        for hit in hits:
            item = {
                "id": hit.entry.iri,
                "name": hit.entry.label(hit.lang),
                "notable": _types(index, hit.entry, hit.lang),
            }
            description = _description(hit)
            if description:
                item["description"] = description
            result.append(item)
        return reply({"result": result})

    @blueprint.get("/reconcile/suggest/type")
    def suggest_type():
        index = indexes.current()
        prefix, cursor, limit = _suggest_arguments()
        hits = index.classes.search(prefix, limit=cursor + limit)[cursor:]
        return reply({"result": [_vocabulary_item(hit) for hit in hits]})

    @blueprint.get("/reconcile/suggest/property")
    def suggest_property():
        index = indexes.current()
        prefix, cursor, limit = _suggest_arguments()
        hits = index.properties.search(prefix, limit=cursor + limit)[cursor:]
        return reply({"result": [_vocabulary_item(hit) for hit in hits]})

    @blueprint.get("/reconcile/preview")
    def preview():
        index = indexes.current()
        iri = request.args.get("id", "")
        entry = index.entities.entries.get(iri)
        if entry is None:
            raise ResourceNotFound(iri)
        lang = _lang()
        others = [text for code, text in sorted(entry.labels.items()) if code != lang and text != entry.label(lang)]
        html = render_template_string(
            PREVIEW,
            lang=lang,
            label=entry.label(lang),
            others=others,
            types=sorted({index.type_label(t, lang) for t in entry.types}),
            description=entry.description(lang),
            iri=iri,
            url=href_of(index.iris, iri),
        )
        return embeddable(Response(html, mimetype="text/html"))

    @blueprint.get("/reconcile/view")
    def view():
        index = indexes.current()
        iri = request.args.get("id", "")
        known = iri in index.entities.entries or iri in index.classes.entries or iri in index.properties.entries
        if not known or index.iris.path_of(iri) is None:
            raise ResourceNotFound(iri)
        return redirect(href_of(index.iris, iri), code=303)

    return blueprint


def reconciliation_slots(config: Config) -> int:
    """How many requests of more than one token may run at once: a quarter of the web threads, at least 1."""
    return max(1, config.threads // 4)


@dataclass
class Deadline:
    """When a request must stop; `check` raises once it is past."""

    seconds: float
    end: float = 0.0

    def __post_init__(self):
        self.end = time.monotonic() + self.seconds

    def check(self) -> None:
        """:raises QueryTimedOut: (503 with Retry-After) once the deadline is past."""
        if time.monotonic() > self.end:
            raise QueryTimedOut(
                f"The request ran past its deadline of {self.seconds:g} s; send fewer queries, ids or properties "
                "at once.",
                headers={"Retry-After": "5"},
            )


def manifest(index: SearchIndex, config: Config) -> dict:
    """The service manifest; its URLs are this server's public ones (server/web/urls.py)."""
    root = public_url("/")
    service = root + "reconcile"
    default_types = [
        {"id": iri, "name": index.type_label(iri, "en")} for iri in DEFAULT_TYPES if iri in index.classes.entries
    ]
    return {
        "versions": ["0.2"],
        "name": SERVICE_NAME,
        "identifierSpace": config.base_iri + ID_PATH,
        "schemaSpace": config.base_iri + ONTOLOGY_PATH + "/",
        "documentation": root,
        "view": {"url": service + "/view?id={{id}}"},
        "preview": {"url": service + "/preview?id={{id}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "defaultTypes": default_types,
        "suggest": {
            "entity": {"service_url": service, "service_path": "/suggest/entity"},
            "type": {"service_url": service, "service_path": "/suggest/type"},
            "property": {"service_url": service, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/propose_properties"},
            "property_settings": [
                {
                    "type": "select",
                    "name": "lang",
                    "label": "Language of texts and names",
                    "default": "",
                    "help_text": "Keep only texts in this language, and name linked resources in it.",
                    "choices": [
                        {"value": "", "name": "any"},
                        {"value": "ja", "name": "日本語"},
                        {"value": "en", "name": "English"},
                    ],
                },
                {
                    "type": "number",
                    "name": "limit",
                    "label": "Limit",
                    "default": 0,
                    "help_text": "The most values returned per property; 0 for all.",
                },
            ],
        },
    }


# --- reconciliation ----------------------------------------------------------------------------------


def work_of_batch(batch: object) -> int:
    """The work a batch ``{key: query}`` asks for (see the module's docstring).

    :raises BadRequest: if the batch is not an object of query objects.
    :raises TooLarge: if it holds more than MAX_QUERIES queries, or a query more than its caps.
    """
    if not isinstance(batch, dict):
        raise BadRequest("`queries` must be a JSON object of queries keyed by any string.")
    _cap(len(batch), MAX_QUERIES, "queries in a batch")
    work = 0
    for query in batch.values():
        if not isinstance(query, dict):
            raise BadRequest("Each query must be a JSON object with a `query` string.")
        properties = query.get("properties") or []
        if not isinstance(properties, list):
            raise BadRequest("`properties` must be a list of {pid, v} objects.")
        _cap(len(properties), MAX_PROPERTIES, "property constraints in a query")
        types = query.get("type") or []
        _cap(len(types) if isinstance(types, list) else 1, MAX_TYPES, "types in a query")
        text = query.get("query")
        if isinstance(text, str):
            _cap(len(text), MAX_NAME_CHARS, "characters in a query's name")
        work += 1 + len(properties) * (1 if text else SCAN_WORK)
    return work


def work_of_extension(query: object) -> int:
    """The work a data extension query asks for: a unit per CELLS_PER_WORK cells, at least 1.

    :raises BadRequest: if it is not ``{"ids": [...], "properties": [{"id": ...}, ...]}``.
    :raises TooLarge: if it names more than MAX_QUERIES ids.
    """
    if not isinstance(query, dict) or not isinstance(query.get("ids"), list):
        raise BadRequest("`extend` must be a JSON object with `ids` and `properties` lists.")
    properties = query.get("properties")
    if not isinstance(properties, list) or not all(isinstance(p, dict) and "id" in p for p in properties):
        raise BadRequest("`properties` must be a list of objects with an `id`.")
    _cap(len(query["ids"]), MAX_QUERIES, "ids in a data extension query")
    return max(1, math.ceil(len(query["ids"]) * len(properties) / CELLS_PER_WORK))


def _cap(count: int, cap: int, what: str) -> None:
    if count > cap:
        raise TooLarge(f"A request may hold at most {cap} {what} (this one has {count}); send it in smaller parts.")


def reconcile_batch(index: SearchIndex, releases: Releases, batch: object, deadline: Deadline) -> dict:
    """Answer a batch ``{key: query}`` with ``{key: {"result": [candidates]}}``.

    :raises BadRequest: if the batch is not an object of query objects.
    :raises TooLarge: if it is over a cap (`work_of_batch`).
    :raises QueryTimedOut: past the deadline.
    """
    work_of_batch(batch)
    answers = {}
    for key, query in batch.items():  # type: ignore[union-attr]
        deadline.check()
        answers[str(key)] = {"result": reconcile_one(index, releases, query, deadline)}
    return answers


def reconcile_one(index: SearchIndex, releases: Releases, query: dict, deadline: Deadline) -> list[dict]:
    """The candidates of one query, best first."""
    text = query.get("query")
    if text is not None and not isinstance(text, str):
        raise BadRequest("`query` must be a string.")
    constraints = _constraints(index, query.get("properties") or [])
    if not text and not constraints:
        if text is not None:
            return []  # an empty name (a blank cell of a batch) has no candidates; the others are answered
        raise BadRequest("A query needs a `query` string or `properties`.")
    limit = _limit(query.get("limit"), default=DEFAULT_LIMIT)
    types = _resolve_types(index, query.get("type") or [])
    store = releases.current.engine
    if text:
        hits = index.search(text, types=types, limit=CANDIDATES if constraints else limit)
        certain = is_certain(hits)
    else:
        hits = _by_properties(index, store, constraints, types, deadline)
        certain = False
    contradicted: set[str] = set()
    if constraints:
        hits, contradicted = _apply_constraints(index, store, hits, constraints, deadline)
        certain = certain and is_certain(hits)
    hits = hits[:limit]
    candidates = []
    for position, hit in enumerate(hits):
        candidate = {
            "id": hit.entry.iri,
            "name": hit.entry.label(hit.lang),
            "score": hit.score,
            "match": position == 0 and certain and hit.entry.iri not in contradicted,
            "type": _types(index, hit.entry, hit.lang),
        }
        description = _description(hit)
        if description:
            candidate["description"] = description
        candidates.append(candidate)
    return candidates


@dataclass(frozen=True)
class Wanted:
    """The values a property constraint asks for, in the forms a candidate's objects are compared in.

    A value is a string, number or boolean, or ``{"id": IRI}`` / ``{"name": text}``. An object
    agrees when it is one of the IRIs, a resource one of whose names has the normal form of a value,
    or a literal equal to a value in normal form (or as a number).
    """

    iris: frozenset[str]
    keys: frozenset[str]
    numbers: frozenset[float]

    @classmethod
    def of(cls, given: object) -> Wanted:
        """:raises BadRequest: for a value of another kind; :raises TooLarge: for more than MAX_VALUES."""
        values = given if isinstance(given, list) else [given]
        _cap(len(values), MAX_VALUES, "values of a property constraint")
        iris, keys, numbers = set(), set(), set()
        for value in values:
            if isinstance(value, dict):
                value = value.get("id", value.get("name", ""))
            if isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, int | float):
                try:
                    numbers.add(float(value))
                except OverflowError:  # an integer too large for a float equals no literal's number
                    pass
            if not isinstance(value, str | int | float):
                raise BadRequest("A property value must be a string, number, boolean, or object with `id` or `name`.")
            iris.add(str(value))
            keys.add(normalise(str(value)))
        return cls(frozenset(iris), frozenset(keys), frozenset(numbers))

    def agrees(self, index: SearchIndex, term) -> bool:
        """Whether `term`, an object of the candidate, equals one of the values."""
        if isinstance(term, NamedNode):
            if term.value in self.iris:
                return True
            entry = index.entities.entries.get(term.value)
            return entry is not None and any(name.key in self.keys for name in entry.names)
        if isinstance(term, Literal):
            if self.numbers:
                try:
                    if float(term.value) in self.numbers:
                        return True
                except ValueError:
                    pass
            return normalise(term.value) in self.keys
        return False


def _constraints(index: SearchIndex, properties: object) -> list[tuple[str, Wanted]]:
    if not isinstance(properties, list):
        raise BadRequest("`properties` must be a list of {pid, v} objects.")
    _cap(len(properties), MAX_PROPERTIES, "property constraints in a query")
    constraints = []
    for item in properties:
        if not isinstance(item, dict) or "pid" not in item or "v" not in item:
            raise BadRequest("Each property constraint needs `pid` and `v`.")
        iri = index.resolve_property(str(item["pid"]))
        constraints.append((iri or str(item["pid"]), Wanted.of(item["v"])))
    return constraints


def _by_properties(
    index: SearchIndex, store, constraints: list[tuple[str, Wanted]], types: list[str], deadline: Deadline
) -> list[Hit]:
    """Candidates for a query with properties only: the resources having one of the values."""
    allowed = index.type_filter(types)
    subjects: set[str] = set()
    for pid, wanted in constraints:
        for count, quad in enumerate(store.quads_for_pattern(None, _named(pid), None, None)):
            if count % 1000 == 999:
                deadline.check()
            entry = index.entities.entries.get(quad.subject.value)
            if entry is not None and (allowed is None or allowed(entry)) and wanted.agrees(index, quad.object):
                subjects.add(entry.iri)
    hits = []
    for iri in sorted(subjects):
        entry = index.entities.entries[iri]
        name = next((n for n in entry.names if n.kind == LABEL), None) or Name(iri, iri, LABEL, "")
        hits.append(Hit(entry, 50.0, name, False))
    return hits


def _apply_constraints(
    index: SearchIndex, store, hits: list[Hit], constraints: list[tuple[str, Wanted]], deadline: Deadline
) -> tuple[list[Hit], set[str]]:
    """Hits re-scored by the property constraints, re-sorted; and the IRIs some constraint contradicts."""
    scored, contradicted = [], set()
    for hit in hits:
        deadline.check()
        score = hit.score
        for pid, wanted in constraints:
            objects = {quad.object for quad in store.quads_for_pattern(_named(hit.entry.iri), _named(pid), None, None)}
            if not objects:
                score -= PROPERTY_MISSING
            elif any(wanted.agrees(index, term) for term in objects):
                score += PROPERTY_MATCH
            else:
                score -= PROPERTY_MISMATCH
                contradicted.add(hit.entry.iri)
        scored.append(replace(hit, score=round(min(max(score, 0.0), 100.0), 1)))
    scored.sort(key=lambda hit: (-hit.score, hit.entry.iri))
    return scored, contradicted


def _named(iri: str) -> NamedNode | None:
    try:
        return NamedNode(iri)
    except ValueError:
        raise BadRequest(f"<{iri}> is not an IRI.") from None


# --- data extension ----------------------------------------------------------------------------------


def extend_data(index: SearchIndex, releases: Releases, query: object, deadline: Deadline) -> dict:
    """Answer a data extension query ``{"ids": [...], "properties": [{"id": ..., "settings": {...}}]}``.

    :raises BadRequest: if it is malformed (`work_of_extension`), or a property's settings are not an object.
    :raises QueryTimedOut: past the deadline.
    """
    work_of_extension(query)
    store = releases.current.engine
    resolved = []
    for item in query["properties"]:  # type: ignore[index]
        pid = str(item["id"])
        settings = item.get("settings") or {}
        if not isinstance(settings, dict):
            raise BadRequest("A property's `settings` must be an object such as {\"lang\": \"ja\", \"limit\": 3}.")
        resolved.append((pid, index.resolve_property(pid) or pid, settings, _setting_limit(settings)))
    meta = [
        {"id": pid, "name": index.property_label(iri, _setting_lang(settings) or _lang())}
        for pid, iri, settings, _ in resolved
    ]
    rows: dict[str, dict[str, list]] = {}
    for iri in map(str, query["ids"]):  # type: ignore[index]
        deadline.check()
        row: dict[str, list] = {}
        for pid, property_iri, settings, limit in resolved:
            row[pid] = _values(index, store, iri, property_iri, settings)[:limit]
        rows[iri] = row
    return {"meta": meta, "rows": rows}


def _setting_limit(settings: dict) -> int | None:
    """The `limit` setting of an extension property: the most values, or None (0 or none: all)."""
    limit = settings.get("limit")
    if limit in (None, "", 0):
        return None
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
        raise BadRequest("The `limit` setting must be a number, 0 for all values.")
    return int(limit) or None


def _values(index: SearchIndex, store, iri: str, property_iri: str, settings: dict) -> list[dict]:
    try:
        subject, predicate = NamedNode(iri), NamedNode(property_iri)
    except ValueError:
        return []
    lang = _setting_lang(settings)
    values, seen = [], set()
    for quad in sorted(store.quads_for_pattern(subject, predicate, None, None), key=lambda q: str(q.object)):
        term = quad.object
        if term in seen:
            continue
        seen.add(term)
        if isinstance(term, NamedNode):
            values.append({"id": term.value, "name": index.label(term.value, lang or _lang())})
        elif isinstance(term, Literal):
            if lang and term.language and term.language != lang:
                continue
            values.append(_literal_value(term))
    return values


def _literal_value(term: Literal) -> dict:
    """A literal as the protocol's typed value: int, float, date (a full dateTime) or str.

    >>> _literal_value(Literal("6", datatype=NamedNode(str(XSD.integer))))
    {'int': 6}
    >>> _literal_value(Literal("2023-04-29", datatype=NamedNode(str(XSD.date))))
    {'date': '2023-04-29T00:00:00Z'}
    """
    datatype = term.datatype.value if term.datatype is not None else ""
    try:
        if datatype in INTEGER_TYPES:
            return {"int": int(term.value)}
        if datatype in FLOAT_TYPES:
            return {"float": float(term.value)}
    except ValueError:
        pass
    if datatype == DATE and re.match(r"^-?\d{4,}-\d\d-\d\d$", term.value):
        return {"date": term.value + "T00:00:00Z"}
    if datatype == DATE_TIME and FULL_DATE_TIME.match(term.value):
        return {"date": term.value}
    return {"str": term.value}


def _setting_lang(settings: dict) -> str:
    lang = settings.get("lang", "") if isinstance(settings, dict) else ""
    return lang if lang in ("ja", "en") else ""


# --- helpers -----------------------------------------------------------------------------------------


def reply(data: dict) -> Response:
    """JSON, or JSONP when the request has a `callback` parameter.

    :raises BadRequest: if the callback is not a plain JavaScript name.
    """
    body = json.dumps(data, ensure_ascii=False)
    callback = request.args.get("callback")
    if callback is None:
        return Response(body, mimetype="application/json")
    if not CALLBACK.match(callback):
        raise BadRequest("`callback` must be a JavaScript identifier.")
    return Response(f"/**/{callback}({body});", mimetype="application/javascript")


def _parameter(name: str, *, plain: bool = False) -> object:
    """The parameter `name`, decoded from JSON: from the URL or form, else a member of a JSON body; or None.

    With `plain`, a URL or form value that does not start with '{' is returned as text.
    """
    text = request.values.get(name)
    if text is not None:
        return text if plain and not text.lstrip().startswith("{") else read_json(text, f"`{name}`")
    if request.method == "POST" and request.is_json:
        if "json_body" not in g:
            g.json_body = read_json(request.get_data(), "The JSON body")
        if isinstance(g.json_body, dict):
            return g.json_body.get(name)
    return None


def read_json(text: str | bytes, what: str) -> object:
    """Decode a request's JSON.

    :raises BadRequest: saying why, for malformed JSON, a number that is not finite, or nesting over MAX_DEPTH.

    >>> read_json('{"limit": 3}', "`q`")
    {'limit': 3}
    >>> read_json('{"limit": 1e309}', "`q`")
    Traceback (most recent call last):
    server.common.errors.BadRequest: `q` is not valid JSON: 1e309 is not a finite number
    """
    try:
        value = json.loads(text, parse_constant=_not_finite, parse_float=_finite)
    except RecursionError:
        raise BadRequest(f"{what} is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:  # malformed, not UTF-8, a number not finite, an integer of thousands of digits
        raise BadRequest(f"{what} is not valid JSON: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise BadRequest(f"{what} is nested deeper than {MAX_DEPTH} levels.")
    return value


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is not a finite number")
    return number


def _not_finite(text: str) -> float:
    raise ValueError(f"{text} is not a number JSON allows")


def _depth(value: object) -> int:
    """How deeply lists and objects nest in `value` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _limit(value: object, *, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        limit = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise BadRequest("`limit` must be a whole number.") from None
    return min(max(limit, 1), MAX_LIMIT)


def _suggest_arguments() -> tuple[str, int, int]:
    prefix = request.args.get("prefix", "")
    if not prefix.strip():
        raise BadRequest("Give the start of a name as `prefix`.")
    _cap(len(prefix), MAX_NAME_CHARS, "characters in `prefix`")
    try:
        cursor = max(int(request.args.get("cursor", "0") or 0), 0)
    except ValueError:
        raise BadRequest("`cursor` must be a whole number.") from None
    return prefix, cursor, _limit(request.args.get("limit"), default=10)


def _resolve_types(index: SearchIndex, value: object) -> list[str]:
    """Type IRIs from a query's `type` (a string or a list); names and prefixed names are resolved."""
    given = [value] if isinstance(value, str) else value
    if not isinstance(given, list):
        raise BadRequest("`type` must be a type IRI or a list of them.")
    resolved: list[str] = []
    for item in given:
        if not isinstance(item, str):
            raise BadRequest("`type` must be a type IRI or a list of them.")
        if not item:
            continue
        try:
            resolved.extend(sorted(index.resolve_type(item)))
        except UnknownType:
            resolved.append(item)  # nothing has it: no candidates, as the protocol expects
    return resolved


def _types(index: SearchIndex, entry: Entry, lang: str) -> list[dict]:
    ours = index.iris.terms
    ordered = sorted(entry.types, key=lambda iri: (not iri.startswith(ours), iri))
    return [{"id": iri, "name": index.type_label(iri, lang)} for iri in ordered]


def _description(hit: Hit) -> str | None:
    """The resource's description, else its label in the other language."""
    description = hit.entry.description(hit.lang)
    if description:
        return description
    other = "en" if hit.lang == "ja" else "ja"
    label = hit.entry.labels.get(other)
    return label if label and label != hit.entry.label(hit.lang) else None


def _vocabulary_item(hit: Hit) -> dict:
    item = {"id": hit.entry.iri, "name": hit.entry.label(hit.lang)}
    description = hit.entry.description(hit.lang) or (hit.entry.iri if hit.entry.labels else None)
    if description:
        item["description"] = description
    return item


def _lang() -> str:
    lang = request.args.get("lang")
    if lang in ("ja", "en"):
        return lang
    return request.accept_languages.best_match(["ja", "en"], default="ja")
