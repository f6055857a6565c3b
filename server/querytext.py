"""Checks on SPARQL text made before any engine sees it: nesting depth and update forms."""

from __future__ import annotations

import re

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


def first_keyword(text: str) -> str:
    """The first keyword after the prologue (BASE, PREFIX and comments), upper-cased.

    >>> first_keyword("PREFIX ex: <http://e/> # hi\\n select * {}")
    'SELECT'
    >>> first_keyword("  insert data { }")
    'INSERT'
    """
    position = 0
    while True:
        match = _PROLOGUE.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
    word = _WORD.match(text, position)
    return word.group(1).upper() if word else ""


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL Update request rather than a query.

    >>> is_update("PREFIX x: <a:> DELETE WHERE { ?s ?p ?o }")
    True
    >>> is_update("SELECT * WHERE { ?s ?p ?o }")
    False
    """
    return first_keyword(text) in UPDATE_KEYWORDS


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
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if c in "\"'":
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
            continue
        if c == "<":
            j = i + 1
            while j < n and text[j] not in "<>\"{}|^`\\ \t\r\n":
                j += 1
            if j < n and text[j] == ">":  # an IRI reference, not a less-than
                i = j + 1
                continue
        if c in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")}]":
            depth = max(depth - 1, 0)
        i += 1
    return deepest
