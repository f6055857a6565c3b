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
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import replace

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import render_template_string
from flask import request
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from rdflib.namespace import RDF
from rdflib.namespace import XSD

from server.common.config import Config
from server.common.errors import BadRequest
from server.common.errors import ResourceNotFound
from server.common.vocab import ID_PATH
from server.common.vocab import ONTOLOGY_PATH
from server.engine.serving import Releases
from server.linking.search import LABEL
from server.linking.search import Entry
from server.linking.search import Hit
from server.linking.search import Indexes
from server.linking.search import Name
from server.linking.search import SearchIndex
from server.linking.search import UnknownType
from server.linking.search import is_certain
from server.linking.search import normalise
from server.web.headers import embeddable
from server.web.urls import href_of
from server.web.urls import public_url

log = logging.getLogger(__name__)

SERVICE_NAME = "MIC international ICT strategy (linked open data)"
DEFAULT_LIMIT = 5
MAX_LIMIT = 100
MAX_QUERIES = 500
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
            return reply(reconcile_batch(index, releases, _load_json(queries, "queries")))
        query = _parameter("query")
        if query is not None:
            single = _load_json(query, "query") if query.lstrip().startswith("{") else {"query": query}
            return reply(reconcile_batch(index, releases, {"q": single})["q"])
        extend = _parameter("extend")
        if extend is not None:
            return reply(extend_data(index, releases, _load_json(extend, "extend")))
        return reply(manifest(index, config))

    @blueprint.route("/reconcile/extend", methods=["GET", "POST"])
    def extend():
        extend = _parameter("extend")
        if extend is None:
            raise BadRequest("Give the data extension query as the `extend` parameter.")
        return reply(extend_data(indexes.current(), releases, _load_json(extend, "extend")))

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


def reconcile_batch(index: SearchIndex, releases: Releases, batch: object) -> dict:
    """Answer a batch ``{key: query}`` with ``{key: {"result": [candidates]}}``.

    :raises BadRequest: if the batch is not an object of query objects, or holds too many.
    """
    if not isinstance(batch, dict):
        raise BadRequest("`queries` must be a JSON object of queries keyed by any string.")
    if len(batch) > MAX_QUERIES:
        raise BadRequest(f"A batch may hold at most {MAX_QUERIES} queries.")
    return {str(key): {"result": reconcile_one(index, releases, query)} for key, query in batch.items()}


def reconcile_one(index: SearchIndex, releases: Releases, query: object) -> list[dict]:
    """The candidates of one query, best first."""
    if not isinstance(query, dict):
        raise BadRequest("Each query must be a JSON object with a `query` string.")
    text = query.get("query")
    if text is not None and not isinstance(text, str):
        raise BadRequest("`query` must be a string.")
    constraints = _constraints(index, query.get("properties") or [])
    if not text and not constraints:
        raise BadRequest("A query needs a `query` string or `properties`.")
    limit = _limit(query.get("limit"), default=DEFAULT_LIMIT)
    types = _resolve_types(index, query.get("type") or [])
    store = releases.current.engine
    if text:
        hits = index.search(text, types=types, limit=None if constraints else limit)
        certain = is_certain(hits)
    else:
        hits = _by_properties(index, store, constraints, types)
        certain = False
    contradicted: set[str] = set()
    if constraints:
        hits, contradicted = _apply_constraints(index, store, hits, constraints)
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


def _constraints(index: SearchIndex, properties: object) -> list[tuple[str, list]]:
    if not isinstance(properties, list):
        raise BadRequest("`properties` must be a list of {pid, v} objects.")
    constraints = []
    for item in properties:
        if not isinstance(item, dict) or "pid" not in item or "v" not in item:
            raise BadRequest("Each property constraint needs `pid` and `v`.")
        iri = index.resolve_property(str(item["pid"]))
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        constraints.append((iri or str(item["pid"]), values))
    return constraints


def _by_properties(index: SearchIndex, store, constraints: list[tuple[str, list]], types: list[str]) -> list[Hit]:
    """Candidates for a query with properties only: the resources having one of the values."""
    allowed = index.type_filter(types)
    subjects: set[str] = set()
    for pid, values in constraints:
        for quad in store.quads_for_pattern(None, _named(pid), None, None):
            entry = index.entities.entries.get(quad.subject.value)
            if entry is not None and (allowed is None or allowed(entry)) and _agrees(index, quad.object, values):
                subjects.add(entry.iri)
    hits = []
    for iri in sorted(subjects):
        entry = index.entities.entries[iri]
        name = next((n for n in entry.names if n.kind == LABEL), None) or Name(iri, iri, LABEL, "")
        hits.append(Hit(entry, 50.0, name, False))
    return hits


def _apply_constraints(
    index: SearchIndex, store, hits: list[Hit], constraints: list[tuple[str, list]]
) -> tuple[list[Hit], set[str]]:
    """Hits re-scored by the property constraints, re-sorted; and the IRIs some constraint contradicts."""
    scored, contradicted = [], set()
    for hit in hits:
        score = hit.score
        for pid, values in constraints:
            objects = {quad.object for quad in store.quads_for_pattern(_named(hit.entry.iri), _named(pid), None, None)}
            if not objects:
                score -= PROPERTY_MISSING
            elif any(_agrees(index, term, values) for term in objects):
                score += PROPERTY_MATCH
            else:
                score -= PROPERTY_MISMATCH
                contradicted.add(hit.entry.iri)
        scored.append(replace(hit, score=round(min(max(score, 0.0), 100.0), 1)))
    scored.sort(key=lambda hit: (-hit.score, hit.entry.iri))
    return scored, contradicted


def _agrees(index: SearchIndex, term, values: list) -> bool:
    """Whether an object of the candidate equals one of the values the query gave."""
    for value in values:
        if isinstance(value, dict):
            value = value.get("id", value.get("name", ""))
        if isinstance(term, NamedNode):
            if str(value) == term.value:
                return True
            entry = index.entities.entries.get(term.value)
            if entry is not None and any(name.key == normalise(str(value)) for name in entry.names):
                return True
        elif isinstance(term, Literal):
            if isinstance(value, bool):
                value = str(value).lower()
            if isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    if float(term.value) == float(value):
                        return True
                except ValueError:
                    pass
            if normalise(str(value)) == normalise(term.value):
                return True
    return False


def _named(iri: str) -> NamedNode | None:
    try:
        return NamedNode(iri)
    except ValueError:
        raise BadRequest(f"<{iri}> is not an IRI.") from None


# --- data extension ----------------------------------------------------------------------------------


def extend_data(index: SearchIndex, releases: Releases, query: object) -> dict:
    """Answer a data extension query ``{"ids": [...], "properties": [{"id": ..., "settings": {...}}]}``."""
    if not isinstance(query, dict) or not isinstance(query.get("ids"), list):
        raise BadRequest("`extend` must be a JSON object with `ids` and `properties` lists.")
    properties = query.get("properties")
    if not isinstance(properties, list) or not all(isinstance(p, dict) and "id" in p for p in properties):
        raise BadRequest("`properties` must be a list of objects with an `id`.")
    if len(query["ids"]) > MAX_QUERIES:
        raise BadRequest(f"A data extension query may name at most {MAX_QUERIES} ids.")
    store = releases.current.engine
    resolved = []
    for item in properties:
        pid = str(item["id"])
        resolved.append((pid, index.resolve_property(pid) or pid, item.get("settings") or {}))
    meta = [
        {"id": pid, "name": index.property_label(iri, _setting_lang(settings) or _lang())}
        for pid, iri, settings in resolved
    ]
    rows: dict[str, dict[str, list]] = {}
    for iri in map(str, query["ids"]):
        row: dict[str, list] = {}
        for pid, property_iri, settings in resolved:
            row[pid] = _values(index, store, iri, property_iri, settings)
        rows[iri] = row
    return {"meta": meta, "rows": rows}


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
    limit = settings.get("limit")
    if isinstance(limit, int | float) and limit > 0:
        values = values[: int(limit)]
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


def _parameter(name: str) -> str | None:
    value = request.values.get(name)
    if value is None and request.is_json and request.method == "POST":
        body = request.get_json(silent=True)
        if isinstance(body, dict) and name in body:
            value = json.dumps(body[name])
    return value


def _load_json(text: str, name: str) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadRequest(f"`{name}` is not valid JSON: {exc}") from None


def _limit(value: object, *, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        limit = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadRequest("`limit` must be a whole number.") from None
    return min(max(limit, 1), MAX_LIMIT)


def _suggest_arguments() -> tuple[str, int, int]:
    prefix = request.args.get("prefix", "")
    if not prefix.strip():
        raise BadRequest("Give the start of a name as `prefix`.")
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
