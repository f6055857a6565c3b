"""Answers over an unchanged release: weak ETags, 304 on revalidation, and the in-memory answer cache."""

from __future__ import annotations

import dataclasses

import pytest

from server.engine.serving import Releases
from server.engine.serving import Served
from server.web.app import create_app

QUERY = "SELECT ?label WHERE { <https://mic-ict.example.org/id/organization/mic> rdfs:label ?label } ORDER BY ?label"
JSON = {"Accept": "application/sparql-results+json"}


class CountingEngine:
    """The release's real engine, counting the clients' queries it is asked to run."""

    def __init__(self, engine):
        self.engine = engine
        self.runs = 0

    def run(self, job):
        self.runs += 1
        return self.engine.run(job)

    def __getattr__(self, name):
        return getattr(self.engine, name)


@pytest.fixture
def counted(served, make_config):
    """A client of an app whose engine counts its runs, and that engine; `cache_mb` sets the cache."""

    def make(cache_mb: float = 64, version: str | None = None):
        engine = CountingEngine(served.engine)
        release = dataclasses.replace(served.release, version=version or served.release.version)
        releases = Releases(Served(release, engine))
        app = create_app(make_config(answer_cache_mb=cache_mb), releases)
        return app.test_client(), engine, releases

    return make


def test_a_repeated_query_is_answered_from_the_cache(counted):
    client, engine, _ = counted()
    first = client.get("/sparql", query_string={"query": QUERY}, headers=JSON)
    second = client.get("/sparql", query_string={"query": QUERY}, headers=JSON)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and b"Ministry of Internal Affairs" in first.data
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert engine.runs == 1


def test_another_format_or_dataset_is_another_answer(counted):
    client, engine, _ = counted()
    client.get("/sparql", query_string={"query": QUERY}, headers=JSON)
    csv = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    narrowed = client.get(
        "/sparql",
        query_string={"query": QUERY, "default-graph-uri": "https://mic-ict.example.org/graph/B1"},
        headers=JSON,
    )
    assert csv.headers["X-Cache"] == narrowed.headers["X-Cache"] == "miss"
    assert engine.runs == 3
    assert b"results" not in csv.data


def test_get_answer_revalidates_to_304_without_running_the_query(counted):
    client, engine, _ = counted()
    first = client.get("/sparql", query_string={"query": QUERY}, headers=JSON)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/sparql", query_string={"query": QUERY}, headers={**JSON, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert engine.runs == 1
    other = client.get("/sparql", query_string={"query": QUERY + " LIMIT 1"}, headers={**JSON, "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_a_new_release_has_new_tags_and_answers(counted, release):
    client, engine, releases = counted()
    first = client.get("/sparql", query_string={"query": QUERY}, headers=JSON)
    release, engine = releases.current
    releases.switch(Served(dataclasses.replace(release, version="other-version"), engine))
    revalidate = {**JSON, "If-None-Match": first.headers["ETag"]}
    after = client.get("/sparql", query_string={"query": QUERY}, headers=revalidate)
    assert after.status_code == 200 and after.headers["X-Cache"] == "miss"
    assert after.headers["ETag"] != first.headers["ETag"]
    assert engine.runs == 2


@pytest.mark.parametrize("function", ["NOW()", "RAND()", "UUID()", "STRUUID()"])
def test_queries_that_differ_run_to_run_are_always_run(counted, function):
    client, engine, _ = counted()
    query = f"SELECT ?x WHERE {{ BIND({function} AS ?x) }}"
    for _ in range(2):
        response = client.get("/sparql", query_string={"query": query}, headers=JSON)
        assert response.status_code == 200
        assert "ETag" not in response.headers and "X-Cache" not in response.headers
    assert engine.runs == 2


def test_post_answers_are_cached_but_carry_no_etag(counted):
    client, engine, _ = counted()
    for _ in range(2):
        response = client.post("/sparql", data={"query": QUERY}, headers=JSON)
        assert response.status_code == 200 and "ETag" not in response.headers
    assert engine.runs == 1


def test_a_cache_of_zero_keeps_nothing(counted):
    client, engine, _ = counted(cache_mb=0)
    for _ in range(2):
        response = client.get("/sparql", query_string={"query": QUERY}, headers=JSON)
        assert response.headers["X-Cache"] == "miss"
    assert engine.runs == 2


def test_errors_are_not_cached(counted):
    client, engine, _ = counted()
    for _ in range(2):
        response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"}, headers=JSON)
        assert response.status_code == 400 and "ETag" not in response.headers
    assert engine.runs == 2


def test_head_carries_the_same_validator_as_get(counted):
    client, _, _ = counted()
    get = client.get("/sparql", query_string={"query": QUERY}, headers=JSON)
    head = client.head("/sparql", query_string={"query": QUERY}, headers=JSON)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
