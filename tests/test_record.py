"""One dataset, one IRI, one record: the same dataset IRI and attribution wherever the dataset is named.

The record is data/provenance.ttl's; the description (/.well-known/void, void.ttl, the quads dumps)
copies it, and pages, dump headers, citations and README.md show its attribution.
"""

from __future__ import annotations

import gzip
import json
import re

import jsonschema
from pyoxigraph import RdfFormat
from pyoxigraph import parse

from server.builder.dataset import DATASET_SLUG
from server.builder.dataset import dataset_iri
from tests.conftest import ROOT

DCAT_DATASET = "http://www.w3.org/ns/dcat#Dataset"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
VOID = "http://rdfs.org/ns/void#"
CSL_SCHEMA = json.loads((ROOT / "tests" / "csl" / "csl-data.json").read_text(encoding="utf-8"))


def served_graphs(client, release) -> dict[str, bytes]:
    """Every graph the server serves: the description in each format, every dump, the link sets, SPARQL."""
    bodies = {}
    for media_type in ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"):
        bodies[f"/.well-known/void {media_type}"] = client.get("/.well-known/void", headers={"Accept": media_type}).data
    for name in release.files:
        body = client.get(f"/download/{name}", buffered=True).get_data()
        bodies[f"/download/{name}"] = gzip.decompress(body) if name.endswith(".gz") else body
    for linkset in client.get("/download/linksets/index.json").get_json()["linksets"]:
        bodies[linkset["files"]["nt"]] = client.get(linkset["files"]["nt"]).data
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    bodies["/sparql CONSTRUCT"] = client.get("/sparql", query_string={"query": construct, "format": "nt"}).data
    return bodies


def test_one_dataset_iri_in_every_served_graph(client, release):
    """Every id/dataset/ IRI served is the dataset (or one of its own resources), a link set, or a link set's
    external target; the only dcat:Dataset is the dataset and its releases."""
    dataset = dataset_iri(release.iris)
    pattern = re.compile(re.escape(release.iris.base) + r"id/dataset/([A-Za-z0-9_-]+)")
    found = {}
    for where, body in served_graphs(client, release).items():
        for slug in pattern.findall(body.decode("utf-8", "replace")):
            found.setdefault(slug, where)
    assert DATASET_SLUG in found
    linksets = client.get("/download/linksets/index.json").get_json()["linksets"]
    allowed = {DATASET_SLUG} | {s["id"].rsplit("/", 1)[1] for s in linksets}
    allowed |= {s["target"].rsplit("/", 1)[1] for s in linksets}
    assert {slug: where for slug, where in found.items() if slug not in allowed} == {}
    nt = client.get("/download/mic-ict-strategy.nq", buffered=True).get_data()
    datasets = {q.subject.value for q in parse(nt, format=RdfFormat.N_QUADS)
                if q.predicate.value == RDF_TYPE and q.object.value == DCAT_DATASET}
    assert datasets == {dataset, release.iris.release(release.version)}
    assert b"id/dataset/mic-ict-strategy" not in b"".join(served_graphs(client, release).values())


def test_every_graph_of_the_data_is_part_of_the_one_dataset(client, release):
    graph = release.iris.term("PassageGraph")
    query = f"SELECT DISTINCT ?d WHERE {{ ?g <http://purl.org/dc/terms/isPartOf> ?d ; a <{graph}> }}"
    found = {row["d"]["value"] for row in client.get("/sparql", query_string={"query": query}).get_json()[
        "results"]["bindings"]}
    assert found == {dataset_iri(release.iris)}


def attribution(release) -> dict[str, str]:
    texts = release.record.attribution
    assert set(texts) == {"ja", "en"}
    return texts


def test_readme_carries_the_attribution_of_the_record(release):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text in attribution(release).values():
        assert text in readme


def test_pages_carry_the_attribution_in_their_footer(client, release):
    texts = attribution(release)
    for lang in ("ja", "en"):
        for path in ("/", "/download/", "/id/organization/mic", "/sparql"):
            html = client.get(path, query_string={"lang": lang}, headers={"Accept": "text/html"}).get_data(
                as_text=True)
            footer = html[html.index('<footer class="site">'):]
            assert texts[lang] in footer, (lang, path)
            assert texts["ja"] in footer, (lang, path)


def test_the_description_and_dump_headers_carry_the_attribution(client, release):
    texts = attribution(release)
    void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    head = client.get("/download/mic-ict-strategy.nt", buffered=True).get_data(as_text=True)[:2000]
    for text in texts.values():
        assert json.dumps(text, ensure_ascii=False)[1:-1] in void
        assert f"# {text}" in head


def citation_box(html: str) -> str:
    start = html.index('<section class="citation"')
    return html[start : html.index("</section>", start)]


def test_home_page_and_the_html_of_well_known_void_say_how_to_cite(client, release):
    dataset = dataset_iri(release.iris)
    for lang in ("ja", "en"):
        void = client.get("/.well-known/void", headers={"Accept": "text/html"}, query_string={"lang": lang})
        dataset_page = client.get(void.headers["Location"], headers={"Accept": "text/html"},
                                  query_string={"lang": lang})
        for html in (client.get("/", query_string={"lang": lang}).get_data(as_text=True),
                     dataset_page.get_data(as_text=True)):
            box = citation_box(html)
            for part in (release.version, f"{release.built_at:%Y-%m-%d}", dataset, "@misc{", '"type": "dataset"',
                         attribution(release)[lang]):
                assert part in box.replace("&#34;", '"').replace("&quot;", '"'), (lang, part)
            assert 'href="/download/citation.bib"' in box and 'href="/download/citation-csl.json"' in box


def test_citation_files_are_bibtex_and_valid_csl_json(client, release):
    bib = client.get("/download/citation.bib", buffered=True).get_data(as_text=True)
    assert bib.count("@misc{") == 2
    assert f"url = {{{dataset_iri(release.iris)}}}" in bib and f"version = {{{release.version}}}" in bib
    assert bib.count("{") == bib.count("}")
    items = json.loads(client.get("/download/citation-csl.json", buffered=True).get_data())
    jsonschema.validate(items, CSL_SCHEMA)
    assert {item["language"] for item in items} == {"ja", "en"}
    assert {item["note"] for item in items} == set(attribution(release).values())
    broken = [dict(items[0], issued="2026")]
    try:
        jsonschema.validate(broken, CSL_SCHEMA)
    except jsonschema.ValidationError:
        pass
    else:  # pragma: no cover - the schema must be able to refuse
        raise AssertionError("the CSL-JSON schema accepted a date that is not a CSL date")
