"""The query workbench: the HTML page of /sparql, with editor, example gallery, answer, pictures and errors.

`sparql.py` hands it the service facts, the query, and the answer
(already run by the endpoint) or the error that stopped it; this module only
shapes them for ``sparql.html``:

- a link that reopens the query (``/sparql?query=…&format=html``), which is
  also the page's own URL after "Run";
- a link per format the endpoint answers the query in (SPARQL JSON, XML, CSV,
  TSV for SELECT/ASK; Turtle, N-Triples, RDF/XML, JSON-LD, TriG, N-Quads for
  CONSTRUCT/DESCRIBE), each giving the whole answer, not only the page shown;
- the answer (`show_answer`, which the canned queries' pages use too): a table
  paged, sorted and filtered on the server with a label beside each IRI
  (table.py; a CONSTRUCT/DESCRIBE answer as its triples), a bar chart when the
  rows are numbers by category (`chart_rows`), a timeline when they have dates
  (`timeline_events`), and for triples the data of the node-link graph that
  workbench.js draws (`graph_data`, with the vendored d3-force);
- an error inline (`show_error`): in the reader's language, under the editor,
  with the line and column of a syntax error for the editor to mark, the query
  kept as typed; without JavaScript the same message is on the page;
- the gallery of example queries (gallery.py), each with its stable URL
  (``/queries/{slug}``, canned.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Sequence

from flask import render_template
from flask import url_for
from pyoxigraph import RdfFormat
from pyoxigraph import parse

from server.common.errors import MissingQuery
from server.common.errors import PublisherError
from server.common.errors import QuerySyntaxError
from server.common.errors import QueryTimedOut
from server.common.errors import QueryTooDeep
from server.common.errors import QueryTooLarge
from server.common.errors import ResultTooLarge
from server.common.errors import ServiceBusy
from server.common.errors import ServiceRefused
from server.common.errors import UpdateAsQuery
from server.common.errors import UpdateRefused
from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import RESULTS_OFFERS
from server.common.vocab import ID_PATH
from server.common.vocab import Iris
from server.common.vocab import compact
from server.engine.answers import QueryAnswer
from server.engine.results import json_term
from server.web.gallery import MAX_VALUE_CHARS
from server.web.gallery import TYPES
from server.web.gallery import BadParameter
from server.web.gallery import Example
from server.web.i18n import choose_language
from server.web.i18n import translate
from server.web.service import RESULT_OFFERS
from server.web.service import ServiceFacts
from server.web.table import DATE_TYPES
from server.web.table import NUMERIC_TYPES
from server.web.table import LabelOf
from server.web.table import Setting
from server.web.table import View
from server.web.table import build_table
from server.web.urls import href_of
from server.web.urls import public_url
from server.web.views import Event
from server.web.views import Node
from server.web.views import bar_chart
from server.web.views import timeline

MAX_CHART_ROWS = 60
MAX_TIMELINE_EVENTS = 200
MAX_GRAPH_TRIPLES = 400
TRIPLE_COLUMNS = ("subject", "predicate", "object")
# The strings workbench.js shows (completion, history), handed to it in the reader's language.
SCRIPT_STRINGS = ("wb_class", "wb_property", "wb_entity", "wb_history_run", "wb_history_edit")
# The message each kind of failure gets in the reader's language (others: wb_err_failed and the message).
ERROR_KEYS = (
    (QuerySyntaxError, "wb_err_syntax"),
    (QueryTooDeep, "wb_err_deep"),
    ((UpdateRefused, UpdateAsQuery), "wb_err_update"),
    (ServiceRefused, "wb_err_service"),
    (QueryTooLarge, "wb_err_query_too_large"),
    (ResultTooLarge, "wb_err_too_large"),
    (QueryTimedOut, "wb_err_timeout"),
    (ServiceBusy, "wb_err_busy"),
    (MissingQuery, "wb_err_empty"),
)


def answer_rows(answer: QueryAnswer) -> dict:
    """What the HTML view shows of an answer: a boolean, or variables and rows of SPARQL JSON bindings
    (a CONSTRUCT/DESCRIBE answer as rows of subject, predicate and object), and whether the row cap cut it."""
    if answer.kind == "triples":
        triples = parse(answer.body, format=RdfFormat.from_media_type(answer.media_type))
        rows = [
            {"subject": json_term(t.subject), "predicate": json_term(t.predicate), "object": json_term(t.object)}
            for t in triples
        ]
        return {"kind": "triples", "variables": list(TRIPLE_COLUMNS), "rows": rows, "truncated": False}
    data = json.loads(answer.body)
    if answer.kind == "boolean":
        return {"kind": "boolean", "boolean": data["boolean"]}
    return {
        "kind": "solutions",
        "variables": data["head"]["vars"],
        "rows": data["results"]["bindings"],
        "truncated": answer.truncated,
    }


def show_answer(results: dict, view: View, setting: Setting, lang: str) -> dict:
    """The answer as the page shows it: the table (table.py) and the pictures that fit its rows."""
    if results["kind"] == "boolean":
        return {"kind": "boolean", "boolean": results["boolean"]}
    variables, rows = results["variables"], results["rows"]
    table = build_table(variables, rows, view, setting, truncated=results["truncated"])
    iris, prefixes, label_of = setting.iris, setting.prefixes, setting.label_of
    shown: dict = {"kind": results["kind"], "table": table, "chart": None, "timeline": None, "graph": None}

    def name(cell: dict | None) -> str:
        if cell is None:
            return "—"
        value = cell.get("value", "")
        if cell.get("type") == "uri":
            return label_of(value) or compact(value, prefixes)
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    if results["kind"] == "triples":
        shown["graph"] = script_json(graph_data(rows[:MAX_GRAPH_TRIPLES], name=name, iris=iris, prefixes=prefixes))
        shown["graph_cut"] = len(rows) > MAX_GRAPH_TRIPLES
        return shown
    pairs = chart_rows(variables, rows, name)
    if pairs:
        shown["chart"] = bar_chart(pairs, title=translate("wb_chart", lang) + ": " + " / ".join(variables))
    events = timeline_events(variables, rows, name, iris)
    if events:
        shown["timeline"] = timeline(events[:MAX_TIMELINE_EVENTS], title=translate("wb_timeline", lang))
        shown["timeline_cut"] = len(events) > MAX_TIMELINE_EVENTS
    return shown


def chart_rows(
    variables: list[str], rows: list[dict], name=lambda cell: cell["value"] if cell else "—"
) -> list[tuple[str, float]] | None:
    """(category, number) pairs when the results are numbers by category, else None.

    That is: exactly two variables, one bound to a number in every row, the
    other to anything else, and at most MAX_CHART_ROWS rows (more than one).
    `name` gives the category's text (an IRI's label).

    >>> n = {"type": "literal", "value": "3", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    >>> chart_rows(["class", "n"], [{"class": {"type": "literal", "value": "Fund"}, "n": n}] * 2)
    [('Fund', 3.0), ('Fund', 3.0)]
    >>> chart_rows(["a"], []) is None
    True
    """
    if len(variables) != 2 or not 1 < len(rows) <= MAX_CHART_ROWS:
        return None

    def numeric(cell: dict | None) -> bool:
        literal = cell is not None and cell.get("type") in ("literal", "typed-literal")
        return literal and cell.get("datatype") in NUMERIC_TYPES

    for number, category in (variables, variables[::-1]):
        if all(numeric(row.get(number)) for row in rows) and not all(numeric(row.get(category)) for row in rows):
            try:
                return [(name(row.get(category)), float(row[number]["value"])) for row in rows]
            except ValueError:
                return None
    return None


def timeline_events(variables: list[str], rows: list[dict], name, iris: Iris) -> list[Event]:
    """The rows as events in date order, when a column holds dates (xsd:date, dateTime, gYear, gYearMonth):
    the first such column is when each starts, a second one when it ends; the first other column names it.

    >>> d = lambda v: {"type": "literal", "value": v, "datatype": "http://www.w3.org/2001/XMLSchema#date"}
    >>> rows = [{"what": {"type": "literal", "value": "B"}, "on": d("2023-04-30")},
    ...         {"what": {"type": "literal", "value": "A"}, "on": d("2023-04-29")}]
    >>> [(e.node.label, e.start) for e in timeline_events(["what", "on"], rows, lambda c: c["value"], None)]
    [('A', '2023-04-29'), ('B', '2023-04-30')]
    """

    def is_date(cell: dict | None) -> bool:
        return cell is not None and cell.get("datatype") in DATE_TYPES and cell["value"][:1].isdigit()

    sample = rows[:MAX_TIMELINE_EVENTS]  # which columns hold dates, told by the first rows
    dates = [v for v in variables if any(is_date(row.get(v)) for row in sample)]
    dates = [v for v in dates if all(row.get(v) is None or is_date(row.get(v)) for row in sample)]
    if not dates:
        return []
    others = [v for v in variables if v not in dates]
    events = []
    for row in rows:
        start = row.get(dates[0])
        if not is_date(start):
            continue
        end = row.get(dates[1]) if len(dates) > 1 and is_date(row.get(dates[1])) else None
        what = row.get(others[0]) if others else start
        href = href_of(iris, what["value"]) if what and what.get("type") == "uri" and iris else None
        node = Node(name(what), href, what["value"] if what and what.get("type") == "uri" else "")
        events.append(Event(node, start["value"], end["value"] if end and end["value"] >= start["value"] else None))
    return sorted(events, key=lambda e: (e.start, e.node.label))


def graph_data(rows: list[dict], *, name, iris: Iris, prefixes: Mapping[str, str]) -> dict:
    """Nodes and links of triples (rows of subject, predicate, object), for the graph workbench.js draws.

    IRIs and blank nodes are one node each however often they occur; each literal is a node of its own.
    A node has its label, its IRI and the href of its page (`href_of`: none for a ``javascript:`` IRI).
    """
    nodes: dict[str, dict] = {}
    links = []
    for index, row in enumerate(rows):
        ends = []
        for cell, literal_key in ((row["subject"], None), (row["object"], f"literal:{index}")):
            kind = cell.get("type")
            key = literal_key if kind == "literal" else f"{kind}:{cell.get('value')}"
            if key not in nodes:
                iri = cell["value"] if kind == "uri" else ""
                nodes[key] = {
                    "id": key,
                    "label": name(cell),
                    "iri": iri,
                    "href": href_of(iris, iri) if iri else None,
                    "kind": "literal" if kind == "literal" else "resource",
                }
            ends.append(key)
        predicate = row["predicate"]["value"]
        links.append({"source": ends[0], "target": ends[1], "label": name(row["predicate"]), "iri": predicate})
    return {"nodes": list(nodes.values()), "links": links}


def script_json(data: dict) -> str:
    """`data` as JSON safe inside a ``<script type="application/json">`` element (no ``<`` to end it)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def type_names(lang: str) -> dict[str, str]:
    """What each parameter type of a canned query is called in `lang` ("whole number" for integer)."""
    return {name: translate(f"q_type_{name}", lang) for name in TYPES}


def show_error(exc: PublisherError, lang: str, query: str = "") -> dict:
    """An error as the page shows it: its message in `lang`, what the engine said, and for a syntax error
    the line and column (for the editor's mark), what the parser expected there, and that line of `query`
    with a caret under the column (for a page without JavaScript)."""
    key = next((key for kind, key in ERROR_KEYS if isinstance(exc, kind)), "wb_err_failed")
    shown = {"status": exc.status, "message": translate(key, lang), "detail": exc.message, "line": None, "column": None}
    if isinstance(exc, BadParameter):
        parameter = exc.parameter
        detail = translate(
            "q_err_param_long" if len(exc.value) > MAX_VALUE_CHARS else "q_err_param_type", lang,
            value=exc.value[:80], type=type_names(lang)[parameter.type], example=TYPES[parameter.type],
            n=MAX_VALUE_CHARS,
        )
        message = translate("q_err_param", lang, name=parameter.name)
        shown.update(message=message, parameter=parameter.name, detail=detail)
    if isinstance(exc, QuerySyntaxError) and exc.line is not None:
        shown.update(
            message=translate("wb_err_syntax_at", lang, line=exc.line, column=exc.column),
            line=exc.line,
            column=exc.column,
            detail=exc.detail,
        )
        lines = query.splitlines()
        if 0 < exc.line <= len(lines):
            text = lines[exc.line - 1]
            shown["excerpt"] = text + "\n" + " " * min(exc.column - 1, len(text)) + "^"
    return shown


def render_workbench(
    facts: ServiceFacts,
    examples: Sequence[Example],
    *,
    query: str,
    results: dict | None = None,
    view: View | None = None,
    label_of: LabelOf = lambda iri: None,
    error: PublisherError | None = None,
) -> str:
    """The workbench page for `query` (shown in the editor as typed) and its `results` (`answer_rows`),
    or the `error` that stopped it; None for both before any run."""
    lang = choose_language()
    prefixes = dict(facts.prefixes)
    iris = Iris(prefixes["id"][: -len(ID_PATH)])
    ran = results is not None or error is not None
    share = public_url(url_for("sparql.endpoint", query=query, format="html")) if ran else None
    downloads = []
    shown = None
    if results is not None:
        offers = RDF_OFFERS + DATASET_OFFERS if results["kind"] == "triples" else RESULTS_OFFERS
        downloads = [
            (offer.names[0], offer.media_type, url_for("sparql.endpoint", query=query, format=offer.names[0]))
            for offer in offers
        ]
        setting = Setting(url_for("sparql.endpoint"), [("query", query), ("format", "html")], iris, prefixes, label_of)
        shown = show_answer(results, view or View(), setting, lang)
    return render_template(
        "sparql.html",
        facts=facts,
        query=query,
        answer=shown,
        error=show_error(error, lang, query) if error is not None else None,
        formats=[(offer.names[0], offer.media_type) for offer in RESULT_OFFERS],
        examples=[
            {
                "slug": e.slug,
                "title": e.titles.get(lang) or e.titles.get("en") or e.slug,
                "href": url_for("sparql.endpoint", query=e.runnable, format="html"),
                "canned": url_for("canned.run", name=e.slug),
                "text": e.runnable,
            }
            for e in examples
        ],
        share=share,
        downloads=downloads,
        prefixes_json=script_json(prefixes),
        strings_json=script_json({key: translate(key, lang) for key in SCRIPT_STRINGS}),
    )
