"""The checks made on query text before any engine sees it."""

import pytest

from server.common.errors import BadQuery
from server.common.errors import ServiceRefused
from server.engine.querytext import check_query

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
