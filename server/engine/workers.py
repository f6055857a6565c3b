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
open the release's data themselves (`open_data`): an on-disk store read-only, or
an N-Quads file loaded into memory; `answer_job` answers one job on it, and
`answer_of` turns what it sent back into the answer or the error to raise.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from server.common.errors import BadRequest
from server.common.errors import PublisherError
from server.common.errors import QuerySyntaxError
from server.common.errors import QueryTimedOut
from server.common.errors import QueryTooDeep
from server.common.errors import ServiceBusy
from server.engine.answers import QueryAnswer
from server.engine.answers import QueryJob
from server.engine.answers import serialize_answer
from server.engine.querytext import nesting_depth
from server.sources.store import load_store
from server.sources.store import materialise_default_graph

log = logging.getLogger(__name__)


class QueryCrashed(PublisherError):
    status = 500


@dataclass(frozen=True)
class DataSource:
    """What a worker opens: an on-disk store (read-only) or an N-Quads file loaded in memory.

    :ivar union: the file's default graph is made the merge of all its graphs (as an
        on-disk store served so is built, see builder/dumps.write_release).
    :ivar hidden_graphs: graphs of the file no query sees (the release's description).
    """

    store_path: Path | None = None
    nquads_path: Path | None = None
    union: bool = True
    hidden_graphs: tuple[str, ...] = ()


def open_data(source: DataSource):
    """The store a worker answers from."""
    from pyoxigraph import Store

    if source.store_path is not None:
        return Store.read_only(str(source.store_path))
    store = load_store(source.nquads_path, without=source.hidden_graphs)
    if source.union:
        # A set: a triple two graphs state is counted once (pyoxigraph's union option would repeat it).
        materialise_default_graph(store)
    return store


def answer_job(store, job: QueryJob) -> tuple:
    """Answer `job` on `store`: ("ok", answer), or ("syntax" | "engine", message), or ("refused", error)."""
    from pyoxigraph import NamedNode

    started = time.perf_counter()
    try:
        options: dict = {"prefixes": job.prefixes or None, "base_iri": job.base_iri}
        if job.default_graphs or job.named_graphs:
            options["default_graph"] = [NamedNode(iri) for iri in job.default_graphs]
            options["named_graphs"] = [NamedNode(iri) for iri in job.named_graphs]
        try:
            result = store.query(job.query, **options)
        except SyntaxError as exc:
            return ("syntax", str(exc))
        return ("ok", serialize_answer(result, job, started=started))
    except PublisherError as exc:  # a cap or format the client's answer cannot meet
        return ("refused", exc)
    except OSError as exc:
        return ("engine", str(exc))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
        return ("engine", f"{type(exc).__name__}: {exc}")


def _worker_main(source: DataSource, connection: Connection) -> None:  # pragma: no cover - runs in a child
    """Open the data, then answer jobs from `connection` until it closes."""
    store = open_data(source)
    connection.send(("ready", len(store)))
    while True:
        try:
            job: QueryJob = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(answer_job(store, job))


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
        # Serve as soon as one worker is ready; the others join the pool as they come up.
        workers[0].wait_ready(start_timeout_s)
        self._idle.put(workers[0])
        threading.Thread(target=self._admit, args=(workers[1:],), daemon=True).start()

    def _admit(self, workers: list[_Worker]) -> None:
        for worker in workers:
            try:
                worker.wait_ready(self.start_timeout_s)
            except Exception:  # pragma: no cover - logged, pool runs one short
                log.exception("a query worker did not start")
                worker.kill()
                continue
            if self._closed:
                worker.kill()
            else:
                self._idle.put(worker)

    def run(self, job: QueryJob) -> QueryAnswer:
        """Answer `job` in a worker, or raise the PublisherError that says why not."""
        check_job(job, max_depth=self.max_depth)
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
            return answer_of(message)
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
        self._admit([_Worker(self.source, self._context)])

    def close(self) -> None:
        """Stop every idle worker; busy ones are stopped when their query returns."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return


def check_job(job: QueryJob, *, max_depth: int) -> None:
    """Refuse a job no worker should see: nested past `max_depth` (a crash would cost a worker; also
    checked in front), or naming a graph by a relative IRI."""
    depth = nesting_depth(job.query)
    if depth > max_depth:
        raise QueryTooDeep(f"The query nests brackets {depth} levels deep; this endpoint accepts at most {max_depth}.")
    for iri in job.default_graphs + job.named_graphs:
        if not _is_absolute_iri(iri):
            raise BadRequest(f"The graph IRI <{iri}> is not an absolute IRI.")


def answer_of(message: tuple) -> QueryAnswer:
    """The answer a worker sent (see `answer_job`), or the PublisherError it stands for, raised."""
    status = message[0]
    if status == "ok":
        return message[1]
    if status == "refused":
        raise message[1]
    if status == "syntax":
        raise QuerySyntaxError(message[1])
    raise QueryCrashed(f"The query engine failed: {message[1]}")


def start_pool(source: DataSource, config) -> QueryPool:
    """Start the worker pool for a release's data, sized and timed by the Config."""
    return QueryPool(
        source,
        size=config.workers,
        timeout_s=config.query_timeout_s,
        queue_timeout_s=config.queue_timeout_s,
        max_depth=config.max_query_depth,
    )
