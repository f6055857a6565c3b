"""Dereferenceable IRIs: every IRI minted under the base answers at its own path on this server.

A request for path P describes the IRI ``base_iri + P``, whatever Host the
request came to, for the paths of minted IRIs only: ``id/...``, ``ontology``,
``ontology/...``, ``graph/...`` and ``release/...``. Other paths (``/``,
``/sparql``, ``/download/``, ``/static/``, ``/.well-known/void``) belong to
other blueprints.

"Cool URIs for the Semantic Web" strategy: content negotiation at the IRI
itself, no 303 redirect.

- ``GET /id/x`` answers 200 with the format the ``Accept`` header prefers
  (q-values honoured): HTML (``text/html``), Turtle (``text/turtle``),
  N-Triples (``application/n-triples``), RDF/XML (``application/rdf+xml``),
  JSON-LD (``application/ld+json``) or TriG (``application/trig``: each
  statement in the named graphs that state it, and the passage each graph was
  drawn from, as ``prov:wasDerivedFrom`` in ``graph/provenance``). With ``*/*`` or no ``Accept`` (curl's
  default) it is Turtle; browsers, which rank ``text/html`` first, get the
  page. Nothing acceptable: 406. The response has ``Vary: Accept,
  Accept-Language`` and ``Content-Location: /id/x.ttl``, the URL of the
  variant sent.
- Each variant has a URL of its own, answered without negotiation:
  ``/id/x.ttl``, ``/id/x.jsonld``, ``/id/x.nt``, ``/id/x.rdf``,
  ``/id/x.trig`` and ``/id/x.html``. So IRIs of ours never end in one of those suffixes.
- Every response lists all variants in ``Link: <...>; rel="alternate";
  type="..."`` headers, and the page has the same ``<link rel="alternate">``
  elements.
- An IRI nothing is known about answers 404 in the requested format.
- An organisation or event also answers at ``/id/x.imi.jsonld`` in the IMI core
  vocabulary (server/web/imi.py); other resources answer 404 there.

The HTML page is in English or Japanese: the ``lang`` parameter, else the
``lang`` cookie, else ``Accept-Language``, else English (see i18n.py).
Bodies are made once per release, IRI, format and language and kept in a
bounded cache; the ETag names the release, so a new release
invalidates every cached copy.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from pyoxigraph import BlankNode
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from rdflib.namespace import DCTERMS
from rdflib.namespace import FOAF
from rdflib.namespace import OWL
from rdflib.namespace import PROV
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS
from rdflib.namespace import XSD

from server.builder.dataset import dataset_graph
from server.builder.dataset import dataset_iri
from server.common.config import Config
from server.common.errors import BadRequest
from server.common.errors import NotAcceptable
from server.common.errors import ResourceNotFound
from server.common.lru import LruCache
from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import HTML_OFFER
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import Offer
from server.common.negotiate import choose
from server.common.vocab import Iris
from server.common.vocab import output_prefixes
from server.engine.serving import Engine
from server.engine.serving import Releases
from server.linking.search import DESCRIPTION_PREDICATES
from server.release.release import Release
from server.web.describe import LABEL_PREDICATES
from server.web.describe import Description
from server.web.describe import Extra
from server.web.describe import describe_resource
from server.web.describe import serialize_description
from server.web.i18n import choose_language
from server.web.i18n import translate
from server.web.imi import IMI_SUFFIX
from server.web.imi import imi_class
from server.web.imi import imi_document
from server.web.literals import TIME_TYPES
from server.web.literals import natural
from server.web.urls import href_of
from server.web.urls import local_url
from server.web.views import NEIGHBOURS
from server.web.views import Edge
from server.web.views import Node
from server.web.views import neighbourhood
from server.web.void import citation

TRIG_OFFER = next(offer for offer in DATASET_OFFERS if offer.suffix == "trig")
MACHINE_OFFERS: tuple[Offer, ...] = RDF_OFFERS + (TRIG_OFFER,)
OFFERS: tuple[Offer, ...] = MACHINE_OFFERS + (HTML_OFFER,)
SUFFIXES = tuple(offer.suffix for offer in OFFERS if offer.suffix)
LANGUAGES = ("en", "ja")
MAX_PATH = 1024
MAX_AGE = 300
CACHE_SIZE = 512
DESCRIBED_STATEMENTS = 50_000  # descriptions kept, by their number of statements


def split_suffix(path: str) -> tuple[str, str | None]:
    """Split a format suffix off a path.

    >>> split_suffix("id/organization/mic.ttl")
    ('id/organization/mic', 'ttl')
    >>> split_suffix("id/organization/mic")
    ('id/organization/mic', None)
    >>> split_suffix("id/person/j.smith")
    ('id/person/j.smith', None)
    """
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix in SUFFIXES and stem and not stem.endswith("/"):
        return stem, suffix
    return path, None


def check_path(path: str) -> None:
    """Refuse paths no IRI of ours can have: dot segments, control characters, backslashes, very long.

    :raises BadRequest: naming what is wrong.
    """
    if len(path) > MAX_PATH:
        raise BadRequest(f"The path is longer than {MAX_PATH} characters.")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path) or "\\" in path:
        raise BadRequest("The path holds a control character or a backslash.")
    if any(segment in (".", "..") for segment in path.split("/")):
        raise BadRequest("The path holds a '.' or '..' segment.")


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    """Blueprint "resources": the minted IRIs' paths, each with its suffix twins."""
    blueprint = Blueprint("resources", __name__)
    cache = LruCache(CACHE_SIZE)  # response bodies, by release, path and variant
    # descriptions, by release and IRI: one description makes the page in each language and every twin
    described = LruCache(DESCRIBED_STATEMENTS, weight=lambda d: d.size)
    extras: dict[str, Extra] = {}  # the served release's description, indexed once (by version)

    def extra_of(release: Release) -> Extra:
        extra = extras.get(release.version)
        if extra is None:
            extras.clear()
            extra = extras[release.version] = Extra(dataset_graph(release.iris).value, release.description)
        return extra

    def respond(path: str) -> Response:
        check_path(path)
        release, engine = releases.current
        if path.endswith(IMI_SUFFIX):
            return respond_imi(release, engine, path.removesuffix(IMI_SUFFIX))
        stem, suffix = split_suffix(path)
        if suffix is not None:
            offer = choose(OFFERS, suffix=suffix)
        else:
            offer = choose(OFFERS, accept=request.headers.get("Accept"))
        if offer is None:
            raise NotAcceptable("This resource is offered as " + ", ".join(o.media_type for o in OFFERS) + ".")
        iri = release.iris.base + stem
        lang = choose_language() if offer is HTML_OFFER else ""
        key = (release.version, iri, offer.media_type, lang)
        etag = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        if etag in request.if_none_match:
            response = Response(status=304)
        else:
            body = cache.get(key)
            if body is None:
                body = make_body(release, engine, iri, offer, lang)
                cache.put(key, body)
            response = Response(body, content_type=offer.content_type)
        response.set_etag(etag)
        response.cache_control.public = True
        response.cache_control.max_age = MAX_AGE
        vary = ["Accept-Language"] if offer is HTML_OFFER or suffix is None else []
        if suffix is None:
            vary.insert(0, "Accept")
            response.headers["Content-Location"] = local_url(f"{stem}.{offer.suffix}")
        else:
            response.headers.add("Link", f'<{local_url(stem)}>; rel="canonical"')
        if vary:
            response.headers["Vary"] = ", ".join(vary)
        for alternate in OFFERS:
            response.headers.add(
                "Link", f'<{local_url(f"{stem}.{alternate.suffix}")}>; rel="alternate"; type="{alternate.media_type}"'
            )
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def respond_imi(release: Release, engine: Engine, stem: str) -> Response:
        iri = release.iris.base + stem
        key = (release.version, iri, IMI_SUFFIX, "")
        body = cache.get(key)
        if body is None:
            imi = imi_class(engine, iri)
            if imi is None:
                raise ResourceNotFound(iri + IMI_SUFFIX)
            description = describe_resource(engine, iri, iris=release.iris)
            body = json.dumps(imi_document(description, imi, iris=release.iris), ensure_ascii=False, indent=2)
            body = body.encode("utf-8")
            cache.put(key, body)
        response = Response(body, content_type="application/ld+json")
        response.set_etag(hashlib.sha256(repr(key).encode()).hexdigest()[:32])
        response.cache_control.public = True
        response.cache_control.max_age = MAX_AGE
        response.headers.add("Link", f'<{local_url(stem)}>; rel="canonical"')
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response.make_conditional(request)

    def make_body(release: Release, engine: Engine, iri: str, offer: Offer, lang: str) -> bytes:
        description = described.get((release.version, iri))
        if description is None:
            description = describe_resource(engine, iri, iris=release.iris, extra=extra_of(release))
            described.put((release.version, iri), description)
        if offer is HTML_OFFER:
            extras = {"imi": local_url(path_of(release, iri) + IMI_SUFFIX) if imi_class(engine, iri) else None}
            if iri == dataset_iri(release.iris):
                extras["citation"] = citation(release, lang)
            return render_page(release, description, lang, **extras).encode("utf-8")
        return serialize_description(description, offer.format, iris=release.iris)

    @blueprint.get("/<any(id, graph, release, ontology):kind>/<path:rest>")
    def minted(kind: str, rest: str):
        return respond(f"{kind}/{rest}")

    @blueprint.get("/ontology", defaults={"suffix": None})
    @blueprint.get("/ontology.<suffix>")
    def ontology(suffix: str | None):
        return respond("ontology" + (f".{suffix}" if suffix else ""))

    return blueprint


# --- the page ---------------------------------------------------------------

# Predicates whose values outside our base are links to other datasets.
EXTERNAL_LINK_PREDICATES = (
    str(OWL.sameAs),
    str(RDFS.seeAlso),
    "https://schema.org/sameAs",
    str(FOAF.page),
    str(FOAF.homepage),
)
DERIVED_FROM = str(PROV.wasDerivedFrom)
CLASS_TYPES = {str(OWL.Class), str(RDFS.Class)}
PROPERTY_TYPES = {
    str(RDF.Property),
    str(OWL.ObjectProperty),
    str(OWL.DatatypeProperty),
    str(OWL.AnnotationProperty),
}
# The head of a resource's properties, in this order: what it is called, what it is, what it is about.
FIRST_PROPERTIES = (
    *LABEL_PREDICATES,
    str(SKOS.altLabel),
    str(RDF.type),
    str(DCTERMS.title),
    *DESCRIPTION_PREDICATES,
)


class Terms:
    """Turns RDF terms into what the page shows: a label in the page's language and a link."""

    def __init__(self, description: Description, iris: Iris, lang: str):
        self.labels = description.label_map()
        self.iris = iris
        self.lang = lang
        self.prefixes = sorted(output_prefixes(iris).items(), key=lambda item: -len(item[1]))

    def label(self, iri: str) -> str:
        labels = self.labels.get(iri, {})
        for lang in (self.lang, "en", "ja", ""):
            if lang in labels:
                return labels[lang]
        if labels:
            return next(iter(labels.values()))
        return self.short(iri)

    def short(self, iri: str) -> str:
        """A prefixed name where one reads cleanly, else the IRI."""
        for name, namespace in self.prefixes:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and "/" not in local and "#" not in local:
                return f"{name}:{local}"
        return iri

    def href(self, iri: str) -> str | None:
        return href_of(self.iris, iri)

    def show(self, term) -> dict:
        """A dict for the template: text, and href/title for IRIs, lang/datatype for literals."""
        if isinstance(term, NamedNode):
            return {"text": self.label(term.value), "href": self.href(term.value), "title": term.value}
        if isinstance(term, Literal):
            datatype = term.datatype.value
            shown = None if datatype in (str(XSD.string), str(RDF.langString)) else self.short(datatype)
            written = natural(term.value, datatype, self.lang)
            if written is not None:
                exact = f'"{term.value}"^^{shown}'
                return {"text": written, "exact": exact, "time": term.value if datatype in TIME_TYPES else None}
            return {"text": term.value, "lang": term.language, "datatype": shown}
        if isinstance(term, BlankNode):
            return {"text": translate("blank_node", self.lang)}
        return {"text": str(term)}  # pragma: no cover - quoted triples are not used

    def order(self, term) -> tuple:
        """Sort key for the values of one property: the page's language first, then by text."""
        if isinstance(term, Literal):
            return (0 if term.language in (self.lang, None, "") else 1, term.value)
        return (0, self.label(term.value) if isinstance(term, NamedNode) else str(term))


def external_link(iri: str) -> dict:
    """What a link to another dataset shows: the site's name and the IRI.

    >>> external_link("http://www.wikidata.org/entity/Q1")["site"]
    'Wikidata'
    >>> external_link("http://hojin-info.go.jp/data/basic/2000012020001")["site"]
    'gBizINFO / 法人番号'
    """
    host = urlsplit(iri).hostname or ""
    site = next((name for suffix, name in KNOWN_SITES.items() if host == suffix or host.endswith("." + suffix)), host)
    return {"href": iri, "site": site, "text": iri}


KNOWN_SITES = {
    "wikidata.org": "Wikidata",
    "hojin-info.go.jp": "gBizINFO / 法人番号",
    "houjin-bangou.nta.go.jp": "法人番号公表サイト",
    "iso.org": "ISO",
    "creativecommons.org": "Creative Commons",
}


def property_order(predicate: str, terms: Terms) -> tuple[int, str]:
    """Labels first, then the type, the title and the descriptions, then the other properties by label."""
    first = FIRST_PROPERTIES.index(predicate) if predicate in FIRST_PROPERTIES else len(FIRST_PROPERTIES)
    return first, terms.label(predicate).casefold()


def summary_of(description: Description, lang: str) -> dict | None:
    """The resource's description in the reader's language (else another), for the head of its page."""
    for predicate in DESCRIPTION_PREDICATES:
        texts = {
            s.triple.object.language or "": s.triple.object.value
            for s in description.own
            if s.triple.predicate.value == predicate and isinstance(s.triple.object, Literal)
        }
        if texts:
            chosen = next(code for code in (lang, "en", "ja", "", *texts) if code in texts)
            return {"text": texts[chosen], "lang": chosen or None}
    return None


def contents_of(description: Description, terms: Terms) -> list[dict]:
    """A graph's statements grouped by subject, the subjects grouped as classes, properties, our other
    resources, and the terms of other vocabularies.

    Each group is {"key": its heading's string, "subjects": [...]}, each subject {"anchor": the id of its
    part of the page, "term", "short": its prefixed name, "properties": [(property, [values])]}, so that the
    page can open with an index linking to every subject. The ontology's terms are anchored by their local
    name (``/ontology#Fund``), our other IRIs by their path, others by their prefixed name or IRI.
    """
    by_subject: dict = {}
    for triple in description.contents:
        by_subject.setdefault(triple.subject, {}).setdefault(triple.predicate.value, []).append(triple.object)
    groups: dict[str, list] = {
        "ontology_classes": [],
        "ontology_properties": [],
        "graph_subjects": [],
        "graph_external": [],
    }
    anchors: set[str] = set()
    for subject, properties in by_subject.items():
        types = {t.value for t in properties.get(str(RDF.type), []) if isinstance(t, NamedNode)}
        if types & CLASS_TYPES or types & PROPERTY_TYPES:
            key = "ontology_classes" if types & CLASS_TYPES else "ontology_properties"
        else:
            ours = isinstance(subject, BlankNode) or terms.iris.is_ours(subject.value)
            key = "graph_subjects" if ours else "graph_external"
        anchor = anchor_of(subject, terms)
        while anchor in anchors:
            anchor += "_"
        anchors.add(anchor)
        groups[key].append(
            {
                "anchor": anchor,
                "term": terms.show(subject),
                "short": terms.short(subject.value) if isinstance(subject, NamedNode) else "",
                "first": subject.value == description.iri,
                "properties": [
                    (terms.show(NamedNode(p)), [terms.show(o) for o in sorted(values, key=terms.order)])
                    for p, values in sorted(properties.items(), key=lambda item: property_order(item[0], terms))
                ],
            }
        )
    for subjects in groups.values():
        subjects.sort(key=lambda s: (not s["first"], s["term"]["text"].casefold()))
    return [{"key": key, "subjects": subjects} for key, subjects in groups.items() if subjects]


def anchor_of(subject, terms: Terms) -> str:
    """The id of a subject's part of a graph's page: see `contents_of`."""
    if not isinstance(subject, NamedNode):
        return "b-" + str(subject)[2:]
    iri = subject.value
    if iri.startswith(terms.iris.terms):
        return iri[len(terms.iris.terms) :]
    return terms.iris.path_of(iri) or terms.short(iri)


def neighbourhood_of(description: Description, terms: Terms, title: str):
    """The SVG of the resource and what it links to or is linked from (passages left out: the page lists them)."""
    centre = Node(terms.label(description.iri), None, description.iri)
    edges = []
    for statement in description.own + description.inbound:
        triple = statement.triple
        outgoing = triple.subject.value == description.iri
        other = triple.object if outgoing else triple.subject
        if not isinstance(other, NamedNode) or triple.predicate.value == DERIVED_FROM:
            continue
        if triple.predicate.value == str(RDF.type):
            continue
        node = Node(terms.label(other.value), terms.href(other.value), other.value)
        edges.append(Edge(node, terms.label(triple.predicate.value), outgoing))
    edges.sort(key=lambda e: (not e.outgoing, e.predicate, e.node.label))
    return neighbourhood(centre, edges, title=title) if edges else None


def path_of(release: Release, iri: str) -> str:
    return release.iris.path_of(iri) or ""


def render_page(
    release: Release, description: Description, lang: str, *, imi: str | None = None, citation: dict | None = None
) -> str:
    """The resource page: label, types, properties, statements pointing here, external links, and the
    passages of the source that state them, with their Japanese text; the IMI form's URL (`imi`) for an
    organisation or event, and the citation box for the dataset."""
    iris = release.iris
    terms = Terms(description, iris, lang)
    statements = description.own + description.inbound
    passages = description.passages

    def sources(graphs: tuple[str, ...]) -> list[dict]:
        """The badges of a statement: the passage behind each graph stating it (on this page), else the graph."""
        shown = []
        for graph in graphs:
            passage = passages.get(graph)
            if passage is not None:
                shown.append({"text": passage.name, "href": f"#passage-{passage.name}", "title": passage.text})
            else:
                shown.append({"text": graph.rsplit("/", 1)[-1], "href": href_of(iris, graph), "title": graph})
        return shown

    rdf_type = str(RDF.type)
    grouped: dict[str, list] = {}
    for statement in description.own:
        grouped.setdefault(statement.triple.predicate.value, []).append(statement)
    properties = [
        (
            terms.show(NamedNode(predicate)),
            [
                (terms.show(s.triple.object), sources(s.graphs))
                for s in sorted(found, key=lambda s: terms.order(s.triple.object))
            ],
        )
        for predicate, found in sorted(grouped.items(), key=lambda item: property_order(item[0], terms))
    ]
    external = [
        {"predicate": terms.show(s.triple.predicate)} | external_link(s.triple.object.value)
        for s in description.own
        if s.triple.predicate.value in EXTERNAL_LINK_PREDICATES
        and isinstance(s.triple.object, NamedNode)
        and not iris.is_ours(s.triple.object.value)
    ]
    cited = []
    for graph, passage in sorted(passages.items(), key=lambda item: item[1].iri):
        stated = [s for s in statements if graph in s.graphs and s.triple.predicate.value != DERIVED_FROM]
        facts = sorted({terms.label(s.triple.predicate.value) for s in stated})
        cited.append({"name": passage.name, "href": href_of(iris, passage.iri), "text": passage.text, "facts": facts})
    path = iris.path_of(description.iri) or ""
    title = terms.label(description.iri)
    return render_template(
        "resource.html",
        lang=lang,
        iri=description.iri,
        title=title,
        types=[terms.show(s.triple.object) for s in description.own if s.triple.predicate.value == rdf_type],
        summary=summary_of(description, lang),
        properties=properties,
        inbound=[
            (terms.show(s.triple.subject), terms.show(s.triple.predicate), sources(s.graphs))
            for s in description.inbound
        ],
        external=external,
        cited=cited,
        picture=neighbourhood_of(description, terms, title),
        max_neighbours=NEIGHBOURS,
        contents=contents_of(description, terms),
        content_graph=description.content_graph,
        truncated=description.truncated,
        twins=[(offer, local_url(f"{path}.{offer.suffix}")) for offer in MACHINE_OFFERS],
        version=release.version,
        imi=imi,
        citation=citation,
    )
