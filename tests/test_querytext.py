"""The checks made on query text before any engine sees it."""

import pytest
from pyoxigraph import Store

from server.common.errors import BadQuery
from server.common.errors import ServiceRefused
from server.engine.querytext import check_query
from server.engine.querytext import declare_prefixes
from server.engine.querytext import names_a_dataset
from server.engine.querytext import prologue

UPDATES = [
    "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "PREFIX e: <http://e/> # comment\n DELETE WHERE { ?s e:p ?o }",
    "BASE <http://e/> LOAD <http://e/x>",
    "clear all",
    "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DROP SILENT GRAPH <http://e/g>",
    "CREATE GRAPH <http://e/g>",
    "COPY DEFAULT TO <http://e/g>",
    "MOVE <http://e/a> TO <http://e/b>",
    "ADD <http://e/a> TO <http://e/b>",
]


@pytest.mark.parametrize("text", UPDATES)
def test_updates_sent_as_queries_are_refused_as_malformed_queries(text):
    with pytest.raises(BadQuery, match="read-only"):
        check_query(text, max_depth=64)


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "INSERT DATA { }" }',
        "# INSERT DATA\nASK { ?s <http://e/DELETE> ?o }",
        "PREFIX insert: <http://e/> SELECT * WHERE { ?s insert:x ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > <http://e/x>) }",
    ],
)
def test_queries_that_mention_update_words_pass(text):
    check_query(text, max_depth=64)


def test_nesting_past_the_limit_is_refused_and_within_it_passes():
    check_query("SELECT * WHERE " + "{ " * 10 + "}" * 10, max_depth=10)
    with pytest.raises(BadQuery, match="11 levels"):
        check_query("SELECT * WHERE " + "{ " * 11 + "}" * 11, max_depth=10)


def test_brackets_in_strings_iris_and_comments_do_not_count():
    check_query('SELECT * WHERE { ?s ?p "((((((((((" } # {{{{{{{{{{{{\n', max_depth=2)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }",
        "PREFIX x: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE x:sparql { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_unless_allow_listed(text):
    with pytest.raises(ServiceRefused):
        check_query(text, max_depth=64)


def test_allow_listed_service_iri_passes_but_not_a_variable():
    allowed = frozenset({"http://127.0.0.1:9/sparql"})
    check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", max_depth=8,
                allowed_services=allowed)
    with pytest.raises(ServiceRefused):
        check_query("SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }", max_depth=8, allowed_services=allowed)


def test_service_as_a_name_or_string_is_not_a_clause():
    check_query('SELECT ?service WHERE { ?service <http://e/SERVICE> "SERVICE <x>" }', max_depth=8)


# --- the server's prefixes added to a client's query for a remote engine ---------------------------------

OURS = {"rdfs": "http://www.w3.org/2000/01/rdf-schema#", "mic": "https://mic-ict.example.org/ontology/"}
PROLOGUES = [
    "SELECT ?l WHERE { ?s rdfs:label ?l }",
    "BASE <https://mic-ict.example.org/>\nPREFIX mic: <ontology/>\nSELECT ?s WHERE { ?s a mic:Fund }",
    "# title\nBASE <https://mic-ict.example.org/> # the base\nPREFIX mic: <ontology/> SELECT ?s { ?s a mic:Fund }",
    "PREFIX rdfs: <http://e/mine#>\nSELECT ?l WHERE { ?s rdfs:label ?l }",
    "prefix : <http://e/>\nbase <http://e/b/>\nASK { :a <x> rdfs:label }",
]


@pytest.mark.parametrize("text", PROLOGUES)
def test_declared_prefixes_keep_the_query_and_its_prologue_first(text):
    declared = declare_prefixes(text, OURS)
    end, _ = prologue(text)
    assert declared.startswith(text[:end]), "the client's BASE and PREFIX lines come first, in their order"
    assert type(Store().query(declared)) is type(Store().query(text, prefixes=OURS))  # parses alone, same form
    if "PREFIX rdfs: <http://e/mine#>" in text:
        assert "PREFIX rdfs: <http://www.w3" not in declared, "the client's own prefix wins"


def test_prefixes_are_added_after_base_so_base_stays_first():
    text = "BASE <https://mic-ict.example.org/>\nSELECT * { ?s mic:p ?o }"
    assert declare_prefixes(text, OURS).splitlines()[:2] == [
        "BASE <https://mic-ict.example.org/>", "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }", True),
    ("SELECT * FROM NAMED <http://e/g> { GRAPH ?g { ?s ?p ?o } }", True),
    ("CONSTRUCT { ?s ?p ?o } from <http://e/g> WHERE { ?s ?p ?o }", True),
    ("SELECT ?from WHERE { ?s <http://e/from> ?from }", False),
    ('SELECT * WHERE { ?s ?p "FROM <x>" } # FROM <y>', False),
    ("PREFIX from: <http://e/> SELECT * { ?s from:x ?o }", False),
])
def test_dataset_clauses_are_told_from_the_word_elsewhere(text, expected):
    assert names_a_dataset(text) is expected
