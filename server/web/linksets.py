"""Blueprint for /download/linksets/: each VoID link set of ``graph/links``, downloadable on its own.

A link set is a ``void:Linkset`` of ``graph/links`` (see data/links.ttl). Its
links are the triples of ``graph/links`` whose predicate is one of its
``void:linkPredicate``\\ s and, when the external target dataset (the
``void:target`` that is not the dataset the link set is a ``void:subset`` of)
has a ``void:uriSpace``, whose object is an IRI in that space. So the
Wikidata link set is the ``owl:sameAs`` triples to ``http://www.wikidata.org/entity/``,
and their number is the link set's ``void:triples``.

- ``GET /download/linksets/`` lists them: a page of the site (templates/linksets.html, in the
  reader's language), or JSON by ``Accept`` (also at
  ``/download/linksets/index.json``): ``{"linksets": [{"id", "name", "labels",
  "target", "target_labels", "uri_space", "link_predicates", "triples",
  "files": {"nt": url, "ttl": url}}]}``.
- ``GET /download/linksets/{name}.nt`` or ``.ttl``: the link triples, sorted;
  ``name`` is the link set's IRI's last segment without ``linkset-``
  (``id/dataset/linkset-wikidata`` is ``wikidata``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint
from flask import Response
from flask import abort
from flask import render_template
from flask import request
from flask import url_for
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import serialize

from server.common.config import Config
from server.common.negotiate import best_offer
from server.common.vocab import Iris
from server.common.vocab import output_prefixes
from server.common.vocab import used_prefixes
from server.engine.serving import Releases
from server.web.urls import href_of
from server.web.workbench import compact

if TYPE_CHECKING:
    from pyoxigraph import Store

LINKS_GRAPH = "links"
NAME_PREFIX = "linkset-"
FORMATS = {"nt": RdfFormat.N_TRIPLES, "ttl": RdfFormat.TURTLE}
MEDIA_TYPES = {"nt": "application/n-triples", "ttl": "text/turtle"}
MAX_AGE = 300

LINKSETS_QUERY = """
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?linkset ?predicate ?target ?space ?triples ?parent WHERE {
  GRAPH <$graph> {
    ?linkset a void:Linkset ; void:linkPredicate ?predicate ; void:target ?target .
    OPTIONAL { ?target void:uriSpace ?space }
    OPTIONAL { ?linkset void:triples ?triples }
    OPTIONAL { ?parent void:subset ?linkset }
  }
}
"""
LABELS_QUERY = """
SELECT ?s ?l WHERE { VALUES ?s { $iris } ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }
"""

@dataclass(frozen=True)
class Linkset:
    """One void:Linkset of graph/links and what picks its triples."""

    iri: str
    name: str
    link_predicates: tuple[str, ...]
    target: str | None
    uri_space: str | None
    declared_triples: int | None


def find_linksets(store: Store, iris: Iris) -> list[Linkset]:
    """The link sets described in graph/links, by name."""
    rows: dict[str, dict] = {}
    for row in store.query(LINKSETS_QUERY.replace("$graph", iris.graph(LINKS_GRAPH))):
        found = rows.setdefault(row["linkset"].value, {"predicates": set(), "targets": {}, "parents": set()})
        found["predicates"].add(row["predicate"].value)
        space = row["space"].value if row["space"] is not None else None
        found["targets"][row["target"].value] = space
        if row["parent"] is not None:
            found["parents"].add(row["parent"].value)
        if row["triples"] is not None:
            found["triples"] = int(row["triples"].value)
    linksets = []
    for iri, found in rows.items():
        external = sorted(t for t in found["targets"] if t not in found["parents"])
        target = external[0] if external else None
        local = iri.rstrip("/").rsplit("/", 1)[-1]
        linksets.append(
            Linkset(
                iri=iri,
                name=local[len(NAME_PREFIX) :] if local.startswith(NAME_PREFIX) else local,
                link_predicates=tuple(sorted(found["predicates"])),
                target=target,
                uri_space=found["targets"].get(target) if target else None,
                declared_triples=found.get("triples"),
            )
        )
    return sorted(linksets, key=lambda linkset: linkset.name)


def linkset_triples(store: Store, iris: Iris, linkset: Linkset) -> list[Triple]:
    """The link triples of one link set, sorted."""
    graph = NamedNode(iris.graph(LINKS_GRAPH))
    triples = set()
    for predicate in linkset.link_predicates:
        for quad in store.quads_for_pattern(None, NamedNode(predicate), None, graph):
            if linkset.uri_space and not (
                isinstance(quad.object, NamedNode) and quad.object.value.startswith(linkset.uri_space)
            ):
                continue
            triples.add(Triple(quad.subject, quad.predicate, quad.object))
    return sorted(triples, key=str)


def _labels(store: Store, iris: list[str]) -> dict[str, dict[str, str]]:
    if not iris:
        return {}
    values = " ".join(f"<{iri}>" for iri in iris)
    labels: dict[str, dict[str, str]] = {}
    for row in store.query(LABELS_QUERY.replace("$iris", values), use_default_graph_as_union=True):
        labels.setdefault(row["s"].value, {})[row["l"].language or ""] = row["l"].value
    return labels


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    """Blueprint "linksets": /download/linksets/, its index.json, and one file per link set and format."""
    blueprint = Blueprint("linksets", __name__)

    @blueprint.after_request
    def _cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def listing() -> list[dict]:
        release, engine = releases.current
        linksets = find_linksets(engine, release.iris)
        labels = _labels(engine, sorted({s.iri for s in linksets} | {s.target for s in linksets if s.target}))
        entries = []
        for linkset in linksets:
            path = release.iris.path_of(linkset.iri)
            entries.append(
                {
                    "id": linkset.iri,
                    "name": linkset.name,
                    "labels": labels.get(linkset.iri, {}),
                    "target": linkset.target,
                    "target_labels": labels.get(linkset.target or "", {}),
                    "uri_space": linkset.uri_space,
                    "link_predicates": list(linkset.link_predicates),
                    "triples": linkset.declared_triples,
                    "count": len(linkset_triples(engine, release.iris, linkset)),
                    "page": request.script_root + "/" + path if path else linkset.iri,
                    "files": {
                        suffix: url_for("linksets.linkset_file", name=linkset.name, suffix=suffix) for suffix in FORMATS
                    },
                }
            )
        return entries

    @blueprint.get("/download/linksets/")
    def index():
        entries = listing()
        if best_offer(request.headers.get("Accept"), ["text/html", "application/json"]) == "application/json":
            response = index_json()
        else:
            iris = releases.current.release.iris
            prefixes = output_prefixes(iris)
            for entry in entries:
                entry["predicates"] = [
                    {"text": compact(p, prefixes), "href": href_of(iris, p), "title": p}
                    for p in entry["link_predicates"]
                ]
            html = render_template("linksets.html", linksets=entries, json_url=url_for("linksets.index_json"))
            response = Response(html, mimetype="text/html")
        response.headers["Vary"] = "Accept"
        return response

    @blueprint.get("/download/linksets/index.json")
    def index_json():
        body = json.dumps({"linksets": listing()}, ensure_ascii=False, indent=1)
        return Response(body, mimetype="application/json")

    @blueprint.get("/download/linksets/<name>.<suffix>")
    def linkset_file(name: str, suffix: str):
        release, engine = releases.current
        if suffix not in FORMATS:
            abort(404)
        linkset = next((s for s in find_linksets(engine, release.iris) if s.name == name), None)
        if linkset is None:
            abort(404)
        triples = linkset_triples(engine, release.iris, linkset)
        prefixes = used_prefixes(triples, output_prefixes(release.iris)) if suffix == "ttl" else None
        body = serialize(triples, format=FORMATS[suffix], prefixes=prefixes) if triples else b""
        response = Response(body, mimetype=MEDIA_TYPES[suffix])
        response.headers["Content-Disposition"] = f'attachment; filename="linkset-{name}.{suffix}"'
        response.set_etag(hashlib.sha256(f"{release.version} {name} {suffix}".encode()).hexdigest()[:32])
        response.cache_control.public = True
        response.cache_control.max_age = MAX_AGE
        return response.make_conditional(request)

    return blueprint
