"""The workbench's gallery of example queries: the competency queries of queries/, made runnable here.

Each ``queries/{slug}.rq`` opens with ``# title_ja:`` and ``# title_en:``
lines (the question it answers) and uses IRIs relative to the base
(``PREFIX mic: <ontology/>``, ``<id/fund/beyond-5g>``). The endpoint has no
base of its own, so each query gets ``BASE <base_iri>`` before its first
``PREFIX``, and then runs as written. A few counting queries, whose answers
the workbench draws as bar charts, follow them.

>>> with_base("# t\\nPREFIX mic: <ontology/>\\nSELECT * {}", "https://x.org/")
'# t\\nBASE <https://x.org/>\\nPREFIX mic: <ontology/>\\nSELECT * {}'
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TITLE_LINE = re.compile(r"^#\s*title_(ja|en):\s*(.+?)\s*$")
QUERY_START = re.compile(r"^\s*(BASE|PREFIX|SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Example:
    """One example query: `slug` names it, `titles` is {"ja": question, "en": question}, `text` runs as is."""

    slug: str
    titles: dict[str, str]
    text: str


COUNTS = (
    Example(
        "count-resources-by-class",
        {"ja": "種類ごとに資源はいくつあるか。", "en": "How many resources are there of each class?"},
        """SELECT ?class (COUNT(DISTINCT ?resource) AS ?resources) WHERE {
  ?resource a ?type .
  ?type rdfs:label ?class .
  FILTER(LANG(?class) = "en" && STRSTARTS(STR(?resource), "{base}id/"))
}
GROUP BY ?class
ORDER BY DESC(?resources) ?class""",
    ),
    Example(
        "count-statements-by-passage",
        {
            "ja": "原文の箇所ごとに文（トリプル）はいくつあるか。",
            "en": "How many statements does each passage of the text make?",
        },
        """SELECT ?passage (COUNT(*) AS ?statements) WHERE {
  GRAPH ?graph { ?s ?p ?o }
  ?graph prov:wasDerivedFrom ?source .
  ?source dct:identifier ?passage .
}
GROUP BY ?passage
ORDER BY ?passage""",
    ),
)


def with_base(text: str, base_iri: str) -> str:
    """`text` with ``BASE <base_iri>`` inserted before its first line of SPARQL (after the comments)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if QUERY_START.match(line):
            return "\n".join(lines[:index] + [f"BASE <{base_iri}>"] + lines[index:])
    return f"BASE <{base_iri}>\n{text}"


def read_example(path: Path, base_iri: str) -> Example:
    """The example in the .rq file `path`; its title lines are taken out of the text and kept as titles."""
    titles: dict[str, str] = {}
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = TITLE_LINE.match(line)
        if match:
            titles[match.group(1)] = match.group(2)
        else:
            kept.append(line)
    return Example(path.stem, titles, with_base("\n".join(kept).strip() + "\n", base_iri))


def load_examples(queries_dir: Path, base_iri: str) -> tuple[Example, ...]:
    """The competency queries of `queries_dir` (by file name), then the counting examples, for `base_iri`.

    A missing folder gives only the counting examples.
    """
    found = sorted(queries_dir.glob("*.rq")) if queries_dir.is_dir() else []
    examples = tuple(read_example(path, base_iri) for path in found)
    counts = tuple(Example(e.slug, e.titles, e.text.replace("{base}", base_iri)) for e in COUNTS)
    log.info("gallery: %d example queries from %s, %d counts", len(examples), queries_dir, len(counts))
    return examples + counts
