"""Namespaces, and the IRIs this project mints under its configurable base.

Every IRI of ours is ``base_iri`` + a relative path:

- ``ontology`` is the ontology, ``ontology/{Term}`` its classes and properties;
- ``id/{kind}/{slug}`` a resource of the graph (``id/passage/A1`` a passage);
- ``graph/{name}`` a named graph (``graph/A1`` holds what passage A1 states);
- ``release/{version}`` a release of the dataset.

>>> Iris("https://x.org/").graph("A1")
'https://x.org/graph/A1'
>>> Iris("https://x.org/").term("Fund")
'https://x.org/ontology/Fund'
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Triple
from rdflib import Namespace
from rdflib.namespace import DCAT
from rdflib.namespace import DCTERMS
from rdflib.namespace import FOAF
from rdflib.namespace import OWL
from rdflib.namespace import PROV
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SH
from rdflib.namespace import SKOS
from rdflib.namespace import TIME
from rdflib.namespace import VOID
from rdflib.namespace import XSD

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
CC = Namespace("http://creativecommons.org/ns#")
DCAT3 = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's DCAT lacks DCAT 3's version terms
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
IC = Namespace("http://imi.go.jp/ns/core/rdf#")  # the IMI core vocabulary (共通語彙基盤コア語彙)

STANDARD_PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "prov": str(PROV),
    "time": str(TIME),
    "dcat": str(DCAT),
    "void": str(VOID),
    "sh": str(SH),
    "sd": str(SD),
}

ONTOLOGY_PATH = "ontology"
GRAPH_PATH = "graph/"
ID_PATH = "id/"
RELEASE_PATH = "release/"


@dataclass(frozen=True)
class Iris:
    """The IRIs minted under one base."""

    base: str

    @property
    def ontology(self) -> str:
        return self.base + ONTOLOGY_PATH

    @property
    def terms(self) -> str:
        """Namespace of the ontology's classes and properties (prefix ``mic:``)."""
        return self.base + ONTOLOGY_PATH + "/"

    def term(self, name: str) -> str:
        return self.terms + name

    def graph(self, name: str) -> str:
        return self.base + GRAPH_PATH + name

    def resource(self, kind: str, slug: str) -> str:
        return f"{self.base}{ID_PATH}{kind}/{slug}"

    def passage(self, passage_id: str) -> str:
        return self.resource("passage", passage_id)

    def release(self, version: str) -> str:
        return self.base + RELEASE_PATH + version

    def prefixes(self) -> dict[str, str]:
        """Prefixes for Turtle output and SPARQL, ours first."""
        ours = {
            "mic": self.terms,
            "id": self.base + ID_PATH,
            "graph": self.base + GRAPH_PATH,
        }
        return {**ours, **STANDARD_PREFIXES}

    def is_ours(self, iri: str) -> bool:
        return iri.startswith(self.base)

    def path_of(self, iri: str) -> str | None:
        """The path of one of our IRIs relative to the base, or None for others.

        >>> Iris("https://x.org/").path_of("https://x.org/id/a/b")
        'id/a/b'
        >>> Iris("https://x.org/").path_of("https://y.org/id/a/b") is None
        True
        """
        return iri[len(self.base) :] if iri.startswith(self.base) else None


def output_prefixes(iris: Iris) -> dict[str, str]:
    """Prefixes for Turtle and RDF/XML output: ours and the standard ones.

    ``cc:``, ``adms:``, ``spdx:`` and ``vcard:`` (used by the dataset description) are added;
    ``id:`` is left out: our resource IRIs have a slash after it
    (``id/organization/mic``), which Turtle would have to escape (``id:organization\\/mic``).
    """
    prefixes = {name: iri for name, iri in iris.prefixes().items() if name != "id"}
    return prefixes | {"cc": str(CC), "adms": str(ADMS), "spdx": str(SPDX), "vcard": str(VCARD)}


def used_prefixes(triples: list[Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """The prefixes whose namespace starts some IRI of `triples` (datatypes included)."""
    iris = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, NamedNode):
                iris.add(term.value)
            elif isinstance(term, Literal) and not term.language:
                iris.add(term.datatype.value)
    ordered = sorted(iris)
    return {name: ns for name, ns in prefixes.items() if _starts_some(ordered, ns)}


def _starts_some(ordered: list[str], start: str) -> bool:
    """Whether some string of sorted `ordered` starts with `start`: the first one not below it does, if any.

    >>> _starts_some(["http://a/x", "http://b/"], "http://a/"), _starts_some(["http://b/"], "http://a/")
    (True, False)
    """
    at = bisect_left(ordered, start)
    return at < len(ordered) and ordered[at].startswith(start)


def compact(iri: str, prefixes: Mapping[str, str]) -> str:
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
