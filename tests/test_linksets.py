"""Link sets at /download/linksets/, and the checks of every external link (issue 8, "Checks of links").

tests/test_graph.py already checks the corporate numbers' check digits, that every identifier of
graph/links is in links/links.tsv, that every row is used, and the linksets' void:triples. Here:
the served link sets, the forms of the identifiers in links.tsv and in the store, and that each
link is backed by a link record carrying its row's evidence.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import parse

from tests.conftest import BASE

ROOT = Path(__file__).resolve().parent.parent
MIC = BASE + "ontology/"
LINKS_GRAPH = NamedNode(BASE + "graph/links")
VERIFIED_LINKS_GRAPH = NamedNode(BASE + "graph/verified-links")  # links.tsv's rows, as the loader reads them
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
WIKIDATA_ENTITY = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
HOUJIN_IRI = "http://hojin-info.go.jp/data/basic/"
FORMS = {
    "houjin-bangou": re.compile(r"^[1-9][0-9]{12}$"),
    "wikidata": re.compile(r"^Q[1-9][0-9]*$"),
    "iso3166": re.compile(r"^[A-Z]{2,3}$"),
    "lg-code": re.compile(r"^[0-9]{6}$"),
    "law-number": re.compile(r"^(明治|大正|昭和|平成|令和)[0-9]+年法律第[0-9]+号$"),
}


def links_tsv() -> list[dict[str, str]]:
    with (ROOT / "links" / "links.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def check_digit_holds(number: str) -> bool:
    """links/README.md: check = 9 - (sum of Pn x Qn mod 9), P1..P12 from the right, Q = 1 odd, 2 even."""
    base = number[1:]
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return int(number[0]) == 9 - total % 9


# ------------------------------------------------------------------ serving


def test_listing_json_names_every_linkset_with_its_files(client):
    body = client.get("/download/linksets/index.json").get_json()
    names = {entry["name"]: entry for entry in body["linksets"]}
    assert set(names) == {"wikidata", "houjin-bangou", "iso3166", "lg-code", "law-number"}
    wikidata = names["wikidata"]
    assert wikidata["id"] == BASE + "id/dataset/linkset-wikidata"
    assert wikidata["uri_space"] == "http://www.wikidata.org/entity/"
    assert wikidata["link_predicates"] == [OWL_SAME_AS]
    assert wikidata["files"] == {"nt": "/download/linksets/wikidata.nt", "ttl": "/download/linksets/wikidata.ttl"}


def test_each_linkset_serves_as_many_links_as_its_void_triples(client):
    for entry in client.get("/download/linksets/index.json").get_json()["linksets"]:
        assert entry["count"] == entry["triples"], entry["name"]
        body = client.get(entry["files"]["nt"]).data
        assert len(list(parse(body, format=RdfFormat.N_TRIPLES))) == entry["triples"]


def test_listing_is_html_for_browsers_and_json_for_json_clients(client):
    html = client.get("/download/linksets/", headers={"Accept": "text/html"})
    assert html.mimetype == "text/html"
    assert 'href="/download/linksets/wikidata.ttl"' in html.get_data(as_text=True)
    data = client.get("/download/linksets/", headers={"Accept": "application/json"})
    assert data.mimetype == "application/json"
    assert len(data.get_json()["linksets"]) == 5


@pytest.mark.parametrize(
    ("lang", "heading", "target"), [("ja", "リンクセット", "ウィキデータ"), ("en", "Link sets", "Wikidata")]
)
def test_listing_page_is_a_page_of_the_site_in_the_readers_language(client, lang, heading, target):
    html = client.get(f"/download/linksets/?lang={lang}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert 'href="/static/site.css' in html and 'aria-label="' in html  # the site's template and its navigation
    assert f"<td>{target}<br>" in html
    assert 'title="http://www.w3.org/2002/07/owl#sameAs"' in html


def test_wikidata_linkset_is_owl_same_as_to_wikidata_entities(client):
    response = client.get("/download/linksets/wikidata.nt")
    assert response.mimetype == "application/n-triples"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    triples = list(parse(response.data, format=RdfFormat.N_TRIPLES))
    assert len(triples) == 10
    for triple in triples:
        assert triple.subject.value.startswith(BASE + "id/")
        assert triple.predicate.value == OWL_SAME_AS
        assert WIKIDATA_ENTITY.match(triple.object.value)


def test_turtle_and_n_triples_of_a_linkset_hold_the_same_triples(client):
    turtle = client.get("/download/linksets/houjin-bangou.ttl")
    assert turtle.mimetype == "text/turtle"
    ntriples = client.get("/download/linksets/houjin-bangou.nt")
    assert set(parse(turtle.data, format=RdfFormat.TURTLE)) == set(parse(ntriples.data, format=RdfFormat.N_TRIPLES))


def test_a_linkset_answers_304_to_its_etag(client):
    first = client.get("/download/linksets/iso3166.nt")
    again = client.get("/download/linksets/iso3166.nt", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/download/linksets/nothing.nt", "/download/linksets/wikidata.rdf"])
def test_an_unknown_linkset_or_format_is_404(client, path):
    assert client.get(path).status_code == 404


# ------------------------------------------------------------------ checks of links


def test_every_row_of_links_tsv_is_verified_and_names_its_source():
    for row in links_tsv():
        assert row["verified"] == "yes", row
        assert row["source"].strip(), row
        assert row["entity_ja"] and row["entity_en"], row


def test_every_identifier_of_links_tsv_has_its_schemes_form():
    for row in links_tsv():
        assert FORMS[row["scheme"]].match(row["identifier"]), row
        if row["scheme"] == "houjin-bangou":
            assert check_digit_holds(row["identifier"]), row
            assert row["full_uri"] == HOUJIN_IRI + row["identifier"]
        elif row["scheme"] == "wikidata":
            assert WIKIDATA_ENTITY.match(row["full_uri"]), row
            assert row["full_uri"].endswith("/" + row["identifier"])
        else:
            assert row["full_uri"] == ""


def test_every_wikidata_iri_in_the_store_has_the_entity_form(release):
    found = [
        term.value
        for quad in release.store
        for term in (quad.subject, quad.object)
        if isinstance(term, NamedNode) and "wikidata.org/" in term.value
    ]
    assert found
    assert all(WIKIDATA_ENTITY.match(iri) for iri in found), [i for i in found if not WIKIDATA_ENTITY.match(i)]


def test_every_corporate_number_in_the_store_passes_its_check_digit(release):
    numbers = {q.object.value for q in release.store.quads_for_pattern(None, NamedNode(MIC + "corporateNumber"), None)}
    assert numbers
    assert all(FORMS["houjin-bangou"].match(n) and check_digit_holds(n) for n in numbers)


def test_every_served_link_is_backed_by_a_link_record_with_its_rows_evidence(client, release):
    rows = {(row["scheme"], row["identifier"]): row for row in links_tsv()}
    store = release.store

    def value(subject, name):
        found = list(store.quads_for_pattern(subject, NamedNode(MIC + name), None, VERIFIED_LINKS_GRAPH))
        assert len(found) == 1, (subject, name)
        return found[0].object

    records = {}
    for quad in store.quads_for_pattern(None, NamedNode(MIC + "linkSubject"), None, LINKS_GRAPH):
        record = quad.subject
        key = (value(record, "identifierScheme").value, value(record, "identifierValue").value)
        assert key in rows, key
        assert value(record, "evidence").value == rows[key]["source"]
        target = rows[key]["full_uri"] or rows[key]["identifier"]
        records[(quad.object.value, target)] = key
    for entry in client.get("/download/linksets/index.json").get_json()["linksets"]:
        for triple in parse(client.get(entry["files"]["nt"]).data, format=RdfFormat.N_TRIPLES):
            obj = triple.object
            target = obj.value if isinstance(obj, NamedNode | Literal) else None
            assert (triple.subject.value, target) in records, triple
