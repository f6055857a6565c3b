"""Releases: each build's dumps and descriptions, written once (server/web/downloads.py serves them).

A release is one content of the data graphs. Its version is
``{YYYYMMDD}-{hash8}``: the UTC date of its first build and the first 8 hex
digits of the SHA-256 of the data's canonical N-Quads (sorted lines, blank
nodes canonicalised with RDFC-1.0 if there are any). The hash covers the data
only, not the description of the release (``graph/dataset``, which carries its
version, see dataset.py). That description is never put into the store, so no
query of the data sees it: it is written into the quads dumps as a graph of its
own, and into ``void.ttl``.

Layout under ``config.release_dir``::

    releases/index.json            every release in build order: version, hash, built_at, previous, counts, files
    releases/{version}/            one folder per release, never deleted
        mic-ict-strategy.{ttl,nt,jsonld}[.gz]   the merge of all data graphs (triples)
        mic-ict-strategy.{trig,nq}[.gz]         every graph as loaded, and graph/dataset (quads)
        validation-report.ttl   shapes.ttl   void.ttl   dcat-ap-report.ttl
        changelog.json   changes-{added,removed}.nq   citation.bib   citation-csl.json
        SHA256SUMS   manifest.json

Each file is listed with its size, SHA-256 and media type, and each RDF file with
the triples or quads it holds, as parsed back after writing (server/builder/gate.py);
``counts`` gives the data's triples and quads and the description's triples. The
Turtle, TriG, N-Triples and N-Quads files open with comment lines naming the
dataset, its attribution and licence (dataset.dump_header). A release whose
description breaks the DCAT-AP shapes, or whose files do not hold what it
counts, is refused before it enters the index.

Building data whose hash is already in the index reuses that release: nothing
is written. A release is written into a hidden folder first and renamed into
place, so a crash never leaves a half-written release in the index.

The change log compares the data quads with those of the release built just
before (the last one in the index); an unchanged graph makes no new release.
Gzip files are written with mtime 0, so equal content gives equal bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import shutil
from collections.abc import Iterable
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime
from pathlib import Path

from pyoxigraph import CanonicalizationAlgorithm
from pyoxigraph import Dataset
from pyoxigraph import DefaultGraph
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from pyoxigraph import Triple
from pyoxigraph import parse
from pyoxigraph import serialize

from server.builder.citation import CITATION_BIB
from server.builder.citation import CITATION_CSL
from server.builder.citation import write_citations
from server.builder.dataset import DUMPS
from server.builder.dataset import SHAPES_FILE
from server.builder.dataset import Record
from server.builder.dataset import ReleaseFacts
from server.builder.dataset import as_quads
from server.builder.dataset import count_dataset
from server.builder.dataset import dataset_graph
from server.builder.dataset import describe_dataset
from server.builder.dataset import dump_header
from server.builder.dataset import file_triples
from server.builder.dataset import record_triples
from server.builder.dataset import sort_triples
from server.builder.gate import DCAT_AP_REPORT
from server.builder.gate import Counted
from server.builder.gate import check_release
from server.builder.gate import count_file
from server.builder.gate import count_statements
from server.builder.report import ValidationReport
from server.builder.report import load_shapes
from server.common.config import Config
from server.common.progress import Stage
from server.common.progress import reading
from server.common.progress import stage
from server.common.vocab import Iris
from server.common.vocab import output_prefixes
from server.sources.find import find_shapes
from server.sources.store import merged_default_graph

log = logging.getLogger(__name__)

RELEASES = "releases"
INDEX = "index.json"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
REPORT = "validation-report.ttl"
VOID_FILE = "void.ttl"
CHANGELOG = "changelog.json"
ADDED = "changes-added.nq"
REMOVED = "changes-removed.nq"
DUMPS_NQ = next(dump.name for dump in DUMPS if dump.name.endswith(".nq"))
DUMPS_NT = next(dump.name for dump in DUMPS if dump.name.endswith(".nt"))

MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".trig": "application/trig",
    ".nq": "application/n-quads",
    ".gz": "application/gzip",
    ".json": "application/json",
    ".bib": "application/x-bibtex",
}
TITLES = {dump.name: dump.title["en"] for dump in DUMPS} | {
    REPORT: "SHACL validation report (Turtle)",
    SHAPES_FILE: "SHACL shapes the release was validated against (Turtle)",
    VOID_FILE: "VoID and DCAT description (Turtle)",
    DCAT_AP_REPORT: "DCAT-AP 3 validation report of the description (Turtle)",
    CITATION_BIB: "How to cite this release (BibTeX)",
    CITATION_CSL: "How to cite this release (CSL-JSON)",
    CHANGELOG: "Change log summary (JSON)",
    ADDED: "Quads added since the previous release (N-Quads)",
    REMOVED: "Quads removed since the previous release (N-Quads)",
    SUMS: "SHA-256 of every file (sha256sum -c)",
    MANIFEST: "Version, build time and files (JSON)",
}


def media_type_of(name: str) -> str:
    """The media type a release file is served with.

    >>> media_type_of("mic-ict-strategy.nq.gz")
    'application/gzip'
    >>> media_type_of("SHA256SUMS")
    'text/plain'
    """
    return MEDIA_TYPES.get(Path(name).suffix, "text/plain")


# --- content and change log -------------------------------------------------


def canonical_lines(
    nquads: bytes | Path, *, exclude_graph: NamedNode | None = None, progress: Stage | None = None
) -> list[bytes]:
    """The sorted, canonical N-Quads lines of a dataset, without `exclude_graph`.

    Without blank nodes the engine's N-Quads lines are already canonical; with
    them, the quads are relabelled by RDFC-1.0 first, so that isomorphic data
    gives equal lines.

    :param nquads: the N-Quads text, or the path of an N-Quads file, which is read a line at a
        time so that the whole text is never in memory beside its lines.
    :param progress: a stage the bytes of the file are counted in.
    """
    end = f"<{exclude_graph.value}> .".encode() if exclude_graph is not None else None
    found: set[bytes] = set()
    with reading(nquads, progress) if isinstance(nquads, Path) else io.BytesIO(nquads) as lines:
        for line in lines:
            line = line.strip()
            if line.startswith(b"#"):  # a dump's header
                continue
            if b"_:" in line:
                break
            if line and not (end and line.endswith(end)):
                found.add(line)
        else:
            return sorted(found)
    found.clear()
    source = {"path": nquads} if isinstance(nquads, Path) else {"input": nquads}
    quads = parse(**source, format=RdfFormat.N_QUADS)
    dataset = Dataset(quad for quad in quads if quad.graph_name != exclude_graph)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return sorted({line.strip().encode() for line in str(dataset).split("\n") if line.strip()})


def content_hash(lines: list[bytes]) -> str:
    """SHA-256 (hex) of canonical N-Quads lines, one per line."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line + b"\n")
    return digest.hexdigest()


def diff_lines(previous: list[bytes], current: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    """(added, removed) between two lists of canonical lines, each sorted.

    >>> diff_lines([b"a", b"b"], [b"b", b"c"])
    ([b'c'], [b'a'])
    """
    before, after = set(previous), set(current)
    return sorted(after - before), sorted(before - after)


# --- the release index ------------------------------------------------------


def read_index(releases_dir: Path) -> list[dict]:
    """The releases recorded under `releases_dir`, oldest first; [] if none."""
    path = releases_dir / INDEX
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["releases"]


def _write_index(releases_dir: Path, entries: list[dict]) -> None:
    partial = releases_dir / (INDEX + ".partial")
    partial.write_text(json.dumps({"releases": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, releases_dir / INDEX)


# --- writing ----------------------------------------------------------------


def _file_info(path: Path, progress: Stage | None = None) -> dict:
    digest = hashlib.sha256()
    with reading(path, progress) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest(), "media_type": media_type_of(path.name)}


GZIP_LEVEL = 6  # gzip's own default: level 9 took 3.6 times as long at 1M triples, for files 11 % smaller


def _gzip(path: Path, progress: Stage | None = None) -> Path:
    """Write `path`.gz reproducibly (no name, mtime 0)."""
    target = path.with_name(path.name + ".gz")
    with reading(path, progress) as source, target.open("wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL) as zipped:
            shutil.copyfileobj(source, zipped, 1 << 20)
    return target


class _Finishing:
    """Each dump, once written, is gzipped, checksummed and counted (gate.count_file) in a pool of threads
    while the engine writes the next one (zlib, hashlib and the engine's parser let other threads run)."""

    def __init__(self, pool: ThreadPoolExecutor, iris: Iris, zipping: Stage, counting: Stage):
        self.pool, self.graph, self.zipping, self.counting = pool, dataset_graph(iris), zipping, counting
        self.jobs: list[Future] = []

    def submit(self, path: Path) -> None:
        self.zipping.set_total((self.zipping.total or 0) + path.stat().st_size)
        self.jobs.append(self.pool.submit(self._finish, path))

    def _finish(self, path: Path) -> tuple[dict[str, dict], dict[str, Counted]]:
        zipped = _gzip(path, self.zipping)
        found = count_file(path, described_graph=self.graph)
        self.counting.advance()
        # A gzipped dump counts as the plain one it packs (written from it, checked when the tests unpack it).
        return {f.name: _file_info(f) for f in (path, zipped)}, {path.name: found, zipped.name: found}

    def results(self) -> tuple[dict[str, dict], dict[str, Counted]]:
        """Every file written (plain and gzipped) with its size and checksum, and what each holds."""
        files: dict[str, dict] = {}
        counted: dict[str, Counted] = {}
        for job in self.jobs:
            infos, found = job.result()
            files |= infos
            counted |= found
        return files, counted


def _write_dump(path: Path, header: bytes, write) -> None:
    """Write a dump: the `header` comment lines (but in JSON-LD, which has no comments), then `write`(handle)."""
    with path.open("wb") as handle:
        if not path.name.endswith(".jsonld"):
            handle.write(header)
        write(handle)


def _dump_options(format: RdfFormat, prefixes: dict[str, str]) -> dict:
    return {} if format in (RdfFormat.N_TRIPLES, RdfFormat.N_QUADS) else {"prefixes": prefixes}


PLAIN_DUMPS = [dump for dump in DUMPS if not dump.gzip]
QUADS_FORMATS = (RdfFormat.TRIG, RdfFormat.N_QUADS)


def _format(dump) -> RdfFormat:
    return RdfFormat.from_media_type(dump.media_type)


def _dump_bodies(store: Store, work: Path, pool: ThreadPoolExecutor, prefixes: dict[str, str], *, quads: bool):
    """The engine's dumps of `store` into `work`, in parallel (the engine lets other threads run): of every
    quad, as the quads formats (`quads`), else of its default graph, as the triples formats.

    A dump's body: the dump is its header, this body, and (quads formats) the description's quads.
    """
    jobs = {}
    for dump in PLAIN_DUMPS:
        format = _format(dump)
        if (format in QUADS_FORMATS) == quads:
            graph = {} if quads else {"from_graph": DefaultGraph()}
            jobs[work / dump.name] = pool.submit(store.dump, str(work / dump.name), format, **graph,
                                                 **_dump_options(format, prefixes))
    return jobs


def _write_lines(path: Path, lines: Iterable[bytes]) -> None:
    with path.open("wb") as handle:
        for line in lines:
            handle.write(line + b"\n")


def changes_since(previous: dict | None, current: list[bytes], *, releases_dir: Path, exclude_graph: NamedNode):
    """(added, removed) canonical lines since the `previous` release's N-Quads dump; None if there is none."""
    if previous is None:
        return None
    nquads = releases_dir / previous["version"] / DUMPS_NQ
    with stage("change log", total=nquads.stat().st_size, unit="B") as progress:
        before = canonical_lines(nquads, exclude_graph=exclude_graph, progress=progress)
    return diff_lines(before, current)


def write_changelog(directory: Path, *, version: str, previous: dict | None, changes) -> list[Path]:
    """Write changelog.json and, when there is a previous release, the added/removed quads (`changes`)."""
    summary: dict = {"version": version, "previous": None, "added": None, "removed": None}
    written = [directory / CHANGELOG]
    if previous is not None:
        added, removed = changes
        _write_lines(directory / ADDED, added)
        _write_lines(directory / REMOVED, removed)
        summary.update(previous=previous["version"], added=len(added), removed=len(removed))
        summary["files"] = {"added": ADDED, "removed": REMOVED}
        written += [directory / ADDED, directory / REMOVED]
    (directory / CHANGELOG).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return written


def _content_lines(nquads: Path) -> list[bytes]:
    with stage("content hash", total=nquads.stat().st_size, unit="B") as progress:
        return canonical_lines(nquads, progress=progress)


def write_release(
    store: Store, report: ValidationReport | None, config: Config, *, sources: str | None = None
) -> dict:
    """Make `store` a release: version it, describe it, write its files once; return its index entry.

    The description (VoID/DCAT, graph ``graph/dataset``) goes into the quads dumps
    and ``void.ttl``, never into the store. If the data's hash is already in the
    index, that release is reused as it is. `sources` is the fingerprint of the
    source files the store was built from (pipeline.fingerprint_sources), recorded
    in the manifest and the index. `report` is None for data served unvalidated
    (no shapes given): no report or shapes are written, and the description says so.

    Every dump is written by the engine. Quads formats hold every graph as the store
    holds it, then the description's quads. Triples formats get the merge of the data
    graphs, a set, which the engine makes in the store's default graph
    (store.merged_default_graph) and dumps grouped by subject; the VoID counts are
    made on it meanwhile; the default graph is then as it was. Every format with
    comments opens with the header lines.

    :raises DescriptionRefused: with the report, if the description breaks the DCAT-AP shapes or
        the files do not hold what it counts (gate.check_release); nothing of the release is kept.
    :raises OSError: if the release folder cannot be written.
    """
    iris = Iris(config.base_iri)
    graph = dataset_graph(iris)
    prefixes = output_prefixes(iris)
    releases_dir = config.release_dir / RELEASES
    releases_dir.mkdir(parents=True, exist_ok=True)
    work = releases_dir / f".work-{os.getpid()}"  # the store's quads, dumped once for the hash and the dumps
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    partial = None
    try:
        with (
            ThreadPoolExecutor(max_workers=3) as pool,
            stage("dumps", total=len(PLAIN_DUMPS), unit="files") as dumping,
            stage("gzip", unit="B") as zipping,
            stage("count check", total=len(PLAIN_DUMPS), unit="files") as checking,
        ):
            finishing = _Finishing(pool, iris, zipping, checking)
            quads = _dump_bodies(store, work, pool, prefixes, quads=True)
            quads[work / DUMPS_NQ].result()
            lines = _content_lines(work / DUMPS_NQ)  # while the TriG one is written
            digest = content_hash(lines)
            index = read_index(releases_dir)
            for entry in index:
                if entry["hash"] == digest and (releases_dir / entry["version"] / MANIFEST).is_file():
                    log.info("release %s reused: the data is unchanged", entry["version"])
                    return entry
            previous = index[-1] if index else None
            changes = changes_since(previous, lines, releases_dir=releases_dir, exclude_graph=graph)
            data_quads = len(lines)
            del lines  # a few hundred megabytes at a million quads, freed before the merge is made
            for job in quads.values():
                job.result()
            with merged_default_graph(store):
                bodies = _dump_bodies(store, work, pool, prefixes, quads=False)
                stats = count_dataset(store, iris)  # on the merge, while it is dumped
                record = record_triples(store, iris)
                for job in bodies.values():
                    job.result()
            built_at = datetime.now(UTC).replace(microsecond=0)
            version = f"{built_at:%Y%m%d}-{digest[:8]}"
            header = dump_header(Record.of(record, iris), version)  # as Record.of(description) gives it
            facts = ReleaseFacts(
                version=version,
                built_at=built_at,
                first_issued=datetime.fromisoformat(index[0]["built_at"]) if index else built_at,
                previous=previous["version"] if previous else None,
                added=len(changes[0]) if changes else None,
                removed=len(changes[1]) if changes else None,
                validated=report is not None,
            )
            description = describe_dataset(stats, record, iris=iris, release=facts, dumps=DUMPS,
                                           shapes=report is not None)
            described = as_quads(description, graph)
            partial = releases_dir / f".{version}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            for dump in PLAIN_DUMPS:  # the header, the engine's dump, then (quads formats) the description
                format = _format(dump)

                def write(handle, body=work / dump.name, format=format) -> None:
                    with body.open("rb") as source:
                        shutil.copyfileobj(source, handle, 1 << 20)
                    if format in QUADS_FORMATS:
                        serialize(described, handle, format, **_dump_options(format, prefixes))

                _write_dump(partial / dump.name, header, write)
                finishing.submit(partial / dump.name)
                dumping.advance()
            files, counted = finishing.results()
        record = Record.of(description, iris)
        void = sort_triples(description + file_triples(iris, files, DUMPS))
        with (partial / VOID_FILE).open("wb") as handle:
            handle.write(header)
            serialize(void, handle, RdfFormat.TURTLE, prefixes=prefixes)
        written = [partial / VOID_FILE]
        if report is not None:
            report.graph.serialize(partial / REPORT, format="turtle")
            load_shapes(find_shapes(config), base_iri=config.base_iri).serialize(partial / SHAPES_FILE, format="turtle")
            written += [partial / REPORT, partial / SHAPES_FILE]
        written += write_changelog(partial, version=version, previous=previous, changes=changes)
        written += write_citations(partial, record, version=version, built_at=built_at)
        files |= {path.name: _file_info(path) for path in written}
        counts = {"data_triples": stats.triples, "data_quads": data_quads, "description_triples": len(description)}
        counted = count_statements(partial, list(files), iris=iris, counted=counted)
        for name, found in counted.items():
            files[name][found.kind] = found.total
        gate = check_release(void, counted, iris=iris, data_quads=data_quads)
        gate.graph.serialize(partial / DCAT_AP_REPORT, format="turtle")
        files[DCAT_AP_REPORT] = _file_info(partial / DCAT_AP_REPORT)
        files[DCAT_AP_REPORT]["triples"] = len(gate.graph)
    except BaseException:
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)  # a refused or failed release leaves nothing behind
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (partial / SUMS).write_text("".join(f"{files[name]['sha256']}  {name}\n" for name in sorted(files)))
    files[SUMS] = _file_info(partial / SUMS)
    manifest = {
        "version": version,
        "built_at": built_at.isoformat(),
        "hash": digest,
        "previous": previous["version"] if previous else None,
        "sources": sources,
        "counts": counts,
        "files": files,
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    files[MANIFEST] = _file_info(partial / MANIFEST)

    directory = releases_dir / version
    shutil.rmtree(directory, ignore_errors=True)  # an orphan of a crashed build: it is not in the index
    os.replace(partial, directory)
    keys = ("version", "built_at", "hash", "previous", "sources", "counts")
    entry = {key: manifest[key] for key in keys} | {"files": files}
    _write_index(releases_dir, [*index, entry])
    log.info(
        "release %s: %d data quads, %d files, %d bytes",
        version,
        data_quads,
        len(files),
        sum(info["size"] for info in files.values()),
    )
    return entry


def read_description(directory: Path) -> list[Triple]:
    """The description of the release written in `directory` (its void.ttl: graph/dataset and the dumps' files)."""
    quads = parse(path=directory / VOID_FILE, format=RdfFormat.TURTLE)
    return [Triple(quad.subject, quad.predicate, quad.object) for quad in quads]
