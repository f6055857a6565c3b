"""Blueprint for /queries: each example query at a stable URL of its own, with its parameters.

Datasette's canned queries, for SPARQL: every query of the gallery (gallery.py:
the files of queries/ and the counting examples) answers at

    GET /queries/{slug}[?PARAM=VALUE ...][&format=json|xml|csv|tsv|turtle|...|html]

- in HTML for a browser (by Accept, or ``format=html``): the question, a form
  with each parameter, the answer as the workbench shows it (paged, sorted,
  filtered, labelled, with its pictures), the query as run, a link that opens
  it in the workbench, and the links to every other format;
- in SPARQL JSON (the default), XML, CSV or TSV for SELECT and ASK, or Turtle,
  N-Triples, RDF/XML, JSON-LD, TriG or N-Quads for CONSTRUCT and DESCRIBE,
  by Accept or ``format=``, with the endpoint's caps, answer cache and ETags.

A parameter not given runs with its default. A value is parsed by the
parameter's type and bound as an RDF term (`gallery.bind`); one that is not
of its type gets 400 naming the parameter (in the page, for a browser).
``GET /queries`` lists them all, in the reader's language; the service
description lists them too (`service.describe_service`).
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.exceptions import NotFound

from server.common.errors import PublisherError
from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import HTML_OFFER
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import RESULTS_OFFERS
from server.common.negotiate import choose
from server.engine.querytext import first_keyword
from server.web.gallery import Example
from server.web.i18n import choose_language
from server.web.i18n import pick
from server.web.sparql import Answering
from server.web.sparql import negotiate_answer
from server.web.table import Setting
from server.web.table import View
from server.web.workbench import answer_rows
from server.web.workbench import show_answer
from server.web.workbench import show_error
from server.web.workbench import type_names

GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


def offers_of(example: Example):
    """The formats a query's answers come in: graphs for CONSTRUCT and DESCRIBE, results for the others."""
    return RDF_OFFERS + DATASET_OFFERS if first_keyword(example.text) in GRAPH_FORMS else RESULTS_OFFERS


def make_blueprint(answering: Answering) -> Blueprint:
    """Blueprint "canned": ``/queries`` (`canned.index`) and ``/queries/<name>`` (`canned.run`)."""
    blueprint = Blueprint("canned", __name__)
    by_slug = {example.slug: example for example in answering.examples}

    @blueprint.after_request
    def _cors_and_vary(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.vary.add("Accept")
        return response

    @blueprint.get("/queries")
    def index():
        lang = choose_language()
        queries = [
            {
                "slug": e.slug,
                "title": pick(e.titles, lang) if e.titles else e.slug,
                "href": url_for("canned.run", name=e.slug),
                "params": e.params,
                "formats": [
                    (o.names[0], url_for("canned.run", name=e.slug, format=o.names[0])) for o in offers_of(e)[:3]
                ],
            }
            for e in answering.examples
        ]
        return render_template("queries.html", queries=queries, types=type_names(lang))

    @blueprint.get("/queries/<name>")
    def run(name: str):
        example = by_slug.get(name)
        if example is None:
            raise NotFound(f"There is no query called {name!r}; /queries lists them all.")
        served = answering.releases.current
        format_name = request.args.get("format")
        accept = request.headers.get("Accept")
        if not format_name and choose(offers_of(example) + (HTML_OFFER,), accept=accept) is HTML_OFFER:
            format_name = "html"
        results_offer, graph_offer, as_html = negotiate_answer(accept, format_name)
        given = {p.name: request.args[p.name] for p in example.params if p.name in request.args}
        if not as_html:
            job = answering.job(served, example.bind(given), results_offer, graph_offer)
            return answering.respond(served, job)
        return page(example, given)

    def page(example: Example, given: dict[str, str]) -> Response:
        served = answering.releases.current
        lang = choose_language()
        iris = served.release.iris
        shown = error = text = None
        try:
            text = example.bind(given)
            view = View.read(request.args)
            job = answering.job(served, text, *negotiate_answer(None, "html")[:2])
            results = answer_rows(answering.answer(served, job))
            given_params = [(p.name, given[p.name]) for p in example.params if p.name in given]
            path = url_for("canned.run", name=example.slug)
            setting = Setting(path, given_params, iris, iris.prefixes(), answering.label_of(lang))
            shown = show_answer(results, view, setting, lang)
        except PublisherError as exc:
            error = exc
        formats = [
            (o.names[0], o.media_type, url_for("canned.run", name=example.slug, format=o.names[0], **given))
            for o in offers_of(example)
        ]
        html = render_template(
            "canned.html",
            example=example,
            title=pick(example.titles, lang) if example.titles else example.slug,
            values={p.name: given.get(p.name, p.default) for p in example.params},
            text=text or example.text,
            answer=shown,
            error=show_error(error, lang, text or example.text) if error is not None else None,
            formats=formats,
            workbench=url_for("sparql.endpoint", query=text, format="html") if text else None,
            types=type_names(lang),
        )
        status = error.status if error is not None else 200
        headers = error.headers if error is not None else {}
        return Response(html, status=status, headers=headers, content_type=HTML_OFFER.content_type)

    return blueprint
