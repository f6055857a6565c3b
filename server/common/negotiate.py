"""One table from Accept headers, `format` parameters and URL suffixes to formats.

Formats are values: `RdfFormat` for graphs, `QueryResultsFormat` for
SELECT/ASK results, and the string "html" for pages.

>>> best_offer("text/turtle;q=0.5, application/ld+json", ["text/turtle", "application/ld+json"])
'application/ld+json'
>>> best_offer("*/*", ["text/html", "text/turtle"])
'text/html'
>>> best_offer("image/png", ["text/turtle"]) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat
from pyoxigraph import RdfFormat

HTML = "html"


@dataclass(frozen=True)
class Offer:
    """A format we can produce: its canonical media type, aliases, names and suffix."""

    format: RdfFormat | QueryResultsFormat | str
    media_type: str
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # values of the `format` parameter
    suffix: str | None = None

    @property
    def content_type(self) -> str:
        if self.media_type.startswith("text/") or self.media_type.endswith(("+xml", "+json", "json")):
            return self.media_type + "; charset=utf-8"
        return self.media_type


RDF_OFFERS: tuple[Offer, ...] = (
    Offer(RdfFormat.TURTLE, "text/turtle", ("application/x-turtle",), ("turtle", "ttl"), "ttl"),
    Offer(RdfFormat.N_TRIPLES, "application/n-triples", ("text/plain",), ("ntriples", "nt", "n-triples"), "nt"),
    Offer(RdfFormat.RDF_XML, "application/rdf+xml", ("application/xml", "text/xml"), ("rdfxml", "rdf", "xml"), "rdf"),
    Offer(RdfFormat.JSON_LD, "application/ld+json", ("application/json",), ("jsonld", "json-ld", "json"), "jsonld"),
)
DATASET_OFFERS: tuple[Offer, ...] = (
    Offer(RdfFormat.TRIG, "application/trig", (), ("trig",), "trig"),
    Offer(RdfFormat.N_QUADS, "application/n-quads", (), ("nquads", "nq", "n-quads"), "nq"),
)
RESULTS_OFFERS: tuple[Offer, ...] = (
    Offer(QueryResultsFormat.JSON, "application/sparql-results+json", ("application/json",), ("json", "srj"), "srj"),
    Offer(
        QueryResultsFormat.XML,
        "application/sparql-results+xml",
        ("application/xml", "text/xml"),
        ("xml", "srx"),
        "srx",
    ),
    Offer(QueryResultsFormat.CSV, "text/csv", (), ("csv",), "csv"),
    Offer(QueryResultsFormat.TSV, "text/tab-separated-values", (), ("tsv",), "tsv"),
)
HTML_OFFER = Offer(HTML, "text/html", ("application/xhtml+xml",), ("html",), "html")

MAX_ACCEPT_ENTRIES = 64


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first.

    Malformed entries are skipped; a missing or empty header accepts anything.

    >>> parse_accept("text/html;q=0.9, text/turtle")
    [('text/turtle', 1.0), ('text/html', 0.9)]
    >>> parse_accept(None)
    [('*/*', 1.0)]
    """
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges: list[tuple[str, float, int]] = []
    for position, part in enumerate(header.split(",")[:MAX_ACCEPT_ENTRIES]):
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media, q, position))
    # Stable: higher q first; among equal q, more specific first, then header order.
    ranges.sort(key=lambda r: (-r[1], r[0].count("*"), r[2]))
    return [(media, q) for media, q, _ in ranges]


def _matches(media_range: str, media_type: str) -> int:
    """How specifically `media_range` matches `media_type`: 2 exact, 1 type/*, 0 */*, -1 no match."""
    if media_range == media_type:
        return 2
    kind, _, _ = media_type.partition("/")
    if media_range == f"{kind}/*":
        return 1
    if media_range == "*/*":
        return 0
    return -1


def best_offer(header: str | None, media_types: list[str]) -> str | None:
    """The offered media type the client prefers, ties going to the earlier offer.

    Each offer gets the q of the most specific range that matches it (RFC 9110).
    """
    ranges = parse_accept(header)
    best: tuple[float, int, str] | None = None
    for index, media_type in enumerate(media_types):
        q, specificity = 0.0, -1
        for media_range, range_q in ranges:
            level = _matches(media_range, media_type)
            if level > specificity:
                q, specificity = range_q, level
        if specificity < 0 or q <= 0:
            continue
        key = (q, -index, media_type)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def choose(
    offers: tuple[Offer, ...], *, accept: str | None = None, name: str | None = None, suffix: str | None = None
) -> Offer | None:
    """Pick an offer by suffix, else by `format` name (or media type), else by Accept.

    Returns None when nothing offered is acceptable.

    >>> choose(RDF_OFFERS, suffix="ttl").format == RdfFormat.TURTLE
    True
    >>> choose(RESULTS_OFFERS, name="csv").media_type
    'text/csv'
    >>> choose(RESULTS_OFFERS, accept="application/json").format == QueryResultsFormat.JSON
    True
    """
    if suffix is not None:
        return next((offer for offer in offers if offer.suffix == suffix), None)
    if name:
        wanted = name.strip().lower()
        for offer in offers:
            if wanted in offer.names or wanted == offer.media_type or wanted in offer.aliases:
                return offer
        return None
    media_types: list[str] = []
    owners: dict[str, Offer] = {}
    for offer in offers:
        for media_type in (offer.media_type, *offer.aliases):
            if media_type not in owners:
                owners[media_type] = offer
                media_types.append(media_type)
    chosen = best_offer(accept, media_types)
    return owners[chosen] if chosen else None
