"""A remote engine: any SPARQL 1.1 Protocol endpoint (Oxigraph server, Fuseki, QLever, Virtuoso, GraphDB).

Its default graph must be what the app's default-graph setting says: the merge of all
graphs, or the stored default graph (``publish`` makes it so, with the same setting).
Credentials go in an Authorization header and never into logs or messages; a slow
or failing engine gives 504 or 502, never a hang.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import requests
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import QueryResultsFormat
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from pyoxigraph import parse
from pyoxigraph import parse_query_results

from server.common.errors import BadQuery
from server.common.errors import EngineTimedOut
from server.common.errors import EngineUnavailable
from server.engine.answers import QueryAnswer
from server.engine.answers import QueryJob
from server.engine.answers import serialize_answer

log = logging.getLogger(__name__)

JSON_RESULTS = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


def redact(url: str) -> str:
    """A URL with any user and password removed, for logs and messages.

    >>> redact("http://user:secret@db.example:7878/query")
    'http://db.example:7878/query'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class RemoteEngine:
    """A SPARQL 1.1 query endpoint reached over HTTP; its data may change under us (not `fixed_data`)."""

    fixed_data = False

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 3.0,
        user: str | None = None,
        password: str | None = None,
    ):
        parts = urlsplit(url)
        if parts.username and user is None:
            user, password = parts.username, parts.password or ""
        self.url = redact(url)
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.session = requests.Session()
        if user is not None:
            self.session.auth = (user, password or "")

    def __repr__(self) -> str:
        return f"RemoteEngine({self.url!r})"

    # --- the server's own queries -------------------------------------------------------------

    def query(self, text: str, *, use_default_graph_as_union: bool = False, prefixes: dict | None = None):
        """Run a trusted query; return pyoxigraph result objects like a Store would.

        The remote default graph is already the merge of the named graphs, so
        `use_default_graph_as_union` needs nothing more.
        """
        content_type, body = self._post(_with_prefixes(text, prefixes), accept=f"{JSON_RESULTS}, {NTRIPLES};q=0.9")
        return _parse_result(content_type, body)

    def quads_for_pattern(self, subject, predicate, object, graph_name=None) -> Iterator[Quad]:
        terms = {"s": subject, "p": predicate, "o": object, "g": graph_name}
        pattern = " ".join(f"?{name}" if term is None else str(term) for name, term in list(terms.items())[:3])
        graph = "?g" if graph_name is None else str(graph_name)
        text = f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH {graph} {{ {pattern} }} }}"
        for solution in self.query(text):
            values = {name: solution[name] if terms[name] is None else terms[name] for name in terms}
            yield Quad(values["s"], values["p"], values["o"], values["g"])

    def contains_named_graph(self, graph: NamedNode) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))

    def named_graphs(self) -> Iterator[NamedNode]:
        for solution in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            yield solution["g"]

    # --- clients' queries ---------------------------------------------------------------------

    def run(self, job: QueryJob) -> QueryAnswer:
        """Answer a client's query within its deadline and caps, as the worker pool would."""
        started = time.perf_counter()
        _check_syntax(job)
        params = [("default-graph-uri", iri) for iri in job.default_graphs]
        params += [("named-graph-uri", iri) for iri in job.named_graphs]
        base = f"BASE <{job.base_iri}>\n" if job.base_iri else ""  # the query's own BASE, if any, comes after
        content_type, body = self._post(
            base + _with_prefixes(job.query, job.prefixes),
            accept=f"{JSON_RESULTS}, {NTRIPLES};q=0.9",
            params=params,
            max_bytes=max(job.max_bytes * 4, 1_000_000),
        )
        return serialize_answer(_parse_result(content_type, body), job, started=started)

    def close(self) -> None:
        self.session.close()

    def _post(self, text: str, *, accept: str, params=(), max_bytes: int = 200_000_000) -> tuple[str, bytes]:
        try:
            response = self.session.post(
                self.url,
                data=[("query", text), *params],
                headers={"Accept": accept},
                timeout=(self.connect_timeout_s, self.timeout_s),
                stream=True,
            )
            with response:
                body = _read_capped(response, max_bytes)
        except requests.Timeout:
            raise EngineTimedOut(f"The query engine did not answer within {self.timeout_s:g} s.") from None
        except requests.ConnectionError:
            log.warning("the query engine at %s cannot be reached", self.url)
            raise EngineUnavailable("The query engine cannot be reached; try again shortly.") from None
        if response.status_code == 400:
            message = body.decode("utf-8", "replace").strip()[:2000]
            raise BadQuery(f"The query is not valid SPARQL: {message}")
        if response.status_code >= 300:
            log.warning("the query engine at %s answered %d", self.url, response.status_code)
            raise EngineUnavailable(f"The query engine failed (HTTP {response.status_code}).")
        return response.headers.get("Content-Type", ""), body


def _check_syntax(job: QueryJob) -> None:
    """Parse the query here first, so a syntax error names its own line and column, not ours.

    The text was checked for depth before (server/engine/querytext.py); the empty store evaluates nothing.
    """
    try:
        Store().query(job.query, prefixes=job.prefixes or None, base_iri=job.base_iri)
    except SyntaxError as exc:
        raise BadQuery(f"The query is not valid SPARQL: {exc}") from None


def _read_capped(response: requests.Response, max_bytes: int) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            from server.common.errors import ResultTooLarge

            raise ResultTooLarge(f"The result is larger than this endpoint's cap of {max_bytes} bytes; add a LIMIT.")
        chunks.append(chunk)
    return b"".join(chunks)


def _with_prefixes(text: str, prefixes: dict | None) -> str:
    """Declare the server's predefined prefixes for an engine that does not know them."""
    if not prefixes:
        return text
    declared = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
    return declared + text


def _parse_result(content_type: str, body: bytes):
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == JSON_RESULTS or media_type == "application/json":
        return parse_query_results(body, format=QueryResultsFormat.JSON)
    if media_type in (NTRIPLES, "text/plain"):
        return list(parse(body, format=RdfFormat.N_TRIPLES))
    if media_type == "text/turtle":
        return list(parse(body, format=RdfFormat.TURTLE))
    raise EngineUnavailable(f"The query engine answered in an unexpected format ({media_type or 'none'}).")
