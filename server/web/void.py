"""Blueprint "dataset": the description at /.well-known/void, the dataset's record in every page, and its citation.

The description is the release's own void.ttl (Release.description, made by server/builder/dataset.py),
in the format asked for; no query of the data sees it. Browsers asking for HTML are sent (303) to the
dataset's own page, which shows it with the citation box (`citation`). Every template gets `record`,
the dataset's record (title, attribution, licence) of the release served, for the footer.
"""

from __future__ import annotations

import json
import threading

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import request
from flask import url_for
from pyoxigraph import serialize

from server.builder.citation import CITATION_BIB
from server.builder.citation import CITATION_CSL
from server.builder.citation import bibtex
from server.builder.citation import csl_item
from server.builder.citation import sentence
from server.builder.dataset import dataset_iri
from server.builder.dataset import sort_triples
from server.common.config import Config
from server.common.errors import NotAcceptable
from server.common.negotiate import HTML_OFFER
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import choose
from server.common.vocab import output_prefixes
from server.engine.serving import Releases
from server.release.release import Release


def citation(release: Release, lang: str) -> dict:
    """What the citation box shows: the sentence, its parts, BibTeX and CSL-JSON in `lang`, and the files."""
    record = release.record
    facts = {"version": release.version, "built_at": release.built_at, "lang": lang}
    files = [(name, url_for("dumps.current_file", name=name)) for name in (CITATION_BIB, CITATION_CSL)
             if name in release.files]
    return {
        "sentence": sentence(record, **facts),
        "version": release.version,
        "date": f"{release.built_at:%Y-%m-%d}",
        "dataset": record.dataset,
        "attribution": record.attribution.get(lang, ""),
        "bibtex": bibtex(record, **facts),
        "csl": json.dumps([csl_item(record, **facts)], ensure_ascii=False, indent=2),
        "files": files,
    }


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    """Blueprint "dataset": ``/.well-known/void`` in Turtle (default), JSON-LD, N-Triples or RDF/XML.

    Each body is made once per release and format.
    """
    blueprint = Blueprint("dataset", __name__)
    cache: dict[tuple[str, str], bytes] = {}
    lock = threading.Lock()

    @blueprint.app_context_processor
    def dataset_record() -> dict:
        return {"record": releases.current.release.record}

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
