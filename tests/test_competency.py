"""The competency queries in queries/ return the answers the text gives.

Each queries/{name}.rq has a `# title_ja:` and `# title_en:` header (and may declare parameters with
`# param:`, run here at their defaults, as server/web/gallery.py binds them) and uses relative IRIs
(`PREFIX mic: <ontology/>`, `<id/...>`) that resolve against the base IRI it is run with.
queries/{name}.expected.json holds the expected rows (values as strings; an unbound variable is absent),
written from the source text. Rows are compared in order when the query has ORDER BY, else as a set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server.builder.pipeline import load_dataset
from server.common.config import Config
from server.web.gallery import read_example

ROOT = Path(__file__).resolve().parent.parent
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
BASES = ["https://mic-ict.example.org/", "https://kg.example.test/other/base/"]


@pytest.fixture(scope="module", params=BASES, ids=["default-base", "other-base"])
def store_and_base(request):
    base = request.param
    return load_dataset(Config(root=ROOT, base_iri=base)), base


def run(store, base: str, text: str) -> list[dict[str, str]]:
    solutions = store.query(text, base_iri=base, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = term.value
        rows.append(row)
    return rows


def test_there_are_competency_queries_for_the_issue_questions():
    assert len(QUERIES) >= 9
    for query in QUERIES:
        text = query.read_text(encoding="utf-8")
        assert re.search(r"^# title_ja: \S", text, re.M), query.name
        assert re.search(r"^# title_en: \S", text, re.M), query.name
        assert query.with_suffix(".expected.json").is_file(), query.name
        assert "example.org" not in text and "BASE" not in text, f"{query.name} hard-codes a base"


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_competency_query_answers(query, store_and_base):
    store, base = store_and_base
    text = read_example(query, base).runnable
    expected = json.loads(query.with_suffix(".expected.json").read_text(encoding="utf-8"))
    # Answers that are our own IRIs would depend on the base; the expected files hold none.
    assert not any(str(v).startswith("https://mic-ict.example.org/") for row in expected for v in row.values())
    actual = run(store, base, text)
    assert actual, f"{query.name} returned nothing"
    if re.search(r"^\s*ORDER BY", text, re.M | re.I):
        assert actual == expected
    else:
        canon = lambda rows: sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows)  # noqa: E731
        assert canon(actual) == canon(expected)
