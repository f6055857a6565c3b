"""`python -m server link input.csv --column NAME [--type CLASS] [--output out.csv]`: link a spreadsheet.

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
without ``--output`` the result goes to standard output.
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


class LinkError(ValueError):
    """The input cannot be linked as asked (no such file or column, unknown type); the message says why."""

    exit_code = EXIT_USAGE


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
    rows: int | None = None,
) -> int:
    """Read CSV from `source`, write it with the four columns added to `target`; return the rows written.

    `rows` is how many rows there are, if known (a stage "link" counts them).

    :raises LinkError: if `column` is not in the header or `type_name` names no class.
    """
    reader = csv.DictReader(source)
    header = list(reader.fieldnames or [])
    if column not in header:
        raise LinkError(f"no column {column!r} in the input; its columns are: {', '.join(header) or '(none)'}")
    types: frozenset[str] = frozenset()
    if type_name:
        try:
            types = index.resolve_type(type_name)
        except UnknownType as exc:
            raise LinkError(str(exc)) from None
    fields = header + [name for name in COLUMNS if name not in header]
    writer = csv.DictWriter(target, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    with stage("link", total=rows, unit="rows") as progress:
        for row in link_rows(reader, index, column=column, types=sorted(types)):
            writer.writerow(row)
            progress.advance()
    return int(progress.done)


def run_link(config: Config, *, input: str, column: str, type_name: str | None, output: str | None) -> int:
    """Build the graph and the index, link `input` to `output` (or stdout); return the exit code (0).

    :raises LinkError: if the input cannot be read or linked.
    :raises ShapesViolated: if the graph breaks a shape (as `build` would).
    """
    from server.builder.pipeline import load_and_validate
    from server.common.vocab import Iris
    from server.linking.search import build_index

    source_text = _read(input)
    header = next(csv.reader(io.StringIO(source_text)), [])
    if column not in header:
        raise LinkError(f"no column {column!r} in {input}; its columns are: {', '.join(header) or '(none)'}")
    store, _ = load_and_validate(config)
    with stage("search index"):
        index = build_index(store, Iris(config.base_iri))
    buffer = io.StringIO()
    rows = sum(1 for _ in csv.reader(io.StringIO(source_text))) - 1
    count = link_csv(io.StringIO(source_text), buffer, index, column=column, type_name=type_name, rows=rows)
    if output:
        Path(output).write_text(buffer.getvalue(), encoding="utf-8")
    else:
        sys.stdout.write(buffer.getvalue())
    log.info("linked %d rows of %s", count, input)
    return 0


def _read(input: str) -> str:
    if input == "-":
        return sys.stdin.read()
    try:
        return Path(input).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LinkError(f"cannot read {input}: {exc}") from None
