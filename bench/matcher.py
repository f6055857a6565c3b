"""Precision and recall of the name matcher (server/linking/search.py) on tests/data/name_variants.csv.

    python bench/matcher.py [--verbose]

Builds the bundled graph in-process (load, validate, store; nothing written),
matches every name of the table, and prints:

- precision of ``match: true``: of the names matched with certainty, the share
  matched to the expected IRI (a certain match for a name that must not match
  anything counts as wrong);
- recall of ``match: true``: of the names with an expected IRI, the share
  matched with certainty to it;
- top-1 recall: of the names with an expected IRI, the share whose best
  candidate is that IRI;
- the names that must not match: how many got a certain match (should be 0).

``--verbose`` lists every name whose result differs from the table.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.builder.pipeline import load_and_validate  # noqa: E402
from server.common.config import Config  # noqa: E402
from server.common.vocab import Iris  # noqa: E402
from server.linking.search import build_index  # noqa: E402
from server.linking.search import is_certain  # noqa: E402

TABLE = ROOT / "tests" / "data" / "name_variants.csv"


def measure(index, rows: list[dict[str, str]], base: str) -> dict:
    """Counts and rates for the table; `rows` have name, expected (a path under `base`, or empty)."""
    certain_right = certain_wrong = top1_right = expected_rows = 0
    misses = []
    for row in rows:
        hits = index.search(row["name"], limit=5)
        expected = base + row["expected"] if row["expected"] else None
        top = hits[0].entry.iri if hits else None
        certain = is_certain(hits)
        if expected:
            expected_rows += 1
            top1_right += top == expected
        if certain:
            if top == expected:
                certain_right += 1
            else:
                certain_wrong += 1
        if top != expected and (expected or certain):
            misses.append((row["name"], row["expected"], top, certain))
    certain_total = certain_right + certain_wrong
    return {
        "rows": len(rows),
        "expected_rows": expected_rows,
        "certain": certain_total,
        "precision": certain_right / certain_total if certain_total else 1.0,
        "certain_recall": certain_right / expected_rows if expected_rows else 1.0,
        "top1_recall": top1_right / expected_rows if expected_rows else 1.0,
        "false_certain": certain_wrong,
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    config = Config(root=ROOT).check()
    store, _ = load_and_validate(config)
    index = build_index(store, Iris(config.base_iri))
    with TABLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = measure(index, rows, config.base_iri)
    print(f"names: {result['rows']} ({result['expected_rows']} with an expected IRI)")
    print(f"precision of match:true: {result['precision']:.3f} ({result['certain']} certain matches)")
    print(f"recall of match:true:    {result['certain_recall']:.3f}")
    print(f"top-1 recall:            {result['top1_recall']:.3f}")
    print(f"certain matches for names that must not match: {result['false_certain']}")
    if args.verbose:
        for name, expected, top, certain in result["misses"]:
            print(f"  {name!r}: expected {expected or '(none)'}, got {top} (certain: {certain})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
