"""Attacks on the running server over 127.0.0.1: every threat of the public-endpoint issue.

Each loop here is bounded in count and time and stops by itself.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest
import requests

from server.builder.pipeline import load_and_validate
from server.engine.local import LocalEngine
from server.engine.serving import Served
from server.engine.workers import QueryPool
from tests.conftest import MINI
from tests.conftest import ROOT

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
INTERNALS = ("Traceback", str(ROOT), "site-packages", 'File "')


def with_pool(release, pool):
    """The release answered by another worker pool (other sizes and deadlines)."""
    return Served(release, LocalEngine(release.store, pool))


def sparql(url: str, query: str, **params) -> requests.Response:
    return requests.get(url + "/sparql", params={"query": query, **params}, timeout=60)


def count(url: str) -> int:
    response = sparql(url, COUNT)
    assert response.status_code == 200
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def assert_clean_error(response: requests.Response, *statuses: int) -> None:
    """A 4xx/5xx of the expected kind whose body says what is wrong and shows nothing internal."""
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.text.strip(), "an error needs a message"
    for internal in INTERNALS:
        assert internal not in response.text


# --- Server-side request forgery ---------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?x ?y ?z . SERVICE ?endpoint {{ ?s ?p ?o }} VALUES ?endpoint {{ <{url}> }} }}",
        "PREFIX c: <{url}#> SELECT * WHERE {{ SERVICE c: {{ ?s ?p ?o }} }}",
    ],
)
def test_service_clause_reaches_no_host(template, any_server, canary):
    response = sparql(any_server.url, template.format(url=canary.url))
    assert_clean_error(response, 403)
    assert canary.requests == []


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "LOAD <{url}>",
        "LOAD SILENT <{url}> INTO GRAPH <http://example.org/g>",
    ],
)
def test_dataset_clauses_and_load_fetch_nothing(template, any_server, canary):
    response = sparql(any_server.url, template.format(url=canary.url))
    assert response.status_code in (200, 400)  # LOAD is an update, not a query: 400
    assert canary.requests == []


def test_owl_imports_are_not_followed_during_validation(tmp_path, canary, make_config):
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    with (project / "ontology" / "mini.ttl").open("a", encoding="utf-8") as handle:
        handle.write(f"\n<ontology> <http://www.w3.org/2002/07/owl#imports> <{canary.url}> .\n")
    _store, report = load_and_validate(make_config(root=project))
    assert report.conforms
    assert canary.requests == []


def test_service_allow_listed_by_the_operator_is_reached(make_live_server, canary):
    server = make_live_server(service_allowlist=canary.url)
    response = sparql(server.url, f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}")
    assert response.status_code >= 400  # the canary is no SPARQL endpoint
    assert len(canary.requests) == 1


# --- Writes ------------------------------------------------------------------------------------

INSERT = "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
WRITES = [
    ("GET", "/sparql", {"params": {"update": INSERT}}),
    ("GET", "/sparql", {"params": {"query": INSERT}}),
    ("POST", "/sparql", {"data": {"update": INSERT}}),
    ("POST", "/sparql", {"data": {"query": INSERT}}),
    ("POST", "/sparql", {"data": INSERT.encode(), "headers": {"Content-Type": "application/sparql-update"}}),
    ("POST", "/sparql", {"data": INSERT.encode(), "headers": {"Content-Type": "application/sparql-query"}}),
    ("POST", "/sparql", {"data": {"query": "CLEAR ALL"}}),
    ("POST", "/sparql", {"data": {"query": "DROP DEFAULT"}}),
    ("PUT", "/sparql", {"data": INSERT.encode()}),
    ("DELETE", "/sparql", {}),
    ("PATCH", "/sparql", {"data": INSERT.encode()}),
    ("PUT", "/id/organization/mic", {"data": b"<a> <b> <c> ."}),
    ("DELETE", "/id/organization/mic", {}),
    ("POST", "/id/organization/mic", {"data": b"<a> <b> <c> ."}),
    ("PUT", "/download/mic-ict-strategy.ttl", {"data": b"<a> <b> <c> ."}),
    ("DELETE", "/download/mic-ict-strategy.ttl", {}),
]


def test_every_kind_of_write_is_refused_and_the_data_is_unchanged(any_server):
    before = count(any_server.url)
    for method, path, options in WRITES:
        response = requests.request(method, any_server.url + path, timeout=30, **options)
        assert_clean_error(response, 400 if "query" in str(options) else 403, 405)  # an update as a query: 400
    assert count(any_server.url) == before
    assert requests.get(any_server.url + "/download/mic-ict-strategy.ttl", timeout=30).status_code == 200


# --- Runaway queries, crashes and honest answers -----------------------------------------------


def test_runaway_query_is_stopped_at_its_deadline_while_others_are_answered(make_live_server, served, release):
    pool = QueryPool(served.engine.pool.source, size=3, timeout_s=2.0)
    try:
        server = make_live_server(served_override=with_pool(release, pool), query_timeout_s=2.0)
        other_statuses: list[int] = []
        done = threading.Event()

        def other_client():
            while not done.is_set() and len(other_statuses) < 200:
                other_statuses.append(sparql(server.url, "ASK { ?s ?p ?o }").status_code)

        client = threading.Thread(target=other_client)
        client.start()
        started = time.monotonic()
        response = sparql(server.url, RUNAWAY)
        elapsed = time.monotonic() - started
        done.set()
        client.join(timeout=30)
        assert_clean_error(response, 503)
        assert "deadline" in response.json()["error"]
        assert elapsed < 10
        assert other_statuses and set(other_statuses) == {200}
        assert count(server.url) > 0  # the killed worker was replaced
    finally:
        pool.close()


def test_deeply_nested_query_is_refused_before_the_engine(any_server):
    query = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o " + "} " * 3000
    response = requests.post(any_server.url + "/sparql", data={"query": query}, timeout=30)
    assert_clean_error(response, 400)
    assert "levels deep" in response.json()["error"]
    assert count(any_server.url) > 0


def test_query_that_crashes_the_engine_costs_only_a_worker(make_live_server, served, release):
    pool = QueryPool(served.engine.pool.source, size=1, max_depth=10**7)
    try:
        server = make_live_server(served_override=with_pool(release, pool), max_query_bytes=10**6,
                                  max_query_depth=10**7)
        query = "SELECT * WHERE " + "{" * 50_000 + "}" * 50_000
        response = requests.post(server.url + "/sparql", data=query.encode(), timeout=60,
                                 headers={"Content-Type": "application/sparql-query"})
        assert_clean_error(response, 500)
        assert "engine failed" in response.json()["error"]
        assert count(server.url) > 0
    finally:
        pool.close()


def test_result_cut_at_the_row_cap_says_so(make_live_server):
    server = make_live_server(max_results=5)
    response = sparql(server.url, "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 200
    assert response.json()["truncated"] is True
    assert len(response.json()["results"]["bindings"]) == 5
    assert response.headers["SPARQL-Results-Truncated"] == "rows=5"
    xml = sparql(server.url, "SELECT * WHERE { ?s ?p ?o }", format="xml")
    assert "urn:x-sparql-results:truncated" in xml.text
    assert_clean_error(sparql(server.url, "SELECT * WHERE { ?s ?p ?o }", format="csv"), 413)


def test_result_over_the_byte_cap_is_refused(make_live_server):
    server = make_live_server(max_result_bytes=1000)
    assert_clean_error(sparql(server.url, "CONSTRUCT WHERE { ?s ?p ?o }"), 413)


# --- Huge requests -----------------------------------------------------------------------------


def test_query_over_the_size_cap_is_refused(make_live_server):
    server = make_live_server(max_query_bytes=1000)
    response = requests.post(server.url + "/sparql", data={"query": "ASK {}" + " " * 2000}, timeout=30)
    assert_clean_error(response, 413)


def test_request_body_over_the_cap_is_refused(make_live_server):
    server = make_live_server(max_query_bytes=1000)
    body = b"query=" + b"A" * 50_000
    response = requests.post(server.url + "/sparql", data=body, timeout=30,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "Traceback" not in response.text


def test_request_head_over_the_cap_is_refused(make_live_server):
    server = make_live_server(max_header_bytes=4096)
    response = requests.get(server.url + "/sparql", headers={"X-Padding": "a" * 10_000}, timeout=30)
    assert response.status_code == 431


# --- Floods ------------------------------------------------------------------------------------


def test_a_client_past_its_rate_gets_429_with_retry_after(make_live_server):
    server = make_live_server(rate_limit_per_s=1, rate_limit_burst=5)
    statuses = [requests.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=30) for _ in range(12)]
    assert [r.status_code for r in statuses[:5]] == [200] * 5
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert_clean_error(limited[0], 429)


def test_overload_is_shed_with_503_not_piled_up(make_live_server, served, release):
    pool = QueryPool(served.engine.pool.source, size=1, timeout_s=4.0, queue_timeout_s=0.3)
    try:
        server = make_live_server(served_override=with_pool(release, pool))
        runaway = threading.Thread(target=sparql, args=(server.url, RUNAWAY))
        runaway.start()
        time.sleep(0.5)
        response = sparql(server.url, "ASK {}")
        runaway.join(timeout=30)
        assert_clean_error(response, 503)
        assert "Retry-After" in response.headers
    finally:
        pool.close()


# --- Bad input ---------------------------------------------------------------------------------

BAD_PATHS = [
    "/download/../../etc/passwd",
    "/download/..%2f..%2fetc%2fpasswd",
    "/download/%2e%2e/%2e%2e/etc/passwd",
    "/download/%252e%252e%252fetc%252fpasswd",
    "/download/releases/..%2f..%2fserver/config.py",
    "/download/releases/x/..%2F..%2F..%2Fpyproject.toml",
    "/id/..%2f..%2fpyproject.toml",
    "/id/organization/%2e%2e/%2e%2e/pyproject.toml",
    "/id/%00",
    "/ontology/..%5c..%5cpyproject.toml",
    "/static/..%2f__init__.py",
    "/graph/%2e%2e%2f%2e%2e%2fdata",
]


def raw_request(url: str, request_line: bytes, headers: bytes = b"") -> tuple[int, bytes]:
    """Send a request as raw bytes (no client normalises the path) and return status and body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request_line + b"\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n")
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("path", BAD_PATHS)
def test_path_traversal_gets_4xx_and_nothing_internal(path, any_server):
    status, body = raw_request(any_server.url, f"GET {path} HTTP/1.1".encode())
    assert 400 <= status < 500
    for internal in INTERNALS + ("root:", "[project]", "def "):
        assert internal.encode() not in body


@pytest.mark.parametrize(
    "query_string",
    ["query=%FF%FE", "query=ASK%00%7B%7D", "query=SELEC%20*", "query=", "format=csv&query=ASK{}&query=ASK{}"],
)
def test_malformed_requests_get_400_with_a_message(query_string, any_server):
    status, body = raw_request(any_server.url, f"GET /sparql?{query_string} HTTP/1.1".encode())
    assert status == 400
    assert b"error" in body
    for internal in INTERNALS:
        assert internal.encode() not in body


def test_malformed_query_400_says_where(any_server):
    response = sparql(any_server.url, "SELECT * WHERE { ?s ?p }")
    assert_clean_error(response, 400)
    assert "1:" in response.json()["error"]


@pytest.mark.parametrize(
    "accept",
    [
        ",".join(f"type{i}/sub{i};q=0.{i % 10}" for i in range(2000)),
        "*/*;q=abc, ;;;, /, text/",
        "\u00e9/\u00e9",
        "application/sparql-results+json;q=" + "9" * 500,
    ],
    ids=["2000-entries", "garbage", "non-ascii", "long-q"],
)
def test_absurd_accept_headers_get_an_answer_not_a_crash(accept, any_server):
    response = requests.get(
        any_server.url + "/sparql", params={"query": "ASK {}"}, headers={"Accept": accept.encode("utf-8")},
        timeout=30,
    )
    assert response.status_code in (200, 406, 431)
    for internal in INTERNALS:
        assert internal not in response.text


@pytest.mark.parametrize("method", [b"PROPFIND", b"TRACE", b"CONNECT", b"BREW"])
def test_unknown_methods_get_4xx(method, any_server):
    status, body = raw_request(any_server.url, method + b" /sparql HTTP/1.1")
    assert 400 <= status < 500
    assert b"Traceback" not in body


# --- Web surfaces beyond /sparql: cost, script, redirects, headers, Host ---------------------------

IRI_OF_MIC = "https://mic-ict.example.org/id/organization/mic"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def reconcile(url: str, body: dict, **headers) -> requests.Response:
    return requests.post(url + "/reconcile", json=body, headers=headers, timeout=120)


def extension(ids: int, properties: int) -> dict:
    """A data extension of `ids` ids by `properties` properties (repeated: the cost is the same)."""
    return {"extend": {"ids": [IRI_OF_MIC] * ids, "properties": [{"id": RDFS_LABEL}] * properties}}


def test_reconciliation_over_its_caps_is_refused_before_any_work(live_server):
    # The request: ~100 KB of ids x properties held a web thread 5-9 s.
    huge = reconcile(live_server.url, extension(500, 1000))
    assert_clean_error(huge, 413)
    assert "at most 1000" in huge.json()["error"]
    values = {f"q{i}": {"properties": [{"pid": RDFS_LABEL, "v": ["G7"] * 60}]} for i in range(10)}
    assert_clean_error(reconcile(live_server.url, {"queries": values}), 413)
    names = {f"q{i}": {"query": "G7"} for i in range(501)}
    assert_clean_error(reconcile(live_server.url, {"queries": names}), 413)


def test_reconciliation_past_its_deadline_gets_503_with_retry_after(make_live_server):
    server = make_live_server(query_timeout_s=0.001)
    scans = {f"q{i}": {"properties": [{"pid": RDFS_LABEL, "v": "G7"}]} for i in range(50)}
    response = reconcile(server.url, {"queries": scans})
    assert_clean_error(response, 503)
    assert "deadline" in response.json()["error"]
    assert int(response.headers["Retry-After"]) >= 1


def test_reconciliation_is_charged_to_the_rate_limit_by_its_size(make_live_server):
    server = make_live_server(rate_limit_per_s=0.5, rate_limit_burst=60)
    largest = extension(100, 100)  # 10,000 cells: the most one request may ask, 50 tokens
    assert reconcile(server.url, largest).status_code == 200
    refused = reconcile(server.url, largest)
    assert_clean_error(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 10
    assert reconcile(server.url, {"queries": {"q": {"query": "G7"}}}).status_code == 200  # a small one still fits


@pytest.mark.parametrize(
    "path",
    [
        "/reconcile/view?id=https://mic-ict.example.org//evil.example/x",
        "/reconcile/view?id=https://mic-ict.example.org/%2F%2Fevil.example/x",
        "/reconcile/view?id=https://mic-ict.example.org/\\evil.example/x",
        "/reconcile/view?id=https://mic-ict.example.org/id/nothing-known",
    ],
)
def test_reconciliation_view_redirects_only_to_known_resources(path, live_server):
    response = requests.get(live_server.url + path, allow_redirects=False, timeout=30)
    assert_clean_error(response, 404)
    assert "Location" not in response.headers


def test_redirects_are_our_own_paths_whatever_the_host_header(live_server):
    response = requests.get(live_server.url + "/download", headers={"Host": "evil.example"}, allow_redirects=False,
                            timeout=30)
    assert response.status_code == 308
    assert response.headers["Location"] == "/download/"
    known = requests.get(live_server.url + "/reconcile/view", params={"id": IRI_OF_MIC}, allow_redirects=False,
                         headers={"Host": "evil.example"}, timeout=30)
    assert known.status_code == 303 and known.headers["Location"] == "/id/organization/mic"


@pytest.mark.parametrize("path", ["/%5Cevil.example/x", "/%09/evil.example/x", "/%0D/evil.example/x"])
def test_language_links_stay_on_the_site_whatever_the_path(path, live_server):
    status, body = raw_request(live_server.url, f"GET {path} HTTP/1.1".encode(), b"Accept: text/html\r\n")
    assert status in (400, 404)
    hrefs = [href for tag in body.decode().split("<")[1:] if 'hreflang="' in tag
             for href in [tag.split('href="', 1)[1].split('"', 1)[0]]]
    assert len(hrefs) >= 2  # the <link rel=alternate> and the language switch
    for href in hrefs:
        assert href.startswith("/") and not href.startswith("//"), href
        assert "\\" not in href and not any(ord(c) < 0x21 for c in href), href


SURFACES = ["/", "/sparql", "/sparql?query=ASK%7B%7D", "/id/organization/mic", "/id/organization/mic.ttl",
            "/reconcile", "/api/search?q=G7", "/download/", "/static/site.css", "/nothing-here", "/search?q=G7"]


@pytest.mark.parametrize("path", SURFACES)
def test_every_answer_carries_the_security_headers(path, live_server):
    response = requests.get(live_server.url + path, headers={"Accept": "text/html"}, timeout=30)
    header = response.headers["Content-Security-Policy"]
    policy = dict(directive.strip().split(" ", 1) for directive in header.split(";"))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and response.headers["X-Frame-Options"] == "DENY"
    assert "unsafe-inline" not in header
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_preview_card_alone_may_be_framed(live_server):
    response = requests.get(live_server.url + "/reconcile/preview", params={"id": IRI_OF_MIC}, timeout=30)
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert "<style" not in response.text  # its style is a file of ours, as the policy wants


def absolute_urls(url: str, **headers) -> dict[str, str]:
    """The absolute URLs the server writes: sd:endpoint, the manifest's, the workbench's share link."""
    description = requests.get(url + "/sparql", headers={"Accept": "application/n-triples", **headers}, timeout=30)
    endpoint = next(line.split()[2].strip("<>") for line in description.text.splitlines() if "#endpoint>" in line)
    manifest = requests.get(url + "/reconcile", headers=headers, timeout=30).json()
    workbench = requests.get(url + "/sparql", params={"query": "ASK {}", "format": "html"},
                             headers={"Accept": "text/html", **headers}, timeout=30).text
    share = workbench.split('id="share-link"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    return {"endpoint": endpoint, "preview": manifest["preview"]["url"], "documentation": manifest["documentation"],
            "suggest": manifest["suggest"]["entity"]["service_url"], "share": share}


def test_absolute_urls_come_from_the_base_iri_not_the_host_header(live_server):
    for name, url in absolute_urls(live_server.url, Host="evil.example").items():
        assert url.startswith("https://mic-ict.example.org/"), (name, url)
    # A server listening on loopback, reached by a loopback name, is a local run: its links work there.
    local = absolute_urls(live_server.url)
    assert local["endpoint"] == live_server.url + "/sparql"


def test_absolute_urls_follow_a_trusted_proxy_and_only_it(make_live_server):
    server = make_live_server(trusted_proxy="127.0.0.1")
    forwarded = absolute_urls(server.url, **{"X-Forwarded-Host": "lod.example.jp", "X-Forwarded-Proto": "https"})
    for name, url in forwarded.items():
        assert url.startswith("https://lod.example.jp/"), (name, url)
    for name, url in absolute_urls(server.url, Host="evil.example").items():
        assert url.startswith("https://mic-ict.example.org/"), (name, url)
    untrusted = make_live_server(trusted_proxy="192.0.2.1")  # the proxy is elsewhere: its headers are ignored
    for name, url in absolute_urls(untrusted.url, **{"X-Forwarded-Host": "evil.example"}).items():
        assert url.startswith("https://mic-ict.example.org/"), (name, url)


def test_language_cookie_is_secure_behind_https_and_never_publicly_cached(live_server):
    for path in ("/", "/id/organization/mic", "/sparql"):
        response = requests.get(live_server.url + path, params={"lang": "ja"}, headers={"Host": "evil.example",
                                "Accept": "text/html"}, timeout=30)
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie, cookie
        assert "public" not in response.headers.get("Cache-Control", ""), path
        assert "Cookie" in response.headers["Vary"]
    local = requests.get(live_server.url + "/", params={"lang": "ja"}, timeout=30)  # plain http on this machine
    assert "Secure" not in local.headers["Set-Cookie"]


def test_a_proxy_that_mounts_the_app_under_a_path_gets_urls_under_the_base_iris_path(make_app):
    from server.web import urls

    app = make_app(trusted_proxy="127.0.0.1", base_iri="https://data.example.jp/mic-ict/")
    forwarded = {"X-Forwarded-Host": "data.example.jp", "X-Forwarded-Proto": "https"}
    # What waitress hands the app from the proxy of docs/deployment.md: host and scheme rewritten, prefix gone.
    with app.test_request_context("/sparql", base_url="https://data.example.jp", headers=forwarded):
        assert urls.public_url("/sparql") == "https://data.example.jp/mic-ict/sparql"
    with app.test_request_context("/sparql", base_url="http://evil.example"):
        assert urls.public_url("/sparql") == "https://data.example.jp/mic-ict/sparql"
