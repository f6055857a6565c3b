"""The query workbench: the HTML page of /sparql, with editor, example gallery, results, links and chart.

`sparql.render_page` hands it the service facts, the query and the results
(already run by the endpoint); this module only shapes them for
``sparql.html``:

- a link that reopens the query (``/sparql?query=…&format=html``), which is
  also the page's own URL after "Run";
- a link per format the endpoint answers the query in (SPARQL JSON, XML, CSV,
  TSV for SELECT/ASK; Turtle, N-Triples, RDF/XML, JSON-LD, TriG, N-Quads for
  CONSTRUCT/DESCRIBE);
- result cells, with IRIs of ours linked to their pages here, other http(s) IRIs
  linked as they are, and any other IRI (``javascript:``, ``data:``, ``urn:``) shown
  as text, never as a link (server/web/urls.py);
- a bar chart when the results are numbers by category (`chart_rows`);
- the gallery of example queries (`gallery.py`), which `pages.py` puts in
  ``app.extensions["examples"]``.
"""

from __future__ import annotations

import json

from flask import current_app
from flask import render_template
from flask import url_for

from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import RESULTS_OFFERS
from server.common.vocab import ID_PATH
from server.common.vocab import XSD
from server.common.vocab import Iris
from server.web.i18n import choose_language
from server.web.i18n import translate
from server.web.service import RESULT_OFFERS
from server.web.service import ServiceFacts
from server.web.urls import href_of
from server.web.urls import public_url
from server.web.views import bar_chart

NUMERIC_TYPES = frozenset(
    str(XSD[name])
    for name in (
        "integer",
        "decimal",
        "double",
        "float",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)
MAX_CHART_ROWS = 60


def compact(iri: str, prefixes: dict[str, str]) -> str:
    """`iri` as a prefixed name where one reads cleanly, else the IRI.

    >>> compact("http://www.w3.org/2000/01/rdf-schema#label", {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"})
    'rdfs:label'
    >>> compact("https://x.org/id/a/b", {"id": "https://x.org/id/"})
    'https://x.org/id/a/b'
    """
    best = ""
    for name, namespace in prefixes.items():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and "/" not in local and "#" not in local and len(namespace) > len(best):
            best = name + ":" + local
    return best or iri


def show_cell(cell: dict | None, *, iris: Iris, prefixes: dict[str, str]) -> dict | None:
    """A SPARQL JSON term as the table shows it: text, and for IRIs the href of `href_of` (None: no link)."""
    if cell is None:
        return None
    kind, value = cell.get("type"), cell.get("value", "")
    if kind == "uri":
        return {"kind": "iri", "text": compact(value, prefixes), "href": href_of(iris, value), "title": value}
    if kind == "bnode":
        return {"kind": "bnode", "text": "_:" + value}
    if kind in ("literal", "typed-literal"):
        datatype = cell.get("datatype")
        return {
            "kind": "literal",
            "text": value,
            "lang": cell.get("xml:lang"),
            "datatype": compact(datatype, prefixes) if datatype and datatype != str(XSD.string) else None,
        }
    return {"kind": "other", "text": json.dumps(cell, ensure_ascii=False)}  # pragma: no cover - triple terms


def chart_rows(
    variables: list[str], rows: list[dict], prefixes: dict[str, str] | None = None
) -> list[tuple[str, float]] | None:
    """(category, number) pairs when the results are numbers by category, else None.

    That is: exactly two variables, one bound to a number in every row, the
    other to anything else, and at most MAX_CHART_ROWS rows (more than one).

    >>> n = {"type": "literal", "value": "3", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    >>> chart_rows(["class", "n"], [{"class": {"type": "literal", "value": "Fund"}, "n": n}] * 2)
    [('Fund', 3.0), ('Fund', 3.0)]
    >>> chart_rows(["a"], []) is None
    True
    """
    if len(variables) != 2 or not 1 < len(rows) <= MAX_CHART_ROWS:
        return None

    def numeric(cell: dict | None) -> bool:
        return (
            cell is not None
            and cell.get("type") in ("literal", "typed-literal")
            and (cell.get("datatype") in NUMERIC_TYPES)
        )

    for number, category in (variables, variables[::-1]):
        if all(numeric(row.get(number)) for row in rows) and not all(numeric(row.get(category)) for row in rows):
            try:
                return [(_category(row.get(category), prefixes or {}), float(row[number]["value"])) for row in rows]
            except ValueError:
                return None
    return None


def _category(cell: dict | None, prefixes: dict[str, str]) -> str:
    if cell is None:
        return "—"
    value = cell.get("value", "")
    return compact(value, prefixes) if cell.get("type") == "uri" else value


def render_workbench(facts: ServiceFacts, *, query: str, results: dict | None) -> str:
    """The workbench page for `query` (shown in the editor) and its `results` (None before any run)."""
    lang = choose_language()
    prefixes = dict(facts.prefixes)
    iris = Iris(prefixes["id"][: -len(ID_PATH)])
    ran = results is not None
    share = public_url(url_for("sparql.endpoint", query=query, format="html")) if ran else None
    downloads = []
    chart = None
    table = None
    if results is not None:
        offers = RDF_OFFERS + DATASET_OFFERS if results["kind"] == "triples" else RESULTS_OFFERS
        downloads = [
            (offer.names[0], offer.media_type, url_for("sparql.endpoint", query=query, format=offer.names[0]))
            for offer in offers
        ]
        if results["kind"] == "solutions":
            variables, rows = results["variables"], results["rows"]
            table = [[show_cell(row.get(v), iris=iris, prefixes=prefixes) for v in variables] for row in rows]
            pairs = chart_rows(variables, rows, prefixes)
            if pairs:
                chart = bar_chart(pairs, title=translate("wb_chart", lang) + ": " + " / ".join(variables))
    examples = current_app.extensions.get("examples", ())
    return render_template(
        "sparql.html",
        facts=facts,
        query=query,
        results=results,
        table=table,
        formats=[(offer.names[0], offer.media_type) for offer in RESULT_OFFERS],
        examples=[
            {
                "slug": e.slug,
                "title": e.titles.get(lang) or e.titles.get("en") or e.slug,
                "href": url_for("sparql.endpoint", query=e.text, format="html"),
                "text": e.text,
            }
            for e in examples
        ],
        share=share,
        downloads=downloads,
        chart=chart,
        prefixes_json=json.dumps(prefixes).replace("<", "\\u003c"),
    )
