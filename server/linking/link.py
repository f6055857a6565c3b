"""`python -m server link input.csv --column NAME [--type CLASS] [--output out.csv] [--keep-formulas]`.

Builds the graph in-process (load and validate the sources, then the store; no
server, nothing written to the build folder), matches the name in column
NAME of each row with the matcher of /reconcile (server/linking/search.py), and writes
the CSV back with four more columns:

- ``iri``: the best candidate's IRI (empty when nothing scores MIN_SCORE);
- ``label``: its label, in the language of the name that matched;
- ``score``: 0-100;
- ``match``: ``true`` when the match is certain (search.is_certain), else ``false``.

``--type`` keeps candidates of a class or its subclasses (an IRI, a prefixed
name such as ``org:Organization``, a local name or a class label). The input
is read as UTF-8 (a byte-order mark is dropped); ``-`` reads standard input;
without ``--output`` the result goes to standard output, as RFC 4180 CSV.

The whole input is read and checked before the graph is built, and the output is
written only once every row is linked, so a bad file costs seconds and leaves no
half-written output. A `LinkError` names the file and line: a file that is not
UTF-8, malformed quoting (read strictly: a stray quote is an error, not a field
that swallows the rest of the file), a row with more fields than the header, a
field over the CSV reader's limit (FIELD_LIMIT characters), an unknown column or
type, an output that is a folder or in a folder that does not exist (exit 2,
usage). A row with fewer fields than the header is padded with empty ones.

A spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula, so every such cell written, from the input or added
(a label), gets a leading ``'`` (the OWASP CSV-injection rule, `neutralise`);
``--keep-formulas`` writes the cells as they are.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from server.common.config import Config
from server.common.errors import EXIT_USAGE
from server.common.progress import stage
from server.linking.search import SearchIndex
from server.linking.search import UnknownType
from server.linking.search import is_certain

log = logging.getLogger(__name__)

COLUMNS = ("iri", "label", "score", "match")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIELD_LIMIT = csv.field_size_limit()


class LinkError(ValueError):
    """The input cannot be linked as asked (no such file or column, malformed CSV, unknown type, output a
    folder); the message says why and where."""

    exit_code = EXIT_USAGE


def neutralise(cell: str) -> str:
    """`cell`, made text for a spreadsheet if it would run as a formula (OWASP's CSV-injection rule).

    >>> neutralise("=SUM(A1:A9)"), neutralise("-5"), neutralise("NICT"), neutralise("")
    ("'=SUM(A1:A9)", "'-5", 'NICT', '')
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def read_rows(text: str, *, name: str, column: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of CSV `text`, each row as long as the header.

    :raises LinkError: naming `name` and the line, if a row has more fields than the header, a field is
        over FIELD_LIMIT characters or the CSV is malformed; or if `column` is not in the header.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        header = next(reader, [])
        if column not in header:
            raise LinkError(f"no column {column!r} in {name}; its columns are: {', '.join(header) or '(none)'}")
        for row in reader:
            if len(row) > len(header):
                raise LinkError(
                    f"{name}, line {reader.line_num}: {len(row)} fields, but the header names {len(header)}; "
                    "quote fields that hold commas"
                )
            rows.append(row + [""] * (len(header) - len(row)))
    except csv.Error as exc:
        reason = f"malformed CSV ({exc})"
        if "field limit" in str(exc):
            reason = f"a field is longer than {FIELD_LIMIT} characters, the most a field may hold"
        raise LinkError(f"{name}, line {reader.line_num}: {reason}") from None
    return header, rows


def link_rows(
    rows: Iterable[dict[str, str]], index: SearchIndex, *, column: str, types: Iterable[str] = ()
) -> Iterator[dict[str, str]]:
    """Each row with iri, label, score and match added (empty when the name finds nothing)."""
    types = tuple(types)
    for row in rows:
        name = (row.get(column) or "").strip()
        hits = index.search(name, types=types, limit=2) if name else []
        added = dict.fromkeys(COLUMNS, "")
        if hits:
            best = hits[0]
            added = {
                "iri": best.entry.iri,
                "label": best.entry.label(best.lang),
                "score": f"{best.score:g}",
                "match": "true" if is_certain(hits) else "false",
            }
        else:
            added["match"] = "false"
        yield {**row, **added}


def link_csv(
    source: TextIO,
    target: TextIO,
    index: SearchIndex,
    *,
    column: str,
    type_name: str | None = None,
    keep_formulas: bool = False,
    name: str = "the input",
) -> int:
    """Read CSV from `source`, write it with the four columns added to `target`; return the rows written.

    :raises LinkError: if the input is malformed (`read_rows`), or `type_name` names no class.
    """
    header, rows = read_rows(source.read(), name=name, column=column)
    return write_linked(target, header, rows, index, column=column, type_name=type_name, keep_formulas=keep_formulas)


def write_linked(
    target: TextIO,
    header: list[str],
    rows: list[list[str]],
    index: SearchIndex,
    *,
    column: str,
    type_name: str | None,
    keep_formulas: bool,
) -> int:
    """Write `header` and `rows` to `target` as CSV with the four columns added; return the rows written.

    Every field of every row is written back in its place (a repeated column name too); the four
    columns replace the first columns of those names, or follow the others.

    :raises LinkError: if `type_name` names no class.
    """
    types: frozenset[str] = frozenset()
    if type_name:
        try:
            types = index.resolve_type(type_name)
        except UnknownType as exc:
            raise LinkError(str(exc)) from None
    fields = header + [added for added in COLUMNS if added not in header]
    at = {added: fields.index(added) for added in COLUMNS}
    cell = str if keep_formulas else neutralise
    writer = csv.writer(target)  # RFC 4180: CRLF line ends, and a field holding CR or LF is quoted
    writer.writerow([cell(field) for field in fields])
    names = ({column: row[header.index(column)]} for row in rows)
    with stage("link", total=len(rows), unit="rows") as progress:
        for row, linked in zip(rows, link_rows(names, index, column=column, types=sorted(types)), strict=True):
            written = row + [""] * (len(fields) - len(row))
            for added, position in at.items():
                written[position] = linked[added]
            writer.writerow([cell(value) for value in written])
            progress.advance()
    return int(progress.done)


def run_link(
    config: Config,
    *,
    input: str,
    column: str,
    type_name: str | None,
    output: str | None,
    keep_formulas: bool = False,
) -> int:
    """Build the graph and the index, link `input` to `output` (or stdout); return the exit code (0).

    The input and the output's folder are checked before the graph is built.

    :raises LinkError: if the input cannot be read or linked, or the output is a folder or in none.
    :raises ShapesViolated: if the graph breaks a shape (as `build` would).
    :raises OSError: if the output cannot be written.
    """
    from server.builder.pipeline import load_and_validate
    from server.common.vocab import Iris
    from server.linking.search import build_index

    name = "standard input" if input == "-" else input
    header, rows = read_rows(_read(input), name=name, column=column)
    if output:
        _check_output(Path(output))
    store, _ = load_and_validate(config)
    with stage("search index"):
        index = build_index(store, Iris(config.base_iri))
    buffer = io.StringIO()
    count = write_linked(
        buffer, header, rows, index, column=column, type_name=type_name, keep_formulas=keep_formulas
    )
    if output:  # an OSError (permission, disk full) is the system's: the command line says so, exit 4
        Path(output).write_text(buffer.getvalue(), encoding="utf-8", newline="")
    else:
        sys.stdout.write(buffer.getvalue())
    log.info("linked %d rows of %s", count, name)
    return 0


def _check_output(path: Path) -> None:
    if path.is_dir():
        raise LinkError(f"--output {path} is a folder; name the file to write")
    if not path.parent.is_dir():
        raise LinkError(f"--output {path}: the folder {path.parent} does not exist")


def _read(input: str) -> str:
    try:
        if input == "-":
            return sys.stdin.read().removeprefix("\ufeff")
        return Path(input).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LinkError(f"cannot read {input}: it is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LinkError(f"cannot read {input}: {exc.strerror or exc}") from None
