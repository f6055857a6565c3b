"""Blueprint "void": the dataset description at /.well-known/void (server/builder/dataset.py makes it).

It is the release's own void.ttl (Release.description), in the format asked for; no query of the data sees it.
"""

from __future__ import annotations

import threading

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import request
from pyoxigraph import serialize

from server.builder.dataset import dataset_iri
from server.builder.dataset import sort_triples
from server.common.config import Config
from server.common.errors import NotAcceptable
from server.common.negotiate import HTML_OFFER
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import choose
from server.common.vocab import output_prefixes
from server.engine.serving import Releases


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    """Blueprint "dataset": ``/.well-known/void`` in Turtle (default), JSON-LD, N-Triples or RDF/XML.

    Browsers asking for HTML are sent (303) to the dataset's own page.
    Each body is made once per release and format.
    """
    blueprint = Blueprint("dataset", __name__)
    cache: dict[tuple[str, str], bytes] = {}
    lock = threading.Lock()

    def body(release, offer) -> bytes:
        key = (release.version, offer.media_type)
        with lock:
            if key in cache:
                return cache[key]
        data = serialize(sort_triples(release.description), format=offer.format, prefixes=output_prefixes(release.iris))
        with lock:
            if len(cache) > 64:
                cache.clear()
            cache[key] = data
        return data

    @blueprint.get("/.well-known/void")
    def void():
        release = releases.current.release
        offer = choose(RDF_OFFERS + (HTML_OFFER,), accept=request.headers.get("Accept"))
        if offer is None:
            raise NotAcceptable("The dataset description is offered as Turtle, N-Triples, RDF/XML and JSON-LD.")
        if offer is HTML_OFFER:
            response = redirect(request.script_root + "/" + release.iris.path_of(dataset_iri(release.iris)), 303)
        else:
            response = Response(body(release, offer), content_type=offer.content_type)
            response.set_etag(f"{release.version}-{offer.suffix}")
            response.cache_control.public = True
            response.cache_control.max_age = 300
            response.make_conditional(request)
        response.headers["Vary"] = "Accept"
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return blueprint
