"""Every mode gives the same answers: the embedded store, and an app on a real Oxigraph server and on a real
Virtuoso (`any_server`: ids `embedded`, `oxigraph`, `virtuoso`), or byte for byte against the embedded mode
(`remote_apps`), plus what only Virtuoso needs: its row cap said, its SQL functions refused, its public
endpoint kept read-only.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from pyoxigraph import QueryResultsFormat
from pyoxigraph import parse
from pyoxigraph import parse_query_results

from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import RDF_OFFERS
from server.engine.answers import QueryJob
from server.engine.published import published_dataset
from server.engine.remote import RemoteEngine
from server.web.gallery import load_examples
from tests.conftest import BASE_IRI
from tests.conftest import ROOT
from tests.conftest import ask_union
from tests.conftest import build_dir
from tests.conftest import publish
from tests.engines import VIRTUOSO_ROW_CAP

QUERIES = ROOT / "queries"
# The competency queries (those with expected answers) as the workbench's gallery sends them (with BASE).
COMPETENCY = [e for e in load_examples(QUERIES, BASE_IRI) if (QUERIES / f"{e.slug}.expected.json").is_file()]
# Resource pages of every kind, among them literals of each datatype the data has (boolean, date, gYear, ...).
PAGES = [
    "id/organization/mic",
    "id/event/g7-digital-tech-ministers-meeting-2023",
    "id/fund/beyond-5g",
    "id/legislation/beyond-5g-fund-related-act",
    "id/document/business-guide-2023",
    "id/budget/beyond-5g-fund-related-budget",
    "id/passage/A1",
    "id/place/japan",
    "id/concept/technology",
    "ontology/permanent",
]
GRAPH_OFFERS = RDF_OFFERS + DATASET_OFFERS
RESULTS = "application/sparql-results+json"


def rows(document: dict) -> list[dict[str, str]]:
    return [{name: value["value"] for name, value in row.items()} for row in document["results"]["bindings"]]


def test_there_are_sixteen_competency_queries_and_ten_pages():
    assert len(COMPETENCY) == 16 and len(PAGES) == 10


@pytest.mark.parametrize("example", COMPETENCY, ids=[e.slug for e in COMPETENCY])
def test_competency_query_as_the_workbench_sends_it(any_server, example):
    assert example.text.startswith("BASE <") or "\nBASE <" in example.text  # BASE first, then its PREFIX lines
    # The gallery sends each query with its parameters bound to their defaults (VALUES), as a canned query runs.
    params = {"query": example.runnable, "format": "json"}
    response = requests.get(any_server.url + "/sparql", params=params, timeout=30)
    assert response.status_code == 200, response.text
    expected = json.loads((QUERIES / f"{example.slug}.expected.json").read_text(encoding="utf-8"))
    actual = rows(response.json())
    if re.search(r"^\s*ORDER BY", example.text, re.M | re.I):
        assert actual == expected
    else:
        canon = lambda found: sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in found)  # noqa: E731
        assert canon(actual) == canon(expected)


def test_a_canned_query_binds_its_parameters_alike(any_server, release):
    url = any_server.url + "/queries/10-passages-about-the-g7-meeting"
    fund = requests.get(url, params={"resource": "id/fund/beyond-5g", "format": "json"}, timeout=30)
    assert fund.status_code == 200, fund.text
    stated = release.store.query(
        f"SELECT ?id WHERE {{ <{BASE_IRI}id/fund/beyond-5g> <http://www.w3.org/ns/prov#wasDerivedFrom> ?p . "
        "?p <http://purl.org/dc/terms/identifier> ?id }", use_default_graph_as_union=ask_union(release)
    )
    assert sorted(row["passage_id"] for row in rows(fund.json())) == sorted(row["id"].value for row in stated)
    jict = requests.get(any_server.url + "/queries/13-search-by-normalised-label", params={"typed": "ＪＩＣＴ"},
                        headers={"Accept": RESULTS}, timeout=30)
    assert len(rows(jict.json())) == 1


@pytest.mark.parametrize("offer", GRAPH_OFFERS, ids=[offer.names[0] for offer in GRAPH_OFFERS])
def test_construct_answers_in_every_rdf_format(any_server, offer, release):
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{BASE_IRI}id/fund/beyond-5g> AS ?s) ?s ?p ?o }}"
    response = requests.get(any_server.url + "/sparql", params={"query": query}, headers={"Accept": offer.media_type},
                            timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == offer.media_type
    expected = set(release.store.query(query, use_default_graph_as_union=True))
    assert {(q.subject, q.predicate, q.object) for q in parse(response.content, format=offer.format)} == {
        (t.subject, t.predicate, t.object) for t in expected
    }


def test_relative_iris_resolve_against_the_endpoint_in_every_mode(any_server):
    response = requests.get(any_server.url + "/sparql", params={"query": "SELECT (<x> AS ?iri) WHERE {}"},
                            headers={"Accept": RESULTS}, timeout=30)
    assert response.status_code == 200, response.text
    assert rows(response.json()) == [{"iri": any_server.url + "/x"}]


def test_a_function_the_engine_does_not_know_fails_alike(any_server):
    response = requests.get(any_server.url + "/sparql", params={"query": "SELECT (<http://e/f>(1) AS ?x) {}"},
                            headers={"Accept": RESULTS}, timeout=30)
    assert response.status_code == 500
    assert response.json()["error"].endswith("The custom function <http://e/f> is not supported")


def test_resource_pages_are_byte_identical_to_the_embedded_mode(remote_apps, live_server):
    for path in PAGES:
        for accept in ("text/html", "text/turtle", "application/ld+json"):
            embedded, remote = (
                requests.get(f"{url}/{path}", headers={"Accept": accept, "Accept-Language": "ja"}, timeout=30)
                for url in (live_server.url, remote_apps[0])
            )
            assert embedded.status_code == remote.status_code == 200, (path, accept)
            assert remote.content == embedded.content, f"/{path} as {accept} differs from the embedded mode"


def test_dumps_are_byte_identical_to_the_embedded_mode(remote_apps, live_server, release):
    assert len(release.files) >= 10
    for path in ["download/index.json", ".well-known/void", *(f"download/{name}" for name in release.files)]:
        embedded, remote = (requests.get(f"{url}/{path}", timeout=30) for url in (live_server.url, remote_apps[0]))
        assert embedded.status_code == remote.status_code == 200, path
        assert remote.content == embedded.content, f"/{path} differs from the embedded mode"


# --- Virtuoso: its row cap said, its SQL refused, its own endpoint read-only ---------------------------


def virtuoso_engine_for(engine, release, **options) -> RemoteEngine:
    return RemoteEngine(engine.query_url, dataset=published_dataset(release), **options)


ALL_QUADS = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"


def test_virtuoso_row_cap_becomes_the_truncation_flag(virtuoso_engine, virtuoso_apps, release):
    quads = len(release.store)
    assert quads > VIRTUOSO_ROW_CAP, "the test needs more quads than the engine's cap"
    engine = virtuoso_engine_for(virtuoso_engine, release)
    answer = engine.run(QueryJob(ALL_QUADS, RESULTS, None, max_rows=10 * quads))
    assert answer.truncated and answer.rows == VIRTUOSO_ROW_CAP
    document = json.loads(answer.body)
    assert document["truncated"] is True and len(document["results"]["bindings"]) == VIRTUOSO_ROW_CAP
    through_app = requests.get(virtuoso_apps[0] + "/sparql", params={"query": ALL_QUADS}, timeout=30,
                               headers={"Accept": RESULTS})
    assert through_app.status_code == 200 and through_app.json()["truncated"] is True
    assert through_app.headers["SPARQL-Results-Truncated"] == f"rows={VIRTUOSO_ROW_CAP}"
    as_csv = requests.get(virtuoso_apps[0] + "/sparql", params={"query": ALL_QUADS, "format": "csv"}, timeout=30)
    assert as_csv.status_code == 413 and f"cut at {VIRTUOSO_ROW_CAP} rows" in as_csv.json()["error"]


def test_virtuoso_graph_answer_as_long_as_the_cap_is_refused(virtuoso_engine, release):
    engine = virtuoso_engine_for(virtuoso_engine, release)
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    with pytest.raises(Exception, match="triples or more, this endpoint's cap"):
        engine.run(QueryJob(construct, None, "application/n-triples", max_rows=1000))
    small = engine.run(QueryJob(construct + " LIMIT 10", None, "application/n-triples", max_rows=1000))
    assert len(small.body.splitlines()) == 10


@pytest.mark.parametrize("query", [
    "SELECT (<bif:sys_stat>('st_dbms_name') AS ?name) WHERE {}",
    "PREFIX b: <bif:> SELECT (b:sys_stat('st_dbms_name') AS ?name) WHERE {}",
    "SELECT (<sql:DB.DBA.USER_CREATE>('x', 'y') AS ?r) WHERE {}",
])
def test_virtuoso_sql_functions_are_refused(virtuoso_apps, query):
    response = requests.get(virtuoso_apps[0] + "/sparql", params={"query": query, "format": "json"}, timeout=30)
    assert response.status_code == 403 and "SQL functions" in response.json()["error"]


def test_virtuoso_public_endpoint_takes_no_writes_and_publish_needs_the_grant(virtuoso_engine):
    before = virtuoso_engine.graphs()
    anonymous = requests.post(virtuoso_engine.query_url, timeout=30,
                              data={"update": "INSERT DATA { GRAPH <http://e/g> { <http://e/a> <http://e/b> 1 } }"})
    assert anonymous.status_code >= 400
    unauthorised = requests.put(virtuoso_engine.store_url, params={"graph": "http://e/g"}, timeout=30,
                                data=b"<http://e/a> <http://e/b> <http://e/c> .",
                                headers={"Content-Type": "application/n-triples"})
    assert unauthorised.status_code == 401
    assert virtuoso_engine.graphs() == before


def test_virtuoso_publish_ends_with_a_checkpoint(virtuoso_engine, release):
    """After the checkpoint the release is in the database file: the transaction log is empty again
    (without it, the log holds the whole publish, about 1 MB here, for Virtuoso to replay at its next start)."""
    assert publish(virtuoso_engine, build_dir(release)) == 0
    assert (virtuoso_engine.folder / "virtuoso.trx").stat().st_size < 10_000


def test_virtuoso_booleans_come_back_as_the_release_states_them(virtuoso_apps):
    query = f"SELECT ?permanent WHERE {{ <{BASE_IRI}id/fund/beyond-5g> <{BASE_IRI}ontology/permanent> ?permanent }}"
    response = requests.get(virtuoso_apps[0] + "/sparql", params={"query": query, "format": "json"}, timeout=30)
    (value,) = list(parse_query_results(response.content, format=QueryResultsFormat.JSON))
    assert str(value["permanent"]) == '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'
