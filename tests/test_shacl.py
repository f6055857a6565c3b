"""server.shacl, SHACL compiled to SPARQL over a pyoxigraph Store, against pySHACL (server.validate).

The bundled graph is loaded as tests/test_graph.py loads it (server.builder.pipeline.load_dataset); pySHACL is
given the very same quads, dumped from the store, so both validators see identical terms.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import pytest
from conftest import as_rdflib
from pyoxigraph import DefaultGraph
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from rdflib import BNode
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.namespace import SH

from server.builder.pipeline import load_dataset
from server.builder.reference import union_graph
from server.builder.reference import validate_graph
from server.builder.report import load_shapes
from server.builder.shacl import validate_store
from server.common.config import Config
from server.sources.find import find_shapes

ROOT = Path(__file__).resolve().parent.parent
BROKEN_FIXTURES = sorted((Path(__file__).resolve().parent / "data" / "broken").glob("*.ttl"))
CONFIG = Config(root=ROOT)
BASE = CONFIG.base_iri
EX = "http://ex/"
PREFIXES = """
@prefix ex: <http://ex/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(find_shapes(CONFIG), base_iri=BASE)


@pytest.fixture(scope="module")
def bundled() -> bytes:
    """The bundled graph as N-Quads: each test loads it into a store of its own."""
    return load_dataset(CONFIG).dump(format=RdfFormat.N_QUADS)


def store_of(nquads: bytes, *fixtures: Path) -> Store:
    store = Store()
    store.load(nquads, format=RdfFormat.N_QUADS)
    for fixture in fixtures:
        store.load(path=str(fixture), format=RdfFormat.TURTLE, base_iri=BASE, to_graph=NamedNode(BASE + "graph/broken"))
    return store


def pyshacl_report(store: Store, shapes: Graph):
    """pySHACL over the union of the store's named graphs, copied into rdflib."""
    return validate_graph(union_graph(as_rdflib(store)), shapes)


def results(report, *, messages: bool = True) -> set[tuple]:
    """(focus, path, value, severity, component, message) of each sh:result, blank nodes as "_:".

    Without `messages`, the message is left out: for a shape without sh:message each tool writes its own.
    """
    graph = report.graph

    def term(node):
        if isinstance(node, Literal) and node.datatype:  # pySHACL reads rdflib's canonical forms, as 1.0 for 1e0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return Literal(str(node), datatype=node.datatype)
        return "_:" if isinstance(node, BNode) else node

    return {
        (
            term(graph.value(r, SH.focusNode)),
            term(graph.value(r, SH.resultPath)),
            term(graph.value(r, SH.value)),
            graph.value(r, SH.resultSeverity),
            graph.value(r, SH.sourceConstraintComponent),
            " ".join(sorted(str(m) for m in graph.objects(r, SH.resultMessage))) if messages else "",
        )
        for r in graph.objects(None, SH.result)  # not pySHACL's sh:detail results nested under them
    }


# ---------------------------------------------------------------- the bundled graph and the broken fixtures


def test_bundled_graph_conforms(bundled, shapes):
    report = validate_store(store_of(bundled), shapes)
    assert report.conforms, report.text()
    assert not report.problems
    assert results(report) == set()
    assert report.text() == "The graph conforms to every shape.\n"


@pytest.mark.parametrize("fixture", BROKEN_FIXTURES, ids=[p.stem for p in BROKEN_FIXTURES])
def test_broken_fixture_gives_the_results_of_pyshacl(fixture, bundled, shapes):
    store = store_of(bundled, fixture)
    ours, theirs = validate_store(store, shapes), pyshacl_report(store, shapes)
    assert results(ours) == results(theirs)
    assert ours.conforms is theirs.conforms is False
    assert Counter(ours.problems) == Counter(theirs.problems)  # rendered alike: focus, path, value, shape
    assert ours.problems == sorted(ours.problems, key=lambda p: (p.severity != "Violation", p.focus, p.path))


def test_a_copy_of_the_union_in_the_default_graph_changes_nothing(bundled, shapes):
    """use_default_graph_as_union also reads the default graph, and returns a triple once per graph
    holding it: a materialised union there doubles every triple, and every count must still hold."""
    fixtures = [p for p in BROKEN_FIXTURES if p.stem in ("label-second-ja", "meeting-theme-count-mismatch")]
    store = store_of(bundled, *fixtures)
    before = validate_store(store, shapes)
    store.extend([Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in store])
    counts = "SELECT (COUNT(*) AS ?all) (COUNT(DISTINCT *) AS ?distinct) WHERE { ?s ?p ?o }"
    (row,) = store.query(counts, use_default_graph_as_union=True)
    assert int(row["all"].value) >= 2 * int(row["distinct"].value)
    after = validate_store(store, shapes)
    assert results(after) == results(before) and len(results(before)) >= 3
    assert Counter(after.problems) == Counter(before.problems)


# ---------------------------------------------------------------- edge semantics, on small graphs


def check(data: str, shape_text: str, *, compare: bool = True):
    """Validate `data` against `shape_text` (both Turtle, PREFIXES added); also with pySHACL unless told not to."""
    shapes = Graph().parse(data=PREFIXES + shape_text, format="turtle")
    store = Store()
    store.load((PREFIXES + data).encode(), format=RdfFormat.TURTLE, to_graph=NamedNode(EX + "graph"))
    ours = validate_store(store, shapes)
    if compare:
        theirs = pyshacl_report(store, shapes)
        assert results(ours, messages=False) == results(theirs, messages=False)
        assert ours.conforms == theirs.conforms
    return ours


def values(report) -> set[str]:
    return {problem.value for problem in report.problems}


def test_in_compares_terms_not_values():
    report = check(
        """ex:a ex:n 1 . ex:b ex:n "01"^^xsd:integer . ex:c ex:n 1.0 . ex:d ex:n "1" . ex:e ex:n 1e0 .""",
        """ex:S sh:targetSubjectsOf ex:n ; sh:property [ sh:path ex:n ; sh:in ( 1 ) ; sh:message "in" ] .""",
    )
    # 1.0 and 1e0 equal 1 in SPARQL (=, IN) but are other terms; "01"^^xsd:integer is the term 1 (the store
    # and rdflib both keep the canonical form of a well-formed integer).
    assert {p.focus for p in report.problems} == {f"<{EX}c>", f"<{EX}d>", f"<{EX}e>"}


def test_language_in_matches_language_ranges():
    report = check(
        """ex:a ex:l "x"@en-GB, "y"@EN, "z"@ja . ex:b ex:l "x"@eng . ex:c ex:l "plain" . ex:d ex:l ex:iri .""",
        """ex:S sh:targetSubjectsOf ex:l ; sh:property [ sh:path ex:l ; sh:languageIn ( "en" "ja" ) ] .""",
    )
    assert {p.focus for p in report.problems} == {f"<{EX}b>", f"<{EX}c>", f"<{EX}d>"}


def test_min_inclusive_counts_incomparable_values_as_violations():
    report = check(
        """ex:a ex:v 5, 0, 0.5, 7e0 . ex:b ex:v -1 . ex:c ex:v "abc" . ex:d ex:v "5" . ex:e ex:v ex:iri .
           ex:f ex:v "2020-01-01"^^xsd:date . ex:g ex:v [] .""",
        """ex:S sh:targetSubjectsOf ex:v ; sh:property [ sh:path ex:v ; sh:minInclusive 0 ] .""",
    )
    assert {p.focus for p in report.problems} == {f"<{EX}{x}>" for x in "bcdefg"}


def test_a_blank_node_focus_is_reported_as_such():
    report = check(
        """ex:T rdfs:subClassOf ex:Thing . [ a ex:T ; ex:name "n" ] . ex:a a ex:Thing .""",
        """ex:S sh:targetClass ex:Thing ; sh:nodeKind sh:IRI ; sh:message "IRI" ;
             sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "name" ] .""",
    )
    assert sorted((p.focus, p.message) for p in report.problems) == [
        ("<http://ex/a>", "name"),
        ("[blank node]", "IRI"),
    ]


def test_datatype_checks_lexical_forms():
    """SHACL 4.1.2 asks that a literal of a SPARQL 1.1 datatype also be well-formed; like pySHACL,
    the dates the engine can cast are checked too, so an impossible xsd:date is a violation. Not compared
    with pySHACL, which lets the impossible "2020-13"^^xsd:gYearMonth through."""
    report = check(
        """ex:a ex:i 1, "abc"^^xsd:integer, 2.5 ; ex:d "2020-02-30"^^xsd:date, "2020-01-01", "2020-02-29"^^xsd:date ;
              ex:y "2020"^^xsd:gYear, "2020-13"^^xsd:gYearMonth ; ex:b true, "maybe"^^xsd:boolean .""",
        """ex:S sh:targetSubjectsOf ex:i ; sh:property [ sh:path ex:i ; sh:datatype xsd:integer ] ,
               [ sh:path ex:d ; sh:datatype xsd:date ] , [ sh:path ex:b ; sh:datatype xsd:boolean ] ,
               [ sh:path ex:y ; sh:or ( [ sh:datatype xsd:gYear ] [ sh:datatype xsd:gYearMonth ] ) ] .""",
        compare=False,
    )
    assert values(report) == {"'abc'", "'2.5'", "'2020-02-30'", "'2020-01-01'", "'2020-13'", "'maybe'"}


def test_datatypes_the_store_does_not_keep_are_refused():
    """pyoxigraph stores "5"^^xsd:int as "5"^^xsd:integer: sh:datatype xsd:int could only fail."""
    with pytest.raises(ValueError, match="xsd:int|XMLSchema#int>"):
        check("ex:a ex:i 5 .", "ex:S sh:targetSubjectsOf ex:i ; sh:property [ sh:path ex:i ; sh:datatype xsd:int ] .")


def test_severity_warning_does_not_break_conformance():
    report = check(
        """ex:a ex:n 1, 2 .""",
        """ex:S sh:targetSubjectsOf ex:n ; sh:property [ sh:path ex:n ; sh:maxCount 1 ; sh:severity sh:Warning ] .""",
    )
    assert report.conforms
    assert [p.severity for p in report.problems] == ["Warning"]


def test_large_counts_are_counted_by_group_by():
    many = ", ".join(str(i) for i in range(12))
    report = check(
        f"ex:a ex:n {many} . ex:b ex:n 1, 2 . ex:c ex:m 1 .",
        """ex:S sh:targetSubjectsOf ex:n, ex:m ; sh:property [ sh:path ex:n ; sh:minCount 10 ; sh:maxCount 11 ] .""",
    )
    assert sorted((p.focus, p.message) for p in report.problems) == [
        ("<http://ex/a>", "More than 11 values"),
        ("<http://ex/b>", "Fewer than 10 values"),
        ("<http://ex/c>", "Fewer than 10 values"),
    ]


def test_nested_shapes_paths_and_targets_agree_with_pyshacl():
    data = """
        ex:Sub rdfs:subClassOf ex:Thing .
        ex:a a ex:Sub ; ex:name "A"@en, "A2"@EN ; ex:age 5 ; ex:min 7 ; ex:max 3 ; ex:knows ex:b, ex:c ;
            ex:code "x1", "y" .
        ex:b a ex:Thing ; ex:name "B"@en ; ex:age -2 ; ex:knows ex:a .
        ex:c ex:name "C"@fr ; ex:age "old" .
        [] a ex:Thing ; ex:age 1.5 .
        ex:d ex:parent ex:a .
    """
    shape_text = """
        ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "thing" ;
          sh:property [ sh:path ex:name ; sh:uniqueLang true ; sh:minCount 1 ; sh:message "name" ] ,
            [ sh:path ex:age ; sh:datatype xsd:integer ; sh:maxExclusive 100 ; sh:minInclusive 0 ;
              sh:severity sh:Warning ; sh:message "age" ] ,
            [ sh:path ex:min ; sh:lessThan ex:max ; sh:message "min" ] ,
            [ sh:path ex:knows ; sh:node ex:Named ; sh:qualifiedValueShape [ sh:class ex:Thing ] ;
              sh:qualifiedMaxCount 1 ; sh:message "knows" ] ,
            [ sh:path ( ex:knows ex:name ) ; sh:maxCount 1 ; sh:message "sequence" ] ,
            [ sh:path [ sh:inversePath ex:parent ] ; sh:maxCount 0 ; sh:message "inverse" ] ,
            [ sh:path ex:code ; sh:pattern "^X[0-9]$" ; sh:flags "i" ; sh:message "code" ] ;
          sh:xone ( [ sh:path ex:age ; sh:minCount 1 ] [ sh:path ex:min ; sh:minCount 1 ] ) ;
          sh:and ( [ sh:nodeKind sh:IRI ] [ sh:not [ sh:hasValue ex:b ] ] ) .
        ex:Named a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:languageIn ( "en" ) ] ;
          sh:or ( [ sh:path ex:name ; sh:minCount 2 ] [ sh:path ex:age ; sh:hasValue -2 ] ) .
        ex:Off a sh:NodeShape ; sh:targetNode ex:a, ex:zz ; sh:deactivated true ; sh:class ex:Nothing .
        ex:Nodes a sh:NodeShape ; sh:targetNode ex:zz ; sh:targetObjectsOf ex:knows ; sh:in ( ex:a ex:b ) ;
          sh:message "in"@en, "dans"@fr .
    """
    report = check(data, shape_text)
    components = Counter(str(r[4]).rsplit("#", 1)[-1] for r in results(report))
    assert components == Counter(
        {"AndConstraintComponent": 2, "MaxCountConstraintComponent": 3, "InConstraintComponent": 2}
    ) + Counter(
        [
            "DatatypeConstraintComponent",
            "MinCountConstraintComponent",
            "XoneConstraintComponent",
            "PatternConstraintComponent",
            "NodeConstraintComponent",
            "LessThanConstraintComponent",
            "UniqueLangConstraintComponent",
            "MinInclusiveConstraintComponent",
        ]
    )
    assert "^<http://ex/parent>" in {p.path for p in report.problems}
    assert any(sorted(p.message.split()) == ["dans", "in"] for p in report.problems)


def test_the_report_graph_uses_the_shacl_vocabulary(bundled, shapes):
    fixture = next(p for p in BROKEN_FIXTURES if p.stem == "corporate-number-bad-check-digit")
    report = validate_store(store_of(bundled, fixture), shapes)
    graph = report.graph
    (top,) = graph.subjects(SH.conforms, None)
    check_digit = URIRef(BASE + "shapes/CorporateNumberCheckDigit")
    (result,) = [r for r in graph.objects(top, SH.result) if graph.value(r, SH.sourceShape) == check_digit]
    assert graph.value(result, SH.sourceConstraintComponent) == SH.SPARQLConstraintComponent
    assert graph.value(result, SH.sourceShape) == URIRef(BASE + "shapes/CorporateNumberCheckDigit")
    assert graph.value(result, SH.resultPath) == URIRef(BASE + "ontology/corporateNumber")
    value = str(graph.value(result, SH.value))
    assert f"Corporate number {value} fails" in str(graph.value(result, SH.resultMessage))


# ---------------------------------------------------------------- what is not compiled is refused


@pytest.mark.parametrize(
    ("shape_text", "named"),
    [
        ("ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .", "sh:equals"),
        ("ex:S sh:targetNode ex:a ; sh:closed true .", "sh:closed"),
        ("ex:S sh:target [ a sh:SPARQLTarget ; sh:select 'SELECT ?this {}' ] .", "sh:target"),
        ("ex:S sh:targetNode ex:a ; sh:property [ sh:path [ sh:weirdPath ex:p ] ] .", "sh:weirdPath"),
        ("ex:S sh:targetNode ex:a ; sh:node ex:S .", "recursive"),
        ("ex:S sh:targetNode ex:a ; sh:property ex:P . ex:P sh:path ex:p ; sh:property ex:P .", "recursive"),
        ("ex:S sh:targetNode ex:a ; sh:or ( [ sh:path ex:p ; sh:minCount 9 ] ) .", "count above 8"),
        ("ex:S sh:targetNode ex:a ; sh:minCount 1 .", "property shapes only"),
        ("ex:S sh:targetNode ex:a ; sh:not [ sh:sparql [ sh:select 'SELECT $this {}' ] ] .", "sh:sparql"),
        ("ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT $this { MINUS { $this ?p ?o } }' ] .", "MINUS"),
        ("ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT ?x { ?x ?p ?o }' ] .", r"must SELECT \$this"),
        ("ex:S sh:targetNode ex:a ; sh:in ( [] ) .", "blank node"),
        ("ex:S sh:targetNode ex:a ; sh:pattern '[' .", "cannot compile"),
        ("ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:p ] .", "custom constraint component"),
        (
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:class ex:C ] ;"
            " sh:qualifiedMinCount 1 ; sh:qualifiedValueShapesDisjoint true ] .",
            "sh:qualifiedValueShapesDisjoint",
        ),
    ],
)
def test_what_is_not_supported_raises_value_error(shape_text, named):
    shapes = Graph().parse(data=PREFIXES + shape_text, format="turtle")
    with pytest.raises(ValueError, match=named):
        validate_store(Store(), shapes)


def test_the_error_names_the_shape():
    shapes = Graph().parse(data=PREFIXES + "ex:S sh:targetNode ex:a ; sh:closed true .", format="turtle")
    with pytest.raises(ValueError, match=r"shape <http://ex/S>: sh:closed is not supported"):
        validate_store(Store(), shapes)
