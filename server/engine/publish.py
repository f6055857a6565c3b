"""Load a validated release into a remote SPARQL store, switching to it all at once, touching nothing else.

Every graph `publish` creates, replaces or deletes is the release's own: under
its graph namespace, or one of its named graphs, or one an earlier publish
recorded as its own (server/engine/published.py). The store's default graph
and every other graph (another team's data, the store's system graphs) are left
as they are.

1. Each named graph of the release, and its own default graph if it has one,
   is sent by the SPARQL 1.1 Graph Store HTTP Protocol (PUT, N-Triples) to a
   staging graph under the namespace; one update then merges the staged graphs
   into the staged merge. The release's description is not in its store, so no
   query on the engine sees it.
2. One SPARQL Update request moves every staging graph onto its live name,
   empties the graphs the new release does not have (an earlier release's, as
   recorded, and the staging graphs of a publish that was stopped halfway),
   and records the new release with a new stamp. A store runs one update
   request as one transaction, so a reader's query sees the old release or the
   new one, never half of each; where a store's queries do not read one
   snapshot (Virtuoso), the app tells a switch during a query by the stamp and
   asks again (server/engine/remote.py).
3. What the store's profile asks for after a write (Virtuoso: a checkpoint).

While staging graphs are being sent, they can be seen under their staging names
on the store itself; readers through the app see only the live names.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

import requests
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat

from server.common.errors import EXIT_ENGINE
from server.common.errors import BuildError
from server.common.progress import stage
from server.engine.profiles import AUTO
from server.engine.profiles import EngineProfile
from server.engine.profiles import detect_profile
from server.engine.profiles import profile_named
from server.engine.published import MEMBER
from server.engine.published import STAMP
from server.engine.published import PublishedDataset
from server.engine.published import default_graph_ntriples
from server.engine.published import published_dataset
from server.engine.remote import redact
from server.release.release import Release

log = logging.getLogger(__name__)


class PublishError(BuildError):
    """The engine refused or could not be reached; the live release is unchanged."""

    exit_code = EXIT_ENGINE


def publish_release(
    release: Release,
    *,
    store_url: str,
    update_url: str,
    user: str | None = None,
    password: str | None = None,
    profile: str = AUTO,
    timeout_s: float = 300,
) -> int:
    """Send every graph of `release` to the engine, then switch to it; return the named graphs sent.

    The same layout serves apps of either default-graph setting (server/engine/published.py).

    :raises PublishError: if the engine refuses a request; nothing live has changed then.
    """
    dataset = published_dataset(release)
    taken = [graph for graph in dataset.named_graphs if dataset.reserved(graph)]
    if taken:
        raise PublishError(
            f"the release's graph <{taken[0]}> has a name publish keeps for itself in the store "
            f"(<{dataset.namespace}> and <{dataset.namespace}?…>); rename the graph"
        )
    session = requests.Session()
    graphs = sent_graphs(dataset)
    with stage("send graphs", total=len(graphs), unit="graphs") as progress:
        chosen = _profile(session, update_url, profile)
        session.auth = chosen.auth(user, password)
        for graph in graphs:
            if graph == dataset.stored_graph:
                body = default_graph_ntriples(release)
            else:
                body = release.store.dump(format=RdfFormat.N_TRIPLES, from_graph=NamedNode(graph))
            target = f"{store_url}?graph={quote(dataset.staging(graph, release.version), safe='')}"
            _send(session, target, body, timeout_s, method="PUT", media_type="application/n-triples")
            log.debug("staged <%s> (%d bytes)", graph, len(body))
            progress.advance()
    with stage("switch the engine to the release"):
        _send(session, update_url, {"update": merge_update(dataset, release.version)}, timeout_s)
        stamp = f"{release.version} {uuid.uuid4().hex}"
        _send(session, update_url, {"update": switch_update(dataset, release.version, stamp)}, timeout_s)
    log.info("engine now serves release %s (%d graphs)", release.version, len(dataset.named_graphs))
    if chosen.after_write:
        _send(session, update_url, {"query": chosen.after_write}, timeout_s)
        log.info("engine wrote the release to disk (%s)", chosen.name)
    return len(dataset.named_graphs)


def sent_graphs(dataset: PublishedDataset) -> list[str]:
    """The graphs publish sends: the release's named graphs, and its own default graph if it has one."""
    return [*dataset.named_graphs, *([dataset.stored_graph] if dataset.has_default else [])]


def merge_update(dataset: PublishedDataset, version: str) -> str:
    """The update that fills the staged merge with the triples of every staged graph.

    >>> print(merge_update(PublishedDataset("x:g/", ("x:a",)), "v1"))
    DROP SILENT GRAPH <x:g/?staging=v1&graph=x%3Ag%2F> ;
    INSERT { GRAPH <x:g/?staging=v1&graph=x%3Ag%2F> { ?s ?p ?o } }
      WHERE { GRAPH ?g { ?s ?p ?o } VALUES ?g { <x:g/?staging=v1&graph=x%3Aa> } }
    """
    staged = " ".join(f"<{dataset.staging(graph, version)}>" for graph in sent_graphs(dataset))
    union = dataset.staging(dataset.union_graph, version)
    return (
        f"DROP SILENT GRAPH <{union}> ;\n"
        f"INSERT {{ GRAPH <{union}> {{ ?s ?p ?o }} }}\n  WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ {staged} }} }}"
    )


def switch_update(dataset: PublishedDataset, version: str, stamp: str) -> str:
    """The one update request that makes the staged release live and records it.

    It empties the graphs an earlier publish recorded that the release does not
    have, then those under the namespace (an older release's, a stopped publish's
    staging graphs, the old record), and no others.

    >>> print(switch_update(PublishedDataset("x:g/", ("x:a",)), "v2", "v2 1"))
    MOVE <x:g/?staging=v2&graph=x%3Aa> TO <x:a> ;
    MOVE <x:g/?staging=v2&graph=x%3Ag%2F> TO <x:g/> ;
    DELETE { GRAPH ?g { ?s ?p ?o } }
      WHERE { GRAPH <x:g/?live> { ?release <http://www.w3.org/ns/prov#hadMember> ?g }
              GRAPH ?g { ?s ?p ?o } FILTER(?g NOT IN (<x:a>, <x:g/>)) } ;
    DELETE { GRAPH ?g { ?s ?p ?o } }
      WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "x:g/") && ?g NOT IN (<x:a>, <x:g/>)) } ;
    INSERT DATA { GRAPH <x:g/?live> { <x:g/> <http://www.w3.org/2002/07/owl#versionInfo> "v2 1" .
      <x:g/> <http://www.w3.org/ns/prov#hadMember> <x:a> } }
    """
    live = [*sent_graphs(dataset), dataset.union_graph]
    moves = [f"MOVE <{dataset.staging(graph, version)}> TO <{graph}>" for graph in live]
    kept = ", ".join(f"<{graph}>" for graph in live)
    recorded = (
        f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }}\n  WHERE {{ GRAPH <{dataset.live_graph}> {{ ?release <{MEMBER}> ?g }}\n"
        f"          GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({kept})) }}"
    )
    namespace = (
        "DELETE { GRAPH ?g { ?s ?p ?o } }\n  WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{dataset.namespace}") && ?g NOT IN ({kept})) }}'
    )
    members = "".join(f" .\n  <{dataset.namespace}> <{MEMBER}> <{graph}>" for graph in dataset.named_graphs)
    record = f'INSERT DATA {{ GRAPH <{dataset.live_graph}> {{ <{dataset.namespace}> <{STAMP}> "{stamp}"{members} }} }}'
    return " ;\n".join([*moves, recorded, namespace, record])


def _profile(session: requests.Session, url: str, name: str) -> EngineProfile:
    if name != AUTO:
        return profile_named(name)
    try:
        return detect_profile(session, url)
    except requests.RequestException as exc:
        raise PublishError(f"the engine at {redact(url)} cannot be reached: {type(exc).__name__}") from None


def _send(session: requests.Session, url: str, body, timeout_s: float, *, method: str = "POST",
          media_type: str | None = None) -> None:
    """Send `body` (bytes of `media_type`, or a form as a dict) and check the engine took it."""
    headers = {"Content-Type": media_type} if media_type else {}
    try:
        response = session.request(method, url, data=body, headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        raise PublishError(f"the engine at {redact(url)} cannot be reached: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise PublishError(
            f"the engine refused {method} {redact(url)}: HTTP {response.status_code} {response.text[:500]}"
        )
