"""The query worker pool: deadlines, crashes, nesting, shedding, and plain answers."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from pyoxigraph import RdfFormat

from server.common.errors import BadQuery
from server.common.errors import PublisherError
from server.common.errors import QueryTimedOut
from server.engine.answers import QueryJob
from server.engine.workers import DataSource
from server.engine.workers import QueryCrashed
from server.engine.workers import QueryPool
from server.engine.workers import ServiceBusy
from tests.conftest import wait_until

JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
# Five-way cross product of every triple: minutes of work on any real graph.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def nquads(release, tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "data.nq"
    release.store.dump(str(path), RdfFormat.N_QUADS)
    return path


@pytest.fixture
def make_pool(nquads):
    pools = []

    def make(**options) -> QueryPool:
        pool = QueryPool(DataSource(nquads_path=nquads), **{"size": 1, **options})
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def job(query: str) -> QueryJob:
    return QueryJob(query, results_media_type=JSON, graph_media_type=TURTLE)


def count_triples(pool: QueryPool) -> int:
    answer = pool.run(job("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])


def test_pool_default_graph_is_the_merge_of_all_graphs(make_pool, release):
    pool = make_pool()
    expected = len(list(release.store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))
    assert count_triples(pool) == expected


def test_query_past_its_deadline_is_stopped_and_the_worker_replaced(make_pool):
    pool = make_pool(timeout_s=0.5)
    worker_pids = {worker.process.pid for worker in list(pool._idle)}
    with pytest.raises(QueryTimedOut, match="deadline"):
        pool.run(job(RUNAWAY))
    for pid in worker_pids:  # the runaway's process is killed at once and soon reaped: its CPU given back
        assert wait_until(lambda pid=pid: not process_exists(pid), seconds=5)
    assert count_triples(pool) > 0


def test_deeply_nested_query_is_refused_before_the_engine(make_pool):
    pool = make_pool()
    with pytest.raises(BadQuery, match="3000 levels"):
        pool.run(job("SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o " + "} " * 3000))


def test_engine_crash_kills_only_a_worker(make_pool):
    pool = make_pool(max_depth=1_000_000)
    with pytest.raises(QueryCrashed):
        pool.run(job("SELECT * WHERE " + "{ " * 100_000 + "?s ?p ?o " + "} " * 100_000))
    assert count_triples(pool) > 0


def test_overload_is_shed_with_service_busy(make_pool):
    pool = make_pool(timeout_s=3, queue_timeout_s=0.2)
    runaway = threading.Thread(target=lambda: pytest.raises(QueryTimedOut, pool.run, job(RUNAWAY)))
    runaway.start()
    try:
        with pytest.raises(ServiceBusy):
            for _ in range(50):  # until the runaway holds the only worker
                pool.run(job("ASK { ?s ?p ?o }"))
    finally:
        runaway.join()


def test_heavy_queries_leave_a_worker_for_quick_ones_and_wait_in_a_bounded_queue(make_pool):
    pool = make_pool(size=2, timeout_s=5, queue_size=2, queue_timeout_s=5)
    assert wait_until(lambda: len(pool._idle) == 2)
    outcomes: dict[str, str] = {}

    def ask(name: str, text: str) -> None:
        try:
            pool.run(job(text))
            outcomes[name] = "answered"
        except PublisherError as exc:
            outcomes[name] = type(exc).__name__

    first, second = f"{RUNAWAY} # 1", f"{RUNAWAY} # 2"
    threads = [threading.Thread(target=ask, args=(name, text)) for name, text in
               (("first", first), ("second", second), ("first again", first))]
    threads[0].start()  # takes the one heavy slot
    assert wait_until(lambda: pool._heavy == 1)
    threads[1].start()  # turns heavy on the last worker, and runs on there while no quick query needs it
    assert wait_until(lambda: len(pool._borrowed) == 1)
    quick = [count_triples(pool) for _ in range(3)]  # the first stops it; all are answered on that worker
    assert min(quick) > 0
    assert wait_until(lambda: pool._waiting == 1)  # the second query waits for a heavy slot
    threads[2].start()  # known heavy: waits for a heavy slot at once, leaving the idle worker to quick queries
    assert wait_until(lambda: pool._waiting == 2)
    assert len(pool._idle) == 1
    ask("one too many", second)  # no waiting place left: refused at once
    for thread in threads:
        thread.join()
    assert outcomes == {"first": "QueryTimedOut", "second": "QueryTimedOut", "first again": "QueryTimedOut",
                        "one too many": "ServiceBusy"}


def test_the_deadline_counts_the_wait_for_a_worker(make_pool):
    pool = make_pool(timeout_s=1.5, queue_timeout_s=10)
    runaway = threading.Thread(target=lambda: pytest.raises(QueryTimedOut, pool.run, job(RUNAWAY)))
    runaway.start()
    while pool._idle:  # asked right after the runaway: its worker's replacement comes too late for it
        time.sleep(0.005)
    with pytest.raises(QueryTimedOut, match="stopped at its deadline of 1.5 s"):
        pool.run(job("ASK { ?s ?p ?o }"))  # waits behind the runaway until its own deadline, not 10 s
    runaway.join()


def test_engine_would_call_a_service_endpoint_so_the_front_must_refuse_it(make_pool, canary):
    """The canary works: the engine itself does send SERVICE requests (see test_querytext)."""
    pool = make_pool()
    with pytest.raises(PublisherError):  # the canary is no SPARQL endpoint
        pool.run(job(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"))
    assert len(canary.requests) == 1


def test_rows_past_the_cap_are_marked_truncated_in_json(make_pool):
    pool = make_pool()
    answer = pool.run(QueryJob("SELECT * WHERE { ?s ?p ?o }", JSON, TURTLE, max_rows=3))
    document = json.loads(answer.body)
    assert (answer.truncated, answer.rows, document["truncated"]) == (True, 3, True)
    assert len(document["results"]["bindings"]) == 3


def test_rows_past_the_cap_are_refused_in_csv(make_pool):
    pool = make_pool()
    with pytest.raises(PublisherError, match="cannot say that it was cut"):
        pool.run(QueryJob("SELECT * WHERE { ?s ?p ?o }", "text/csv", TURTLE, max_rows=3))


def test_graph_over_the_byte_cap_is_refused(make_pool):
    pool = make_pool()
    with pytest.raises(PublisherError, match="cap of 200 bytes"):
        pool.run(QueryJob("CONSTRUCT WHERE { ?s ?p ?o }", JSON, TURTLE, max_bytes=200))
    assert count_triples(pool) > 0


def test_long_query_is_demoted_to_the_lowest_cpu_priority_then_restored(make_pool):
    pool = make_pool(timeout_s=30)
    worker = pool._idle[0]
    pair = "{ ?a ?b ?c . ?d ?e ?f }"
    slow = f"SELECT (COUNT(*) AS ?n) WHERE {{ {pair} UNION {pair} UNION {pair} UNION {pair} }}"  # seconds of work
    seen = []

    def watch():
        for _ in range(100):
            seen.append(os.getpriority(os.PRIO_PROCESS, worker.process.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    pool.run(job(slow))
    watcher.join()
    assert 19 in seen
    assert os.getpriority(os.PRIO_PROCESS, worker.process.pid) == 0


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_the_engine_writes_solutions_as_the_python_writers_do(release, name):
    """Answers are written by pyoxigraph; the Python writers (results.py) write only answers cut at a cap."""
    from pyoxigraph import QueryResultsFormat
    from pyoxigraph import parse_query_results

    from server.engine.answers import RESULTS_NAMES
    from server.engine.answers import serialize_answer
    from server.engine.results import write_results

    media_type = next(media for media, short in RESULTS_NAMES.items() if short == name)
    query = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s ?p ?o LIMIT 500"
    again = lambda: release.store.query(query)  # noqa: E731 - as the worker asks it anew
    answer = serialize_answer(again(), QueryJob(query, media_type, TURTLE), started=0, again=again)
    result = release.store.query(query)
    rows = [{v.value: solution[v] for v in result.variables} for solution in result]
    written = write_results(name, result.variables, rows)
    assert (answer.truncated, answer.rows) == (False, None)  # the engine wrote it
    if name in ("xml", "tsv"):  # no line break after <?xml ...?>; numbers short in TSV (1, not "1"^^xsd:integer)
        fmt = QueryResultsFormat.XML if name == "xml" else QueryResultsFormat.TSV
        engine, python = ([str(r) for r in parse_query_results(body, format=fmt)] for body in (answer.body, written))
        assert len(engine) == 500 and engine == python
    else:
        assert answer.body == written
