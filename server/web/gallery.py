"""The example queries: the competency queries of queries/, made runnable here, with their parameters.

Each ``queries/{slug}.rq`` opens with a short header of comment lines, then
the query::

    # title_ja: 基金はどの組織に設置されたか。
    # title_en: At which organisation was the fund set up?
    # param: fund iri id/fund/beyond-5g
    PREFIX mic: <ontology/>
    SELECT ?organization WHERE { ?fund mic:establishedAt ?organization }

- ``title_ja`` and ``title_en``: the question it answers, in each language.
- ``param: NAME TYPE DEFAULT`` (any number): the variable ``?NAME`` is a
  parameter of type TYPE (`TYPES`: ``iri``, ``string``, ``integer``,
  ``decimal``, ``double``, ``boolean``, ``date``, ``dateTime``, ``gYear``,
  ``gYearMonth``), which runs with DEFAULT unless a reader gives another value.
  An ``iri`` may be written relative to the base IRI (``id/fund/beyond-5g``).

A query uses IRIs relative to the base (``PREFIX mic: <ontology/>``,
``<id/fund/beyond-5g>``). The endpoint has no base of its own, so each query
gets ``BASE <base_iri>`` before its first ``PREFIX``, and then runs as written.

Parameters are bound as RDF terms, never pasted into the text as typed: each
value is parsed by its type into a pyoxigraph term (an IRI must be one, an
integer must be digits), and the terms' own serialisation goes into one
``VALUES`` block at the top of the query's WHERE group (`bind`), so that every
pattern and FILTER of that group sees the value. (pyoxigraph's own
substitutions would do for the embedded store, but a remote engine takes only
query text; one way serves both.) A variable that a sub-query projects is not
bound inside that sub-query.

The server's own examples follow the project's, in the same form
(server/web/queries/): two counting queries, whose answers the workbench
draws as bar charts, and the neighbourhood of a resource, which it draws as a
graph (resource pages link to it). Each example is also a canned query at
``/queries/{slug}`` (server/web/canned.py).

>>> with_base("# t\\nPREFIX mic: <ontology/>\\nSELECT * {}", "https://x.org/")
'# t\\nBASE <https://x.org/>\\nPREFIX mic: <ontology/>\\nSELECT * {}'
"""

from __future__ import annotations

import datetime
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import urljoin

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Store

from server.common.errors import BadRequest
from server.common.errors import SourceSyntaxError
from server.common.vocab import XSD
from server.common.vocab import Iris
from server.engine.querytext import where_group

log = logging.getLogger(__name__)

TITLE_LINE = re.compile(r"^#\s*title_(ja|en):\s*(.+?)\s*$")
PARAM_LINE = re.compile(r"^#\s*param:\s*(.*?)\s*$")
QUERY_START = re.compile(r"^\s*(BASE|PREFIX|SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Query parameters the pages themselves read (format, language, paging): no parameter may take their names.
RESERVED = frozenset({"format", "lang", "page", "size", "sort", "order", "filter", "query"})
MAX_VALUE_CHARS = 500
BUILT_IN = files(__package__).joinpath("queries")

_TZ = r"(Z|[+-](0\d|1[0-4]):[0-5]\d)?"
_YEAR = r"-?([1-9]\d{4,}|\d{4})"
_LEXICAL = {
    "integer": re.compile(r"[+-]?\d+"),
    "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    "boolean": re.compile(r"true|false|1|0"),
    "date": re.compile(_YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ),
    "dateTime": re.compile(
        _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?" + _TZ
    ),
    "gYear": re.compile(_YEAR + _TZ),
    "gYearMonth": re.compile(_YEAR + r"-(0[1-9]|1[0-2])" + _TZ),
}
# Each type a parameter may have, with an example value (said in the error for a bad value).
TYPES = {
    "iri": "https://example.org/id/thing",
    "string": "G7",
    "integer": "2023",
    "decimal": "1.5",
    "double": "1.5e3",
    "boolean": "true",
    "date": "2023-04-29",
    "dateTime": "2023-04-29T09:00:00",
    "gYear": "2023",
    "gYearMonth": "2023-04",
}


class BadParameter(BadRequest):
    """A canned query's parameter got a value that is not of its type (400, naming the parameter)."""

    def __init__(self, parameter: Parameter, value: str, reason: str):
        super().__init__(f"Parameter `{parameter.name}` ({parameter.type}): {reason}")
        self.parameter = parameter
        self.value = value


@dataclass(frozen=True)
class Parameter:
    """A variable of a canned query that a reader may bind: its name (without ``?``), type and default value."""

    name: str
    type: str
    default: str

    def term(self, value: str, base_iri: str) -> NamedNode | Literal:
        """`value` as the RDF term of this parameter's type.

        >>> Parameter("year", "integer", "2023").term("2024", "https://x.org/")
        <Literal value=2024 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
        >>> Parameter("fund", "iri", "").term("id/fund/f", "https://x.org/")
        <NamedNode value=https://x.org/id/fund/f>

        :raises BadParameter: if `value` is not of the type, or too long.
        """
        if len(value) > MAX_VALUE_CHARS:
            raise BadParameter(self, value, f"the value is longer than {MAX_VALUE_CHARS} characters.")
        if self.type == "iri":
            try:
                return NamedNode(urljoin(base_iri, value.strip()) if value.strip() else "")
            except ValueError:
                raise BadParameter(self, value, f"{value!r} is not an IRI, such as {TYPES['iri']}.") from None
        if self.type != "string" and not self._lexical(value):
            example = TYPES[self.type]
            raise BadParameter(self, value, f"{value!r} is not a {self.type} (xsd:{self.type}), such as {example}.")
        return Literal(value, datatype=NamedNode(str(XSD[self.type])))

    def _lexical(self, value: str) -> bool:
        if self.type == "double":
            try:
                return value in ("INF", "-INF", "NaN") or not math.isnan(float(value)) and value.strip() == value
            except ValueError:
                return False
        if not _LEXICAL[self.type].fullmatch(value):
            return False
        if self.type in ("date", "dateTime") and re.match(r"\d{4}-", value):
            try:
                datetime.date.fromisoformat(value[:10])  # the 30th of February is no date
            except ValueError:
                return False
        return True


@dataclass(frozen=True)
class Example:
    """One example query: `slug` names it, `titles` is {"ja": question, "en": question}, `text` is the query as
    written (with BASE), `params` its parameters. `runnable` is the text with every parameter at its default."""

    slug: str
    titles: dict[str, str]
    text: str
    params: tuple[Parameter, ...] = ()
    base_iri: str = ""
    runnable: str = field(default="", compare=False)

    def terms(self, given: Mapping[str, str]) -> dict[str, NamedNode | Literal]:
        """Each parameter's term: the value `given` for it, else its default.

        :raises BadParameter: naming the first parameter whose value is not of its type.
        """
        return {p.name: p.term(given.get(p.name, p.default), self.base_iri) for p in self.params}

    def bind(self, given: Mapping[str, str]) -> str:
        """The query with its parameters bound to the values `given` (else their defaults), as a VALUES block.

        :raises BadParameter: naming the first parameter whose value is not of its type.
        """
        return bind(self.text, self.terms(given))


def bind(text: str, terms: Mapping[str, NamedNode | Literal]) -> str:
    """`text` with one ``VALUES`` row binding each variable of `terms`, first in its WHERE group.

    >>> print(bind("SELECT ?n WHERE { ?s ?p ?n }", {"s": NamedNode("http://e/a")}))
    SELECT ?n WHERE {
      VALUES (?s) { (<http://e/a>) }
      ?s ?p ?n }

    :raises ValueError: if the text has no WHERE group to put it in.
    """
    if not terms:
        return text
    position = where_group(text)
    if position is None:
        raise ValueError("the query has no WHERE group to bind its parameters in")
    names = " ".join(f"?{name}" for name in terms)
    row = " ".join(str(term) for term in terms.values())
    rest = text[position:].lstrip(" \t")
    return f"{text[:position]}\n  VALUES ({names}) {{ ({row}) }}" + (rest if rest[:1] in "\r\n" else "\n  " + rest)


def with_base(text: str, base_iri: str) -> str:
    """`text` with ``BASE <base_iri>`` inserted before its first line of SPARQL (after the comments)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if QUERY_START.match(line):
            return "\n".join(lines[:index] + [f"BASE <{base_iri}>"] + lines[index:])
    return f"BASE <{base_iri}>\n{text}"


def read_parameter(spec: str, where: str) -> Parameter:
    """The parameter a ``# param: NAME TYPE DEFAULT`` line declares.

    :raises SourceSyntaxError: naming `where` (file and line) and what is wrong.
    """
    name, _, rest = spec.partition(" ")
    kind, _, default = rest.strip().partition(" ")
    name = name.lstrip("?")
    if not NAME.match(name) or name in RESERVED:
        reserved = ", ".join(sorted(RESERVED))
        raise SourceSyntaxError(f"{where}: a parameter needs a variable name (not one of {reserved}), got {name!r}")
    if kind not in TYPES:
        raise SourceSyntaxError(f"{where}: parameter {name!r} has type {kind!r}; use one of {', '.join(TYPES)}")
    if not default.strip():
        raise SourceSyntaxError(f"{where}: parameter {name!r} needs a default value after its type")
    return Parameter(name, kind, default.strip())


def read_example(path: Path | Traversable, base_iri: str) -> Example:
    """The example in the .rq file `path`; its header lines are taken out of the text and kept as titles
    and parameters.

    :raises SourceSyntaxError: naming the file and line of a malformed parameter, a default not of its
        type, or a query that does not parse with its defaults bound.
    """
    titles: dict[str, str] = {}
    params: list[Parameter] = []
    kept = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        title, param = TITLE_LINE.match(line), PARAM_LINE.match(line)
        if title:
            titles[title.group(1)] = title.group(2)
        elif param:
            params.append(read_parameter(param.group(1), f"{path}, line {number}"))
        else:
            kept.append(line)
    text = with_base("\n".join(kept).strip() + "\n", base_iri)
    slug = path.name.removesuffix(".rq")
    example = Example(slug, titles, text, tuple(params), base_iri)
    try:
        runnable = example.bind({})
        Store().query(runnable, prefixes=Iris(base_iri).prefixes())  # parsed, evaluated on nothing
    except BadRequest as exc:
        raise SourceSyntaxError(f"{path}: the default value of {exc.message}") from None
    except (ValueError, SyntaxError) as exc:
        raise SourceSyntaxError(f"{path}: with its parameters bound to their defaults, {exc}") from None
    return Example(slug, titles, text, example.params, base_iri, runnable)


def load_examples(queries_dir: Path, base_iri: str) -> tuple[Example, ...]:
    """The queries of `queries_dir` (by file name), then the server's own (BUILT_IN), for `base_iri`.

    A missing folder gives only the server's own; a file of the folder replaces the server's of its name.

    :raises SourceSyntaxError: for a file whose header or query is malformed (see `read_example`).
    """
    found = sorted(queries_dir.glob("*.rq")) if queries_dir.is_dir() else []
    examples = [read_example(path, base_iri) for path in found]
    ours = sorted((p for p in BUILT_IN.iterdir() if p.name.endswith(".rq")), key=lambda p: p.name)
    taken = {example.slug for example in examples}
    examples += [read_example(path, base_iri) for path in ours if path.name.removesuffix(".rq") not in taken]
    log.info("gallery: %d example queries from %s and the server's own", len(examples), queries_dir)
    return tuple(examples)
