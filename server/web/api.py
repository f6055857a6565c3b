"""Blueprint for /api/search (find resources by name, as the pages' search box does) and /api/vocabulary.

``GET /api/search?q=NAME[&lang=ja|en][&type=CLASS][&limit=N]``

- ``q`` (required): a name in Japanese or English, full- or half-width, an
  abbreviation or an official long name; matched by server/linking/search.py.
- ``lang``: the language of each result's ``label`` (``ja`` by default; a
  resource without a label in it shows its other label).
- ``type``: keep resources of this class or its subclasses; a class IRI, a
  prefixed name (``org:Organization``), a local name (``FormalOrganization``)
  or a class label (「組織」). May be repeated.
- ``limit``: at most this many results (default 10, at most 100).

The answer (JSON, ``Access-Control-Allow-Origin: *``), best first; this
shape is stable::

    {"query": "NICT",
     "results": [{"id": "https://mic-ict.example.org/id/organization/nict",
                  "url": "/id/organization/nict",
                  "label": "国立研究開発法人情報通信研究機構",
                  "labels": {"ja": "国立研究開発法人情報通信研究機構",
                             "en": "National Institute of Information and Communications Technology"},
                  "types": ["http://www.w3.org/ns/org#FormalOrganization"],
                  "score": 95.0,
                  "match": true}]}

``id`` is the resource's IRI, ``url`` the path of its page on this server,
``labels`` its ``rdfs:label`` in each language it has one,
``types`` its classes' IRIs, ``score`` 0-100 (100: the query is its label),
``match`` whether the match is certain (see search.is_certain).
Errors: no ``q``, a bad ``limit`` or an unknown ``type``: 400 with
``{"error": ..., "status": 400}``.

``GET /api/vocabulary``: the classes and properties of the data (those the
ontology declares and those our resources use), for the workbench's
completion::

    {"classes": [{"id": "http://www.w3.org/ns/org#Organization", "name": "org:Organization",
                  "labels": {"ja": "組織", "en": "Organization"}}, ...],
     "properties": [...]}

``name`` is the prefixed name with the endpoint's predefined prefixes, or
null when none reads cleanly (then a query writes ``<id>``).
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from server.common.config import Config
from server.common.errors import BadRequest
from server.common.vocab import compact
from server.engine.serving import Releases
from server.linking.search import MAX_NAME_CHARS
from server.linking.search import Indexes
from server.linking.search import UnknownType
from server.linking.search import is_certain
from server.web.urls import local_url

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
LANGUAGES = ("ja", "en")


def make_blueprint(releases: Releases, indexes: Indexes, config: Config) -> Blueprint:
    """Blueprint "api"; `indexes` gives the current release's search index."""
    blueprint = Blueprint("api", __name__)

    @blueprint.after_request
    def _cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @blueprint.get("/api/search")
    def search():
        query = request.args.get("q", "")
        if not query.strip():
            raise BadRequest("Give a name to search for as `q`.")
        if len(query) > MAX_NAME_CHARS:
            raise BadRequest(f"`q` is longer than {MAX_NAME_CHARS} characters.")
        lang = request.args.get("lang", "ja")
        if lang not in LANGUAGES:
            raise BadRequest("`lang` must be ja or en.")
        limit = _limit(request.args.get("limit"))
        index = indexes.current()
        types: set[str] = set()
        for name in request.args.getlist("type"):
            if name.strip():
                try:
                    types |= index.resolve_type(name)
                except UnknownType as exc:
                    raise BadRequest(str(exc)) from None
        hits = index.search(query, types=sorted(types), limit=limit)
        certain = is_certain(hits)
        results = []
        for position, hit in enumerate(hits):
            entry = hit.entry
            path = index.iris.path_of(entry.iri) or ""
            results.append(
                {
                    "id": entry.iri,
                    "url": local_url(path),
                    "label": entry.label(lang),
                    "labels": {code: entry.labels[code] for code in LANGUAGES if code in entry.labels},
                    "types": sorted(entry.types),
                    "score": hit.score,
                    "match": position == 0 and certain,
                }
            )
        return jsonify({"query": query, "results": results})

    @blueprint.get("/api/vocabulary")
    def vocabulary():
        index = indexes.current()
        prefixes = index.iris.prefixes()

        def terms(matcher) -> list[dict]:
            found = []
            for iri, entry in sorted(matcher.entries.items()):
                name = compact(iri, prefixes)
                labels = {code: entry.labels[code] for code in LANGUAGES if code in entry.labels}
                found.append({"id": iri, "name": name if name != iri else None, "labels": labels})
            return found

        response = jsonify({"classes": terms(index.classes), "properties": terms(index.properties)})
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    return blueprint


def _limit(value: str | None) -> int:
    if not value:
        return DEFAULT_LIMIT
    try:
        return min(max(int(value), 1), MAX_LIMIT)
    except ValueError:
        raise BadRequest("`limit` must be a whole number.") from None
