"""Pre-binding for SHACL-SPARQL: one query that answers for every focus node at once.

SHACL runs a SPARQL-based constraint once per focus node with `$this` (and `$value`, `$currentShape`,
the parameters of a constraint component) pre-bound: replaced by a value throughout the query,
in nested groups, UNION branches and FILTERs included. Running one query per focus node would be
slow, so `prebind_select` rewrites the query to run once: a group binding the pre-bound variables
for every focus node (`focus`) is joined at the start of the WHERE group, and of every nested group
that mentions a pre-bound variable, so each of them sees the variables bound as pre-binding would.

What this does not make equal to pre-binding is refused with ValueError saying why, as the SHACL
specification (5.6.1) asks for MINUS, VALUES, SERVICE, rebinding a pre-bound variable with AS, and
sub-SELECTs not returning `$this`; also LIMIT/OFFSET, aggregates without GROUP BY (they count per
focus node under pre-binding) and `$shapesGraph` (the shapes graph is not in the store).

Groups of FILTER [NOT] EXISTS are left alone: the engine evaluates them with the solution's
bindings substituted, nested groups included, which is pre-binding already. So `prebind_ask` puts
the group of an ASK validator into a FILTER NOT EXISTS unchanged.

>>> prebind_select("SELECT $this WHERE { { FILTER($this = 1) } UNION { ?this ?p ?o } }", "{F}", {"this"})
'SELECT $this WHERE { {F} { {F} FILTER($this = 1) } UNION { {F} ?this ?p ?o } }'
>>> prebind_select("SELECT ?value WHERE { $this ?p ?value OPTIONAL { $this ?q ?o } }", "{F}", {"this"})
'SELECT ?this ?value WHERE { {F} $this ?p ?value OPTIONAL { $this ?q ?o } }'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<punct>[{}()])
  | (?P<word>[^\s{}()"'<\#?$]+|[<?$])
    """,
    re.VERBOSE,
)
AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}
REFUSED_KEYWORDS = {
    "MINUS": "MINUS (SHACL 5.6.1 forbids it with pre-binding)",
    "VALUES": "VALUES (SHACL 5.6.1 forbids it with pre-binding)",
    "SERVICE": "SERVICE (SHACL 5.6.1 forbids it with pre-binding)",
}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def var(self) -> str | None:
        return self.text[1:] if self.kind == "var" else None


def tokenize(text: str) -> list[Token]:
    """The tokens of SPARQL text, without spaces and comments.

    >>> [t.text for t in tokenize('SELECT ?x { ?x <http://e/p> "}" # }\\n }')]
    ['SELECT', '?x', '{', '?x', '<http://e/p>', '"}"', '}']
    """
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read the query at character {position}: {text[position:position + 20]!r}")
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), match.start(), match.end()))
        position = match.end()
    return tokens


class _Query:
    """The tokens of one query, its matching braces, and the edits to make."""

    def __init__(self, text: str, prebound: set[str]):
        self.text = text
        self.tokens = tokenize(text)
        self.prebound = prebound
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
        self.closing: dict[int, int] = {}
        stack = []
        for index, token in enumerate(self.tokens):
            if token.text == "{":
                stack.append(index)
            elif token.text == "}":
                if not stack:
                    raise ValueError("unbalanced braces")
                self.closing[stack.pop()] = index
        if stack:
            raise ValueError("unbalanced braces")

    def check(self, path: str | None) -> None:
        for index, token in enumerate(self.tokens):
            if token.word in REFUSED_KEYWORDS:
                raise ValueError(REFUSED_KEYWORDS[token.word])
            if token.var == "shapesGraph":
                raise ValueError("$shapesGraph is not supported: the shapes graph is not in the store")
            if token.word == "AS" and index + 1 < len(self.tokens) and self.tokens[index + 1].var in self.prebound:
                raise ValueError(f"AS {self.tokens[index + 1].text} rebinds a pre-bound variable")
            if token.var == "PATH":
                if path is None:
                    raise ValueError("$PATH in a shape without sh:path")
                self.edits.append((token.start, token.end, path))

    def keyword(self, word: str, start: int = 0) -> int:
        for index in range(start, len(self.tokens)):
            if self.tokens[index].word == word:
                return index
        raise ValueError(f"no {word}")

    def mentions(self, start: int, end: int) -> bool:
        return any(token.var in self.prebound for token in self.tokens[start:end])

    def result(self) -> str:
        text = self.text
        for start, end, replacement in sorted(self.edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text

    # ------------------------------------------------------------ one SELECT and its groups

    def select(self, at: int, *, top: bool, focus: str) -> int:
        """Rewrite the SELECT whose keyword is token `at`; return the index of its group's closing brace."""
        tokens = self.tokens
        open_ = next((i for i in range(at, len(tokens)) if tokens[i].text == "{"), None)
        if open_ is None:
            raise ValueError("a SELECT without a WHERE group")
        close = self.closing[open_]
        projection = tokens[at + 1 : open_]
        names = {token.var for token in projection}
        star = any(token.text == "*" for token in projection)
        if top and "this" not in names and not star:
            after = at + 1 if tokens[at + 1].word not in ("DISTINCT", "REDUCED") else at + 2
            self.edits.append((tokens[after].start, tokens[after].start, "?this "))
        if not top and not ({"this"} & self.prebound) <= names:
            raise ValueError("a sub-SELECT must return $this (SHACL 5.6.1)")
        end = self.closing_of_level(close)
        modifiers = tokens[close + 1 : end]
        words = [token.word for token in modifiers]
        for word in ("LIMIT", "OFFSET"):
            if word in words:
                raise ValueError(f"{word} (it would apply to all focus nodes at once, not to each)")
        aggregated = any(
            token.word in AGGREGATES and i + 1 < len(tokens) and tokens[i + 1].text == "("
            for i, token in enumerate(tokens[at:end], start=at)
            if not (open_ <= i <= close)
        )
        if "GROUP" in words:
            by = close + 1 + words.index("GROUP") + 1
            keys = {token.var for token in tokens[by + 1 : end]}
            if "this" not in keys:
                self.edits.append((tokens[by].end, tokens[by].end, " ?this"))
        elif aggregated:
            raise ValueError("an aggregate without GROUP BY $this (under pre-binding it counts per focus node)")
        self.group(open_, inject=True, focus=focus)
        return close

    def closing_of_level(self, close: int) -> int:
        """The index just past a SELECT's modifiers: the closing brace around a sub-SELECT, or the end."""
        depth = 0
        for index in range(close + 1, len(self.tokens)):
            text = self.tokens[index].text
            if text == "{":
                depth += 1
            elif text == "}":
                if depth == 0:
                    return index
                depth -= 1
        return len(self.tokens)

    def group(self, open_: int, *, inject: bool, focus: str) -> None:
        """Inject `focus` into the group at `open_` if asked, then decide for each group nested in it."""
        close = self.closing[open_]
        if inject:
            self.edits.append((self.tokens[open_].end, self.tokens[open_].end, " " + focus))
        index = open_ + 1
        while index < close:
            token = self.tokens[index]
            if token.text != "{":
                index += 1
                continue
            inner_close = self.closing[index]
            previous = self.tokens[index - 1].word
            following = self.tokens[index + 1].word if index + 1 < close else ""
            if previous == "EXISTS":
                pass  # evaluated with the solution's bindings substituted: pre-bound already
            elif index >= 2 and self.tokens[index - 2].word == "GRAPH" and self.mentions(index, inner_close):
                raise ValueError("a pre-bound variable inside GRAPH (the focus nodes are found in the union)")
            elif following == "SELECT":
                self.select(index + 1, top=False, focus=focus)
            elif previous == "OPTIONAL":
                self.group(index, inject=self.binds_prebound(index, inner_close), focus=focus)
            else:
                self.group(index, inject=self.mentions(index, inner_close), focus=focus)
            index = inner_close + 1

    def binds_prebound(self, open_: int, close: int) -> bool:
        """Whether an OPTIONAL group has a BIND of its own using a pre-bound variable.

        Its triple patterns and FILTERs see the left side's bindings (the focus is joined there);
        a BIND is evaluated inside the group alone.
        """
        depth, index = 0, open_ + 1
        while index < close:
            token = self.tokens[index]
            if token.text == "{":
                depth += 1
            elif token.text == "}":
                depth -= 1
            elif depth == 0 and token.word == "BIND":
                end = self.matching_paren(index + 1)
                if self.mentions(index, end):
                    return True
            index += 1
        return False

    def matching_paren(self, open_: int) -> int:
        depth = 0
        for index in range(open_, len(self.tokens)):
            if self.tokens[index].text == "(":
                depth += 1
            elif self.tokens[index].text == ")":
                depth -= 1
                if depth == 0:
                    return index
        raise ValueError("unbalanced parentheses")


def prebind_select(text: str, focus: str, prebound: set[str], *, path: str | None = None) -> str:
    """The SELECT query `text` rewritten to answer for every focus node `focus` binds (see the module).

    :raises ValueError: saying what cannot be pre-bound this way.
    """
    query = _Query(text, prebound)
    query.check(path)
    at = query.keyword("SELECT")
    query.select(at, top=True, focus=focus)
    return query.result()


def prebind_ask(text: str, prebound: set[str], *, path: str | None = None) -> str:
    """The group of the ASK query `text`, checked, to run inside FILTER NOT EXISTS with the variables bound.

    >>> prebind_ask("ASK { FILTER ($value = $PATH) }", {"this", "value"}, path="<http://e/p>")
    '{ FILTER ($value = <http://e/p>) }'
    """
    query = _Query(text, prebound)
    query.check(path)
    at = query.keyword("ASK")
    open_ = next((i for i in range(at, len(query.tokens)) if query.tokens[i].text == "{"), None)
    if open_ is None:
        raise ValueError("an ASK without a group")
    close = query.closing[open_]
    if close != len(query.tokens) - 1:
        raise ValueError("solution modifiers after an ASK group")
    index = open_ + 1
    while index < close:  # sub-SELECTs must still return the pre-bound variables
        if query.tokens[index].text == "{" and query.tokens[index + 1].word == "SELECT":
            where = next(i for i in range(index + 2, close) if query.tokens[i].text == "{")
            projection = query.tokens[index + 2 : where]
            if not query.prebound - {"currentShape"} <= {token.var for token in projection}:
                raise ValueError("a sub-SELECT must return every pre-bound variable (SHACL 5.6.1)")
        index += 1
    body = query.result()
    shift = len(body) - len(text)
    return body[query.tokens[open_].start : query.tokens[close].end + shift]
