"""Blueprint for the reader's views that are not one resource: /search and /timeline.

- ``/search?q=…`` lists the resources whose names match, in either language
  and either width of letters (「Ｇ７」 and "G7" find the same meeting), with
  the matcher of `server.search` that /api/search uses. A plain GET form on
  every page leads here, so it works without JavaScript.
- ``/timeline`` lists every dated statement of the graph (start and end
  dates, formulated, passed, in force, years), in date order, with the date
  as the text writes it; the dates our own files were issued or modified
  are left out.

Both read only the store of the release being served; what they compute
from it is kept until the release changes (`PerRelease`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic
from typing import TypeVar

from flask import Blueprint
from flask import render_template
from flask import request
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from rdflib.namespace import DCTERMS

from server.common.config import Config
from server.common.vocab import XSD
from server.engine.serving import Engine
from server.engine.serving import Releases
from server.engine.serving import Served
from server.linking.search import Indexes
from server.release.release import Release
from server.web.i18n import choose_language
from server.web.i18n import pick
from server.web.urls import href_of

T = TypeVar("T")
MAX_QUERY_CHARS = 200
SEARCH_LIMIT = 50
DATE_TYPES = (str(XSD.date), str(XSD.gYearMonth), str(XSD.gYear), str(XSD.dateTime))
# When our files were made or changed, not events of the text.
METADATA_DATES = (str(DCTERMS.issued), str(DCTERMS.modified), str(DCTERMS.created))
LABELS = """
SELECT ?n ?l WHERE {
  VALUES ?n { $names }
  ?n <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l
  FILTER(isLiteral(?l))
}
"""
DATED = """
SELECT ?s ?p ?o ?written WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER(isLiteral(?o) && DATATYPE(?o) IN ($types))
  FILTER(STRSTARTS(STR(?s), "$base"))
  FILTER(?p NOT IN ($metadata))
  OPTIONAL { GRAPH ?w { ?s <$base$ontology/dateAsWritten> ?written } FILTER(LANG(?written) = "ja") }
}
"""


class PerRelease(Generic[T]):
    """A value computed from a served release, computed again only when the release being served changes."""

    def __init__(self, compute: Callable[[Served], T]):
        self._compute = compute
        self._lock = threading.Lock()
        self._release: Release | None = None
        self._value: T | None = None

    def get(self, served: Served) -> T:
        with self._lock:
            if self._release is not served.release:
                self._value = self._compute(served)
                self._release = served.release
            return self._value  # type: ignore[return-value]


def fetch_labels(engine: Engine, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """IRI -> {language: label} (rdfs:label, skos:prefLabel) for `iris`, read from the store."""
    wanted = sorted(set(iris))
    labels: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), 500):
        names = " ".join(f"<{iri}>" for iri in wanted[start : start + 500])
        for row in engine.query(LABELS.replace("$names", names), use_default_graph_as_union=True):
            labels.setdefault(row["n"].value, {}).setdefault(row["l"].language or "", row["l"].value)
    return labels


@dataclass(frozen=True)
class Dated:
    """One dated statement: the resource, what the date is (predicate), the date and how the text writes it."""

    subject: str
    predicate: str
    date: str
    datatype: str
    written: str | None


def find_dated(served: Served) -> tuple[list[Dated], dict[str, dict[str, str]]]:
    """Every dated statement about our resources, in date order, and the labels of their IRIs."""
    release, engine = served
    query = (
        DATED.replace("$types", ", ".join(f"<{t}>" for t in DATE_TYPES))
        .replace("$metadata", ", ".join(f"<{p}>" for p in METADATA_DATES))
        .replace("$ontology", "ontology")
        .replace("$base", release.iris.base)
    )
    found: dict[tuple[str, str, str], Dated] = {}
    for row in engine.query(query):
        subject, predicate, value = row["s"], row["p"], row["o"]
        if not isinstance(subject, NamedNode) or not isinstance(value, Literal):
            continue
        written = row["written"].value if row["written"] is not None else None
        key = (subject.value, predicate.value, value.value)
        found.setdefault(key, Dated(subject.value, predicate.value, value.value, value.datatype.value, written))
    events = sorted(found.values(), key=lambda d: (d.date, d.subject, d.predicate))
    labels = fetch_labels(engine, {d.subject for d in events} | {d.predicate for d in events})
    return events, labels


def make_blueprint(releases: Releases, indexes: Indexes, config: Config) -> Blueprint:
    """Blueprint "pages": /search and /timeline; `indexes` gives the current release's search index."""
    blueprint = Blueprint("pages", __name__)
    dated = PerRelease(find_dated)

    @blueprint.get("/search")
    def search():
        iris = releases.current.release.iris
        lang = choose_language()
        query = request.args.get("q", "").strip()[:MAX_QUERY_CHARS]
        hits = indexes.current().search(query, limit=SEARCH_LIMIT) if query else []
        index = indexes.current()
        results = [
            {
                "label": hit.entry.label(lang),
                "href": href_of(iris, hit.entry.iri),
                "iri": hit.entry.iri,
                "types": sorted({index.type_label(t, lang) for t in hit.entry.types}),
                "matched": hit.name.text,
                "description": hit.entry.description(lang),
                "score": hit.score,
            }
            for hit in hits
        ]
        return render_template("search.html", query=query, results=results)

    @blueprint.get("/timeline")
    def timeline():
        served = releases.current
        lang = choose_language()
        events, labels = dated.get(served)
        rows = [
            {
                "date": event.date,
                "year": event.date[:4],
                "subject": pick(labels.get(event.subject, {}), lang) or event.subject,
                "href": href_of(served.release.iris, event.subject),
                "predicate": pick(labels.get(event.predicate, {}), lang) or event.predicate.rsplit("/", 1)[-1],
                "written": event.written,
            }
            for event in events
        ]
        return render_template("timeline.html", rows=rows)

    return blueprint
