"""Run user queries in killable worker processes, with a deadline and a nesting check.

pyoxigraph has no query timeout, a thread cannot be killed, and a deeply nested
query overflows its parser's stack and kills the process. So no user query runs
in the web process: each runs in a worker process of a `QueryPool`, which

- refuses text nested deeper than `max_depth` before any engine sees it;
- kills a worker whose query passes its deadline (its CPU is given back at once)
  and starts a fresh one, and tells the caller with `QueryTimedOut`;
- notices a worker that died (a crash in the engine), starts a fresh one, and
  tells the caller with `QueryCrashed`;
- sheds load: a caller that waits longer than `queue_timeout_s` for a free
  worker gets `ServiceBusy` instead of piling up.

Workers are started with the "spawn" method (never fork a threaded server) and
open the release's data themselves: an on-disk store read-only, or an N-Quads
file loaded into memory.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from multiprocessing.connection import Connection
from pathlib import Path

from .errors import BadQuery
from .errors import BadRequest
from .errors import NotAcceptable
from .errors import PublisherError
from .errors import QueryTimedOut
from .negotiate import DATASET_OFFERS
from .negotiate import RDF_OFFERS
from .negotiate import RESULTS_OFFERS
from .querytext import nesting_depth
from .results import TRUNCATION_SIGNALLED
from .results import write_boolean
from .results import write_results

log = logging.getLogger(__name__)


class QueryCrashed(PublisherError):
    status = 500


class ServiceBusy(PublisherError):
    status = 503
    headers = {"Retry-After": "5"}


class ResultTooLarge(PublisherError):
    status = 413


@dataclass(frozen=True)
class DataSource:
    """What a worker opens: an on-disk store (read-only) or an N-Quads file loaded in memory."""

    store_path: Path | None = None
    nquads_path: Path | None = None


@dataclass(frozen=True)
class QueryJob:
    """One query and how to answer it.

    :ivar results_media_type: media type for SELECT/ASK results, or None if none is acceptable.
    :ivar graph_media_type: media type for CONSTRUCT/DESCRIBE results, or None if none is acceptable.
    """

    query: str
    results_media_type: str | None
    graph_media_type: str | None
    prefixes: dict[str, str] = field(default_factory=dict)
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 100_000
    max_bytes: int = 50_000_000


@dataclass(frozen=True)
class QueryAnswer:
    kind: str  # "solutions", "boolean" or "triples"
    media_type: str
    body: bytes
    seconds: float
    rows: int | None = None
    truncated: bool = False


def _worker_main(source: DataSource, connection: Connection) -> None:  # pragma: no cover - runs in a child
    """Open the data, then answer jobs from `connection` until it closes."""

    from pyoxigraph import NamedNode
    from pyoxigraph import QueryBoolean
    from pyoxigraph import QuerySolutions
    from pyoxigraph import RdfFormat
    from pyoxigraph import Store
    from pyoxigraph import serialize

    if source.store_path is not None:
        store = Store.read_only(str(source.store_path))
    else:
        store = Store()
        store.load(path=str(source.nquads_path), format=RdfFormat.N_QUADS)
        # The default graph is the merge of the named graphs: a set, so a triple two
        # passages state is counted once (pyoxigraph's union option would repeat it).
        store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    connection.send(("ready", len(store)))
    while True:
        try:
            job: QueryJob = connection.recv()
        except (EOFError, OSError):
            return
        started = time.perf_counter()
        try:
            options: dict = {"prefixes": job.prefixes or None}
            if job.default_graphs or job.named_graphs:
                options["default_graph"] = [NamedNode(iri) for iri in job.default_graphs]
                options["named_graphs"] = [NamedNode(iri) for iri in job.named_graphs]
            try:
                result = store.query(job.query, **options)
            except SyntaxError as exc:
                connection.send(("syntax", str(exc)))
                continue
            if isinstance(result, QuerySolutions | QueryBoolean):
                kind = "solutions" if isinstance(result, QuerySolutions) else "boolean"
                media_type = job.results_media_type
                name = RESULTS_NAMES.get(media_type or "")
                if name is None:
                    connection.send(("not-acceptable", kind))
                    continue
                if kind == "boolean":
                    body, rows, truncated = write_boolean(name, bool(result)), None, False
                else:
                    variables = result.variables
                    solutions = []
                    truncated = False
                    for solution in result:
                        if len(solutions) >= job.max_rows:
                            truncated = True
                            break
                        solutions.append({variable.value: solution[variable] for variable in variables})
                    if truncated and name not in TRUNCATION_SIGNALLED:
                        connection.send(("cut-unsignalled", job.max_rows, name))
                        continue
                    body = write_results(name, variables, solutions, truncated=truncated)
                    rows = len(solutions)
            else:
                kind, media_type, rows, truncated = "triples", job.graph_media_type, None, False
                fmt = RdfFormat.from_media_type(media_type) if media_type else None
                if fmt is None:
                    connection.send(("not-acceptable", kind))
                    continue
                output = _CappedBuffer(job.max_bytes)
                try:
                    serialize(result, output, fmt, prefixes=job.prefixes or None)
                except (OSError, ValueError):
                    if not output.over:
                        raise
                body = output.getvalue()
            if (kind == "triples" and output.over) or len(body) > job.max_bytes:
                connection.send(("too-large", job.max_bytes))
                continue
            connection.send(("ok", kind, media_type, body, time.perf_counter() - started, rows, truncated))
        except OSError as exc:
            connection.send(("engine", str(exc)))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
            connection.send(("engine", f"{type(exc).__name__}: {exc}"))


def _is_absolute_iri(iri: str) -> bool:
    from pyoxigraph import NamedNode

    try:
        NamedNode(iri)
    except ValueError:
        return False
    return True


# A query still running after this many seconds is demoted to the lowest CPU priority.
DEMOTE_AFTER_S = 1.0
LOWEST_PRIORITY = 19

RESULTS_NAMES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}


class _CappedBuffer:
    """A binary buffer that refuses to grow past `cap` bytes (stopping the serialiser)."""

    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0
        self.over = False

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.cap:
            self.over = True
            raise OSError("result over the byte cap")
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"" if self.over else b"".join(self.parts)


class _Worker:
    def __init__(self, source: DataSource, context):
        self.connection, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(source, child), daemon=True)
        self.process.start()
        child.close()
        self.demoted = False

    def wait_ready(self, timeout: float) -> None:
        if not self.connection.poll(timeout):
            self.kill()
            raise RuntimeError("a query worker did not start in time")
        message = self.connection.recv()
        if message[0] != "ready":  # pragma: no cover - defensive
            raise RuntimeError(f"a query worker failed to start: {message}")

    def wait(self, timeout: float, *, demote_after: float) -> bool:
        """Wait up to `timeout` s for an answer; a query still running after `demote_after` s
        gets the lowest CPU priority, so a runaway slows no one else while it runs to its deadline."""
        if self.connection.poll(demote_after):
            return True
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, LOWEST_PRIORITY)
            self.demoted = True
        except OSError:  # pragma: no cover - the process may just have ended
            pass
        return self.connection.poll(max(timeout - demote_after, 0))

    def restore_priority(self) -> bool:
        """Give a demoted worker its priority back; False if that is not allowed (replace it)."""
        if not self.demoted:
            return True
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 0)
        except OSError:
            return False
        self.demoted = False
        return True

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryPool:
    """A fixed number of worker processes answering queries on one release's data."""

    def __init__(
        self,
        source: DataSource,
        *,
        size: int = 2,
        timeout_s: float = 30.0,
        queue_timeout_s: float = 10.0,
        max_depth: int = 64,
        start_timeout_s: float = 120.0,
    ):
        self.source = source
        self.size = size
        self.timeout_s = timeout_s
        self.queue_timeout_s = queue_timeout_s
        self.max_depth = max_depth
        self.start_timeout_s = start_timeout_s
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        workers = [_Worker(source, self._context) for _ in range(size)]
        for worker in workers:
            worker.wait_ready(start_timeout_s)
            self._idle.put(worker)

    def run(self, job: QueryJob) -> QueryAnswer:
        """Answer `job` in a worker, or raise the PublisherError that says why not."""
        depth = nesting_depth(job.query)
        if depth > self.max_depth:  # also checked in front; a crash would cost a worker
            raise BadQuery(
                f"The query nests brackets {depth} levels deep; this endpoint accepts at most {self.max_depth}."
            )
        for iri in job.default_graphs + job.named_graphs:
            if not _is_absolute_iri(iri):
                raise BadRequest(f"The graph IRI <{iri}> is not an absolute IRI.")
        try:
            worker = self._idle.get(timeout=self.queue_timeout_s)
        except queue.Empty:
            raise ServiceBusy("All query workers are busy; try again shortly.") from None
        healthy = False
        try:
            worker.connection.send(job)
            if not worker.wait(self.timeout_s, demote_after=min(DEMOTE_AFTER_S, self.timeout_s)):
                raise QueryTimedOut(
                    f"The query ran past the {self.timeout_s:g} s deadline and was stopped; "
                    "narrow it or add a LIMIT."
                )
            try:
                message = worker.connection.recv()
            except (EOFError, OSError):
                raise QueryCrashed("The query engine failed on this query; the service goes on.") from None
            healthy = worker.restore_priority()
            return _answer(message)
        finally:
            self._give_back(worker, healthy)

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        if healthy and not self._closed:
            self._idle.put(worker)
            return
        worker.kill()
        if not self._closed:
            threading.Thread(target=self._replace, daemon=True).start()

    def _replace(self) -> None:
        try:
            worker = _Worker(self.source, self._context)
            worker.wait_ready(self.start_timeout_s)
        except Exception:  # pragma: no cover - logged, pool runs one short
            log.exception("could not start a replacement query worker")
            return
        if self._closed:
            worker.kill()
        else:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every idle worker; busy ones are stopped when their query returns."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return


def _answer(message: tuple) -> QueryAnswer:
    status = message[0]
    if status == "ok":
        _, kind, media_type, body, seconds, rows, truncated = message
        return QueryAnswer(kind, media_type, body, seconds, rows, truncated)
    if status == "syntax":
        text = message[1]
        raise BadQuery(f"The query is not valid SPARQL: {text}")
    if status == "not-acceptable":
        triples = message[1] == "triples"
        kind = "CONSTRUCT and DESCRIBE answers" if triples else "SELECT and ASK answers"
        offers = RDF_OFFERS + DATASET_OFFERS if triples else RESULTS_OFFERS
        raise NotAcceptable(
            f"None of the formats this endpoint gives {kind} in is acceptable: "
            f"{', '.join(offer.media_type for offer in offers)}. "
            f"Ask for one with the Accept header or the format parameter ({', '.join(o.names[0] for o in offers)})."
        )
    if status == "too-large":
        raise ResultTooLarge(f"The result is larger than this endpoint's cap of {message[1]} bytes; add a LIMIT.")
    if status == "cut-unsignalled":
        raise ResultTooLarge(
            f"The result has more than {message[1]} rows, this endpoint's cap, and {message[2].upper()} "
            "cannot say that it was cut: add a LIMIT, or ask for SPARQL JSON or XML to get the first rows "
            "marked as truncated."
        )
    raise QueryCrashed(f"The query engine failed: {message[1]}")


def start_pool(store, directory: Path, config) -> QueryPool:
    """Start the worker pool for a release: workers load `store`'s quads, dumped once into `directory`."""
    from pyoxigraph import RdfFormat

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "store.nq"
    store.dump(str(path), RdfFormat.N_QUADS)
    return QueryPool(
        DataSource(nquads_path=path),
        size=config.workers,
        timeout_s=config.query_timeout_s,
        queue_timeout_s=config.queue_timeout_s,
        max_depth=config.max_query_depth,
    )
