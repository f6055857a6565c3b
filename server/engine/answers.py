"""Query jobs and their answers: what a client asked, and the serialised answer within the caps.

Both engines (the worker pool and a remote SPARQL endpoint) take a `QueryJob`
and give a `QueryAnswer`, serialising the engine's result with
`serialize_answer`, so caps, truncation and formats behave the same whichever
engine answers.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from pyoxigraph import QueryBoolean
from pyoxigraph import QueryResultsFormat
from pyoxigraph import QuerySolutions
from pyoxigraph import RdfFormat
from pyoxigraph import parse_query_results
from pyoxigraph import serialize

from server.common.errors import NotAcceptable
from server.common.errors import ResultTooLarge
from server.common.negotiate import DATASET_OFFERS
from server.common.negotiate import RDF_OFFERS
from server.common.negotiate import RESULTS_OFFERS
from server.engine.results import TRUNCATION_SIGNALLED
from server.engine.results import write_boolean
from server.engine.results import write_results

RESULTS_NAMES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}


@dataclass(frozen=True)
class QueryJob:
    """One query and how to answer it.

    :ivar results_media_type: media type for SELECT/ASK results, or None if none is acceptable.
    :ivar graph_media_type: media type for CONSTRUCT/DESCRIBE results, or None if none is acceptable.
    :ivar base_iri: what relative IRIs of a query without BASE resolve against (the endpoint's URL).
    """

    query: str
    results_media_type: str | None
    graph_media_type: str | None
    prefixes: dict[str, str] = field(default_factory=dict)
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 100_000
    max_bytes: int = 50_000_000
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryAnswer:
    kind: str  # "solutions", "boolean" or "triples"
    media_type: str
    body: bytes
    seconds: float
    rows: int | None = None  # counted when cut at the row cap
    truncated: bool = False


def serialize_answer(
    result, job: QueryJob, *, started: float, cut_at: int | None = None, again: Callable[[], object] | None = None
) -> QueryAnswer:
    """Serialise an engine's result as `job` asks, within its row and byte caps.

    `cut_at` is the row cap at which the engine itself says it cut the solutions
    (a remote engine's own cap): the answer is then marked truncated too.

    Given `again` (the same result, asked anew: the embedded store's), solutions are written
    by the engine's own serialiser (pyoxigraph's, the same bytes as server/engine/results.py
    writes, many times faster); only an answer past the row or byte cap is written again in
    Python, from `again()`, cut at the row cap and marked so.

    :raises NotAcceptable: if the job has no format for this kind of result.
    :raises ResultTooLarge: past the byte cap, or past a row cap in a format that cannot say so.
    """
    if isinstance(result, QuerySolutions | QueryBoolean):
        kind = "solutions" if isinstance(result, QuerySolutions) else "boolean"
        name = RESULTS_NAMES.get(job.results_media_type or "")
        if name is None:
            raise not_acceptable(kind)
        if kind == "boolean":
            return QueryAnswer(kind, job.results_media_type, write_boolean(name, bool(result)), _since(started))
        if again is not None and cut_at is None:
            body = _engine_solutions(result, name, job)
            if body is not None:
                return QueryAnswer(kind, job.results_media_type, body, _since(started))
            result = again()
        variables = result.variables
        rows = []
        truncated = cut_at is not None
        for solution in result:
            if len(rows) >= job.max_rows:
                truncated = True
                break
            rows.append({variable.value: solution[variable] for variable in variables})
        if truncated and name not in TRUNCATION_SIGNALLED:
            raise ResultTooLarge(
                f"The result was cut at {len(rows)} rows, this endpoint's cap, and {name.upper()} "
                "cannot say that it was cut: add a LIMIT, or ask for SPARQL JSON or XML to get the first rows "
                "marked as truncated."
            )
        body = write_results(name, variables, rows, truncated=truncated)
        _check_size(body, job)
        return QueryAnswer(kind, job.results_media_type, body, _since(started), len(rows), truncated)
    fmt = RdfFormat.from_media_type(job.graph_media_type) if job.graph_media_type else None
    if fmt is None:
        raise not_acceptable("triples")
    output = _CappedBuffer(job.max_bytes)
    try:
        serialize(result, output, fmt, prefixes=job.prefixes or None)
    except (OSError, ValueError):
        if not output.over:
            raise
    if output.over:
        _check_size(b"", job, over=True)
    return QueryAnswer("triples", job.graph_media_type, output.getvalue(), _since(started))


# The fewest bytes a row takes in each format ("{}," "<result></result>" "\r\n" "\n"): a body of fewer
# than max_rows times this many bytes has at most max_rows rows, uncounted.
MIN_ROW_BYTES = {"json": 3, "xml": 17, "csv": 2, "tsv": 1}
ENGINE_FORMATS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}


def _engine_solutions(result: QuerySolutions, name: str, job: QueryJob) -> bytes | None:
    """The solutions as the engine writes them, or None past the byte cap or the row cap."""
    output = _CappedBuffer(job.max_bytes)
    try:
        result.serialize(output, ENGINE_FORMATS[name])
    except (OSError, ValueError):
        if not output.over:
            raise
    if output.over:
        return None
    body = output.getvalue()
    if len(body) > MIN_ROW_BYTES[name] * job.max_rows and _count_rows(body, name) > job.max_rows:
        return None
    return body


def _count_rows(body: bytes, name: str) -> int:
    if name == "tsv":  # one line a row: the values' own line breaks are escaped
        return body.count(b"\n") - 1
    if name == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    return sum(1 for _ in parse_query_results(body, format=ENGINE_FORMATS[name]))


def not_acceptable(kind: str) -> NotAcceptable:
    triples = kind == "triples"
    what = "CONSTRUCT and DESCRIBE answers" if triples else "SELECT and ASK answers"
    offers = RDF_OFFERS + DATASET_OFFERS if triples else RESULTS_OFFERS
    return NotAcceptable(
        f"None of the formats this endpoint gives {what} in is acceptable: "
        f"{', '.join(offer.media_type for offer in offers)}. "
        f"Ask for one with the Accept header or the format parameter ({', '.join(o.names[0] for o in offers)})."
    )


def _check_size(body: bytes, job: QueryJob, *, over: bool = False) -> None:
    if over or len(body) > job.max_bytes:
        raise ResultTooLarge(f"The result is larger than this endpoint's cap of {job.max_bytes} bytes; add a LIMIT.")


def _since(started: float) -> float:
    return time.perf_counter() - started


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
