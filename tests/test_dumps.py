"""Releases and dumps: files, checksums, round trips, serving, versions and the change log."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
from datetime import datetime
from email.utils import format_datetime

import pytest
import requests
from conftest import MINI
from conftest import build_release
from pyoxigraph import BlankNode
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import parse
from rdflib import Dataset as RdflibDataset
from rdflib import Graph

from server.builder.dataset import DUMPS
from server.builder.dataset import file_triples
from server.builder.dumps import canonical_lines
from server.builder.dumps import diff_lines
from server.engine.serving import Releases
from server.engine.serving import Served
from server.web.app import create_app
from tests.conftest import data_quads

STEM = "mic-ict-strategy"
QUAD_FORMATS = {"trig": RdfFormat.TRIG, "nq": RdfFormat.N_QUADS}
TRIPLE_FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES, "jsonld": RdfFormat.JSON_LD}
RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}


def store_quads(release) -> set[Quad]:
    return data_quads(release)


def description_quads(release) -> set[Quad]:
    """The release's description as the quads dumps hold it: graph/dataset, without the dumps' sizes and checksums."""
    graph = NamedNode(release.iris.graph("dataset"))
    files = set(file_triples(release.iris, release.files, DUMPS))
    return {Quad(*triple, graph) for triple in release.description if triple not in files}


def union_triples(release) -> set[Triple]:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    return set(release.store.query(query))


def file_bytes(release, name: str) -> bytes:
    return (release.directory / name).read_bytes()


# --- the files --------------------------------------------------------------------


def test_release_offers_every_dump_and_its_descriptions(release):
    expected = {dump.name for dump in DUMPS} | {
        "validation-report.ttl",
        "void.ttl",
        "SHA256SUMS",
        "manifest.json",
        "changelog.json",
    }
    assert expected <= set(release.files)


def test_version_is_date_and_content_hash(release):
    assert re.fullmatch(r"\d{8}-[0-9a-f]{8}", release.version)
    assert release.directory.name == release.version


def test_manifest_sizes_and_hashes_match_the_bytes(release):
    manifest = json.loads(file_bytes(release, "manifest.json"))
    assert manifest["version"] == release.version
    for name, info in manifest["files"].items():
        data = file_bytes(release, name)
        assert info["size"] == len(data), name
        assert info["sha256"] == hashlib.sha256(data).hexdigest(), name


def test_sha256sums_lists_every_other_file(release):
    lines = file_bytes(release, "SHA256SUMS").decode().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    assert set(listed) == set(release.files) - {"SHA256SUMS", "manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(file_bytes(release, name)).hexdigest() == digest


@pytest.mark.parametrize("dump", [d for d in DUMPS if d.gzip], ids=lambda d: d.name)
def test_gzip_dump_decompresses_to_the_plain_dump(release, dump):
    packed = file_bytes(release, dump.name)
    assert packed[4:8] == b"\0\0\0\0", "mtime 0 keeps the gzip reproducible"
    assert gzip.decompress(packed) == file_bytes(release, dump.name.removesuffix(".gz"))


@pytest.mark.parametrize("suffix", QUAD_FORMATS)
def test_quads_dump_round_trips_to_the_store_and_the_description(release, suffix):
    data = file_bytes(release, f"{STEM}.{suffix}")
    assert set(parse(data, format=QUAD_FORMATS[suffix])) == store_quads(release) | description_quads(release)


@pytest.mark.parametrize("suffix", TRIPLE_FORMATS)
def test_triples_dump_round_trips_to_the_union_of_graphs(release, suffix):
    data = file_bytes(release, f"{STEM}.{suffix}")
    parsed = {Triple(q.subject, q.predicate, q.object) for q in parse(data, format=TRIPLE_FORMATS[suffix])}
    assert parsed == union_triples(release)


def test_n_triples_dump_has_no_duplicates(release):
    lines = [line for line in file_bytes(release, f"{STEM}.nt").splitlines() if line.strip() and line[:1] != b"#"]
    assert len(lines) == len(set(lines)) == len(union_triples(release))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own, from its quad parsers
@pytest.mark.parametrize("suffix", RDFLIB_FORMATS)
def test_dumps_parse_with_rdflib_too(release, suffix):
    data = file_bytes(release, f"{STEM}.{suffix}")
    if suffix in QUAD_FORMATS:
        graph = RdflibDataset()
        graph.parse(data=data, format=RDFLIB_FORMATS[suffix])
        quads = set(graph.quads((None, None, None, None)))
        assert len(quads) == len(store_quads(release) | description_quads(release))
    else:
        graph = Graph()
        graph.parse(data=data, format=RDFLIB_FORMATS[suffix])
        assert len(graph) == len(union_triples(release))


def test_turtle_dump_uses_prefixes(release):
    body = [line for line in file_bytes(release, f"{STEM}.ttl").splitlines() if line[:1] != b"#"]
    assert body[0].startswith(b"@prefix")


@pytest.mark.parametrize("name", [d.name for d in DUMPS if not d.gzip and not d.name.endswith(".jsonld")])
def test_dumps_open_with_the_dataset_its_attribution_and_licence(release, name):
    """Every dump format with comments names the dataset, its attribution and licence in its first lines."""
    head = file_bytes(release, name).decode("utf-8").split("\n")[:6]
    record = release.record
    for text in (*record.title.values(), *record.attribution.values(), record.dataset, record.license):
        assert any(line.startswith("# ") and text in line for line in head), (name, text)


def test_quads_dumps_hold_the_description_as_its_own_graph_and_triples_dumps_leave_it_out(release):
    graph = NamedNode(release.iris.graph("dataset"))
    dumped = set(parse(file_bytes(release, f"{STEM}.nq"), format=RdfFormat.N_QUADS))
    assert {quad for quad in dumped if quad.graph_name == graph} == description_quads(release)
    merged = {Triple(q.subject, q.predicate, q.object) for q in parse(file_bytes(release, f"{STEM}.nt"),
                                                                      format=RdfFormat.N_TRIPLES)}
    dataset = release.record.dataset
    built = (dataset + "/distribution/", dataset + "/class-partition/", release.iris.release(""), graph.value)
    generated = ("http://rdfs.org/ns/void#triples", "http://www.w3.org/ns/dcat#distribution")
    assert not [t for t in merged if t.subject.value.startswith(built)]
    assert not [t for t in merged if t.subject.value == dataset and t.predicate.value in generated]


def test_validation_report_is_published(release):
    graph = Graph().parse(data=file_bytes(release, "validation-report.ttl"), format="turtle")
    assert len(graph) > 0


# --- serving ------------------------------------------------------------------------


def test_download_page_lists_each_file_with_size_and_hash(client, release):
    html = client.get("/download/", buffered=True).get_data(as_text=True)
    for name, info in release.files.items():
        assert f'href="/download/{name}"' in html
        assert info["sha256"] in html
        assert f"{info['size']:,}" in html  # with separators, as every number of the pages


def test_download_index_json_lists_the_current_release(client, release):
    listing = client.get("/download/index.json", buffered=True).get_json()
    assert listing["current"]["version"] == release.version
    assert listing["current"]["files"] == release.files


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        (f"{STEM}.ttl", "text/turtle"),
        (f"{STEM}.nt", "application/n-triples"),
        (f"{STEM}.jsonld", "application/ld+json"),
        (f"{STEM}.trig", "application/trig"),
        (f"{STEM}.nq", "application/n-quads"),
        (f"{STEM}.nq.gz", "application/gzip"),
        ("manifest.json", "application/json"),
        ("SHA256SUMS", "text/plain"),
    ],
)
def test_download_serves_file_with_its_media_type(client, release, name, mimetype):
    response = client.get(f"/download/{name}", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.get_data() == file_bytes(release, name)
    assert "Content-Encoding" not in response.headers


def test_download_has_etag_last_modified_and_cache_control(client, release):
    response = client.get(f"/download/{STEM}.ttl", buffered=True)
    assert response.headers["ETag"] == '"' + release.files[f"{STEM}.ttl"]["sha256"] + '"'
    assert response.headers["Last-Modified"] == format_datetime(release.built_at, usegmt=True)
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=" in response.headers["Cache-Control"]


def test_download_if_none_match_returns_304(client, release):
    etag = client.get(f"/download/{STEM}.nt", buffered=True).headers["ETag"]
    response = client.get(f"/download/{STEM}.nt", headers={"If-None-Match": etag}, buffered=True)
    assert response.status_code == 304
    assert response.get_data() == b""


def test_download_if_modified_since_returns_304(client, release):
    since = format_datetime(release.built_at, usegmt=True)
    response = client.get(f"/download/{STEM}.nt", headers={"If-Modified-Since": since}, buffered=True)
    assert response.status_code == 304


def test_download_answers_head_and_range(client, release):
    head = client.head(f"/download/{STEM}.nq", buffered=True)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == release.files[f"{STEM}.nq"]["size"]
    part = client.get(f"/download/{STEM}.nq", headers={"Range": "bytes=0-9"}, buffered=True)
    assert part.status_code == 206
    assert part.get_data() == file_bytes(release, f"{STEM}.nq")[:10]


@pytest.mark.parametrize(
    "path",
    [
        "/download/../server/__init__.py",
        "/download/..%2f..%2fpyproject.toml",
        "/download/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/download/%252e%252e%252fpyproject.toml",
        "/download/%2fetc%2fpasswd",
        "/download//etc/passwd",
        "/download/index.json%00.ttl",
        "/download/releases/../index.json",
        "/download/releases/%2e%2e/index.json",
        "/download/releases/20200101-deadbeef/manifest.json",
        "/download/not-a-file.ttl",
        "/download/.partial",
    ],
)
def test_download_refuses_anything_outside_the_release(client, path):
    response = client.get(path, buffered=True)
    assert 400 <= response.status_code < 500


def test_archived_url_serves_the_current_release_too(client, release):
    response = client.get(f"/download/releases/{release.version}/{STEM}.ttl", buffered=True)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


def test_conditional_get_over_http_returns_304(live_server, release):
    url = f"{live_server.url}/download/{STEM}.ttl.gz"
    first = requests.get(url, timeout=10)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in first.headers
    assert hashlib.sha256(first.content).hexdigest() == release.files[f"{STEM}.ttl.gz"]["sha256"]
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


def test_dump_downloaded_over_http_parses_to_the_store(live_server, release):
    response = requests.get(f"{live_server.url}/download/{STEM}.nq", timeout=10)
    assert response.status_code == 200
    assert set(parse(response.content, format=RdfFormat.N_QUADS)) == store_quads(release) | description_quads(release)


# --- versions and the change log --------------------------------------------------


@pytest.fixture
def project(tmp_path):
    """A copy of the test project that a test may change."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


ADDED_LINE = '<id/organization/mic> <http://www.w3.org/2004/02/skos/core#altLabel> "Soumu-sho"@en .\n'


def test_rebuilding_unchanged_data_reuses_the_release(make_config, project):
    config = make_config(root=project)
    first = build_release(config)
    stamp = (first.directory / "manifest.json").stat().st_mtime_ns
    second = build_release(config)
    assert second.version == first.version
    assert second.files == first.files
    assert second.built_at == first.built_at
    assert (second.directory / "manifest.json").stat().st_mtime_ns == stamp
    index = json.loads((config.release_dir / "releases" / "index.json").read_text())
    assert [entry["version"] for entry in index["releases"]] == [first.version]


def test_reused_release_serves_the_same_quads_as_its_dumps(make_config, project):
    config = make_config(root=project)
    build_release(config)
    second = build_release(config)
    dumped = set(parse((second.directory / f"{STEM}.nq").read_bytes(), format=RdfFormat.N_QUADS))
    assert dumped == data_quads(second) | description_quads(second)


def build_twice(config, project):
    """A release of the project, then one of it with ADDED_LINE appended to A1."""
    first = build_release(config)
    with (project / "data" / "passages" / "A1.ttl").open("a", encoding="utf-8") as handle:
        handle.write(ADDED_LINE)
    return first, build_release(config)


def test_changed_data_makes_a_release_whose_change_log_lists_the_change(make_config, project):
    config = make_config(root=project)
    first, second = build_twice(config, project)
    assert second.version != first.version
    changelog = json.loads((second.directory / "changelog.json").read_text())
    assert changelog == {
        "version": second.version,
        "previous": first.version,
        "added": 1,
        "removed": 0,
        "files": {"added": "changes-added.nq", "removed": "changes-removed.nq"},
    }
    added = set(parse((second.directory / "changes-added.nq").read_bytes(), format=RdfFormat.N_QUADS))
    base = config.base_iri
    assert added == {
        Quad(
            NamedNode(base + "id/organization/mic"),
            NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"),
            Literal("Soumu-sho", language="en"),
            NamedNode(base + "graph/A1"),
        )
    }
    assert (second.directory / "changes-removed.nq").read_bytes() == b""


def test_past_release_stays_downloadable(make_config, project):
    config = make_config(root=project)
    first, second = build_twice(config, project)
    client = create_app(config, Releases(Served(second, None))).test_client()
    response = client.get(f"/download/releases/{first.version}/{STEM}.nq", buffered=True)
    assert response.status_code == 200
    assert response.get_data() == (first.directory / f"{STEM}.nq").read_bytes()
    listing = client.get("/download/index.json", buffered=True).get_json()
    assert [entry["version"] for entry in listing["releases"]] == [first.version]
    assert first.version in client.get("/download/", buffered=True).get_data(as_text=True)


def test_canonical_lines_ignore_blank_node_labels():
    def nquads(label: str) -> bytes:
        quad = Quad(BlankNode(label), NamedNode("http://e/p"), Literal("o"), NamedNode("http://e/g"))
        return (str(quad) + " .\n").encode()

    before, after = canonical_lines(nquads("a1")), canonical_lines(nquads("zz"))
    assert before == after
    assert diff_lines(before, after) == ([], [])


def test_canonical_lines_leave_out_the_excluded_graph():
    data = (
        b"<http://e/s> <http://e/p> <http://e/o> <http://e/g> .\n"
        b"<http://e/s> <http://e/p> <http://e/o> <http://e/dataset> .\n"
    )
    lines = canonical_lines(data, exclude_graph=NamedNode("http://e/dataset"))
    assert lines == [b"<http://e/s> <http://e/p> <http://e/o> <http://e/g> ."]


def test_built_at_is_a_utc_time(release):
    assert isinstance(release.built_at, datetime)
    assert release.built_at.utcoffset().total_seconds() == 0


def test_the_same_sources_give_the_same_bytes_of_triples_dumps(make_config, tmp_path):
    """Two builds of the same sources write byte-identical triples dumps, gzipped or not (the quads dumps
    differ in the build time their description states)."""
    first = build_release(make_config(build_dir=tmp_path / "one"))
    second = build_release(make_config(build_dir=tmp_path / "two"))
    names = [dump.name for dump in DUMPS if not dump.name.split(".")[1].startswith(("trig", "nq"))]
    assert len(names) == 6
    for name in names:
        assert file_bytes(first, name) == file_bytes(second, name), name
    described = f"<{first.iris.graph('dataset')}> .".encode()
    data = [[line for line in file_bytes(release, f"{STEM}.nq").splitlines() if not line.endswith(described)]
            for release in (first, second)]
    assert data[0] == data[1]
