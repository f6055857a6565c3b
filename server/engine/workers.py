"""Run user queries in killable worker processes, with a deadline and a nesting check.

pyoxigraph has no query timeout, a thread cannot be killed, and a deeply nested
query overflows its parser's stack and kills the process. So no user query runs
in the web process: each runs in a worker process of a `QueryPool`, which

- refuses text nested deeper than `max_depth` before any engine sees it;
- kills a worker whose query passes its deadline (its CPU is given back at once)
  and starts a fresh one, and tells the caller with `QueryTimedOut`;
- notices a worker that died (a crash in the engine), starts a fresh one, and
  tells the caller with `QueryCrashed`;
- keeps cheap queries apart from heavy ones: a query still running after
  `heavy_after_s` is heavy, and at most `size - 1` heavy queries run at once, so
  one worker is always left for the quick lookups that come meanwhile. A query that
  turns heavy when those slots are full runs on until a quick query needs its worker;
  then it is stopped and waits for a heavy slot (its text is remembered, so it waits
  there at once the next time);
- sheds load: at most `queue_size` queries wait for a worker, each at most
  `queue_timeout_s`; any more get `ServiceBusy` (503 with Retry-After) at once,
  so waiting queries never hold all of the server's HTTP threads;
- counts the deadline from the query's arrival, waiting included, so its client
  hears of it `timeout_s` after asking (the default, 25 s, is under the 30 s at
  which many proxies give up).

Workers are started with the "spawn" method (never fork a threaded server) and
open the release's data themselves (`open_data`): an on-disk store read-only, or
an N-Quads file loaded into memory; `answer_job` answers one job on it, and
`answer_of` turns what it sent back into the answer or the error to raise.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
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
        return ("ok", serialize_answer(result, job, started=started, again=lambda: store.query(job.query, **options)))
    except PublisherError as exc:  # a cap or format the client's answer cannot meet
        return ("refused", exc)
    except OSError as exc:
        return ("engine", str(exc))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
        return ("engine", f"{type(exc).__name__}: {exc}")


def _worker_main(source: DataSource, connection: Connection) -> None:  # pragma: no cover - runs in a child
    """Open the data, then answer jobs from `connection` until it closes."""
    store = open_data(source)
    connection.send(("ready",))  # not its size: counting a store's quads reads all of it (0.3 s at 1M)
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
# A query still running after this many seconds is heavy (see QueryPool).
HEAVY_AFTER_S = 0.5
# How often a heavy query on the worker kept for quick ones looks whether to make way.
BORROWED_POLL_S = 0.02
# How many texts of heavy queries are remembered.
KNOWN_HEAVY = 1024
_REQUEUE = ("requeue",)


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
        if self.connection.poll(max(min(demote_after, timeout), 0)):
            return True
        self.demote()
        return self.connection.poll(max(timeout - max(demote_after, 0), 0))

    def demote(self) -> None:
        if not self.demoted:
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, LOWEST_PRIORITY)
                self.demoted = True
            except OSError:  # pragma: no cover - the process may just have ended
                pass

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
    """A fixed number of worker processes answering queries on one release's data.

    Of `size` workers, `size - 1` (all of one) may run heavy queries; the last stays for queries
    that finish within `heavy_after_s`. `queue_size` callers at most wait for a worker.
    """

    def __init__(
        self,
        source: DataSource,
        *,
        size: int = 2,
        timeout_s: float = 25.0,
        queue_timeout_s: float = 10.0,
        queue_size: int | None = None,
        max_depth: int = 64,
        start_timeout_s: float = 120.0,
        heavy_after_s: float = HEAVY_AFTER_S,
    ):
        self.source = source
        self.size = size
        self.timeout_s = timeout_s
        self.queue_timeout_s = queue_timeout_s
        self.queue_size = size if queue_size is None else queue_size
        self.max_depth = max_depth
        self.start_timeout_s = start_timeout_s
        self.heavy_after_s = heavy_after_s
        self.heavy_slots = max(1, size - 1)
        self._context = multiprocessing.get_context("spawn")
        self._changed = threading.Condition()
        self._idle: list[_Worker] = []  # guarded by _changed, as are the two counts below
        self._heavy = 0  # heavy queries running
        self._waiting = 0  # callers waiting for a worker
        self._known_heavy: OrderedDict[str, None] = OrderedDict()
        self._borrowed: list[threading.Event] = []  # heavy queries on the worker kept for quick ones
        self._closed = False
        workers = [_Worker(source, self._context) for _ in range(size)]
        # Serve as soon as one worker is ready; the others join the pool as they come up.
        workers[0].wait_ready(start_timeout_s)
        self._put_idle(workers[0])
        threading.Thread(target=self._admit, args=(workers[1:],), daemon=True).start()

    def _put_idle(self, worker: _Worker) -> None:
        with self._changed:
            self._idle.append(worker)
            self._changed.notify_all()

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
                self._put_idle(worker)

    def run(self, job: QueryJob) -> QueryAnswer:
        """Answer `job` in a worker, or raise the PublisherError that says why not."""
        check_job(job, max_depth=self.max_depth)
        deadline = time.monotonic() + self.timeout_s
        key = job_key(job)
        heavy = key in self._known_heavy
        admitted = False  # a query stopped to make way waits again whatever the queue holds
        while True:
            if time.monotonic() >= deadline:
                raise self._timed_out()
            worker = self._take(heavy=heavy, deadline=deadline, admitted=admitted)
            message = self._ask(worker, job, key, heavy=heavy, deadline=deadline)
            if message is not _REQUEUE:
                return answer_of(message)
            heavy = admitted = True

    def _take(self, *, heavy: bool, deadline: float, admitted: bool = False) -> _Worker:
        """An idle worker (for a heavy query: only while a heavy slot is free), waiting in the bounded queue."""

        def free() -> bool:
            return bool(self._idle) and (not heavy or self._heavy < self.heavy_slots)

        with self._changed:
            if not free():
                if self._waiting >= self.queue_size and not admitted:
                    raise ServiceBusy(
                        f"All query workers are busy and {self._waiting} queries already wait; try again shortly."
                    )
                self._waiting += 1
                try:
                    until = min(deadline, time.monotonic() + self.queue_timeout_s)
                    while not free():
                        if not heavy:
                            self._preempt_borrowed()
                        remaining = until - time.monotonic()
                        if remaining <= 0:
                            if until >= deadline:
                                raise self._timed_out()
                            raise ServiceBusy("All query workers are busy; try again shortly.")
                        self._changed.wait(remaining)
                finally:
                    self._waiting -= 1
            if heavy:
                self._heavy += 1
            return self._idle.pop()

    def _ask(self, worker: _Worker, job: QueryJob, key: str, *, heavy: bool, deadline: float) -> tuple:
        """Send `job` to `worker` and wait for its message; `_REQUEUE` if it was stopped to free the worker."""
        healthy = False
        sent = time.monotonic()
        preempt: threading.Event | None = None
        try:
            worker.connection.send(job)
            if not heavy and not worker.connection.poll(max(min(self.heavy_after_s, deadline - sent), 0)):
                self._remember_heavy(key)
                heavy = self._claim_heavy_slot()
                if not heavy:
                    # Heavy, with every heavy slot taken, on the worker kept for quick queries: it runs on
                    # until a heavy slot frees or a quick query needs the worker (then it is stopped, to wait).
                    preempt = threading.Event()
                    with self._changed:
                        self._borrowed.append(preempt)
                    while not worker.connection.poll(BORROWED_POLL_S):
                        if preempt.is_set():
                            return _REQUEUE
                        if time.monotonic() >= deadline:
                            raise self._timed_out()
                        if time.monotonic() - sent >= DEMOTE_AFTER_S:
                            worker.demote()
                        heavy = self._claim_heavy_slot()
                        if heavy:
                            break
            ran = time.monotonic() - sent
            if not worker.wait(deadline - time.monotonic(), demote_after=DEMOTE_AFTER_S - ran):
                raise self._timed_out()
            try:
                message = worker.connection.recv()
            except (EOFError, OSError):
                raise QueryCrashed("The query engine failed on this query; the service goes on.") from None
            healthy = worker.restore_priority()
            return message
        finally:
            with self._changed:
                if preempt is not None and preempt in self._borrowed:
                    self._borrowed.remove(preempt)
                if heavy:
                    self._heavy -= 1
                    self._changed.notify_all()
            self._give_back(worker, healthy)

    def _claim_heavy_slot(self) -> bool:
        with self._changed:
            if self._heavy < self.heavy_slots:
                self._heavy += 1
                return True
            return False

    def _preempt_borrowed(self) -> None:
        """Stop a heavy query running on the worker kept for quick ones (it waits for a heavy slot)."""
        for preempt in self._borrowed:
            if not preempt.is_set():
                preempt.set()
                return

    def _timed_out(self) -> QueryTimedOut:
        return QueryTimedOut(
            f"The query was stopped at its deadline of {self.timeout_s:g} s (waiting for a worker included); "
            "narrow it or add a LIMIT."
        )

    def _remember_heavy(self, key: str) -> None:
        with self._changed:
            self._known_heavy[key] = None
            self._known_heavy.move_to_end(key)
            while len(self._known_heavy) > KNOWN_HEAVY:
                self._known_heavy.popitem(last=False)

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        if healthy and not self._closed:
            self._put_idle(worker)
            return
        if worker.process.is_alive():
            worker.process.kill()  # at once; reaping it and starting the next need not keep the client waiting
        threading.Thread(target=self._replace, args=(worker,), daemon=True).start()

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        if not self._closed:
            self._admit([_Worker(self.source, self._context)])

    def close(self) -> None:
        """Stop every idle worker; busy ones are stopped when their query returns."""
        self._closed = True
        with self._changed:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


def job_key(job: QueryJob) -> str:
    """What tells one query from another for the pool's memory of heavy ones."""
    text = "\0".join((job.query, *job.default_graphs, "\0", *job.named_graphs))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
        queue_size=queue_size(config),
        max_depth=config.max_query_depth,
    )


def queue_size(config) -> int:
    """How many queries may wait for a worker: `max_queued`, but always leaving an HTTP thread or more
    free of queries (running or waiting) for pages and cached answers."""
    return max(0, min(config.max_queued, config.threads - config.workers - 1))
