"""What differs between SPARQL stores, in one place: an `EngineProfile` per store family.

Every profile asks for SPARQL JSON results for SELECT and ASK and for N-Triples
for CONSTRUCT and DESCRIBE (every store gives both), and reads the release
through the protocol's dataset parameters (server/engine/remote.py). What is
left differs by store:

============================  =================  ==============================================
                              sparql11, oxigraph  virtuoso
============================  =================  ==============================================
authentication                Basic              Digest (its ``-auth`` endpoints)
ASK answered as               a boolean          a one-row table (``__ASK_RETVAL``): made a boolean
``xsd:boolean`` comes back    as stated          as ``1``/``0``: made ``true``/``false``
row cap on SELECT             none               ``ResultSetMaxRows``, said by ``X-SPARQL-MaxRows``
row cap on graph answers      none               the same cap, said by nothing: a graph answer
                                                 as long as our own row cap is refused
functions that reach SQL      none               ``bif:`` and ``sql:`` IRIs: refused
a query reads one snapshot    yes                no: a release switched in while a query ran is
                                                 told by the live stamp, and the query asked again
after a write                 nothing            ``checkpoint``, so a restart keeps the release
============================  =================  ==============================================

``sparql11`` is the plain SPARQL 1.1 Protocol (Apache Jena Fuseki, GraphDB and
others); the Oxigraph server needs nothing more. The profile is named by a
setting (``LOD_ENGINE_PROFILE``) or, by default, detected from the ``Server``
header the endpoint sends with its service description.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from requests.auth import AuthBase
from requests.auth import HTTPBasicAuth
from requests.auth import HTTPDigestAuth

log = logging.getLogger(__name__)

AUTO = "auto"


@dataclass(frozen=True)
class EngineProfile:
    """How to talk to one family of SPARQL stores.

    :ivar digest_auth: credentials go by HTTP Digest, else by Basic.
    :ivar boolean_as_number: the store gives ``xsd:boolean`` literals as ``1``/``0``.
    :ivar row_cap_header: the response header by which the store says it cut a SELECT answer at its row cap.
    :ivar cuts_graphs_silently: the store cuts graph answers at its row cap and says nothing.
    :ivar sql_schemes: function IRI schemes the store runs as SQL, refused in clients' queries.
    :ivar after_write: a query the publisher sends, with its credentials, once a release is live.
    :ivar snapshot_reads: a query reads one committed state; else a commit during a query can show in
        its answer half (Virtuoso reads each row's latest committed state).
    """

    name: str
    digest_auth: bool = False
    boolean_as_number: bool = False
    row_cap_header: str | None = None
    cuts_graphs_silently: bool = False
    sql_schemes: tuple[str, ...] = ()
    after_write: str | None = None
    snapshot_reads: bool = True

    def auth(self, user: str | None, password: str | None) -> AuthBase | None:
        """The requests authentication for these credentials, or None without a user."""
        if user is None:
            return None
        return (HTTPDigestAuth if self.digest_auth else HTTPBasicAuth)(user, password or "")


SPARQL11 = EngineProfile("sparql11")
VIRTUOSO = EngineProfile(
    "virtuoso",
    digest_auth=True,
    boolean_as_number=True,
    row_cap_header="X-SPARQL-MaxRows",
    cuts_graphs_silently=True,
    sql_schemes=("bif:", "sql:"),
    after_write="SELECT (<bif:exec>('checkpoint') AS ?checkpoint) WHERE {}",
    snapshot_reads=False,
)
PROFILES = {"sparql11": SPARQL11, "oxigraph": SPARQL11, "virtuoso": VIRTUOSO}
NAMES = (AUTO, *PROFILES)
SERVERS = {"virtuoso/": "virtuoso", "oxigraph/": "oxigraph"}


def profile_named(name: str) -> EngineProfile:
    """The profile called `name` (one of `NAMES` but auto).

    >>> profile_named("oxigraph").digest_auth
    False
    """
    return PROFILES[name]


def profile_for_server(server: str) -> str:
    """The profile's name for a ``Server`` header.

    >>> profile_for_server("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu")
    'virtuoso'
    >>> profile_for_server("Apache Jena Fuseki (5.1.0)")
    'sparql11'
    """
    lowered = server.strip().lower()
    return next((name for prefix, name in SERVERS.items() if lowered.startswith(prefix)), "sparql11")


def detect_profile(session: requests.Session, url: str, *, timeout_s: float = 10.0) -> EngineProfile:
    """Ask `url` for its service description and choose the profile by the ``Server`` header it answers with.

    Any answer will do (a 401 or 404 still names the server).

    :raises requests.RequestException: if the endpoint cannot be reached.
    """
    response = session.get(url, headers={"Accept": "text/turtle"}, timeout=timeout_s)
    response.close()
    name = profile_for_server(response.headers.get("Server", ""))
    log.info("the engine at %s is served by %r: profile %s", url, response.headers.get("Server", ""), name)
    return PROFILES[name]
