"""Answers to queries over an unchanged release: validators, and a small cache of recent answers.

A release never changes once served, so the answer to a query depends only on the
release's version, the query and how it is asked (format, dataset, caps). Such an
answer gets a weak ETag (the same tag means the same answer, up to blank node
labels), which lets clients and proxies revalidate for a 304 without the query
being run; and recent answers are kept in memory, up to a byte budget, so a query
asked again is answered without a worker. Queries whose answer can differ between
two runs over the same data (RAND, NOW, UUID, STRUUID; SERVICE, whose remote data
may change) get neither.
"""

from __future__ import annotations

import hashlib

from server.common.lru import LruCache
from server.engine.answers import QueryJob
from server.engine.querytext import tokens

VOLATILE = frozenset({"RAND", "NOW", "UUID", "STRUUID", "SERVICE"})


def is_repeatable(query: str) -> bool:
    """Whether running `query` twice over the same data gives the same answer.

    >>> is_repeatable('SELECT * { ?s ?p "NOW()" }')
    True
    >>> is_repeatable("SELECT (now() AS ?t) {}")
    False
    >>> is_repeatable("SELECT * { SERVICE <http://e/sparql> { ?s ?p ?o } }")
    False
    """
    return not any(kind == "word" and text.upper() in VOLATILE for kind, text in tokens(query))


def answer_tag(version: str, job: QueryJob) -> str | None:
    """The validator of the answer to `job` over release `version`, or None if the answer is not repeatable.

    >>> job = QueryJob("ASK {}", "application/sparql-results+json", None)
    >>> answer_tag("v1", job) == answer_tag("v1", job) != answer_tag("v2", job)
    True
    """
    if not is_repeatable(job.query):
        return None
    parts = [
        version,
        job.query,
        job.results_media_type or "",
        job.graph_media_type or "",
        "\x1f".join(f"{prefix}={iri}" for prefix, iri in sorted(job.prefixes.items())),
        "\x1f".join(job.default_graphs),
        "\x1f".join(job.named_graphs),
        str(job.max_rows),
        str(job.max_bytes),
        job.base_iri or "",
    ]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()[:32]


def answer_cache(max_bytes: int, *, largest: float = 1 / 8) -> LruCache:
    """Recent answers by tag, within `max_bytes` of their bodies (0 keeps none); none over `largest` of it.

    >>> from server.engine.answers import QueryAnswer
    >>> cache = answer_cache(max_bytes=800)
    >>> answer = QueryAnswer("boolean", "application/sparql-results+json", b"x" * 100, 0.1)
    >>> cache.put("a", answer); cache.get("a") is answer, cache.get("b")
    (True, None)
    >>> cache.put("big", QueryAnswer("boolean", "text/csv", b"x" * 101, 0.1)); cache.get("big")
    """
    return LruCache(max_bytes, weight=lambda answer: len(answer.body), max_weight=int(max_bytes * largest))
