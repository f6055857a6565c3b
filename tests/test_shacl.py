"""server.shacl, SHACL compiled to SPARQL over a pyoxigraph Store, against pySHACL (server.validate).

The bundled graph is loaded as tests/test_graph.py loads it (server.builder.pipeline.load_dataset); pySHACL is
given the very same quads, dumped from the store, so both validators see identical terms.
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import pytest
from conftest import MINI
from conftest import as_rdflib
from pyoxigraph import DefaultGraph
from pyoxigraph import Literal as OxLiteral
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from rdflib import BNode
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.namespace import SH
from rdflib.namespace import XSD

from server.builder.pipeline import load_and_validate
from server.builder.pipeline import load_dataset
from server.builder.reference import union_graph
from server.builder.reference import validate_graph
from server.builder.report import load_shapes
from server.builder.shacl import validate_store
from server.cli.main import main
from server.common.config import Config
from server.common.errors import ShapesUnsupported
from server.common.errors import ShapesViolated
from server.sources.find import Source
from server.sources.find import find_shapes
from server.sources.load import KEPT_AS_WRITTEN
from server.sources.load import load_sources
from server.sources.load import stored_forms

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
    """Validate `data` against `shape_text` (both Turtle, PREFIXES added), each loaded as a build loads it
    (literals as written); also with pySHACL, given the same graph as written, unless told not to."""
    with tempfile.TemporaryDirectory() as folder:
        data_file, shapes_file = Path(folder) / "data.ttl", Path(folder) / "shapes.ttl"
        data_file.write_text(PREFIXES + data, encoding="utf-8")
        shapes_file.write_text(PREFIXES + shape_text, encoding="utf-8")
        shapes = load_shapes([shapes_file], base_iri=EX)
        store = Store()
        written = load_sources([Source(data_file, RdfFormat.TURTLE, EX + "graph")], store, base_iri=EX)
        ours = validate_store(store, shapes, written=written)
        if compare:
            theirs = validate_graph(load_shapes([data_file], base_iri=EX), shapes)
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
    # 1.0, 1e0 and "01"^^xsd:integer equal 1 in SPARQL (=, IN) but are other terms (the store keeps "01" as 1:
    # the validator sees it as written).
    assert {p.focus for p in report.problems} == {f"<{EX}{x}>" for x in "bcde"}


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


def test_datatype_sees_the_literal_as_written():
    """The store keeps "5"^^xsd:int as "5"^^xsd:integer and "300"^^xsd:byte as "300"^^xsd:integer: the
    validator sees them as written, and reports them so."""
    report = check(
        """ex:a ex:i "5"^^xsd:int, "300"^^xsd:byte, "5"^^xsd:integer, "-1"^^xsd:nonNegativeInteger ;
              ex:t "2020-01-01T00:00:00Z"^^xsd:dateTimeStamp, "2020-01-01T00:00:00"^^xsd:dateTimeStamp .""",
        """ex:S sh:targetSubjectsOf ex:i ; sh:property [ sh:path ex:i ; sh:datatype xsd:int ; sh:message "int" ] ,
               [ sh:path ex:i ; sh:datatype xsd:integer ; sh:message "integer" ] ,
               [ sh:path ex:i ; sh:or ( [ sh:datatype xsd:byte ] [ sh:datatype xsd:nonNegativeInteger ] ) ;
                 sh:message "byte" ] ,
               [ sh:path ex:t ; sh:datatype xsd:dateTimeStamp ; sh:message "stamp" ] .""",
        compare=False,  # pySHACL reads "300"^^xsd:byte and "-1"^^xsd:nonNegativeInteger as well-formed
    )
    assert sorted((p.message, p.value) for p in report.problems) == [
        ("byte", "'-1'"),
        ("byte", "'300'"),
        ("byte", "'5'"),  # "5"^^xsd:integer and "5"^^xsd:int: neither a byte nor a nonNegativeInteger
        ("byte", "'5'"),
        ("int", "'-1'"),
        ("int", "'300'"),
        ("int", "'5'"),
        ("integer", "'-1'"),
        ("integer", "'300'"),
        ("integer", "'5'"),
        ("stamp", "'2020-01-01T00:00:00'"),
    ]
    datatypes = {(str(v), str(v.datatype)) for v in report.graph.objects(None, SH.value)}
    assert ("5", str(XSD.int)) in datatypes and ("300", str(XSD.byte)) in datatypes


def test_literals_as_written_on_blank_nodes_keep_each_file_s_blank_nodes_apart(tmp_path):
    """The store names blank nodes afresh, so a graph whose changed literal hangs off one is loaded again;
    the same label in two files still names two nodes."""
    files = []
    for name, lexical in (("one", "5"), ("two", "300")):
        path = tmp_path / f"{name}.ttl"
        path.write_text(PREFIXES + f'_:b ex:i "{lexical}"^^xsd:byte ; ex:from "{name}" .', encoding="utf-8")
        files.append(Source(path, RdfFormat.TURTLE, EX + "graph"))
    store = Store()
    written = load_sources(files, store, base_iri=EX)
    assert len({q.subject for q in store.quads_for_pattern(None, NamedNode(EX + "from"), None)}) == 2
    assert {str(q.object) for q in store.quads_for_pattern(None, NamedNode(EX + "i"), None)} == {
        '"5"^^<http://www.w3.org/2001/XMLSchema#integer>',
        '"300"^^<http://www.w3.org/2001/XMLSchema#integer>',
    }
    shapes = Graph().parse(data=PREFIXES + "ex:S sh:targetSubjectsOf ex:i ; sh:property [ sh:path ex:i ;"
                           " sh:datatype xsd:byte ] .", format="turtle")
    report = validate_store(store, shapes, written=written)
    assert [(p.focus, p.value) for p in report.problems] == [("[blank node]", "'300'")]


def test_literals_as_written_in_a_file_loaded_as_it_is_keep_their_graphs(tmp_path):
    """A --dataset file keeps the graphs it names; those loaded again for blank nodes keep them too."""
    path = tmp_path / "data.trig"
    path.write_text(PREFIXES + '_:b ex:i "5"^^xsd:int .\nex:g { _:b ex:i "300"^^xsd:byte . ex:a ex:i 1 }',
                    encoding="utf-8")
    store = Store()
    written = load_sources([Source(path, RdfFormat.TRIG, None)], store, base_iri=EX)
    assert {(str(q.graph_name), q.object.value) for q in store} == {
        ("DEFAULT", "5"), (f"<{EX}g>", "300"), (f"<{EX}g>", "1")
    }
    shapes = Graph().parse(data=PREFIXES + "ex:S sh:targetSubjectsOf ex:i ; sh:property [ sh:path ex:i ;"
                           " sh:datatype xsd:byte ] .", format="turtle")
    report = validate_store(store, shapes, written=written)
    assert sorted(p.value for p in report.problems) == ["'1'", "'300'", "'5'"]


def test_the_forms_the_loader_takes_as_kept_are_kept_by_the_store():
    """KEPT_AS_WRITTEN lets the loader skip asking the store: every random form it matches, the store keeps."""
    rng = random.Random(19)
    alphabet = "0000123456789-.:TZ+"
    candidates = [
        OxLiteral("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 22))), datatype=NamedNode(datatype))
        for datatype in KEPT_AS_WRITTEN
        for _ in range(3000)
    ]
    samples = [
        "2020-01-01", "2020-02-30", "1999-12-31T23:59:59Z", "2020-01-01T24:00:00", "12.50", "-0.5", "-0", "007",
        "1234567890123456789", "9999-13", "true", "1", "0999",
    ]  # fmt: skip
    candidates += [OxLiteral(text, datatype=NamedNode(datatype)) for datatype in KEPT_AS_WRITTEN for text in samples]
    matched = [c for c in candidates if KEPT_AS_WRITTEN[c.datatype.value].fullmatch(c.value)]
    forms = stored_forms(matched)
    assert len(matched) > 300
    assert [c for c in matched if forms[c] != c] == []


def test_in_has_value_pattern_and_length_see_the_lexical_form_as_written():
    """"4.0"^^xsd:decimal is stored as "4": it is still not the term "4", its pattern and length are those of
    "4.0", and its value still compares as 4."""
    report = check(
        """ex:a ex:d "4.0"^^xsd:decimal . ex:b ex:d 4.0 . ex:c ex:d "4"^^xsd:decimal .
           ex:e ex:d "04.00"^^xsd:decimal .""",
        """ex:S sh:targetSubjectsOf ex:d ;
             sh:property [ sh:path ex:d ; sh:in ( "4.0"^^xsd:decimal ) ; sh:message "in" ] ,
               [ sh:path ex:d ; sh:pattern "^4[.]0$" ; sh:message "pattern" ] ,
               [ sh:path ex:d ; sh:minLength 3 ; sh:message "length" ] ,
               [ sh:path ex:d ; sh:minInclusive 4 ; sh:maxInclusive 4 ; sh:message "value" ] ;
             sh:or ( [ sh:hasValue ex:a ] [ sh:path ex:d ; sh:hasValue "4.0"^^xsd:decimal ] ) .""",
    )
    none = "Value conforms to none of the sh:or shapes"
    assert {(p.focus, p.message) for p in report.problems} == {
        *((f"<{EX}c>", message) for message in ("in", "pattern", "length", none)),
        *((f"<{EX}e>", message) for message in ("in", "pattern", none)),
    }


def test_patterns_are_read_in_the_xsd_regex_dialect():
    """XSD's class subtraction, \\s and "." mean other things in the engine's dialect: they are translated."""
    report = check(
        """ex:a ex:w "xyz" . ex:b ex:w "abc" . ex:c ex:w "a\\u00A0b" . ex:d ex:w "a\\rb" .""",
        """ex:S sh:targetSubjectsOf ex:w ;
             sh:property [ sh:path ex:w ; sh:pattern "^[a-z-[aeiou]]+$" ; sh:message "consonants" ] ,
               [ sh:path ex:w ; sh:pattern "^\\\\S+$" ; sh:message "no space" ] ,
               [ sh:path ex:w ; sh:pattern "^a.b$|^[a-z]+$" ; sh:message "dot" ] .""",
        compare=False,  # pySHACL reads patterns as Python's dialect
    )
    assert sorted((p.focus, p.message) for p in report.problems) == [
        ("<http://ex/b>", "consonants"),
        ("<http://ex/c>", "consonants"),
        ("<http://ex/d>", "consonants"),
        ("<http://ex/d>", "dot"),  # XSD's "." matches neither \\n nor \\r
        ("<http://ex/d>", "no space"),  # \\r is XSD whitespace; U+00A0 is not
    ]


def test_warnings_are_reported_and_conforms_follows_the_spec():
    """A Warning is a result: the report keeps it and sh:conforms is false (SHACL 3.6.1); whether it refuses
    a release is Config.blocking's business (test_the_release_gate_blocks_the_configured_severities)."""
    report = check(
        """ex:a ex:n 1, 2 .""",
        """ex:S sh:targetSubjectsOf ex:n ; sh:property [ sh:path ex:n ; sh:maxCount 1 ; sh:severity sh:Warning ] ;
             sh:property [ sh:path ex:n ; sh:maxCount 1 ; sh:severity sh:Info ] .""",
    )
    assert not report.conforms
    assert sorted(p.severity for p in report.problems) == ["Info", "Warning"]
    assert report.blocking(frozenset({"Violation"})) == []
    assert len(report.blocking(frozenset({"Violation", "Warning"}))) == 1


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


def sparql(select: str) -> str:
    return f"ex:S sh:targetNode ex:a ; sh:sparql [ sh:select '{select}' ] ."


@pytest.mark.parametrize(
    ("shape_text", "named"),
    [
        ("ex:S sh:target [ a sh:SPARQLTarget ; sh:select 'SELECT ?this {}' ] .", "sh:target"),
        ("ex:S sh:targetNode ex:a ; sh:property [ sh:path [ sh:weirdPath ex:p ] ] .", "sh:weirdPath"),
        ("ex:S sh:targetNode ex:a ; sh:node ex:S .", "recursive"),
        ("ex:S sh:targetNode ex:a ; sh:property ex:P . ex:P sh:path ex:p ; sh:property ex:P .", "recursive"),
        ("ex:S sh:targetNode ex:a ; sh:or ( [ sh:path ex:p ; sh:minCount 9 ] ) .", "count above 8"),
        ("ex:S sh:targetNode ex:a ; sh:minCount 1 .", "property shapes only"),
        ("ex:S sh:targetNode ex:a ; sh:not [ sh:sparql [ sh:select 'SELECT $this {}' ] ] .", "sh:sparql"),
        (sparql("SELECT $this { MINUS { $this ?p ?o } }"), "MINUS"),
        (sparql("SELECT $this { ?x ?p ?o } LIMIT 1"), "LIMIT"),
        (sparql("SELECT $this (COUNT(*) AS ?n) { ?x ?p ?o }"), "GROUP BY"),
        (sparql("SELECT $this { BIND(1 AS $this) }"), "rebinds"),
        (sparql("SELECT $this { { SELECT ?x { ?x ?p ?o } } }"), "sub-SELECT"),
        (sparql("SELECT $this { GRAPH $shapesGraph { } }"), "$shapesGraph"),
        (sparql("SELECT $this { GRAPH ?g { FILTER($this) } }"), "GRAPH"),
        (sparql("SELECT $this { $this ex:p }"), "its SPARQL query is not valid"),
        ("ex:S sh:targetNode ex:a ; sh:in ( [] ) .", "blank node"),
        ("ex:S sh:targetNode ex:a ; sh:pattern '[' .", "unclosed"),
        ("ex:S sh:targetNode ex:a ; sh:pattern '\\\\p{IsBasicLatin}' .", "block"),
        ("ex:S sh:targetNode ex:a ; sh:pattern '(a)\\\\1' .", "back-reference"),
        ("ex:S sh:targetNode ex:a ; sh:pattern 'a' ; sh:flags 'u' .", "flag"),
        ("ex:S sh:targetNode ex:a ; sh:datatype xsd:noSuchType .", "XSD datatype"),
        ("ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:p ] . ex:S sh:targetNode ex:a ; ex:p 1 .",
         "validator"),
    ],
)
def test_what_is_not_supported_is_refused(shape_text, named):
    shapes = Graph().parse(data=PREFIXES + shape_text, format="turtle")
    with pytest.raises(ShapesUnsupported, match=re.escape(named)):
        validate_store(Store(), shapes)


def test_the_error_names_the_shape():
    shapes = Graph().parse(data=PREFIXES + "ex:S sh:targetNode ex:a ; sh:weird true .", format="turtle")
    with pytest.raises(ShapesUnsupported, match=r"shape <http://ex/S>: sh:weird is not supported"):
        validate_store(Store(), shapes)


# ---------------------------------------------------------------- the release gate and the command line


def project_with(tmp_path: Path, shapes: str) -> Path:
    """The mini project folder with `shapes` (Turtle) added to its shapes."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    (project / "shapes" / "extra.ttl").write_text(PREFIXES + shapes, encoding="utf-8")
    return project


WARN_ON_MEETINGS = """
<http://ex/Warn> sh:targetClass <https://mic-ict.example.org/ontology/Meeting> ;
    sh:property [ sh:path ex:never ; sh:minCount 1 ; sh:severity sh:Warning ; sh:message "a warning" ] .
"""


def test_the_release_gate_blocks_the_configured_severities(tmp_path):
    project = project_with(tmp_path, WARN_ON_MEETINGS)
    _store, report = load_and_validate(Config(root=project))
    assert not report.conforms and [p.severity for p in report.problems] == ["Warning"]
    with pytest.raises(ShapesViolated, match="1 shape constraint"):
        load_and_validate(Config(root=project, blocking_severities="Violation, Warning"))


def test_validate_exits_by_the_blocking_severities(tmp_path, capsys):
    project = project_with(tmp_path, WARN_ON_MEETINGS)
    argv = ["validate", "--root", str(project), "--build-dir", str(tmp_path / "b")]
    assert main(argv, {}) == 0
    assert "Warning: " in capsys.readouterr().out
    assert main(argv, {"LOD_BLOCKING_SEVERITIES": "Warning"}) == 1
    assert main([*argv, "--blocking-severities", "Severe"], {}) == 2
    assert "Severe" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("shapes", "said"),
    [
        ("ex:S sh:target [ sh:select 'SELECT ?this {}' ] .", "shape <http://ex/S>: sh:target"),
        ("ex:S sh:targetNode ex:a ; sh:pattern '\\\\p{IsGreek}' .", "shape <http://ex/S>: sh:pattern"),
        ("ex:S sh:targetNode ex:a ;\n sh:minCount", "extra.ttl: Parser error"),
    ],
)
def test_shapes_the_validator_refuses_exit_1_with_a_message_not_a_traceback(tmp_path, capsys, shapes, said):
    project = project_with(tmp_path, shapes)
    for command in ("validate", "build"):
        assert main([command, "--root", str(project), "--build-dir", str(tmp_path / "b")], {}) == 1
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err
