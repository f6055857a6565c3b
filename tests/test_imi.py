"""The IMI core vocabulary (共通語彙基盤): the ontology's alignment and the IMI JSON-LD of organisations and events.

Checked against the vocabulary's own RDF, tests/imi/imicore242.ttl (see tests/imi/README.md): every class
and property used is defined there, every property within its schema:domainIncludes and rdfs:range. The
documents carry their context, so reading them fetches nothing.
"""

from __future__ import annotations

import json

import pytest
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import parse
from pyoxigraph import serialize
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.namespace import OWL
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS
from rdflib.namespace import XSD

from server.common.vocab import IC
from tests.conftest import MEETING
from tests.conftest import MIC
from tests.conftest import ROOT

VOCABULARY = Graph().parse(ROOT / "tests" / "imi" / "imicore242.ttl", format="turtle")
DOMAIN_INCLUDES = URIRef("http://schema.org/domainIncludes")
BUREAU = MIC.rsplit("/", 1)[0] + "/global-strategy-bureau"


def superclasses(cls: URIRef) -> set[URIRef]:
    return set(VOCABULARY.transitive_objects(cls, RDFS.subClassOf))


def is_class(term: URIRef) -> bool:
    return (term, RDF.type, OWL.Class) in VOCABULARY


def is_property(term: URIRef) -> bool:
    kinds = set(VOCABULARY.objects(term, RDF.type))
    return bool(kinds & {OWL.ObjectProperty, OWL.DatatypeProperty})


def imi_graph(client, path: str) -> tuple[dict, Graph]:
    response = client.get(path + ".imi.jsonld")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    document = response.get_json()
    assert isinstance(document["@context"], dict), "the context is in the document: nothing to fetch"
    triples = parse(json.dumps(document).encode(), format=RdfFormat.JSON_LD)
    return document, Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")


def problems_with_the_vocabulary(graph: Graph) -> list[str]:
    """Every use of an IMI term the vocabulary does not allow: unknown terms, domains, ranges."""
    problems = []
    types = {s: set(graph.objects(s, RDF.type)) for s in set(graph.subjects())}
    for s, p, o in graph:
        if p == RDF.type:
            if not is_class(o):
                problems.append(f"{o} is no IMI class")
            continue
        if not is_property(p):
            problems.append(f"{p} is no IMI property")
            continue
        domain = set(VOCABULARY.objects(p, DOMAIN_INCLUDES))
        if domain and not any(domain & superclasses(t) for t in types.get(s, ())):
            problems.append(f"{p} on {types.get(s)} is outside its domain {domain}")
        (range_,) = set(VOCABULARY.objects(p, RDFS.range)) or {None}
        if isinstance(o, Literal):
            if range_ is not None and str(range_).startswith(str(XSD)) and o.datatype not in (None, range_):
                problems.append(f"{p} {o!r} is not a {range_}")
            if range_ is not None and not str(range_).startswith(str(XSD)):
                problems.append(f"{p} {o!r} is a literal, its range is {range_}")
        elif range_ is not None and not any(range_ in superclasses(t) for t in types.get(o, ())):
            problems.append(f"{p} -> {types.get(o)} is outside its range {range_}")
    return problems


def test_the_ontology_aligns_only_with_terms_imi_defines(release):
    nt = release.store.dump(format=RdfFormat.N_TRIPLES, from_graph=NamedNode(release.iris.graph("ontology")))
    ontology = Graph().parse(data=nt, format="nt")
    matches = [(s, o) for p in (SKOS.closeMatch, SKOS.relatedMatch) for s, o in ontology.subject_objects(p)
               if str(o).startswith(str(IC))]
    targets = {o for _, o in matches}
    assert {IC["組織型"], IC["人型"], IC["イベント型"], IC["ID"]} <= targets
    assert [str(o) for o in targets if not (is_class(o) or is_property(o))] == []


@pytest.mark.parametrize("path", [MIC, BUREAU, MEETING], ids=["ministry", "bureau", "meeting"])
def test_imi_json_ld_uses_imi_terms_within_their_domains_and_ranges(client, release, path):
    document, graph = imi_graph(client, "/" + release.iris.path_of(path))
    assert document["@id"] == path
    assert problems_with_the_vocabulary(graph) == []


def test_an_organisation_in_imi_terms(client, release):
    document, graph = imi_graph(client, "/" + release.iris.path_of(MIC))
    assert document["@type"] == "組織型"
    assert document["名称"]["表記"] == "総務省"
    assert document["ID"] == [
        {"@type": "ID型", "体系": {"@type": "ID体系型", "表記": "法人番号"}, "識別値": "2000012020001"}
    ]
    assert {r["組織"]["@id"] for r in document["関連組織"]} == {BUREAU}
    assert (URIRef(MIC), IC["ID"], None) in graph


def test_an_event_in_imi_terms(client, release):
    document, _ = imi_graph(client, "/" + release.iris.path_of(MEETING))
    assert document["@type"] == "イベント型"
    assert document["期間"]["開始日"] == {"@type": "日付型", "標準型日付": "2023-04-29"}
    assert document["期間"]["終了日"] == {"@type": "日付型", "標準型日付": "2023-04-30"}
    assert {r["役割"] for r in document["関連組織"]} == {"主催者"}
    assert MIC in {r["組織"]["@id"] for r in document["関連組織"]}


def test_the_check_refuses_what_imi_does_not_allow():
    """The vocabulary check can fail: a date on an organisation (outside the domain, and a literal where a
    日付型 belongs), a name as a bare literal, an unknown term."""
    graph = Graph()
    org = URIRef("https://x.org/id/organization/o")
    graph.add((org, RDF.type, IC["組織型"]))
    graph.add((org, IC["開始日"], Literal("2023-01-01")))
    graph.add((org, IC["名称"], Literal("総務省")))
    graph.add((org, IC["上位組織"], URIRef("https://x.org/id/organization/p")))
    found = problems_with_the_vocabulary(graph)
    assert len(found) == 4, found
    for term in ("開始日 on", "開始日 rdflib", "名称 rdflib", "上位組織 is no IMI property"):
        assert any(term in problem for problem in found), (term, found)


def test_other_resources_have_no_imi_form_and_pages_link_to_it(client, release):
    assert client.get("/id/concept/g7-theme.imi.jsonld").status_code == 404
    html = client.get("/" + release.iris.path_of(MIC), headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'href="/{release.iris.path_of(MIC)}.imi.jsonld"' in html
