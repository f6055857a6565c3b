"""SHACL validation compiled to SPARQL and run by a pyoxigraph Store's own query engine.

pySHACL walks every focus node and value node in Python over an rdflib Graph: minutes and
gigabytes at a million triples. Here each constraint of each shape becomes one SPARQL SELECT whose
solutions are exactly its validation results::

    SELECT DISTINCT ?this ?value WHERE { <focus nodes of the shape> <violation pattern> }

- The focus nodes of a shape come from its targets (sh:targetClass as
  ``rdf:type/rdfs:subClassOf*``, sh:targetSubjectsOf, ...), as a DISTINCT subquery binding ?this.
- A property shape's value nodes are ``?this <path> ?value``, sh:path compiled to a SPARQL
  property path; a node shape's only value node is the focus node itself.
- A constraint is either a test of one value node (sh:class, sh:datatype, sh:pattern, sh:in, ...),
  compiled to a SPARQL boolean expression that is true when the value violates it, or a test
  of the focus node as a whole (sh:minCount, sh:hasValue, sh:equals, sh:closed, ...), compiled to a
  graph pattern: a count n as FILTER [NOT] EXISTS over n pairwise distinct values (the store stops
  at the first match), or for n > MAX_NESTED_COUNT as GROUP BY ?this HAVING (COUNT(DISTINCT ?v) ...).
- Shapes nested in sh:or, sh:not, sh:and, sh:xone, sh:node and sh:qualifiedValueShape compile to
  one boolean expression "this node conforms", built of FILTER [NOT] EXISTS groups.
- SPARQL-based constraints (sh:sparql) and constraint components (instances of sh:ConstraintComponent
  or of a subclass, with SELECT or ASK validators) keep their own queries, rewritten by
  server/builder/prebind.py so that one query pre-binds $this, $value, $currentShape and the
  parameters for every focus node at once; what cannot be pre-bound that way is refused.

SHACL semantics that bite: comparisons that raise an error count as violations (COALESCE(..., false));
sh:in, sh:hasValue, sh:equals and counts compare terms, not values; sh:languageIn uses langMatches;
sh:pattern is XSD's regex dialect, translated (server/builder/xsd.py); a literal matches sh:datatype only
if its lexical form is in the datatype's lexical space; only "true"^^xsd:boolean switches a boolean
parameter on ("1"^^xsd:boolean does not).

The store keeps typed literals as values ("4.0"^^xsd:decimal as "4", "5"^^xsd:int as "5"^^xsd:integer).
`written` (from server/sources/load.py) gives, for every stored quad whose literal the store changed, the
literals as the sources wrote them; for the core constraints those quads are swapped for literals the
store keeps verbatim (the lexical form under a datatype IRI ``urn:x-mic-lod:written-as:`` + the
original datatype), and swapped back afterwards, so datatype, length, pattern, term and count checks
and the report see the written forms; value comparisons decode them. SPARQL-based constraints run on
the store as it is: they see what any query of the store sees.

Every query runs over the union of the store's graphs (use_default_graph_as_union=True). pyoxigraph
returns a triple once per graph holding it (the default graph included), so every pattern here is
DISTINCT or counts DISTINCT values. Anything this compiler does not support raises ShapesUnsupported naming
the shape and the term; nothing is skipped silently.

>>> from pyoxigraph import Store
>>> shapes = Graph().parse(format="turtle", data='''
...     @prefix sh: <http://www.w3.org/ns/shacl#> .
...     <http://ex/S> sh:targetSubjectsOf <http://ex/name> ;
...         sh:property [ sh:path <http://ex/name> ; sh:maxCount 1 ; sh:message "One name only." ] .
... ''')
>>> store = Store()
>>> store.update('INSERT DATA { GRAPH <http://ex/g> { <http://ex/a> <http://ex/name> "A", "B" } }')
>>> report = validate_store(store, shapes)
>>> report.conforms, [problem.describe() for problem in report.problems]
(False, ['Violation: <http://ex/a> <http://ex/name>: One name only.'])
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field

import pyoxigraph
from rdflib import BNode
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SH
from rdflib.namespace import XSD

from server.builder.prebind import prebind_ask
from server.builder.prebind import prebind_select
from server.builder.report import SEVERITY_RANK
from server.builder.report import ValidationReport
from server.builder.report import problems_of
from server.builder.report import to_rdflib
from server.builder.xsd import KNOWN as XSD_KNOWN
from server.builder.xsd import translate_regex
from server.builder.xsd import well_formed
from server.common.errors import ShapesUnsupported
from server.common.progress import Stage
from server.common.progress import stage
from server.sources.load import stored_forms

# A focus: given a variable name ("?this"), a group graph pattern binding it once to each focus node.
Focus = Callable[[str], str]
# For each stored quad whose literal the store changed, the literals the sources wrote for it.
Written = Mapping[pyoxigraph.Quad, tuple[pyoxigraph.Literal, ...]]

TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
TRUE = Literal("true", datatype=XSD.boolean)
WRITTEN_AS = "urn:x-mic-lod:written-as:"  # a written literal the store would change: its datatype's prefix
WELL_FORMED = "urn:x-mic-lod:well-formed"  # custom function (lexical form, datatype IRI) -> boolean
# The datatypes the store reads as values; all other literals it keeps as written.
VALUE_TYPES = {
    XSD[name]
    for name in (
        "integer decimal float double boolean dateTime date time gYear gYearMonth gMonth gDay gMonthDay "
        "duration dayTimeDuration yearMonthDuration"
    ).split()
}
# Stored as xsd:integer (or xsd:dateTime) when they parse: the store keeps them only when it cannot.
NARROWED_TYPES = {
    XSD[name]
    for name in (
        "long int short byte nonNegativeInteger positiveInteger unsignedLong unsignedInt unsignedShort "
        "unsignedByte nonPositiveInteger negativeInteger dateTimeStamp"
    ).split()
}
# Counts up to this are written as n pairwise distinct variables (the only way inside nested shapes).
MAX_NESTED_COUNT = 8


# ---------------------------------------------------------------- the API


def validate_store(store: pyoxigraph.Store, shapes: Graph, *, written: Written | None = None) -> ValidationReport:
    """Validate the union of the graphs of `store` against `shapes`, one SPARQL query per constraint.

    `written`: the literals as written where the store changed them (server/sources/load.py), so that
    the core constraints see the data as written; the store is changed during the call and restored.

    :raises ShapesUnsupported: if the shapes use something this validator does not support, naming the shape.
    """
    altered = _altered_literals(shapes)
    core = Compiler(shapes, written_forms=bool(written) or bool(altered), altered=altered).compile(sparql=False)
    sparql = Compiler(shapes).compile(sparql=True)
    with stage("validate", total=len(core) + len(sparql), unit="checks") as progress:
        with _as_written(store, written or {}):  # the core checks see the literals as written
            found = run_checks(store, core, progress)
        found += run_checks(store, sparql, progress)
    results = _unique(found)
    conforms = not results  # SHACL 3.6.1: any result, whatever its severity
    graph = report_graph(shapes, results, conforms)
    problems = sorted(problems_of(graph), key=lambda p: (SEVERITY_RANK.get(p.severity, 9), p.focus, p.path))
    return ValidationReport(conforms=conforms, problems=problems, graph=graph)


@dataclass(frozen=True)
class Check:
    """One query whose solutions (?this, and ?value when there is one) are validation results."""

    shape: URIRef | BNode  # sh:sourceShape
    component: URIRef  # sh:sourceConstraintComponent
    query: str
    severity: URIRef
    messages: tuple[Literal, ...]
    path: URIRef | BNode | None = None  # sh:resultPath, a node of the shapes graph
    constraint: URIRef | BNode | None = None  # sh:sourceConstraint (SPARQL-based constraints)
    sparql: bool = False  # a SPARQL-based constraint or component: ?path, ?value and messages from solutions
    path_from_solution: bool = False  # sh:closed: ?path names the property
    parameters: tuple = ()  # (name, term) of a component's parameters, for {$name} in messages


@dataclass(frozen=True)
class Result:
    check: Check
    focus: object
    value: object | None
    path: object | None
    messages: tuple[Literal, ...]
    solution: frozenset  # every variable bound, so that results are told apart as pySHACL does


def _well_formed(lexical, datatype):
    return pyoxigraph.Literal(well_formed(datatype.value, lexical.value))


FUNCTIONS = {pyoxigraph.NamedNode(WELL_FORMED): _well_formed}


CHECK_THREADS = 2  # the engine answers a query with the interpreter lock released: checks run side by side


def run_checks(store: pyoxigraph.Store, checks: list[Check], progress: Stage) -> list[Result]:
    """The results of every check, in the order of `checks` (run in CHECK_THREADS threads)."""

    def results(check: Check) -> list[Result]:
        found = list(run_check(store, check))
        progress.advance()
        return found

    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        return [result for found in pool.map(results, checks) for result in found]


def run_check(store: pyoxigraph.Store, check: Check) -> Iterator[Result]:
    try:
        solutions = store.query(check.query, use_default_graph_as_union=True, custom_functions=FUNCTIONS)
    except SyntaxError as exc:  # a SPARQL-based constraint's own text; ours is always well-formed
        raise ShapesUnsupported(f"shape {_name(check.shape)}: its SPARQL query is not valid: {exc}") from None
    names = [variable.value for variable in solutions.variables]
    for solution in solutions:
        bound = {name: _rdflib(solution[name]) for name in names if solution[name] is not None}
        focus, value, path = bound["this"], bound.get("value"), check.path
        if check.path_from_solution:
            path = bound["path"]
        if check.sparql:  # ?path may override; a node shape's value is its focus
            if bound.get("failure") == TRUE:
                raise ShapesUnsupported(f"shape {_name(check.shape)}: its SPARQL query reported a failure for {focus}")
            path = bound["path"] if isinstance(bound.get("path"), URIRef) else path
            value = focus if value is None and check.path is None else value
        yield Result(check, focus, value, path, _messages(check, bound), frozenset(bound.items()))


def _messages(check: Check, bound: dict) -> tuple[Literal, ...]:
    """Messages of a SPARQL-based result get {?var} and {$var} replaced by the solution's values."""
    if not check.sparql:
        return check.messages
    values = {**dict(check.parameters), **bound}
    out = []
    for message in check.messages:
        text = str(message)
        for name, term in values.items():
            text = text.replace("{?" + name + "}", str(term)).replace("{$" + name + "}", str(term))
        out.append(Literal(text, lang=message.language, datatype=message.datatype))
    return tuple(out)


def _unique(results) -> list[Result]:
    seen = {}
    for result in results:
        seen.setdefault((result.check, result.solution), result)
    return list(seen.values())


def _rdflib(term):
    """A term of a solution as rdflib's, a literal as written (see the module) as it was written."""
    if isinstance(term, pyoxigraph.Literal) and term.datatype.value.startswith(WRITTEN_AS):
        original = pyoxigraph.NamedNode(term.datatype.value[len(WRITTEN_AS) :])
        return to_rdflib(pyoxigraph.Literal(term.value, datatype=original))
    return to_rdflib(term)


# ---------------------------------------------------------------- literals as written


def _written_as(literal: pyoxigraph.Literal) -> pyoxigraph.Literal:
    """A literal the store keeps verbatim: its lexical form, under the datatype IRI prefixed by WRITTEN_AS."""
    return pyoxigraph.Literal(literal.value, datatype=pyoxigraph.NamedNode(WRITTEN_AS + literal.datatype.value))


@contextmanager
def _as_written(store: pyoxigraph.Store, written: Written):
    """Swap each stored quad that the store changed for the quads as written, and back on leaving.

    A copy of the union in the default graph, if there is one, is swapped too.
    """
    removed, added = [], []
    try:
        for stored, literals in written.items():
            copies = [stored]
            in_default = pyoxigraph.Quad(stored.subject, stored.predicate, stored.object)
            if in_default in store:
                copies.append(in_default)
            for quad in copies:
                store.remove(quad)
                removed.append(quad)
                for literal in literals:
                    term = literal if literal == stored.object else _written_as(literal)
                    swapped = pyoxigraph.Quad(quad.subject, quad.predicate, term, quad.graph_name)
                    store.add(swapped)
                    added.append(swapped)
        yield
    finally:
        for quad in added:
            store.remove(quad)
        store.extend(removed)


def _oxigraph_literal(term: Literal) -> pyoxigraph.Literal:
    if term.language:
        return pyoxigraph.Literal(str(term), language=term.language)
    return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype or XSD.string)))


def _altered_literals(shapes: Graph) -> set[Literal]:
    """The literals of the shapes graph that the store would keep in another form."""
    typed = {o for o in shapes.objects() if isinstance(o, Literal) and o.datatype in VALUE_TYPES | NARROWED_TYPES}
    forms = stored_forms(_oxigraph_literal(term) for term in typed)
    return {term for term in typed if forms[_oxigraph_literal(term)] != _oxigraph_literal(term)}


# ---------------------------------------------------------------- the report graph


def report_graph(shapes: Graph, results: list[Result], conforms: bool) -> Graph:
    """The results in the SHACL report vocabulary, shapes and paths copied from `shapes` as pySHACL does."""
    graph = Graph()
    for prefix, namespace in shapes.namespaces():
        graph.bind(prefix, namespace, override=False)
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    copied: set = set()
    for result in results:
        node = BNode()
        check = result.check
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, result.focus))
        if result.value is not None:
            graph.add((node, SH.value, result.value))
        if result.path is not None:
            graph.add((node, SH.resultPath, result.path))
            _copy(shapes, result.path, graph, copied)
        for message in result.messages:
            graph.add((node, SH.resultMessage, message))
        graph.add((node, SH.resultSeverity, check.severity))
        graph.add((node, SH.sourceShape, check.shape))
        _copy(shapes, check.shape, graph, copied)
        graph.add((node, SH.sourceConstraintComponent, check.component))
        if check.constraint is not None:
            graph.add((node, SH.sourceConstraint, check.constraint))
            _copy(shapes, check.constraint, graph, copied)
    return graph


def _copy(source: Graph, node, target: Graph, copied: set) -> None:
    """Copy the description of a blank node (and of the blank nodes it reaches), keeping its label."""
    if not isinstance(node, BNode) or node in copied:
        return
    copied.add(node)
    for p, o in source.predicate_objects(node):
        target.add((node, p, o))
        _copy(source, o, target, copied)


# ---------------------------------------------------------------- compiling shapes to checks

SHAPE_TYPES = {SH.NodeShape, SH.PropertyShape}
TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}
# Predicates of a shape that are not constraints (sh:property is compiled by Compiler.shape_checks;
# sh:select and sh:prefixes belong to a shape that is its own SPARQL-based constraint).
NOT_CONSTRAINTS = TARGETS | {
    RDF.type,
    SH.path,
    SH.property,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.select,
    SH.prefixes,
    SH.labelTemplate,
}
# Parameters read together with another one (sh:pattern, sh:qualifiedValueShape, sh:closed).
COMPANIONS = {
    SH.flags,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
    SH.ignoredProperties,
}


@dataclass
class Constraint:
    """One constraint of a shape: a test of each value node, or of the focus node as a whole.

    `bad(v)` is a SPARQL expression, true when value node v violates the constraint.
    `pattern(f, value)` is a group graph pattern with one solution per violation at focus node f
    (binding `value` when `has_value`); `top(focus)`, if given, is the whole top-level query.
    """

    component: URIRef
    generic: str  # the message when the shape has no sh:message
    bad: Callable[[str], str] | None = None
    pattern: Callable[[str, str], str] | None = None
    has_value: bool = False
    top: Callable[[Focus], str] | None = None
    path_from_solution: bool = False


@dataclass
class Shape:
    node: URIRef | BNode
    path_node: URIRef | BNode | None
    path: str | None  # the SPARQL property path
    severity: URIRef
    messages: tuple[Literal, ...]


@dataclass
class Component:
    """A SPARQL-based constraint component: its parameters and its validators."""

    node: URIRef
    parameters: list[tuple[URIRef, bool]]  # (path, optional)
    validators: dict[str, object]  # "node" / "property" / "any" -> validator node


@dataclass
class Compiler:
    graph: Graph
    written_forms: bool = False  # the store holds literals as written (see the module): decode them
    altered: set = field(default_factory=set)  # literals of the shapes graph the store would change
    _counter: int = 0
    _nesting: list = field(default_factory=list)
    _components: list | None = None

    def fresh(self, hint: str = "v") -> str:
        self._counter += 1
        return f"?_{hint}{self._counter}"

    # ------------------------------------------------------------ terms

    def term(self, term, where: str, *, identity: bool = False) -> str:
        """A term of the shapes graph as SPARQL text; as written when it is compared as a term."""
        if identity and self.written_forms and term in self.altered:
            text = _string(term, where)
            return f"{text}^^<{WRITTEN_AS}{term.datatype}>"
        return _term(term, where)

    def value(self, v: str) -> str:
        """A value node for comparisons by value: a literal as written decoded to what the store reads."""
        if not self.written_forms:
            return v
        return (
            f'IF(isLiteral({v}) && STRSTARTS(STR(DATATYPE({v})), "{WRITTEN_AS}"), '
            f'STRDT(STR({v}), IRI(STRAFTER(STR(DATATYPE({v})), "{WRITTEN_AS}"))), {v})'
        )

    # ------------------------------------------------------------ shapes and their parts

    def shape(self, node) -> Shape:
        self.check_supported(node)
        path_node = self.one(node, SH.path)
        severity = self.one(node, SH.severity) or SH.Violation
        if not isinstance(severity, URIRef):
            raise ShapesUnsupported(f"shape {_name(node)}: sh:severity must be an IRI")
        messages = tuple(sorted(self.graph.objects(node, SH.message)))
        return Shape(
            node, path_node, self.sparql_path(node, path_node) if path_node is not None else None, severity, messages
        )

    def one(self, node, predicate):
        values = list(self.graph.objects(node, predicate))
        if len(values) > 1:
            raise ShapesUnsupported(f"shape {_name(node)}: more than one {_name(predicate)}")
        return values[0] if values else None

    def check_supported(self, node) -> None:
        for predicate in set(self.graph.predicates(node)):
            known = predicate in NOT_CONSTRAINTS or predicate in COMPONENTS or predicate in COMPANIONS
            if str(predicate).startswith(str(SH)) and not known:
                raise ShapesUnsupported(f"shape {_name(node)}: {_name(predicate)} is not supported by the validator")

    def deactivated(self, node) -> bool:
        return self.one(node, SH.deactivated) == TRUE

    def constraints(self, shape: Shape) -> list[Constraint]:
        found = []
        for predicate, value in sorted(self.graph.predicate_objects(shape.node)):
            build = COMPONENTS.get(predicate)
            if build is not None:
                found.extend(build(self, shape, value))
        return found

    # ------------------------------------------------------------ top level: one query per constraint

    def targeted_shapes(self) -> list:
        shapes = {s for target in TARGETS | {SH.target} for s in self.graph.subjects(target, None)}
        shapes |= {s for s in self.graph.subjects(RDF.type, None) if self.implicit_class(s)}
        return sorted(shapes, key=str)

    def implicit_class(self, node) -> bool:
        """A shape that is also an rdfs:Class targets its own instances."""
        types = set(self.graph.objects(node, RDF.type))
        classes = set(self.graph.transitive_subjects(RDFS.subClassOf, RDFS.Class))
        return bool(types & SHAPE_TYPES) and bool(types & classes)

    def compile(self, *, sparql: bool) -> list[Check]:
        """The checks of every targeted shape: the SPARQL-based ones if `sparql`, else the core ones."""
        checks = []
        for node in self.targeted_shapes():
            checks.extend(self.shape_checks(node, self.target_focus(node), sparql=sparql))
        return checks

    def target_focus(self, node) -> Focus:
        if self.one(node, SH.target) is not None:
            raise ShapesUnsupported(f"shape {_name(node)}: sh:target (SPARQL-based targets) is not supported")
        classes = set(self.graph.objects(node, SH.targetClass)) | ({node} if self.implicit_class(node) else set())
        nodes = set(self.graph.objects(node, SH.targetNode))
        subjects_of = set(self.graph.objects(node, SH.targetSubjectsOf))
        objects_of = set(self.graph.objects(node, SH.targetObjectsOf))
        where = f"target of {_name(node)}"

        def focus(var: str) -> str:
            branches = []
            if classes:
                c = self.fresh("class")
                branches.append(f"{var} {TYPE_PATH} {c} . VALUES {c} {{ {_terms(self, classes, where)} }}")
            if nodes:
                branches.append(f"VALUES {var} {{ {_terms(self, nodes, where)} }}")
            for p in sorted(subjects_of):
                branches.append(f"{var} {_term(p, where)} {self.fresh('o')} .")
            for p in sorted(objects_of):
                branches.append(f"{self.fresh('s')} {_term(p, where)} {var} .")
            union = " UNION ".join("{ " + branch + " }" for branch in branches)
            return f"{{ SELECT DISTINCT {var} WHERE {{ {union} }} }}"

        return focus

    def shape_checks(self, node, focus: Focus, *, sparql: bool) -> list[Check]:
        """The checks of a shape whose focus nodes are `focus`, and of its sh:property shapes."""
        if node in self._nesting:
            raise ShapesUnsupported(f"shape {_name(node)}: recursive shapes are not supported")
        if self.deactivated(node):
            return []
        self._nesting.append(node)
        shape = self.shape(node)
        if sparql:
            checks = [self.sparql_check(shape, value, focus) for value in sorted(self.graph.objects(node, SH.sparql))]
            checks += self.component_checks(shape, focus)
        else:
            checks = [self.check(shape, constraint, focus) for constraint in self.constraints(shape)]
        checks = [check for check in checks if check is not None]
        values = focus if shape.path is None else _values_focus(self, focus, shape.path)
        for child in sorted(self.graph.objects(node, SH.property), key=str):
            checks.extend(self.shape_checks(child, values, sparql=sparql))
        self._nesting.pop()
        return checks

    def check(self, shape: Shape, constraint: Constraint, focus: Focus) -> Check:
        if constraint.top is not None:
            query = constraint.top(focus)
        elif constraint.bad is not None:
            where = f"{self.value_nodes(shape, '?this', '?value')} FILTER({constraint.bad('?value')})"
            query = f"SELECT DISTINCT ?this ?value WHERE {{ {focus('?this')} {where} }}"
        else:
            value = "?value" if constraint.has_value else self.fresh()
            select = "?this ?value" if constraint.has_value else "?this"
            select += " ?path" if constraint.path_from_solution else ""
            query = f"SELECT DISTINCT {select} WHERE {{ {focus('?this')} {constraint.pattern('?this', value)} }}"
        messages = shape.messages or (Literal(constraint.generic),)
        return Check(
            shape.node,
            constraint.component,
            query,
            shape.severity,
            messages,
            shape.path_node,
            path_from_solution=constraint.path_from_solution,
        )

    def value_nodes(self, shape: Shape, f: str, v: str) -> str:
        """A pattern binding v to each value node of focus node f."""
        return f"BIND({f} AS {v})" if shape.path is None else f"{f} {shape.path} {v} ."

    # ------------------------------------------------------------ nested shapes: one boolean expression

    def conforms(self, node, v: str) -> str:
        """A SPARQL expression: true when the node bound to `v` conforms to the shape `node`."""
        if node in self._nesting:
            raise ShapesUnsupported(f"shape {_name(node)}: recursive shapes are not supported")
        if self.deactivated(node):
            return "true"
        self._nesting.append(node)
        shape = self.shape(node)
        if (node, SH.sparql, None) in self.graph:
            raise ShapesUnsupported(f"shape {_name(node)}: sh:sparql in a nested shape is not supported")
        used = [component for component in self.components() if self.bindings(shape, component)]
        if used:
            raise ShapesUnsupported(
                f"shape {_name(node)}: constraint component {_name(used[0].node)} in a nested shape is not supported"
            )
        fails = [self.fails(shape, constraint, v) for constraint in self.constraints(shape)]
        for child in sorted(self.graph.objects(node, SH.property), key=str):
            if shape.path is None:
                fails.append(f"!({self.conforms(child, v)})")
            else:
                w = self.fresh()
                fails.append(f"EXISTS {{ {v} {shape.path} {w} . FILTER(!({self.conforms(child, w)})) }}")
        self._nesting.pop()
        return "!(" + " || ".join(fails) + ")" if fails else "true"

    def fails(self, shape: Shape, constraint: Constraint, v: str) -> str:
        if constraint.bad is None:
            return f"EXISTS {{ {constraint.pattern(v, self.fresh())} }}"
        if shape.path is None:
            return f"({constraint.bad(v)})"
        w = self.fresh()
        return f"EXISTS {{ {v} {shape.path} {w} . FILTER({constraint.bad(w)}) }}"

    # ------------------------------------------------------------ paths

    def sparql_path(self, shape, path) -> str:
        where = f"shape {_name(shape)}: sh:path"
        if isinstance(path, URIRef):
            return _term(path, where)
        if not isinstance(path, BNode):
            raise ShapesUnsupported(f"{where} {path!r} is not a path")
        if self.graph.value(path, RDF.first) is not None:
            steps = list(Collection(self.graph, path))
            if len(steps) < 2:
                raise ShapesUnsupported(f"{where}: a sequence path needs two or more steps")
            return "(" + " / ".join(self.sparql_path(shape, step) for step in steps) + ")"
        described = list(self.graph.predicate_objects(path))
        if len(described) != 1:
            raise ShapesUnsupported(f"{where} [{', '.join(_name(p) for p, _ in described)}] is not a path")
        kind, inner = described[0]
        if kind == SH.alternativePath:
            alternatives = _list(self, inner, where)
            if len(alternatives) < 2:
                raise ShapesUnsupported(f"{where}: an alternative path needs two or more members")
            return "(" + " | ".join(self.sparql_path(shape, alt) for alt in alternatives) + ")"
        operator = {SH.inversePath: "^", SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}
        if kind not in operator:
            raise ShapesUnsupported(f"{where}: {_name(kind)} is not supported")
        text = "(" + self.sparql_path(shape, inner) + ")"
        return "^" + text if kind == SH.inversePath else text + operator[kind]

    # ------------------------------------------------------------ SPARQL-based constraints and components

    def prebound_focus(self, shape: Shape, focus: Focus, names: dict[str, str], where: str) -> str:
        """A group binding ?this to each focus node and each name of `names` to its SPARQL term."""
        if not names:
            return focus("?this")
        variables = " ".join(f"?{name}" for name in names)
        values = f"VALUES ({variables}) {{ ({' '.join(names.values())}) }}"
        return f"{{ SELECT DISTINCT ?this {variables} WHERE {{ {focus('?this')} {values} }} }}"

    def sparql_check(self, shape: Shape, constraint, focus: Focus) -> Check | None:
        where = f"shape {_name(shape.node)}: sh:sparql {_name(constraint)}"
        if self.deactivated(constraint):
            return None
        allowed = {RDF.type, SH.select, SH.message, SH.prefixes, SH.deactivated}
        unknown = {p for p in self.graph.predicates(constraint) if p not in allowed and str(p).startswith(str(SH))}
        if constraint == shape.node:  # a shape that is its own constraint
            unknown = {p for p in unknown if p not in NOT_CONSTRAINTS | set(COMPONENTS) | COMPANIONS}
        if unknown:
            raise ShapesUnsupported(f"{where}: {', '.join(sorted(_name(p) for p in unknown))} is not supported")
        select = self.one(constraint, SH.select)
        if not isinstance(select, Literal):
            raise ShapesUnsupported(f"{where}: needs one sh:select")
        query = self.prebound_query(shape, focus, str(select), {}, constraint, where)
        messages = tuple(dict.fromkeys((*sorted(self.graph.objects(constraint, SH.message)), *shape.messages)))
        messages = messages or (Literal("A SPARQL-based constraint reported a violation."),)
        return Check(
            shape.node,
            SH.SPARQLConstraintComponent,
            query,
            shape.severity,
            messages,
            shape.path_node,
            constraint,
            sparql=True,
        )

    def prebound_query(self, shape: Shape, focus: Focus, select: str, parameters: dict, holder, where: str) -> str:
        """A SELECT validator's query, pre-binding $this, $currentShape and `parameters` (name -> term)."""
        names = {name: self.term(term, where) for name, term in parameters.items()}
        if re.search(r"[$?]currentShape\b", select):
            names["currentShape"] = self.term(shape.node, f"{where}: $currentShape")
        try:
            rewritten = prebind_select(
                select, self.prebound_focus(shape, focus, names, where), {"this", *names}, path=shape.path
            )
        except ValueError as exc:
            raise ShapesUnsupported(f"{where}: {exc}") from None
        return self.prefixes(holder, where) + rewritten

    def prefixes(self, holder, where: str) -> str:
        """PREFIX lines for sh:prefixes/owl:imports*/sh:declare, as the SHACL spec collects them."""
        lines = []
        for prefixes in self.graph.objects(holder, SH.prefixes):
            for ontology in self.graph.transitive_objects(prefixes, OWL.imports):
                for declaration in self.graph.objects(ontology, SH.declare):
                    prefix = self.one(declaration, SH.prefix)
                    namespace = self.one(declaration, SH.namespace)
                    if prefix is None or namespace is None:
                        raise ShapesUnsupported(f"{where}: a sh:declare needs sh:prefix and sh:namespace")
                    lines.append(f"PREFIX {prefix}: {_term(URIRef(str(namespace)), where)}\n")
        return "".join(sorted(set(lines)))

    def components(self) -> list[Component]:
        """The constraint components of the shapes graph: instances of sh:ConstraintComponent or a subclass."""
        if self._components is None:
            classes = set(self.graph.transitive_subjects(RDFS.subClassOf, SH.ConstraintComponent))
            nodes = {node for cls in classes for node in self.graph.subjects(RDF.type, cls)}
            self._components = [self.component(node) for node in sorted(nodes, key=str)]
        return self._components

    def component(self, node) -> Component:
        where = f"constraint component {_name(node)}"
        if not isinstance(node, URIRef):
            raise ShapesUnsupported(f"{where}: a constraint component must be an IRI")
        parameters = []
        for parameter in self.graph.objects(node, SH.parameter):
            path = self.one(parameter, SH.path)
            if not isinstance(path, URIRef):
                raise ShapesUnsupported(f"{where}: a parameter's sh:path must be an IRI")
            parameters.append((path, self.one(parameter, SH.optional) == TRUE))
        if not parameters:
            raise ShapesUnsupported(f"{where}: has no sh:parameter")
        kinds = {"node": SH.nodeValidator, "property": SH.propertyValidator, "any": SH.validator}
        validators = {kind: self.one(node, p) for kind, p in kinds.items() if self.one(node, p) is not None}
        return Component(node, sorted(parameters), validators)

    def bindings(self, shape: Shape, component: Component) -> list[dict]:
        """The parameter values of each constraint of `component` in `shape` (none if it does not use it)."""
        values = {path: sorted(self.graph.objects(shape.node, path)) for path, _ in component.parameters}
        if any(not values[path] for path, optional in component.parameters if not optional):
            return []
        present = [path for path, _ in component.parameters if values[path]]
        combinations = itertools.product(*(values[path] for path in present))
        return [dict(zip(present, combination, strict=True)) for combination in combinations]

    def component_checks(self, shape: Shape, focus: Focus) -> list[Check]:
        checks = []
        for component in self.components():
            for parameters in self.bindings(shape, component):
                checks.append(self.component_check(shape, component, parameters, focus))
        return checks

    def component_check(self, shape: Shape, component: Component, parameters: dict, focus: Focus) -> Check:
        where = f"shape {_name(shape.node)}: constraint component {_name(component.node)}"
        kind = "node" if shape.path is None else "property"
        validator = component.validators.get(kind, component.validators.get("any"))
        if validator is None:
            raise ShapesUnsupported(f"{where}: no validator for {kind} shapes")
        names = {_local_name(path, where): term for path, term in parameters.items()}
        select, ask = self.one(validator, SH.select), self.one(validator, SH.ask)
        if isinstance(select, Literal) and kind in component.validators:
            query = self.prebound_query(shape, focus, str(select), names, validator, where)
        elif isinstance(ask, Literal) and validator == component.validators.get("any"):
            query = self.ask_query(shape, focus, str(ask), names, validator, where)
        else:
            raise ShapesUnsupported(f"{where}: its validator needs sh:ask (sh:validator) or sh:select")
        messages = tuple(sorted(self.graph.objects(validator, SH.message))) or shape.messages
        messages = messages or (Literal(f"Value does not satisfy {_name(component.node)}."),)
        return Check(
            shape.node,
            component.node,
            query,
            shape.severity,
            messages,
            shape.path_node,
            sparql=True,
            parameters=tuple(sorted(names.items())),
        )

    def ask_query(self, shape: Shape, focus: Focus, ask: str, names: dict, validator, where: str) -> str:
        """An ASK validator as one SELECT: each value node for which the ASK, pre-bound, is false."""
        terms = {name: self.term(term, where) for name, term in names.items()}
        prebound = {"this", "value", *terms}
        if re.search(r"[$?]currentShape\b", ask):
            terms["currentShape"] = self.term(shape.node, f"{where}: $currentShape")
            prebound.add("currentShape")
        try:
            group = prebind_ask(ask, prebound, path=shape.path)
        except ValueError as exc:
            raise ShapesUnsupported(f"{where}: {exc}") from None
        bound = self.prebound_focus(shape, focus, terms, where)
        values = self.value_nodes(shape, "?this", "?value")
        return self.prefixes(validator, where) + (
            f"SELECT DISTINCT ?this ?value WHERE {{ {bound} {values} FILTER NOT EXISTS {group} }}"
        )


def _local_name(path: URIRef, where: str) -> str:
    """The variable a parameter is pre-bound as: the local name of its sh:path."""
    name = re.split(r"[#/:]", str(path))[-1]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ShapesUnsupported(f"{where}: parameter {path} has no usable local name")
    return name


def _values_focus(compiler: Compiler, focus: Focus, path: str) -> Focus:
    """The value nodes of a property shape, as the focus nodes of its own sh:property shapes."""

    def values(var: str) -> str:
        f = compiler.fresh("f")
        return f"{{ SELECT DISTINCT {var} WHERE {{ {focus(f)} {f} {path} {var} . }} }}"

    return values


# ---------------------------------------------------------------- constraint components


def _per_value(component: URIRef, generic: str, bad: Callable[[str], str]) -> list[Constraint]:
    return [Constraint(component, generic, bad=bad)]


def _class(c: Compiler, shape: Shape, value) -> list[Constraint]:
    cls = _term(value, f"shape {_name(shape.node)}: sh:class")
    return _per_value(
        SH.ClassConstraintComponent,
        f"Value is not an instance of {cls}",
        lambda v: f"NOT EXISTS {{ {v} {TYPE_PATH} {cls} }}",
    )


def _datatype(c: Compiler, shape: Shape, value) -> list[Constraint]:
    """A literal of the datatype whose lexical form is in its lexical space (SHACL 4.2.2).

    The store reads literals of VALUE_TYPES as values when their form is valid, and keeps them as
    written when not: a cast of the stored form then tells them apart, and the custom function
    (server/builder/xsd.py) decides the rest. Literals as written (see the module) carry their own
    datatype; those of VALUE_TYPES were read by the store, so they are valid.
    """
    where = f"shape {_name(shape.node)}: sh:datatype"
    if not isinstance(value, URIRef):
        raise ShapesUnsupported(f"{where} must be an IRI")
    datatype = _term(value, where)
    xsd = str(value).startswith(str(XSD))
    if xsd and str(value)[len(str(XSD)) :] not in XSD_KNOWN:
        raise ShapesUnsupported(f"{where} {datatype} is not an XSD datatype the validator knows")
    check = f'<{WELL_FORMED}>(STR({{v}}), "{value}")'
    if value in VALUE_TYPES:
        stored = f"IF(COALESCE(isLiteral({datatype}(STR({{v}}))), false), true, {check})"  # the engine's || calls both
        written = "true"
    elif value in NARROWED_TYPES or (xsd and value not in (XSD.string, XSD.anyURI)):
        stored = written = check
    else:
        stored, written = "true", "false"
    proxy = f"<{WRITTEN_AS}{value}>"

    def bad(v: str) -> str:
        ok = f"(sameTerm(DATATYPE({v}), {datatype}) && {stored.format(v=v)})"
        if c.written_forms and written != "false":
            ok += f" || (sameTerm(DATATYPE({v}), {proxy}) && {written.format(v=v)})"
        return f"!COALESCE({ok}, false)"

    return _per_value(SH.DatatypeConstraintComponent, f"Value is not a literal of datatype {datatype}", bad)


_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}


def _node_kind(c: Compiler, shape: Shape, value) -> list[Constraint]:
    if value not in _NODE_KINDS:
        raise ShapesUnsupported(f"shape {_name(shape.node)}: sh:nodeKind {_name(value)} is not a node kind")
    return _per_value(
        SH.NodeKindConstraintComponent,
        f"Value is not of node kind {_name(value)}",
        lambda v: "!" + _NODE_KINDS[value].format(v=v),
    )


def _pattern(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:pattern"
    flags = c.one(shape.node, SH.flags)
    if not isinstance(value, Literal) or (flags is not None and not isinstance(flags, Literal)):
        raise ShapesUnsupported(f"{where}: the pattern and its flags must be literals")
    try:
        pattern, engine_flags = translate_regex(str(value), str(flags) if flags is not None else "")
    except ValueError as exc:
        raise ShapesUnsupported(f"{where} {str(value)!r}: {exc}") from None
    args = _string(Literal(pattern), where) + (", " + _string(Literal(engine_flags), where) if engine_flags else "")
    _check_regex(args, where)
    return _per_value(
        SH.PatternConstraintComponent,
        f"Value does not match the pattern {value}",
        lambda v: f"!COALESCE(!isBlank({v}) && REGEX(STR({v}), {args}), false)",
    )


def _length(parameter, component, allowed: str, words: str):
    """sh:minLength, sh:maxLength: the length of the lexical form or IRI; a blank node violates both."""

    def build(c: Compiler, shape: Shape, value) -> list[Constraint]:
        n = _count_value(shape, parameter, value)
        return _per_value(
            component,
            f"Value has {words} {n} characters",
            lambda v: f"!COALESCE(!isBlank({v}) && STRLEN(STR({v})) {allowed} {n}, false)",
        )

    return build


def _language_in(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:languageIn"
    ranges = [_string(item, where) for item in _list(c, value, where)]

    def bad(v: str) -> str:
        matches = " || ".join(f"langMatches(LANG({v}), {r})" for r in ranges) or "false"
        return f"!COALESCE({matches}, false)"

    return _per_value(SH.LanguageInConstraintComponent, f"Language tag is not one of {', '.join(ranges)}", bad)


def _in(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:in"
    members = [c.term(item, where, identity=True) for item in _list(c, value, where)]
    return _per_value(
        SH.InConstraintComponent,
        f"Value is not one of {', '.join(members)}",
        lambda v: "!(" + (" || ".join(f"sameTerm({v}, {m})" for m in members) or "false") + ")",
    )


_RANGES = {
    SH.minInclusive: ("{m} <= {v}", SH.MinInclusiveConstraintComponent),
    SH.minExclusive: ("{m} < {v}", SH.MinExclusiveConstraintComponent),
    SH.maxInclusive: ("{v} <= {m}", SH.MaxInclusiveConstraintComponent),
    SH.maxExclusive: ("{v} < {m}", SH.MaxExclusiveConstraintComponent),
}


def _range(parameter) -> Callable[[Compiler, Shape, object], list[Constraint]]:
    test, component = _RANGES[parameter]

    def build(c: Compiler, shape: Shape, value) -> list[Constraint]:
        m = _term(value, f"shape {_name(shape.node)}: {_name(parameter)}")
        generic = f"Value is not {test.format(m=m, v='the value')}"
        return _per_value(component, generic, lambda v: f"!COALESCE({test.format(m=m, v=c.value(v))}, false)")

    return build


def _has_value(c: Compiler, shape: Shape, value) -> list[Constraint]:
    term = c.term(value, f"shape {_name(shape.node)}: sh:hasValue", identity=True)
    if shape.path is None:
        pattern = lambda f, _: f"FILTER(!sameTerm({f}, {term}))"  # noqa: E731
    else:
        pattern = lambda f, _: f"FILTER NOT EXISTS {{ {f} {shape.path} {term} }}"  # noqa: E731
    return [Constraint(SH.HasValueConstraintComponent, f"Missing the value {term}", pattern=pattern)]


def _less_than(c: Compiler, shape: Shape, value, component, operator: str) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: {_name(component)}"
    _property_shape_only(shape, where)
    other = _term(value, where)

    def pattern(f: str, v: str) -> str:
        o = c.fresh("o")
        test = f"{c.value(v)} {operator} {c.value(o)}"
        return f"{f} {shape.path} {v} . {f} {other} {o} . FILTER(!COALESCE({test}, false))"

    generic = f"Value is not {operator} the values of {other}"
    return [Constraint(component, generic, pattern=pattern, has_value=True)]


def _equals(c: Compiler, shape: Shape, value) -> list[Constraint]:
    """Two constraints: the values not among the other property's, and the other property's not among the values.

    Each is one flat pattern: a nested group here would not see the focus node bound.
    """
    other = _term(value, f"shape {_name(shape.node)}: sh:equals")

    def missing(f: str, v: str) -> str:
        if shape.path is None:
            return f"FILTER NOT EXISTS {{ {f} {other} {f} }} BIND({f} AS {v})"
        return f"{f} {shape.path} {v} FILTER NOT EXISTS {{ {f} {other} {v} }}"

    def extra(f: str, v: str) -> str:
        if shape.path is None:
            return f"{f} {other} {v} FILTER(!sameTerm({v}, {f}))"
        return f"{f} {other} {v} FILTER NOT EXISTS {{ {f} {shape.path} {v} }}"

    generic = f"The values differ from those of {other}"
    return [
        Constraint(SH.EqualsConstraintComponent, generic, pattern=missing, has_value=True),
        Constraint(SH.EqualsConstraintComponent, generic, pattern=extra, has_value=True),
    ]


def _disjoint(c: Compiler, shape: Shape, value) -> list[Constraint]:
    other = _term(value, f"shape {_name(shape.node)}: sh:disjoint")

    def pattern(f: str, v: str) -> str:
        if shape.path is None:
            return f"{f} {other} {v} . FILTER(sameTerm({v}, {f}))"
        return f"{f} {shape.path} {v} . {f} {other} {v} ."

    generic = f"A value is also a value of {other}"
    return [Constraint(SH.DisjointConstraintComponent, generic, pattern=pattern, has_value=True)]


def _closed(c: Compiler, shape: Shape, value) -> list[Constraint]:
    """Only the properties of the shape's sh:property shapes and sh:ignoredProperties (SHACL 4.8.1)."""
    where = f"shape {_name(shape.node)}: sh:closed"
    if value != TRUE:
        return []
    ignored = c.one(shape.node, SH.ignoredProperties)
    allowed = set(_list(c, ignored, where)) if ignored is not None else set()
    allowed |= {p for child in c.graph.objects(shape.node, SH.property) for p in c.graph.objects(child, SH.path)}
    allowed = {p for p in allowed if isinstance(p, URIRef)}
    listed = ", ".join(_term(p, where) for p in sorted(allowed))

    def triples(f: str, v: str, p: str) -> str:
        node = c.fresh("n")
        test = f"FILTER({p} NOT IN ({listed}))" if allowed else ""
        return f"{c.value_nodes(shape, f, node)} {node} {p} {v} . {test}"

    def top(focus: Focus) -> str:
        return f"SELECT DISTINCT ?this ?path ?value WHERE {{ {focus('?this')} {triples('?this', '?value', '?path')} }}"

    return [
        Constraint(
            SH.ClosedConstraintComponent,
            "A property the closed shape does not allow",
            pattern=lambda f, v: triples(f, v, c.fresh("p")),
            top=top,
            path_from_solution=True,
        )
    ]


def _unique_lang(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:uniqueLang"
    _property_shape_only(shape, where)
    if value != TRUE:  # only true switches it on; "1"^^xsd:boolean does not
        return []

    def pairs(f: str) -> tuple[str, str]:
        """Two distinct values of f with one language tag: the first variable, and the pattern."""
        a, b = c.fresh("a"), c.fresh("b")
        same = f'LANG({a}) != "" && LCASE(LANG({a})) = LCASE(LANG({b}))'
        return a, f"{f} {shape.path} {a}, {b} . FILTER(isLiteral({a}) && !sameTerm({a}, {b}) && {same})"

    def top(focus: Focus) -> str:  # one result per language used twice, as pySHACL reports them
        a, group = pairs("?this")
        return f"SELECT DISTINCT ?this ?lang WHERE {{ {focus('?this')} {group} BIND(LCASE(LANG({a})) AS ?lang) }}"

    generic = "Two values share a language tag"
    return [Constraint(SH.UniqueLangConstraintComponent, generic, pattern=lambda f, _: pairs(f)[1], top=top)]


def _count(
    c: Compiler,
    shape: Shape,
    component,
    minimum: int | None,
    maximum: int | None,
    test: Callable[[str], str] | None,
    generic: str,
) -> Constraint:
    """At least `minimum` / at most `maximum` distinct value nodes (for which the expression `test(v)` holds).

    Up to MAX_NESTED_COUNT, a FILTER [NOT] EXISTS over that many pairwise distinct values: the store
    stops at the first match, faster than counting; beyond, at the top level only, GROUP BY ?this.
    """
    _property_shape_only(shape, f"shape {_name(shape.node)}: {_name(component)}")
    n = minimum if minimum is not None else maximum + 1

    def top(focus: Focus) -> str:
        condition = f" FILTER({test('?v')})" if test else ""
        if minimum is not None:
            values = f"OPTIONAL {{ ?this {shape.path} ?v .{condition} }}"
            having = f"COUNT(DISTINCT ?v) < {minimum}"
        else:
            values = f"?this {shape.path} ?v .{condition}"
            having = f"COUNT(DISTINCT ?v) > {maximum}"
        return f"SELECT ?this WHERE {{ {focus('?this')} {values} }} GROUP BY ?this HAVING ({having})"

    def pattern(f: str, _: str) -> str:
        if n > MAX_NESTED_COUNT:
            raise ShapesUnsupported(f"shape {_name(shape.node)}: a count above {MAX_NESTED_COUNT} in a nested shape")
        vs = [c.fresh("n") for _ in range(n)]
        tests = [test(v) for v in vs] if test else []
        tests += [f"!sameTerm({a}, {b})" for i, a in enumerate(vs) for b in vs[i + 1 :]]
        group = " ".join(f"{f} {shape.path} {v} ." for v in vs) + (f" FILTER({' && '.join(tests)})" if tests else "")
        return f"FILTER {'NOT ' if minimum is not None else ''}EXISTS {{ {group} }}"

    return Constraint(component, generic, pattern=pattern, top=top if n > MAX_NESTED_COUNT else None)


def _min_count(c: Compiler, shape: Shape, value) -> list[Constraint]:
    n = _count_value(shape, SH.minCount, value)
    if n == 0:
        return []
    return [_count(c, shape, SH.MinCountConstraintComponent, n, None, None, f"Fewer than {n} values")]


def _max_count(c: Compiler, shape: Shape, value) -> list[Constraint]:
    n = _count_value(shape, SH.maxCount, value)
    return [_count(c, shape, SH.MaxCountConstraintComponent, None, n, None, f"More than {n} values")]


def _qualified(c: Compiler, shape: Shape, value) -> list[Constraint]:
    """sh:qualifiedMin/MaxCount of the values conforming to the shape (and, if disjoint, to no sibling's)."""
    where = f"shape {_name(shape.node)}: sh:qualifiedValueShape"
    _property_shape_only(shape, where)
    low, high = c.one(shape.node, SH.qualifiedMinCount), c.one(shape.node, SH.qualifiedMaxCount)
    if low is None and high is None:
        return []  # SHACL 4.7.3: a qualified value shape without a count is no constraint
    siblings = []
    if c.one(shape.node, SH.qualifiedValueShapesDisjoint) == TRUE:
        parents = c.graph.subjects(SH.property, shape.node)
        siblings = {
            sibling
            for parent in parents
            for other in c.graph.objects(parent, SH.property)
            for sibling in c.graph.objects(other, SH.qualifiedValueShape)
        } - {value}

    def test(v: str) -> str:
        return " && ".join([c.conforms(value, v), *(f"!({c.conforms(s, v)})" for s in sorted(siblings, key=str))])

    found = []
    if low is not None:
        n = _count_value(shape, SH.qualifiedMinCount, low)
        generic = f"Fewer than {n} values conform to the qualified value shape"
        found.append(_count(c, shape, SH.QualifiedMinCountConstraintComponent, n, None, test, generic))
    if high is not None:
        n = _count_value(shape, SH.qualifiedMaxCount, high)
        generic = f"More than {n} values conform to the qualified value shape"
        found.append(_count(c, shape, SH.QualifiedMaxCountConstraintComponent, None, n, test, generic))
    return found


def _logical(parameter, component, combine: Callable[[list[str]], str], generic: str):
    """sh:or, sh:and, sh:xone (a list of shapes), sh:not and sh:node (one shape): `combine` makes `bad`."""

    def build(c: Compiler, shape: Shape, value) -> list[Constraint]:
        where = f"shape {_name(shape.node)}: {_name(parameter)}"
        members = _list(c, value, where) if parameter in (SH["or"], SH["and"], SH.xone) else [value]
        return _per_value(component, generic, lambda v: combine([c.conforms(m, v) for m in members]))

    return build


def _xone(conforms: list[str]) -> str:
    return "(" + " + ".join(f"IF({x}, 1, 0)" for x in conforms) + ") != 1" if conforms else "true"


def _ignored(c: Compiler, shape: Shape, value) -> list[Constraint]:
    return []  # compiled elsewhere: sh:sparql by Compiler.sparql_check


COMPONENTS: dict[URIRef, Callable[[Compiler, Shape, object], list[Constraint]]] = {
    SH["class"]: _class,
    SH.datatype: _datatype,
    SH.nodeKind: _node_kind,
    SH.pattern: _pattern,
    SH.minLength: _length(SH.minLength, SH.MinLengthConstraintComponent, ">=", "fewer than"),
    SH.maxLength: _length(SH.maxLength, SH.MaxLengthConstraintComponent, "<=", "more than"),
    SH.languageIn: _language_in,
    SH["in"]: _in,
    SH.minInclusive: _range(SH.minInclusive),
    SH.minExclusive: _range(SH.minExclusive),
    SH.maxInclusive: _range(SH.maxInclusive),
    SH.maxExclusive: _range(SH.maxExclusive),
    SH.hasValue: _has_value,
    SH.lessThan: lambda c, s, v: _less_than(c, s, v, SH.LessThanConstraintComponent, "<"),
    SH.lessThanOrEquals: lambda c, s, v: _less_than(c, s, v, SH.LessThanOrEqualsConstraintComponent, "<="),
    SH.equals: _equals,
    SH.disjoint: _disjoint,
    SH.closed: _closed,
    SH.uniqueLang: _unique_lang,
    SH.minCount: _min_count,
    SH.maxCount: _max_count,
    SH.qualifiedValueShape: _qualified,
    SH["or"]: _logical(
        SH["or"],
        SH.OrConstraintComponent,
        lambda xs: "!(" + (" || ".join(xs) or "false") + ")",
        "Value conforms to none of the sh:or shapes",
    ),
    SH["and"]: _logical(
        SH["and"],
        SH.AndConstraintComponent,
        lambda xs: "!(" + (" && ".join(xs) or "true") + ")",
        "Value does not conform to every sh:and shape",
    ),
    SH.xone: _logical(SH.xone, SH.XoneConstraintComponent, _xone, "Value conforms to not exactly one sh:xone shape"),
    SH["not"]: _logical(SH["not"], SH.NotConstraintComponent, lambda xs: xs[0], "Value conforms to the sh:not shape"),
    SH.node: _logical(
        SH.node, SH.NodeConstraintComponent, lambda xs: f"!({xs[0]})", "Value does not conform to the sh:node shape"
    ),
    SH.sparql: _ignored,
}


# ---------------------------------------------------------------- small helpers


def _name(term) -> str:
    if isinstance(term, URIRef):
        return f"sh:{term[len(str(SH)) :]}" if term.startswith(str(SH)) else f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return repr(term)


def _term(term, where: str) -> str:
    """An IRI or literal of the shapes graph as SPARQL text.

    >>> _term(Literal("a\\"b", lang="en"), "here"), _term(Literal(1), "here")
    ('"a\\\\"b"@en', '"1"^^<http://www.w3.org/2001/XMLSchema#integer>')
    """
    if isinstance(term, URIRef):
        if re.search(r'[\x00-\x20<>"{}|^`\\]', str(term)):
            raise ShapesUnsupported(f"{where}: IRI {term!r} cannot be written in SPARQL")
        return f"<{term}>"
    if isinstance(term, Literal):
        text = _string(term, where)
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^{_term(term.datatype, where)}" if term.datatype else text
    raise ShapesUnsupported(f"{where}: blank node {term!r} cannot be named in a query")


def _terms(c: Compiler, terms, where: str) -> str:
    return " ".join(c.term(term, where, identity=True) for term in sorted(terms))


def _string(term, where: str) -> str:
    """The lexical form of a literal as a SPARQL string literal."""
    if not isinstance(term, Literal):
        raise ShapesUnsupported(f"{where}: {term!r} must be a literal")
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
    return '"' + "".join(escapes.get(ch, ch) for ch in str(term)) + '"'


def _list(c: Compiler, node, where: str) -> list:
    if node != RDF.nil and c.graph.value(node, RDF.first) is None:
        raise ShapesUnsupported(f"{where}: {node!r} is not an RDF list")
    return list(Collection(c.graph, node))


def _count_value(shape: Shape, parameter, value) -> int:
    if not (isinstance(value, Literal) and isinstance(value.value, int) and value.value >= 0):
        raise ShapesUnsupported(f"shape {_name(shape.node)}: {_name(parameter)} must be a non-negative integer")
    return int(value.value)


def _property_shape_only(shape: Shape, where: str) -> None:
    if shape.path is None:
        raise ShapesUnsupported(f"{where} is allowed on property shapes only")


def _check_regex(args: str, where: str) -> None:
    """Refuse a pattern (or flags) the store cannot compile: REGEX would fail on every value."""
    solution = next(iter(pyoxigraph.Store().query(f'SELECT (REGEX("", {args}) AS ?ok) {{}}')))
    if solution["ok"] is None:
        raise ShapesUnsupported(f"{where}: the store cannot compile {args}")
