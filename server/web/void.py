"""Blueprint "void": the dataset description at /.well-known/void (server/builder/dataset.py makes it)."""

from __future__ import annotations

import threading

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import request
from pyoxigraph import Triple
from pyoxigraph import serialize

from server.builder.dataset import DUMPS
from server.builder.dataset import dataset_graph
from server.builder.dataset import dataset_iri
from server.builder.dataset import size_triples
from server.builder.dataset import sort_triples
from server.common.config import Config
from server.common.errors import NotAcceptable
from server.common.negotiate import HTML_OFFER
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import choose
from server.common.vocab import Iris
from server.common.vocab import output_prefixes
from server.engine.serving import Releases


def stored_description(store, iris: Iris) -> list[Triple]:
    """The description as the store holds it (graph ``graph/dataset``)."""
    return [
        Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, dataset_graph(iris))
    ]


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    """Blueprint "dataset": ``/.well-known/void`` in Turtle (default), JSON-LD, N-Triples or RDF/XML.

    Browsers asking for HTML are sent (303) to the dataset's own page.
    Each body is made once per release and format.
    """
    blueprint = Blueprint("dataset", __name__)
    cache: dict[tuple[str, str], bytes] = {}
    lock = threading.Lock()

    def body(release, engine, offer) -> bytes:
        key = (release.version, offer.media_type)
        with lock:
            if key in cache:
                return cache[key]
        triples = stored_description(engine, release.iris)
        triples += size_triples(release.iris, release.files, DUMPS)
        data = serialize(sort_triples(triples), format=offer.format, prefixes=output_prefixes(release.iris))
        with lock:
            if len(cache) > 64:
                cache.clear()
            cache[key] = data
        return data

    @blueprint.get("/.well-known/void")
    def void():
        release, engine = releases.current
        offer = choose(RDF_OFFERS + (HTML_OFFER,), accept=request.headers.get("Accept"))
        if offer is None:
            raise NotAcceptable("The dataset description is offered as Turtle, N-Triples, RDF/XML and JSON-LD.")
        if offer is HTML_OFFER:
            response = redirect(request.script_root + "/" + release.iris.path_of(dataset_iri(release.iris)), 303)
        else:
            response = Response(body(release, engine, offer), content_type=offer.content_type)
            response.set_etag(f"{release.version}-{offer.suffix}")
            response.cache_control.public = True
            response.cache_control.max_age = 300
            response.make_conditional(request)
        response.headers["Vary"] = "Accept"
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return blueprint
