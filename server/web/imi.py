"""Organisations and events in the IMI core vocabulary (共通語彙基盤コア語彙 2.4.2), as JSON-LD.

``GET /id/{kind}/{name}.imi.jsonld`` (server/web/resources.py) answers, for a resource whose class
the ontology aligns with ``ic:組織型`` or ``ic:イベント型`` (``skos:closeMatch``, ontology/mic.ttl),
a JSON-LD document in IMI's terms: keys are IMI property names, ``@type`` IMI class names, read
against ``@vocab`` ``http://imi.go.jp/ns/core/rdf#`` (the context is in the document: nothing is
fetched). Only terms of the vocabulary's RDF (tests/imi/imicore242.ttl) are used, each within its
``schema:domainIncludes`` and ``rdfs:range`` (tests/test_imi.py checks every document):

- 組織型: 名称 (名称型, 表記 = the Japanese label), 通称 (other names), 概要 (description),
  ID (ID型 with 体系 ID体系型 「法人番号」 and 識別値, from mic:corporateNumber),
  関連組織 (組織関連型: 役割 = the Japanese label of org:unitOf or org:hasUnit, 組織).
- イベント型: 名称, 説明, 期間 (イベントスケジュール型 with 開始日/終了日, 日付型 標準型日付, for
  dates given to the day), 関連組織 (組織関連型: 役割 「主催者」, 組織) for each organizer.

Anything else the resource states stays in its other formats.
"""

from __future__ import annotations

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from rdflib.namespace import DCTERMS
from rdflib.namespace import ORG
from rdflib.namespace import SKOS
from rdflib.namespace import XSD

from server.common.vocab import IC
from server.common.vocab import SCHEMA
from server.common.vocab import Iris
from server.engine.serving import Engine
from server.web.describe import Description

IMI_SUFFIX = ".imi.jsonld"
CONTEXT = {"@vocab": str(IC), "ic": str(IC)}
ORGANIZATION = "組織型"
EVENT = "イベント型"
IMI_CLASS = """
SELECT DISTINCT ?imi WHERE {
  <$iri> a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class .
  ?class <http://www.w3.org/2004/02/skos/core#closeMatch> ?imi
  FILTER(?imi IN (<$ic組織型>, <$icイベント型>))
}
"""
# Identifier properties of ours (mic:{name}) and the IMI ID体系 each value belongs to.
ID_SCHEMES = {"corporateNumber": "法人番号"}
RELATED = (str(ORG.unitOf), str(ORG.hasUnit))


def imi_class(engine: Engine, iri: str) -> str | None:
    """The IMI class (組織型 or イベント型) a resource is offered as, by the ontology's alignment; else None."""
    query = IMI_CLASS.replace("$iri", iri).replace("$ic", str(IC))
    found = sorted(row["imi"].value for row in engine.query(query, use_default_graph_as_union=True))
    return found[0][len(str(IC)) :] if found else None


def _objects(description: Description, predicate: str) -> list:
    return [s.triple.object for s in description.own if s.triple.predicate.value == predicate]


def _text(values: list, lang: str = "ja") -> list[str]:
    """The plain texts among `values` in `lang`, else (none in it) in any language."""
    literals = [v for v in values if isinstance(v, Literal)]
    chosen = [v for v in literals if v.language == lang] or literals
    return sorted(v.value for v in chosen)


def _name(labels: dict[str, str]) -> dict:
    return {"@type": "名称型", "表記": labels.get("ja") or labels.get("en") or next(iter(labels.values()), "")}


def _organization(iri: str, labels: dict[str, dict[str, str]]) -> dict:
    return {"@id": iri, "@type": ORGANIZATION, "名称": _name(labels.get(iri, {}))}


def _related(role: str, iri: str, labels: dict[str, dict[str, str]]) -> dict:
    return {"@type": "組織関連型", "役割": role, "組織": _organization(iri, labels)}


def _day(value) -> dict | None:
    if isinstance(value, Literal) and value.datatype.value == str(XSD.date):
        return {"@type": "日付型", "標準型日付": value.value}
    return None


def imi_document(description: Description, imi: str, *, iris: Iris) -> dict:
    """The IMI JSON-LD document of the described resource, as an `imi` (組織型 or イベント型)."""
    labels = description.label_map()
    iri = description.iri
    document: dict = {"@context": CONTEXT, "@id": iri, "@type": imi, "名称": _name(labels.get(iri, {}))}
    if imi == ORGANIZATION:
        other = [v for v in _text(_objects(description, str(SKOS.altLabel))) if v != document["名称"]["表記"]]
        if other:
            document["通称"] = other
        if summary := _text(_objects(description, str(DCTERMS.description))):
            document["概要"] = summary[0]
        ids = [
            {"@type": "ID型", "体系": {"@type": "ID体系型", "表記": scheme}, "識別値": value}
            for term, scheme in ID_SCHEMES.items()
            for value in _text(_objects(description, iris.term(term)))
        ]
        if ids:
            document["ID"] = ids
        related = [
            _related(labels.get(predicate, {}).get("ja", predicate), o.value, labels)
            for predicate in RELATED
            for o in _objects(description, predicate)
            if isinstance(o, NamedNode)
        ]
    else:
        if summary := _text(_objects(description, str(DCTERMS.description))):
            document["説明"] = summary[0]
        schedule = {"@type": "イベントスケジュール型"}
        for key, predicate in (("開始日", SCHEMA.startDate), ("終了日", SCHEMA.endDate)):
            days = [d for d in map(_day, _objects(description, str(predicate))) if d]
            if days:
                schedule[key] = days[0]
        if len(schedule) > 1:
            document["期間"] = schedule
        role = labels.get(str(SCHEMA.organizer), {}).get("ja", "主催者")
        related = [_related(role, o.value, labels) for o in _objects(description, str(SCHEMA.organizer))
                   if isinstance(o, NamedNode)]
    if related:
        document["関連組織"] = sorted(related, key=lambda r: (r["役割"], r["組織"]["@id"]))
    return document
