"""The HTML view of a query's answer: its rows sorted, filtered and paged on the server, each IRI with its label.

The workbench (workbench.py) and the canned queries' pages (canned.py) show
an answer's rows through `build_table`:

- one page of `View.size` rows (25, 50, 100 or 500), with links to the
  first, previous, next and last page: no page holds more than 500 rows,
  however long the answer;
- sorted by one column when the reader asks (each heading is a link that sorts
  by it, and again the other way), in SPARQL's order: unbound, blank nodes,
  IRIs, literals; numbers by value, other literals by their text, IRIs by the
  label shown;
- filtered by a text (NFKC, case ignored: "g7" finds 「Ｇ７」), matched against
  each cell's text, label and IRI;
- each IRI with its label in the reader's language (`label_of`), linked as
  `urls.href_of` allows (a ``javascript:`` IRI is text), its IRI on hover;
- the number of rows: all of them when the answer is complete, "at least"
  when the endpoint's row cap cut it (the page then says so).

All of it works without JavaScript: sorting and paging are links, the
filter a GET form. The reader's choices are URL parameters (`View`), so a
page of a sorted, filtered answer has a link of its own.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from urllib.parse import urlencode

from server.common.errors import BadRequest
from server.common.vocab import XSD
from server.common.vocab import Iris
from server.common.vocab import compact
from server.web.urls import href_of

PAGE_SIZES = (25, 50, 100, 500)
DEFAULT_SIZE = 50
MAX_FILTER_CHARS = 200
NUMERIC_TYPES = frozenset(
    str(XSD[name])
    for name in (
        "integer",
        "decimal",
        "double",
        "float",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)
DATE_TYPES = frozenset(str(XSD[name]) for name in ("date", "dateTime", "gYear", "gYearMonth"))

LabelOf = Callable[[str], "str | None"]


@dataclass(frozen=True)
class View:
    """What part of an answer the reader asked to see: a page of `size` rows, sorted by `sort`, filtered."""

    page: int = 1
    size: int = DEFAULT_SIZE
    sort: str | None = None
    descending: bool = False
    filter: str = ""

    @classmethod
    def read(cls, args: Mapping[str, str]) -> View:
        """The view that the URL parameters ``page``, ``size``, ``sort``, ``order`` and ``filter`` ask for.

        >>> View.read({"page": "3", "size": "100", "sort": "label", "order": "desc"})
        View(page=3, size=100, sort='label', descending=True, filter='')

        :raises BadRequest: for a page or size that is not a whole number, or an order but asc or desc.
        """
        page, size = _whole(args, "page", 1), _whole(args, "size", DEFAULT_SIZE)
        if size not in PAGE_SIZES:
            size = min(PAGE_SIZES, key=lambda allowed: abs(allowed - size))
        order = args.get("order", "asc")
        if order not in ("asc", "desc"):
            raise BadRequest("`order` must be asc or desc.")
        return cls(
            page=max(page, 1),
            size=size,
            sort=args.get("sort") or None,
            descending=order == "desc",
            filter=args.get("filter", "").strip()[:MAX_FILTER_CHARS],
        )

    def params(self) -> list[tuple[str, str]]:
        """This view as URL parameters, leaving out what is as it would be anyway.

        >>> View(page=2, sort="n", descending=True).params()
        [('page', '2'), ('sort', 'n'), ('order', 'desc')]
        """
        params = [("page", str(self.page))] if self.page != 1 else []
        if self.size != DEFAULT_SIZE:
            params.append(("size", str(self.size)))
        if self.sort:
            params += [("sort", self.sort), ("order", "desc" if self.descending else "asc")]
        if self.filter:
            params.append(("filter", self.filter))
        return params


def _whole(args: Mapping[str, str], name: str, default: int) -> int:
    value = args.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"`{name}` must be a whole number, not {value[:40]!r}.") from None


@dataclass(frozen=True)
class Table:
    """One page of an answer's rows, ready for the template (``_results.html``).

    :ivar columns: per column: ``name``, ``href`` (sorts by it; again the other way) and ``sorted``
        ("asc", "desc" or None).
    :ivar rows: this page's cells (`show_cell`), None where a variable is unbound.
    :ivar total: rows in the answer (after the row cap); `matching` of them pass the filter.
    :ivar truncated: the endpoint's row cap cut the answer at `total` rows.
    :ivar first: the number of the first row shown (from 1); `last` of the last one.
    :ivar links: "first", "previous", "next" and "last" page URLs, those that lead elsewhere.
    :ivar sizes: (size, URL, whether it is this page's) for each page size.
    :ivar hidden: the (name, value) fields the filter form sends back besides ``filter``.
    """

    columns: list[dict]
    rows: list[list[dict | None]]
    view: View
    total: int
    matching: int
    truncated: bool
    first: int
    last: int
    page: int
    pages: int
    links: dict[str, str] = field(default_factory=dict)
    sizes: list[tuple[int, str, bool]] = field(default_factory=list)
    hidden: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Setting:
    """Where a table's links lead and how its IRIs read.

    :ivar path: with `base_params`, makes the links (``path?base_params&view``): the endpoint's path
        with the query and ``format=html``, or a canned query's path with its parameters.
    :ivar iris: the release's IRIs (which of them have pages here); `prefixes` shorten the others.
    :ivar label_of: an IRI's label in the reader's language, or None.
    """

    path: str
    base_params: Sequence[tuple[str, str]]
    iris: Iris
    prefixes: Mapping[str, str]
    label_of: LabelOf


def build_table(
    variables: Sequence[str], rows: Sequence[Mapping[str, dict]], view: View, setting: Setting, truncated: bool = False
) -> Table:
    """The page of `rows` (SPARQL JSON bindings of `variables`) that `view` asks for, links and IRIs as
    `setting` says.

    :raises BadRequest: for a sort by a variable the answer does not have.
    """
    path, base_params, label_of = setting.path, setting.base_params, setting.label_of
    if view.sort is not None and view.sort not in variables:
        raise BadRequest(f"The answer has no column ?{view.sort} to sort by.")
    kept = list(rows)
    if view.filter:
        wanted = normalise(view.filter)
        kept = [row for row in kept if any(wanted in haystack(row.get(v), label_of) for v in variables)]
    if view.sort is not None:
        kept.sort(key=lambda row: sort_key(row.get(view.sort), label_of), reverse=view.descending)
    pages = max(math.ceil(len(kept) / view.size), 1)
    view = replace(view, page=min(view.page, pages))
    start = (view.page - 1) * view.size
    shown = kept[start : start + view.size]

    def link(changed: View) -> str:
        return path + "?" + urlencode(list(base_params) + changed.params())

    columns = []
    for variable in variables:
        current = "desc" if view.descending else "asc"
        sorted_now = current if view.sort == variable else None
        flipped = replace(view, page=1, sort=variable, descending=sorted_now == "asc")
        columns.append({"name": variable, "href": link(flipped), "sorted": sorted_now})
    links = {}
    if view.page > 1:
        links["first"] = link(replace(view, page=1))
        links["previous"] = link(replace(view, page=view.page - 1))
    if view.page < pages:
        links["next"] = link(replace(view, page=view.page + 1))
        links["last"] = link(replace(view, page=pages))
    return Table(
        columns=columns,
        rows=[
            [show_cell(row.get(v), iris=setting.iris, prefixes=setting.prefixes, label_of=label_of) for v in variables]
            for row in shown
        ],
        view=view,
        total=len(rows),
        matching=len(kept),
        truncated=truncated,
        first=start + 1 if shown else 0,
        last=start + len(shown),
        page=view.page,
        pages=pages,
        links=links,
        sizes=[(size, link(replace(view, page=1, size=size)), size == view.size) for size in PAGE_SIZES],
        hidden=list(base_params) + replace(view, page=1, filter="").params(),
    )


def normalise(text: str) -> str:
    """`text` as the filter compares it: NFKC, case folded.

    >>> normalise("Ｇ７ Summit")
    'g7 summit'
    """
    return unicodedata.normalize("NFKC", text).casefold()


def haystack(cell: dict | None, label_of: LabelOf) -> str:
    """What the filter looks in for one cell: its value, and an IRI's label and prefixed form."""
    if cell is None:
        return ""
    value = cell.get("value", "")
    if not isinstance(value, str):  # a triple term
        return normalise(json.dumps(value, ensure_ascii=False))
    label = label_of(value) if cell.get("type") == "uri" else None
    return normalise(value + "\n" + (label or ""))


def sort_key(cell: dict | None, label_of: LabelOf) -> tuple:
    """A cell's place in SPARQL's order: unbound, blank nodes, IRIs (by label), literals (numbers by value).

    >>> n = lambda v: {"type": "literal", "value": v, "datatype": str(XSD.integer)}
    >>> sorted(["10", "9"], key=lambda v: sort_key(n(v), lambda iri: None))
    ['9', '10']
    """
    if cell is None:
        return (0, 0, 0.0, "")
    kind, value = cell.get("type"), cell.get("value", "")
    if not isinstance(value, str):
        return (4, 0, 0.0, json.dumps(value))
    if kind == "bnode":
        return (1, 0, 0.0, value)
    if kind == "uri":
        return (2, 0, 0.0, normalise(label_of(value) or value))
    if cell.get("datatype") in NUMERIC_TYPES:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isnan(number):
            return (3, 0, number, value)
    return (3, 1, 0.0, normalise(value))


def show_cell(
    cell: dict | None, *, iris: Iris, prefixes: Mapping[str, str], label_of: LabelOf = lambda iri: None
) -> dict | None:
    """A SPARQL JSON term as the table shows it: text, and for IRIs the label, the full IRI and the href
    of `href_of` (None: no link)."""
    if cell is None:
        return None
    kind, value = cell.get("type"), cell.get("value", "")
    if kind == "uri":
        return {
            "kind": "iri",
            "text": compact(value, prefixes),
            "label": label_of(value),
            "href": href_of(iris, value),
            "title": value,
        }
    if kind == "bnode":
        return {"kind": "bnode", "text": "_:" + value}
    if kind in ("literal", "typed-literal"):
        datatype = cell.get("datatype")
        return {
            "kind": "literal",
            "text": value,
            "lang": cell.get("xml:lang"),
            "datatype": compact(datatype, prefixes) if datatype and datatype != str(XSD.string) else None,
        }
    return {"kind": "other", "text": json.dumps(cell, ensure_ascii=False)}  # triple terms
