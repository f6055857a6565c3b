"""Checks on SPARQL text made before any engine sees it: updates, nesting depth, SERVICE.

`check_query` applies the endpoint's policy; the other functions are its parts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from server.common.errors import QueryTooDeep
from server.common.errors import ServiceRefused
from server.common.errors import UpdateAsQuery

READ_ONLY = "This endpoint is read-only: SPARQL Update is not accepted."

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
_PROLOGUE = re.compile(
    r"""\s*(?:
        \#[^\n]*\n?                                  # a comment
      | BASE\s*<[^>]*>                               # BASE <iri>
      | PREFIX\s+[^\s:]*:\s*<[^>]*>                  # PREFIX p: <iri>
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"\s*([A-Za-z]+)")
_DECLARED = re.compile(r"\s*(?:BASE\b|PREFIX\s+([^\s:]*):)", re.IGNORECASE)


def prologue(text: str) -> tuple[int, list[str | None]]:
    """Where the prologue (BASE, PREFIX and comments) of SPARQL text ends, and what it declares:
    the prefix names, and None for each BASE.

    >>> text = "BASE <http://e/> # PREFIX no: <x:>\\nPREFIX a: <a/>\\nSELECT * {}"
    >>> end, names = prologue(text)
    >>> text[end:], names
    ('\\nSELECT * {}', [None, 'a'])
    """
    position, names = 0, []
    while True:
        match = _PROLOGUE.match(text, position)
        if not match or match.end() == position:
            return position, names
        declared = _DECLARED.match(match.group(0))
        if declared:
            names.append(declared.group(1))
        position = match.end()


def first_keyword(text: str) -> str:
    """The first keyword after the prologue (BASE, PREFIX and comments), upper-cased.

    >>> first_keyword("PREFIX ex: <http://e/> # hi\\n select * {}")
    'SELECT'
    >>> first_keyword("  insert data { }")
    'INSERT'
    """
    word = _WORD.match(text, prologue(text)[0])
    return word.group(1).upper() if word else ""


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL Update request rather than a query.

    >>> is_update("PREFIX x: <a:> DELETE WHERE { ?s ?p ?o }")
    True
    >>> is_update("SELECT * WHERE { ?s ?p ?o }")
    False
    """
    return first_keyword(text) in UPDATE_KEYWORDS


def tokens(text: str):
    """Yield the brackets, IRIs and bare words of SPARQL text, skipping strings and comments.

    Each item is (kind, text) with kind "open", "close", "iri" or "word".

    >>> list(tokens('SELECT * { ?s <http://e/p> "{" }'))
    [('word', 'SELECT'), ('word', '*'), ('open', '{'), ('word', '?s'), ('iri', 'http://e/p'), ('close', '}')]
    """
    for kind, token, _ in spans(text):
        yield kind, token


def spans(text: str) -> tuple[tuple[str, str, int], ...]:
    """Like `tokens`, with where each token ends: (kind, text, end), `end` the index just after it.

    A request's text is read by several checks (update, depth, SERVICE, repeatable, and the pool's): the
    spans of the last few texts are kept, so it is read once.
    """
    return _spans(text) if len(text) <= SPANS_KEPT_CHARS else tuple(_read_spans(text))


SPANS_KEPT_CHARS = 20_000  # texts up to this long have their spans kept; at most SPANS_KEPT of them
SPANS_KEPT = 32


@lru_cache(maxsize=SPANS_KEPT)
def _spans(text: str) -> tuple[tuple[str, str, int], ...]:
    return tuple(_read_spans(text))


def _read_spans(text: str):
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif c in "\"'":
            long = text.startswith(c * 3, i)
            quote = c * 3 if long else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\":
                    j += 1
                elif not long and text[j] == "\n":
                    break
                j += 1
            i = j + len(quote)
        elif c in "({[":
            yield "open", c, i + 1
            i += 1
        elif c in ")}]":
            yield "close", c, i + 1
            i += 1
        else:
            if c == "<":
                j = i + 1
                while j < n and text[j] not in "<>\"{}|^`\\ \t\r\n":
                    j += 1
                if j < n and text[j] == ">":  # an IRI reference, not a less-than
                    yield "iri", text[i + 1 : j], j + 1
                    i = j + 1
                    continue
            j = i + 1
            while j < n and not text[j].isspace() and text[j] not in "(){}[]\"'#<,;":
                j += 1
            yield "word", text[i:j], j
            i = j


def declare_prefixes(text: str, prefixes: dict[str, str] | None, base_iri: str | None = None) -> str:
    """`text` as sent to a remote engine: ``BASE <base_iri>`` first if the query declares no BASE, then
    its own prologue in its order, then a PREFIX line for each of `prefixes` it does not declare.

    Some engines (Virtuoso) take one BASE only, and before any PREFIX; a prefix the
    query declares keeps the query's IRI.

    >>> print(declare_prefixes("BASE <http://e/>\\nPREFIX a: <a/>\\nSELECT * {}", {"a": "x:o/", "b": "x:b/"}, "x:e"))
    BASE <http://e/>
    PREFIX a: <a/>
    PREFIX b: <x:b/>
    SELECT * {}
    >>> print(declare_prefixes("SELECT * { <a> ?p ?o }", {}, "http://e/sparql"))
    BASE <http://e/sparql>
    SELECT * { <a> ?p ?o }
    """
    end, declared = prologue(text)
    base = f"BASE <{base_iri}>\n" if base_iri and None not in declared else ""
    missing = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in (prefixes or {}).items() if name not in declared)
    if missing:
        text = text[:end] + "\n" + missing + text[end:].lstrip(" \t\r\n")
    return base + text


def names_a_dataset(text: str) -> bool:
    """Whether SPARQL text has a FROM or FROM NAMED clause (at the top level, where only they use the word).

    >>> names_a_dataset("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }")
    True
    >>> names_a_dataset("SELECT ?from WHERE { ?s <http://e/from> ?from FILTER(?s != <x:FROM>) }")
    False
    """
    depth = 0
    for kind, value in tokens(text):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "word" and depth == 0 and value.upper() == "FROM":
            return True
    return False


def iris_in_schemes(text: str, schemes: tuple[str, ...]) -> list[str]:
    """The IRIs written in SPARQL text (also as a PREFIX's IRI) whose scheme is one of `schemes`.

    >>> iris_in_schemes("PREFIX b: <bif:> SELECT (b:exec('x') AS ?r) { ?s <http://e/p> ?o }", ("bif:", "sql:"))
    ['bif:']
    """
    lowered = tuple(scheme.lower() for scheme in schemes)
    return [value for kind, value in tokens(text) if kind == "iri" and value.lower().startswith(lowered)]


def where_group(text: str) -> int | None:
    """The index just after the ``{`` that opens the query's WHERE group, or None if there is none.

    That is the first ``{`` outside all brackets after the query form (SELECT, ASK, DESCRIBE), or after
    the WHERE of a CONSTRUCT (whose first group is its template).

    >>> q = 'PREFIX e: <http://e/> CONSTRUCT { ?s e:p "}" } WHERE { ?s ?p ?o }'
    >>> q[where_group(q):]
    ' ?s ?p ?o }'
    >>> where_group("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    25
    >>> where_group("# SELECT {\\nBASE <x>") is None
    True
    """
    depth = 0
    form = None
    after_where = False
    for kind, token, end in spans(text):
        if kind == "word" and depth == 0:
            word = token.upper()
            if form is None and word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                form = word
            after_where = after_where or word == "WHERE"
        elif kind == "open":
            if token == "{" and depth == 0 and form is not None and (after_where or form != "CONSTRUCT"):
                return end
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
    return None


def nesting_depth(text: str) -> int:
    """The deepest nesting of (), {} and [] in SPARQL text, outside strings, IRIs and comments.

    >>> nesting_depth("SELECT * { ?s ?p ?o FILTER(?o > 1) }")
    2
    >>> nesting_depth('SELECT * { ?s ?p "{{{{" } # ((((')
    1
    >>> nesting_depth("SELECT * WHERE { " * 3 + "}" * 3)
    3
    """
    depth = deepest = 0
    for kind, _ in tokens(text):
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(depth - 1, 0)
    return deepest


def service_targets(text: str) -> list[str | None]:
    """The endpoints that SERVICE clauses name: an IRI, or None where it is not a plain IRI.

    >>> service_targets("SELECT * { SERVICE SILENT <http://e/sparql> { ?s ?p ?o } }")
    ['http://e/sparql']
    >>> service_targets("SELECT * { SERVICE ?endpoint { ?s ?p ?o } ?s <http://e/SERVICE> ?service }")
    [None]
    """
    targets: list[str | None] = []
    items = list(tokens(text))
    for index, (kind, value) in enumerate(items):
        if kind == "word" and value.upper() == "SERVICE":
            rest = items[index + 1 : index + 3]
            if rest and rest[0][0] == "word" and rest[0][1].upper() == "SILENT":
                rest = rest[1:]
            targets.append(rest[0][1] if rest and rest[0][0] == "iri" else None)
    return targets


def check_query(text: str, *, max_depth: int, allowed_services: frozenset[str] = frozenset()) -> None:
    """Refuse text the endpoint must not run: an update, brackets nested past `max_depth`,
    or a SERVICE clause naming anything but an allow-listed endpoint IRI.

    :raises BadQuery: for SPARQL Update sent as a query (400: a query it is not), and for
        nesting deeper than `max_depth`.
    :raises ServiceRefused: for a SERVICE whose endpoint is not allow-listed.

    >>> check_query("SELECT * { SERVICE <http://a/sparql> { ?s ?p ?o } }", max_depth=8)
    Traceback (most recent call last):
    server.common.errors.ServiceRefused: This endpoint does not send queries to other endpoints (SERVICE <http://a/sparql>)...
    """
    if is_update(text):
        raise UpdateAsQuery(f"{READ_ONLY} The text sent as a query is an update.")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise QueryTooDeep(f"The query nests brackets {depth} levels deep; this endpoint accepts at most {max_depth}.")
    refused = [target for target in service_targets(text) if target not in allowed_services]
    if refused:
        named = ", ".join(f"<{target}>" if target else "a variable or prefixed name" for target in refused)
        raise ServiceRefused(
            f"This endpoint does not send queries to other endpoints (SERVICE {named}); "
            "only endpoints an operator allow-lists may be named, by IRI."
        )
