"""Load a validated release into a remote SPARQL engine, switching to it all at once.

1. Each named graph of the release, and its default graph if it has one, is
   sent by the SPARQL 1.1 Graph Store HTTP Protocol (PUT, N-Triples) to a
   staging graph, ``{graph}?staging={version}``. The release's description is
   not in its store, so no query on the engine sees it.
2. One SPARQL Update request then moves every staging graph onto its live name,
   drops the graphs the new release no longer has, makes the staged default
   graph the default graph, and, with the union default graph, adds the merge of
   the live named graphs to it. An engine runs one update request as one
   transaction (Oxigraph does), so readers see the old release or the new one,
   never half of each.

While staging graphs are being sent, a `GRAPH ?g` query (through the app or
on the engine) can see them under their staging names; the default graph, the
live graph names, and so every page, change only at the switch.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import requests
from pyoxigraph import DefaultGraph
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat

from server.common.errors import EXIT_ENGINE
from server.common.errors import BuildError
from server.common.progress import stage
from server.common.progress import stage_items
from server.engine.remote import redact
from server.release.release import Release

log = logging.getLogger(__name__)

STAGING = "?staging="
DEFAULT_STAGING = "urn:x-mic-lod:default-graph"  # the name the release's default graph is staged under


class PublishError(BuildError):
    """The engine refused or could not be reached; the live release is unchanged."""

    exit_code = EXIT_ENGINE


def staging_iri(graph: str, version: str) -> str:
    """The name a graph is staged under while a release is being sent.

    >>> staging_iri("https://x.org/graph/A1", "20261125-abc")
    'https://x.org/graph/A1?staging=20261125-abc'
    """
    return f"{graph}{STAGING}{version}"


def publish_release(
    release: Release, *, store_url: str, update_url: str, auth=None, timeout_s: float = 300, union: bool = True
) -> int:
    """Send every graph of `release` to the engine, then switch to it; return the named graphs sent.

    :param union: make the engine's default graph the merge of all graphs (else the release's own).
    :raises PublishError: if the engine refuses a request; nothing live has changed then.
    """
    session = requests.Session()
    session.auth = auth
    graphs = sorted(graph.value for graph in release.store.named_graphs())
    staged = [(graph, NamedNode(graph)) for graph in graphs]
    default = next(release.store.quads_for_pattern(None, None, None, DefaultGraph()), None) is not None
    if default:
        staged.append((DEFAULT_STAGING, DefaultGraph()))
    for graph, source in stage_items(staged, "send graphs", unit="graphs"):
        body = release.store.dump(format=RdfFormat.N_TRIPLES, from_graph=source)
        target = f"{store_url}?graph={quote(staging_iri(graph, release.version), safe='')}"
        _send(session, "PUT", target, body, "application/n-triples", timeout_s)
        log.debug("staged %s (%d bytes)", f"<{graph}>" if graph != DEFAULT_STAGING else "the default graph", len(body))
    with stage("switch the engine to the release"):
        update = switch_update(graphs, release.version, default=default, union=union)
        _send(session, "POST", update_url, update.encode(), "application/sparql-update", timeout_s)
    log.info("engine now serves release %s (%d graphs)", release.version, len(graphs))
    return len(graphs)


def switch_update(graphs: list[str], version: str, *, default: bool = False, union: bool = True) -> str:
    """The one update request that makes the staged release live.

    >>> print(switch_update(["http://x/g"], "v1"))
    MOVE <http://x/g?staging=v1> TO <http://x/g> ;
    DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g NOT IN (<http://x/g>)) } ;
    DROP SILENT DEFAULT ;
    INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }
    >>> print(switch_update([], "v1", default=True, union=False).replace(DEFAULT_STAGING, "urn:d"))
    DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g NOT IN (<urn:d?staging=v1>)) } ;
    DROP SILENT DEFAULT ;
    MOVE <urn:d?staging=v1> TO DEFAULT
    """
    staged_default = staging_iri(DEFAULT_STAGING, version)
    live = ", ".join(f"<{graph}>" for graph in graphs + ([staged_default] if default else []))
    moves = [f"MOVE <{staging_iri(graph, version)}> TO <{graph}>" for graph in graphs]
    return " ;\n".join(
        [
            *moves,
            f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({live})) }}",
            "DROP SILENT DEFAULT",
            *([f"MOVE <{staged_default}> TO DEFAULT"] if default else []),
            *(["INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"] if union else []),
        ]
    )


def _send(session: requests.Session, method: str, url: str, body: bytes, media_type: str, timeout_s: float) -> None:
    try:
        response = session.request(method, url, data=body, headers={"Content-Type": media_type}, timeout=timeout_s)
    except requests.RequestException as exc:
        raise PublishError(f"the engine at {redact(url)} cannot be reached: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise PublishError(
            f"the engine refused {method} {redact(url)}: HTTP {response.status_code} {response.text[:500]}"
        )

