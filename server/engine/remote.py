"""A remote engine: any SPARQL 1.1 Protocol endpoint (Oxigraph server, Virtuoso, Fuseki, GraphDB, QLever).

It reads the release as `publish` laid it out (server/engine/published.py): a
query that names no graphs of its own gets the protocol's dataset parameters,
the release's default graph (its merge of all graphs, or its own, as the
default-graph setting says) and the release's graphs as its named graphs, so
other graphs in the store (another team's, the store's own) are out of its
sight. What differs between stores is in their `EngineProfile`
(server/engine/profiles.py).

Credentials go in an Authorization header and never into logs or messages; a
slow or failing engine gives 504 or 502, never a hang.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import requests
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import QueryBoolean
from pyoxigraph import QueryResultsFormat
from pyoxigraph import QueryTriples
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from pyoxigraph import parse
from pyoxigraph import parse_query_results

from server.common.errors import BadQuery
from server.common.errors import EngineTimedOut
from server.common.errors import EngineUnavailable
from server.common.errors import QueryFailed
from server.common.errors import QuerySyntaxError
from server.common.errors import Refused
from server.common.errors import ResultTooLarge
from server.engine.answers import QueryAnswer
from server.engine.answers import QueryJob
from server.engine.answers import serialize_answer
from server.engine.profiles import AUTO
from server.engine.profiles import EngineProfile
from server.engine.profiles import detect_profile
from server.engine.profiles import profile_named
from server.engine.published import STAMP
from server.engine.published import PublishedDataset
from server.engine.querytext import declare_prefixes
from server.engine.querytext import iris_in_schemes
from server.engine.querytext import names_a_dataset

log = logging.getLogger(__name__)

JSON_RESULTS = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
NUMBER_BOOLEANS = {"1": "true", "0": "false"}
MAX_ASKS = 3  # a query asked again while new releases keep being switched in


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
    """A SPARQL 1.1 query endpoint reached over HTTP; its data may change under us (not `fixed_data`).

    :param dataset: the release's graphs in the store; without it, queries read the store's own dataset.
    :param profile: a profile name (server/engine/profiles.py), or "auto" to detect it at first use.
    """

    fixed_data = False

    def __init__(
        self,
        url: str,
        *,
        dataset: PublishedDataset | None = None,
        profile: str = AUTO,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 3.0,
        user: str | None = None,
        password: str | None = None,
    ):
        parts = urlsplit(url)
        if parts.username and user is None:
            user, password = parts.username, parts.password or ""
        self.url = redact(url)
        self.dataset = dataset
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.session = requests.Session()
        self._credentials = (user, password)
        self._profile = None if profile == AUTO else profile_named(profile)
        self._profile_lock = threading.Lock()
        self._stamps = threading.local()  # each thread's last reading of the live stamp

    def __repr__(self) -> str:
        return f"RemoteEngine({self.url!r})"

    @property
    def profile(self) -> EngineProfile:
        """The engine's profile, detected at first use unless it was named."""
        with self._profile_lock:
            if self._profile is None:
                try:
                    self._profile = detect_profile(self.session, self.url, timeout_s=self.connect_timeout_s + 5)
                except requests.RequestException:
                    log.warning("the query engine at %s cannot be reached", self.url)
                    raise EngineUnavailable("The query engine cannot be reached; try again shortly.") from None
                self.session.auth = self._profile.auth(*self._credentials)
            return self._profile

    # --- the server's own queries -------------------------------------------------------------

    def query(self, text: str, *, use_default_graph_as_union: bool = False, prefixes: dict | None = None):
        """Run a trusted query; return pyoxigraph result objects like a Store would.

        With `use_default_graph_as_union` the default graph is the release's merge of
        all its graphs, else the one the default-graph setting names. An answer the engine
        cut at its row cap is an error here: pages must not be built from half an answer.
        """
        result, cut_at = self._run(text, prefixes, form=_form(text, prefixes), union=use_default_graph_as_union)
        if cut_at is not None:
            log.error("the engine at %s cut an answer at %d rows; raise its row cap", self.url, cut_at)
            raise EngineUnavailable(f"The query engine cut an answer at its cap of {cut_at} rows.")
        return result

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
        sql = iris_in_schemes(job.query, self.profile.sql_schemes)
        if sql:  # as functions or as "magic" predicates, the engine would run them as SQL
            raise Refused(
                f"This endpoint does not run the engine's SQL functions (<{sql[0]}>); use SPARQL's own functions."
            )
        form = _form(job.query, job.prefixes, job.base_iri)
        result, cut_at = self._run(
            job.query,
            job.prefixes,
            form=form,
            base_iri=job.base_iri,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
            max_bytes=max(job.max_bytes * 4, 1_000_000),
        )
        if isinstance(result, list) and self.profile.cuts_graphs_silently and len(result) >= job.max_rows:
            # The engine cuts graph answers at its row cap without a word: one this long cannot be vouched for.
            raise ResultTooLarge(
                f"The answer has {job.max_rows} triples or more, this endpoint's cap; narrow it or add a LIMIT."
            )
        return serialize_answer(result, job, started=started, cut_at=cut_at)

    def close(self) -> None:
        self.session.close()

    def _run(self, text, prefixes, *, form, **options):
        """Send a query; return its result (pyoxigraph objects, triples as a list) and the row cap the engine hit.

        On an engine whose queries do not read one snapshot, the answer is taken only if the release's
        live stamp is the same after the query as it was before it (this thread's last reading, or a new
        one), so no switch to a new release happened while the query ran; else it is asked again.
        """
        if self.profile.snapshot_reads or self.dataset is None:
            return self._ask(text, prefixes, form=form, **options)
        before = getattr(self._stamps, "last", None) or self._stamp()
        for _ in range(MAX_ASKS):
            answer = self._ask(text, prefixes, form=form, **options)
            self._stamps.last = after = self._stamp()
            if after == before:
                return answer
            log.info("a new release was switched in while a query ran; asking again")
            before = after
        raise EngineUnavailable("The engine's data kept changing while the query ran; try again shortly.")

    def _stamp(self) -> str | None:
        """The live release's stamp (server/engine/published.py), or None if the store has none."""
        query = f"SELECT ?stamp WHERE {{ GRAPH <{self.dataset.live_graph}> {{ ?release <{STAMP}> ?stamp }} }}"
        _, body = self._post(query, accept=JSON_RESULTS, max_bytes=100_000)
        rows = json.loads(body).get("results", {}).get("bindings", [])
        return rows[0]["stamp"]["value"] if rows else None

    def _ask(self, text, prefixes, *, form, base_iri=None, union=False, default_graphs=(), named_graphs=(),
             max_bytes=200_000_000):
        """Send a query once (see `_run`); relative IRIs of a query without BASE resolve against `base_iri`."""
        profile = self.profile
        params = [("default-graph-uri", iri) for iri in default_graphs]
        params += [("named-graph-uri", iri) for iri in named_graphs]
        if not params and self.dataset is not None and not names_a_dataset(text):
            default = self.dataset.union_graph if union else self.dataset.default_graph
            params = [("default-graph-uri", default)]
            params += [("named-graph-uri", iri) for iri in self.dataset.named_graphs]
        graph_form = form is QueryTriples
        response, body = self._post(
            declare_prefixes(text, prefixes, base_iri), accept=NTRIPLES if graph_form else JSON_RESULTS,
            params=params, max_bytes=max_bytes,
        )
        cut = response.headers.get(profile.row_cap_header) if profile.row_cap_header else None
        cut_at = int(cut) if cut and cut.strip().isdigit() else None
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if graph_form:
            if profile.boolean_as_number:
                body = _ntriples_booleans(body)
            return _parse_triples(media_type, body), None
        if media_type not in (JSON_RESULTS, "application/json"):
            raise EngineUnavailable(f"The query engine answered in an unexpected format ({media_type or 'none'}).")
        if profile.boolean_as_number or form is QueryBoolean:
            body = _normalise_json(body, ask=form is QueryBoolean, booleans=profile.boolean_as_number)
        return parse_query_results(body, format=QueryResultsFormat.JSON), cut_at

    def _post(self, text: str, *, accept: str, params=(), max_bytes: int) -> tuple[requests.Response, bytes]:
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
        return response, body


def _form(text: str, prefixes: dict | None, base_iri: str | None = None) -> type:
    """The query's form as the result type an empty store gives it (QuerySolutions, QueryBoolean or QueryTriples).

    Parsing it here first also makes a syntax error name its own line and column, not the engine's,
    and a query the embedded engine cannot plan (a function it does not know) fails as it does there.
    The text was checked for depth before (server/engine/querytext.py); the empty store evaluates nothing.
    """
    try:
        return type(Store().query(text, prefixes=prefixes or None, base_iri=base_iri))
    except SyntaxError as exc:
        raise QuerySyntaxError(str(exc)) from None
    except (RuntimeError, ValueError) as exc:
        raise QueryFailed(f"The query engine failed: {type(exc).__name__}: {exc}") from None


def _read_capped(response: requests.Response, max_bytes: int) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise ResultTooLarge(f"The result is larger than this endpoint's cap of {max_bytes} bytes; add a LIMIT.")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_triples(media_type: str, body: bytes) -> list:
    if media_type in (NTRIPLES, "text/plain"):
        return list(parse(body, format=RdfFormat.N_TRIPLES))
    if media_type == "text/turtle":
        return list(parse(body, format=RdfFormat.TURTLE))
    raise EngineUnavailable(f"The query engine answered in an unexpected format ({media_type or 'none'}).")


def _ntriples_booleans(body: bytes) -> bytes:
    """N-Triples with ``"1"``/``"0"`` booleans written ``"true"``/``"false"`` (a quote in a literal is escaped,
    so the pattern cannot occur inside another literal).

    >>> _ntriples_booleans(b'<x:a> <x:b> "1"^^<http://www.w3.org/2001/XMLSchema#boolean> .')
    b'<x:a> <x:b> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .'
    """
    for number, word in NUMBER_BOOLEANS.items():
        body = body.replace(f'"{number}"^^<{XSD_BOOLEAN}>'.encode(), f'"{word}"^^<{XSD_BOOLEAN}>'.encode())
    return body


def _normalise_json(body: bytes, *, ask: bool, booleans: bool) -> bytes:
    """SPARQL JSON results as the standard has them: an ASK answered as a one-row table made a boolean,
    and (with `booleans`) ``xsd:boolean`` values ``1``/``0`` written ``true``/``false``.

    >>> _normalise_json(b'{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [{"__ASK_RETVAL": '
    ...                 b'{"type": "literal", "value": "1"}}]}}', ask=True, booleans=True)
    b'{"head": {}, "boolean": true}'
    """
    document = json.loads(body)
    if ask and "boolean" not in document:
        rows = document.get("results", {}).get("bindings", [])
        values = [value.get("value") for row in rows[:1] for value in row.values()]
        return json.dumps({"head": {}, "boolean": bool(values) and values[0] not in ("0", "false")}).encode()
    if booleans:
        for row in document.get("results", {}).get("bindings", []):
            for value in row.values():
                if value.get("datatype") == XSD_BOOLEAN and value.get("value") in NUMBER_BOOLEANS:
                    value["value"] = NUMBER_BOOLEANS[value["value"]]
    return json.dumps(document).encode()
