"""The workbench's answers and errors, and the canned queries, through Flask's test client.

The table (server/web/table.py) is paged, sorted and filtered on the server, with
a label beside each IRI and a notice when the row cap cut the answer; an error is
shown under the query, which stays as typed; the canned queries
(server/web/canned.py) bind their parameters as typed RDF terms and answer in
every format. Expectations come from the release's own answers over /sparql.
The browser side (completion, history, error marks, the graph) is in test_browser.py.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re

import pytest
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import parse

from server.common.errors import SourceSyntaxError
from server.web.gallery import bind
from server.web.gallery import read_example
from tests.conftest import BASE
from tests.conftest import FUND
from tests.conftest import MEETING
from tests.conftest import MIC

ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
COUNTS = "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"
PASSAGES = "/queries/10-passages-about-the-g7-meeting"
JICT = "/queries/13-search-by-normalised-label"


def html_of(client, query: str, lang: str = "en", **params) -> tuple[int, str]:
    response = client.get(
        "/sparql", query_string={"query": query, "format": "html", "lang": lang, **params}
    )
    return response.status_code, response.get_data(as_text=True)


def rows_of(html: str) -> list[str]:
    body = html.split('<table class="results">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)


def solutions(client, query: str) -> list[dict]:
    return client.get("/sparql", query_string={"query": query, "format": "json"}).get_json()["results"]["bindings"]


# --- the table ------------------------------------------------------------------------------------


def test_a_long_answer_is_paged_with_its_total(client):
    total = len(solutions(client, ALL))
    assert total > 600
    status, html = html_of(client, ALL)
    assert status == 200 and len(rows_of(html)) == 50
    assert f"Rows 1–50 of {total:,}" in html
    _, second = html_of(client, ALL, page="2", size="25")
    assert len(rows_of(second)) == 25 and f"Rows 26–50 of {total:,}" in second
    assert 'rel="next"' in second and 'rel="prev"' in second
    _, biggest = html_of(client, ALL, size="100000")  # no page holds more than 500 rows
    assert len(rows_of(biggest)) == 500


def test_a_page_past_the_end_shows_the_last_page(client):
    total = len(solutions(client, ALL))
    _, html = html_of(client, ALL, page="99999")
    last = total - (total - 1) // 50 * 50
    assert len(rows_of(html)) == last and 'rel="next"' not in html


def test_sorting_by_a_column_orders_numbers_by_value_both_ways(client):
    counts = sorted(int(row["n"]["value"]) for row in solutions(client, COUNTS))
    _, up = html_of(client, COUNTS, sort="n", order="asc")
    _, down = html_of(client, COUNTS, sort="n", order="desc")
    shown_up = [int(re.findall(r"<td><span>(\d+)</span>", row)[0]) for row in rows_of(up)]
    shown_down = [int(re.findall(r"<td><span>(\d+)</span>", row)[0]) for row in rows_of(down)]
    assert shown_up == counts[:50] and shown_down == counts[::-1][:50]
    assert 'aria-sort="descending"' in down


def test_sorting_by_a_column_the_answer_lacks_is_a_400_in_the_page(client):
    status, html = html_of(client, COUNTS, sort="nothing")
    assert status == 400 and "?nothing" in html and 'id="query-error"' in html


def test_the_filter_matches_labels_and_text_in_either_width(client):
    query = "SELECT ?x WHERE { ?x a ?type }"
    _, html = html_of(client, query, lang="ja", filter="g7")  # Ｇ７ in the labels, typed as G7
    shown = rows_of(html)
    assert shown and all("Ｇ７" in row or "g7" in row.lower() for row in shown)
    assert "絞り込みに合う" in html
    _, none = html_of(client, query, filter="no-such-text-anywhere")
    assert rows_of(none) == []


def test_iris_show_their_label_in_the_readers_language_and_the_iri_on_hover(client):
    query = f"SELECT ?o WHERE {{ <{MEETING}> schema:organizer ?o }}"
    for lang, label in (("ja", "総務省"), ("en", "Ministry of Internal Affairs and Communications")):
        _, html = html_of(client, query, lang=lang)
        assert f'<a href="/id/organization/mic" title="{MIC}"><span class="label">{label}</span>' in html


def test_a_capped_answer_says_so_and_offers_the_complete_data(make_app):
    client = make_app(max_results=30).test_client()
    _, html = html_of(client, ALL)
    assert 'id="row-cap"' in html and "row cap cut this answer at 30 rows" in html
    assert 'href="/download/"' in html and "Rows 1–30 of at least 30" in html
    _, whole = html_of(client, "SELECT ?s WHERE { ?s a ?t } LIMIT 10")
    assert 'id="row-cap"' not in whole


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "message"), [("ja", "クエリが SPARQL として正しくありません（2 行"), ("en", "not valid SPARQL (line 2")]
)
def test_a_syntax_error_is_shown_under_the_query_kept_as_typed(client, lang, message):
    query = "SELECT ?s WHERE {\n  ?s ?p ?o FILTER(?s = ) }"
    status, html = html_of(client, query, lang=lang)
    assert status == 400
    assert message in html
    assert re.search(r'id="query-error" role="alert" data-line="2" data-column="\d+"', html)
    assert "  ?s ?p ?o FILTER(?s = ) }\n" in html  # the line in the page, a caret under it
    assert ">SELECT ?s WHERE {\n  ?s ?p ?o FILTER(?s = ) }</textarea>" in html


def test_an_update_in_the_workbench_is_refused_in_the_readers_language(client):
    status, html = html_of(client, "INSERT DATA { <a:b> <a:b> <a:b> }", lang="ja")
    assert status == 400 and "読み取り専用" in html and "INSERT DATA" in html


# --- canned queries -------------------------------------------------------------------------------


def test_the_canned_queries_are_listed_in_both_languages(client):
    ja = client.get("/queries?lang=ja").get_data(as_text=True)
    en = client.get("/queries?lang=en").get_data(as_text=True)
    assert "Ｇ７群馬高崎デジタル・技術大臣会合に言及している箇所はどれか" in ja
    assert "Which passages mention the G7" in en and f'href="{PASSAGES}"' in en
    assert "<code>resource</code> (IRI" in en


def test_a_canned_query_runs_with_its_default_and_with_a_parameter(client):
    default = client.get(PASSAGES, headers={"Accept": "application/sparql-results+json"}).get_json()
    assert [row["passage_id"]["value"] for row in default["results"]["bindings"]][:1] == ["B1"]
    fund = client.get(PASSAGES, query_string={"resource": "id/fund/beyond-5g", "format": "json"}).get_json()
    expected = solutions(
        client, f"SELECT ?passage_id WHERE {{ <{FUND}> prov:wasDerivedFrom ?p . ?p dct:identifier ?passage_id }}"
    )
    assert sorted(r["passage_id"]["value"] for r in fund["results"]["bindings"]) == sorted(
        r["passage_id"]["value"] for r in expected
    )
    absolute = client.get(PASSAGES, query_string={"resource": FUND, "format": "json"}).get_json()
    assert absolute == fund


def test_a_canned_query_answers_in_csv_and_its_graph_in_turtle(client):
    text = client.get(PASSAGES, query_string={"format": "csv"}).get_data(as_text=True)
    assert next(csv.reader(io.StringIO(text))) == ["passage_id"]
    turtle = client.get("/queries/neighbourhood", query_string={"resource": "id/organization/mic"},
                        headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    triples = list(parse(turtle.data, format=RdfFormat.TURTLE))
    assert triples and all(NamedNode(MIC) in (t.subject, t.object) for t in triples)


def test_a_canned_querys_page_has_its_form_answer_and_formats(client):
    html = client.get(JICT, query_string={"lang": "ja"}, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'name="typed" value="JICT"' in html and '<table class="results">' in html
    assert "株式会社海外通信・放送・郵便事業支援機構" in html
    assert f'href="{JICT}?format=csv"' in html and "/sparql?query=" in html


def test_a_parameter_is_bound_as_a_term_not_pasted_as_text(client):
    sneaky = 'JICT") || true || STR("'
    found = client.get(JICT, query_string={"typed": sneaky, "format": "json"}).get_json()
    assert found["results"]["bindings"] == []
    assert client.get(JICT, query_string={"typed": "ＪＩＣＴ", "format": "json"}).get_json()["results"]["bindings"]


@pytest.mark.parametrize("value", ["not an iri> } <x", "<" + FUND + ">", " "])
def test_a_bad_parameter_gets_a_400_naming_it(client, value):
    response = client.get(PASSAGES, query_string={"resource": value, "format": "json"})
    assert response.status_code == 400
    assert "`resource`" in response.get_json()["error"]
    page = client.get(PASSAGES, query_string={"resource": value, "lang": "ja"}, headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "パラメータ「resource」" in html and 'aria-invalid="true"' in html
    assert "ではありません（例：" in html


def test_an_unknown_canned_query_is_a_404(client):
    assert client.get("/queries/no-such-query").status_code == 404


def test_the_service_description_lists_the_canned_queries_with_their_parameters(client):
    turtle = client.get("/sparql", headers={"Accept": "text/turtle"}).data
    triples = list(parse(turtle, format=RdfFormat.TURTLE))
    url = "http://localhost" + PASSAGES
    kinds = {t.object.value for t in triples if t.subject == NamedNode(url) and t.predicate.value.endswith("#type")}
    assert "http://www.w3.org/ns/shacl#SPARQLSelectExecutable" in kinds
    defaults = [t.object for t in triples if t.predicate.value == "http://www.w3.org/ns/shacl#defaultValue"]
    assert NamedNode(MEETING) in defaults and Literal("JICT", datatype=NamedNode(
        "http://www.w3.org/2001/XMLSchema#string")) in defaults


def test_a_parameter_header_is_checked_when_the_file_is_read(tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("# title_en: Q\n# param: year integer twenty\nSELECT ?year WHERE { }\n", encoding="utf-8")
    with pytest.raises(SourceSyntaxError, match=r"bad.rq.*year"):
        read_example(bad, BASE)
    good = tmp_path / "good.rq"
    good.write_text("# param: year gYear 2023\nSELECT ?year WHERE { }\n", encoding="utf-8")
    assert '"2023"^^<http://www.w3.org/2001/XMLSchema#gYear>' in read_example(good, BASE).runnable


def test_binding_goes_into_the_where_group_of_a_construct():
    text = 'CONSTRUCT { ?r ?p "}" } WHERE { ?r ?p ?o }'
    assert bind(text, {"r": NamedNode("http://e/a")}).startswith(
        'CONSTRUCT { ?r ?p "}" } WHERE {\n  VALUES (?r) { (<http://e/a>) }'
    )


# --- completion's vocabulary ----------------------------------------------------------------------


def test_the_vocabulary_lists_classes_and_properties_with_both_labels(client):
    vocabulary = client.get("/api/vocabulary").get_json()
    fund = next(c for c in vocabulary["classes"] if c["name"] == "mic:Fund")
    assert fund["labels"] == {"ja": "基金", "en": "Fund"}
    assert any(p["name"] == "rdfs:label" for p in vocabulary["properties"])
    assert any(p["name"] == "mic:usesFund" and p["labels"]["ja"] == "活用する基金" for p in vocabulary["properties"])


def test_the_workbench_hands_its_script_the_apis_and_strings(client):
    _, html = html_of(client, "ASK {}", lang="ja")
    assert 'data-vocabulary="/api/vocabulary"' in html and 'data-search="/api/search"' in html
    strings = json.loads(html.split('id="workbench-strings">', 1)[1].split("</script>", 1)[0])
    assert strings["wb_class"] == "クラス"


def test_the_next_page_of_a_long_answer_comes_from_memory(make_app, caplog):
    client = make_app(answer_cache_mb=2).test_client()  # the answer (~0.6 MB) is over an eighth of it
    size = len(client.get("/sparql", query_string={"query": ALL, "format": "json"}).data)
    assert 2**21 // 8 < size < 2**21
    with caplog.at_level(logging.INFO, logger="server.web.sparql"):
        caplog.clear()
        html_of(client, ALL)
        html_of(client, ALL, page="2")
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("query ")]
    assert len(logged) == 2 and "(answer cache)" not in logged[0] and "(answer cache)" in logged[1]


def test_the_endpoint_section_is_in_the_readers_language(client):
    ja = client.get("/sparql?lang=ja", headers={"Accept": "text/html"}).get_data(as_text=True)
    en = client.get("/sparql?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "読み取り専用の" in ja and "A read-only" not in ja and "Queries longer than" not in ja
    assert "A read-only" in en and 'href="/queries"' in en and 'href="/queries"' in ja
