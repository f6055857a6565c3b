"""Blueprint for the home page: what the dataset is, where it comes from, and where to go from there.

The page shows the dataset's title and terms (with the attribution a user
must give, from the dataset's record) and how to cite the release, the number
of resources of each class, the latest release and its dumps, the SPARQL
endpoint, and entry points into the graph:
organisations, people, the G7 meeting, the Beyond 5G fund and the six themes
of the meeting. What it shows is read from the store once per release (which
holds the data only, not the release's own VoID/DCAT description).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import url_for

from server.builder.dumps import DUMPS
from server.builder.dumps import TITLES
from server.common.config import Config
from server.common.vocab import ID_PATH
from server.engine.serving import Releases
from server.engine.serving import Served
from server.web.i18n import LANGUAGES
from server.web.i18n import choose_language
from server.web.i18n import pick
from server.web.pages import PerRelease
from server.web.pages import fetch_labels
from server.web.urls import href_of
from server.web.urls import public_url
from server.web.void import citation

MEETING = "id/event/g7-digital-tech-ministers-meeting-2023"
FUND = "id/fund/beyond-5g"
THEMES = "id/concept/g7-theme"
LIST_MAX = 200  # organisations or people listed on the page; larger data lists the first by label

COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER(STRSTARTS(STR(?s), "$resources"))
} GROUP BY ?class ORDER BY DESC(?n) ?class
"""
MEMBERS = {
    "organizations": """SELECT DISTINCT ?s WHERE {
  ?s a ?type . ?type rdfs:subClassOf* ?organization
  VALUES ?organization { org:Organization foaf:Organization }
  FILTER(STRSTARTS(STR(?s), "$resources"))
}""",
    "people": """SELECT DISTINCT ?s WHERE { ?s a foaf:Person FILTER(STRSTARTS(STR(?s), "$resources")) }""",
    "themes": """SELECT DISTINCT ?s WHERE { ?s skos:inScheme <$base$themes> }""",
}
PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
"""


@dataclass(frozen=True)
class HomeFacts:
    """What the home page shows of one release.

    :ivar counts: (class IRI, number of resources) pairs, most first.
    :ivar members: "organizations" / "people" / "themes" -> their IRIs.
    :ivar labels: IRI -> {language: label} for every IRI above and the fixed entry points.
    :ivar listed: (members' name, language) -> the first LIST_MAX of them by label in that language.
    """

    counts: list[tuple[str, int]]
    members: dict[str, list[str]]
    labels: dict[str, dict[str, str]]
    listed: dict[tuple[str, str], list[str]]


def gather_facts(served: Served) -> HomeFacts:
    """Count resources by class and find the entry points, from the engine of the release served."""
    release, engine = served
    base = release.iris.base

    def select(query: str):
        text = PREFIXES + query.replace("$resources", base + ID_PATH).replace("$themes", THEMES)
        text = text.replace("$base", base)
        return engine.query(text, use_default_graph_as_union=True)

    counts = [(row["class"].value, int(row["n"].value)) for row in select(COUNTS)]
    members = {name: [row["s"].value for row in select(query)] for name, query in MEMBERS.items()}
    named = {iri for iri, _ in counts} | {iri for found in members.values() for iri in found}
    named |= {base + MEETING, base + FUND, base + THEMES}
    labels = fetch_labels(engine, named)
    listed = {
        (name, lang): heapq.nsmallest(LIST_MAX, found, key=lambda iri: pick(labels.get(iri, {}), lang) or iri)
        for name, found in members.items()
        for lang in LANGUAGES
    }
    return HomeFacts(counts, members, labels, listed)


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    """Blueprint "home": the page at / and /favicon.ico."""
    blueprint = Blueprint("home", __name__)
    facts = PerRelease(gather_facts)

    @blueprint.get("/")
    def index():
        served = releases.current
        release = served.release
        lang = choose_language()
        known = facts.get(served)
        record = release.record

        def item(iri: str) -> dict:
            label = pick(known.labels.get(iri, {}), lang) or iri
            return {"iri": iri, "href": href_of(release.iris, iri), "label": label}

        def listed(name: str) -> list[dict]:
            return [item(iri) for iri in known.listed[(name, lang)]]

        base = release.iris.base
        dump_names = [dump.name for dump in DUMPS if dump.name in release.files]
        return render_template(
            "home.html",
            release=release,
            config=config,
            title=pick(record.title, lang),
            description=pick(record.description, lang),
            citation=citation(release, lang),
            counts=[(item(iri), n) for iri, n in known.counts],
            organizations=listed("organizations"),
            organizations_total=len(known.members["organizations"]),
            people=listed("people"),
            people_total=len(known.members["people"]),
            themes=listed("themes"),
            meeting=item(base + MEETING),
            fund=item(base + FUND),
            scheme=item(base + THEMES),
            dumps=[(name, TITLES.get(name, name), release.files[name]) for name in dump_names],
            endpoint=public_url(url_for("sparql.endpoint")),
            linksets=url_for("linksets.index"),
        )

    @blueprint.get("/favicon.ico")
    def favicon():
        """Clients that ask for the icon by its old name get the site's SVG one (pages link it themselves)."""
        return redirect(url_for("static", filename="favicon.svg"), 301)

    return blueprint
