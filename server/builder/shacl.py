"""SHACL validation compiled to SPARQL and run by a pyoxigraph Store's own query engine.

pySHACL (``validate.validate_graph``) walks every focus node and value node in Python over an
rdflib Graph: minutes and gigabytes at a million triples. Here each constraint of each shape
becomes one SPARQL SELECT whose solutions are exactly its validation results::

    SELECT DISTINCT ?this ?value WHERE { <focus nodes of the shape> <violation pattern> }

- The focus nodes of a shape come from its targets (sh:targetClass as
  ``rdf:type/rdfs:subClassOf*``, sh:targetSubjectsOf, ...), as a DISTINCT subquery binding ?this.
- A property shape's value nodes are ``?this <path> ?value``, sh:path compiled to a SPARQL
  property path; a node shape's only value node is the focus node itself.
- A constraint is either a test of one value node (sh:class, sh:datatype, sh:pattern, sh:in, ...),
  compiled to a SPARQL boolean expression that is true when the value violates it, or a test
  of the focus node as a whole (sh:minCount, sh:hasValue, sh:uniqueLang, ...), compiled to a
  graph pattern: a count n as FILTER [NOT] EXISTS over n pairwise distinct values (the store stops
  at the first match), or for n > MAX_NESTED_COUNT as GROUP BY ?this HAVING (COUNT(DISTINCT ?v) ...).
- Shapes nested in sh:or, sh:not, sh:and, sh:xone, sh:node and sh:qualifiedValueShape compile to
  one boolean expression "this node conforms", built of FILTER [NOT] EXISTS groups.
- A SPARQL-based constraint (sh:sparql with sh:select) keeps its own query: sh:prefixes become
  PREFIX lines, $PATH becomes the path, and the focus subquery is joined at the top of its WHERE
  group, which pre-binds $this for every focus node at once (GROUP BY $this still groups per node).

SHACL semantics that bite: comparisons that raise an error count as violations (COALESCE(..., false));
sh:in and sh:hasValue compare terms (sameTerm), not values; sh:languageIn uses langMatches; a
literal matches sh:datatype only if, for the SPARQL 1.1 datatypes, it is also well-formed.

Every query runs over the union of the store's graphs (use_default_graph_as_union=True). pyoxigraph
returns a triple once per graph holding it (the default graph included), so every pattern here is
DISTINCT or counts DISTINCT values. Anything this compiler does not support raises ValueError naming
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

import re
import warnings
from collections.abc import Callable
from collections.abc import Iterator
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

from server.builder.report import SEVERITY_RANK
from server.builder.report import ValidationReport
from server.builder.report import problems_of
from server.common.errors import ShapesUnsupported
from server.common.progress import stage_items

# A focus: given a variable name ("?this"), a group graph pattern binding it once to each focus node.
Focus = Callable[[str], str]

TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
ALLOWED_SEVERITIES = {SH.Info, SH.Warning}  # pySHACL with allow_warnings=True: these never break conformance

# Counts up to this are written as n pairwise distinct variables (the only way inside nested shapes).
MAX_NESTED_COUNT = 8


# ---------------------------------------------------------------- the API


def validate_store(store: pyoxigraph.Store, shapes: Graph) -> ValidationReport:
    """Validate the union of the graphs of `store` against `shapes`, one SPARQL query per constraint.

    :raises ShapesUnsupported: (a ValueError) if the shapes use something this compiler does not support.
    """
    try:
        checks = compile_shapes(shapes)
    except ValueError as exc:
        raise ShapesUnsupported(str(exc)) from None
    results = _unique(result for check in stage_items(checks, "validate", unit="checks") for result in
                      run_check(store, check))
    conforms = all(result.check.severity in ALLOWED_SEVERITIES for result in results)
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


@dataclass(frozen=True)
class Result:
    check: Check
    focus: object
    value: object | None
    path: object | None
    messages: tuple[Literal, ...]
    solution: frozenset  # every variable bound, so that results are told apart as pySHACL does


def run_check(store: pyoxigraph.Store, check: Check) -> Iterator[Result]:
    solutions = store.query(check.query, use_default_graph_as_union=True)
    names = [variable.value for variable in solutions.variables]
    for solution in solutions:
        bound = {name: _rdflib(solution[name]) for name in names if solution[name] is not None}
        focus, value, path = bound["this"], bound.get("value"), check.path
        if check.constraint is not None:  # SPARQL-based: ?path may override; a node shape's value is its focus
            path = bound.get("path", path)
            value = focus if value is None and check.path is None else value
        yield Result(check, focus, value, path, _messages(check, bound), frozenset(bound.items()))


def _messages(check: Check, bound: dict) -> tuple[Literal, ...]:
    """Messages of a SPARQL-based result get {?var} and {$var} replaced by the solution's values."""
    if check.constraint is None:
        return check.messages
    out = []
    for message in check.messages:
        text = str(message)
        for name, term in bound.items():
            text = text.replace("{?" + name + "}", str(term)).replace("{$" + name + "}", str(term))
        out.append(Literal(text, lang=message.language, datatype=message.datatype))
    return tuple(out)


def _unique(results) -> list[Result]:
    seen = {}
    for result in results:
        seen.setdefault((result.check, result.solution), result)
    return list(seen.values())


def _rdflib(term):
    """A pyoxigraph term as the rdflib term pySHACL would see (xsd:string literals are plain)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):
            return Literal(term.value)
        with warnings.catch_warnings():  # rdflib warns about ill-typed lexical forms; they are data
            warnings.simplefilter("ignore")
            return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    raise ValueError(f"unexpected term in a result: {term!r}")


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
# Predicates of a shape that are not constraints (sh:property is compiled by Compiler.shape_checks).
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
}
# Parameters read together with another one (sh:pattern, sh:qualifiedValueShape).
COMPANIONS = {SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint}


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


@dataclass
class Shape:
    node: URIRef | BNode
    path_node: URIRef | BNode | None
    path: str | None  # the SPARQL property path
    severity: URIRef
    messages: tuple[Literal, ...]


@dataclass
class Compiler:
    graph: Graph
    _counter: int = 0
    _nesting: list = field(default_factory=list)

    def fresh(self, hint: str = "v") -> str:
        self._counter += 1
        return f"?_{hint}{self._counter}"

    # ------------------------------------------------------------ shapes and their parts

    def shape(self, node) -> Shape:
        self.check_supported(node)
        path_node = self.one(node, SH.path)
        severity = self.one(node, SH.severity) or SH.Violation
        messages = tuple(sorted(self.graph.objects(node, SH.message)))
        return Shape(
            node, path_node, self.sparql_path(node, path_node) if path_node is not None else None, severity, messages
        )

    def one(self, node, predicate):
        values = list(self.graph.objects(node, predicate))
        if len(values) > 1:
            raise ValueError(f"shape {_name(node)}: more than one {_name(predicate)}")
        return values[0] if values else None

    def check_supported(self, node) -> None:
        for predicate in set(self.graph.predicates(node)):
            known = predicate in NOT_CONSTRAINTS or predicate in COMPONENTS or predicate in COMPANIONS
            if str(predicate).startswith(str(SH)) and not known:
                raise ValueError(f"shape {_name(node)}: {_name(predicate)} is not supported by server.shacl")
        if (node, SH.qualifiedValueShapesDisjoint, Literal(True)) in self.graph:
            raise ValueError(f"shape {_name(node)}: sh:qualifiedValueShapesDisjoint true is not supported")

    def deactivated(self, node) -> bool:
        value = self.one(node, SH.deactivated)
        if value is not None and not (isinstance(value, Literal) and isinstance(value.value, bool)):
            raise ValueError(f"shape {_name(node)}: sh:deactivated must be a boolean, not {value!r}")
        return bool(value is not None and value.value)

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

    def compile(self) -> list[Check]:
        components = set(self.graph.subjects(RDF.type, SH.ConstraintComponent))
        if components:
            raise ValueError(f"custom constraint component {_name(min(components))} is not supported")
        checks = []
        for node in self.targeted_shapes():
            checks.extend(self.shape_checks(node, self.target_focus(node)))
        return checks

    def target_focus(self, node) -> Focus:
        if self.one(node, SH.target) is not None:
            raise ValueError(f"shape {_name(node)}: sh:target (SPARQL-based targets) is not supported")
        classes = set(self.graph.objects(node, SH.targetClass)) | ({node} if self.implicit_class(node) else set())
        nodes = set(self.graph.objects(node, SH.targetNode))
        subjects_of = set(self.graph.objects(node, SH.targetSubjectsOf))
        objects_of = set(self.graph.objects(node, SH.targetObjectsOf))
        where = f"target of {_name(node)}"

        def focus(var: str) -> str:
            branches = []
            if classes:
                c = self.fresh("class")
                branches.append(f"{var} {TYPE_PATH} {c} . VALUES {c} {{ {_terms(classes, where)} }}")
            if nodes:
                branches.append(f"VALUES {var} {{ {_terms(nodes, where)} }}")
            for p in sorted(subjects_of):
                branches.append(f"{var} {_term(p, where)} {self.fresh('o')} .")
            for p in sorted(objects_of):
                branches.append(f"{self.fresh('s')} {_term(p, where)} {var} .")
            union = " UNION ".join("{ " + branch + " }" for branch in branches)
            return f"{{ SELECT DISTINCT {var} WHERE {{ {union} }} }}"

        return focus

    def shape_checks(self, node, focus: Focus) -> list[Check]:
        """The checks of a shape whose focus nodes are `focus`, and of its sh:property shapes."""
        if node in self._nesting:
            raise ValueError(f"shape {_name(node)}: recursive shapes are not supported")
        if self.deactivated(node):
            return []
        self._nesting.append(node)
        shape = self.shape(node)
        checks = [self.check(shape, constraint, focus) for constraint in self.constraints(shape)]
        checks += [self.sparql_check(shape, value, focus) for value in sorted(self.graph.objects(node, SH.sparql))]
        checks = [check for check in checks if check is not None]
        values = focus if shape.path is None else _values_focus(self, focus, shape.path)
        for child in sorted(self.graph.objects(node, SH.property), key=str):
            checks.extend(self.shape_checks(child, values))
        self._nesting.pop()
        return checks

    def check(self, shape: Shape, constraint: Constraint, focus: Focus) -> Check:
        if constraint.top is not None:
            query = constraint.top(focus)
        elif constraint.bad is not None:
            if shape.path is None:
                where = f"BIND(?this AS ?value) FILTER({constraint.bad('?value')})"
            else:
                where = f"?this {shape.path} ?value . FILTER({constraint.bad('?value')})"
            query = f"SELECT DISTINCT ?this ?value WHERE {{ {focus('?this')} {where} }}"
        else:
            value = "?value" if constraint.has_value else self.fresh()
            select = "?this ?value" if constraint.has_value else "?this"
            query = f"SELECT DISTINCT {select} WHERE {{ {focus('?this')} {constraint.pattern('?this', value)} }}"
        messages = shape.messages or (Literal(constraint.generic),)
        return Check(shape.node, constraint.component, query, shape.severity, messages, shape.path_node)

    # ------------------------------------------------------------ nested shapes: one boolean expression

    def conforms(self, node, v: str) -> str:
        """A SPARQL expression: true when the node bound to `v` conforms to the shape `node`."""
        if node in self._nesting:
            raise ValueError(f"shape {_name(node)}: recursive shapes are not supported")
        if self.deactivated(node):
            return "true"
        self._nesting.append(node)
        shape = self.shape(node)
        if (node, SH.sparql, None) in self.graph:
            raise ValueError(f"shape {_name(node)}: sh:sparql in a nested shape is not supported")
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
            raise ValueError(f"{where} {path!r} is not a path")
        if self.graph.value(path, RDF.first) is not None:
            return "(" + " / ".join(self.sparql_path(shape, step) for step in Collection(self.graph, path)) + ")"
        described = list(self.graph.predicate_objects(path))
        if len(described) != 1:
            raise ValueError(f"{where} [{', '.join(_name(p) for p, _ in described)}] is not a path")
        kind, inner = described[0]
        if kind == SH.alternativePath:
            return "(" + " | ".join(self.sparql_path(shape, alt) for alt in Collection(self.graph, inner)) + ")"
        operator = {SH.inversePath: "^", SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}
        if kind not in operator:
            raise ValueError(f"{where}: {_name(kind)} is not supported")
        text = "(" + self.sparql_path(shape, inner) + ")"
        return "^" + text if kind == SH.inversePath else text + operator[kind]

    # ------------------------------------------------------------ SPARQL-based constraints

    def sparql_check(self, shape: Shape, constraint, focus: Focus) -> Check | None:
        where = f"shape {_name(shape.node)}: sh:sparql {_name(constraint)}"
        if self.deactivated(constraint):
            return None
        unknown = {
            p
            for p in self.graph.predicates(constraint)
            if p not in {RDF.type, SH.select, SH.message, SH.prefixes, SH.deactivated}
        }
        if unknown:
            raise ValueError(f"{where}: {', '.join(sorted(_name(p) for p in unknown))} is not supported")
        select = self.one(constraint, SH.select)
        if not isinstance(select, Literal):
            raise ValueError(f"{where}: needs one sh:select")
        query = self.prefixes(constraint, where) + _inject_focus(str(select), shape.path, focus, where)
        messages = tuple(dict.fromkeys((*sorted(self.graph.objects(constraint, SH.message)), *shape.messages)))
        messages = messages or (Literal("A SPARQL-based constraint reported a violation."),)
        return Check(
            shape.node, SH.SPARQLConstraintComponent, query, shape.severity, messages, shape.path_node, constraint
        )

    def prefixes(self, constraint, where: str) -> str:
        """PREFIX lines for sh:prefixes/owl:imports*/sh:declare, as the SHACL spec collects them."""
        lines = []
        for holder in self.graph.objects(constraint, SH.prefixes):
            for ontology in self.graph.transitive_objects(holder, OWL.imports):
                for declaration in self.graph.objects(ontology, SH.declare):
                    prefix = self.one(declaration, SH.prefix)
                    namespace = self.one(declaration, SH.namespace)
                    if prefix is None or namespace is None:
                        raise ValueError(f"{where}: a sh:declare needs sh:prefix and sh:namespace")
                    lines.append(f"PREFIX {prefix}: {_term(URIRef(str(namespace)), where)}\n")
        return "".join(sorted(set(lines)))


def compile_shapes(shapes: Graph) -> list[Check]:
    """One Check (one SPARQL query) per constraint of every shape that has targets."""
    return Compiler(shapes).compile()


def _values_focus(compiler: Compiler, focus: Focus, path: str) -> Focus:
    """The value nodes of a property shape, as the focus nodes of its own sh:property shapes."""

    def values(var: str) -> str:
        f = compiler.fresh("f")
        return f"{{ SELECT DISTINCT {var} WHERE {{ {focus(f)} {f} {path} {var} . }} }}"

    return values


def _inject_focus(select: str, path: str | None, focus: Focus, where: str) -> str:
    """Pre-bind $this: join the focus subquery at the top of the query's WHERE group.

    This equals pre-binding for the queries the SHACL spec allows (no MINUS, VALUES, SERVICE or
    sub-SELECT); the others are refused.

    >>> _inject_focus("SELECT $this ?value WHERE { $this $PATH ?value . }", "<http://ex/p>",
    ...               lambda var: "{F " + var + "}", "here")
    'SELECT $this ?value WHERE { {F ?this} $this <http://ex/p> ?value . }'
    """
    for keyword in ("MINUS", "VALUES", "SERVICE", "$shapesGraph", "$currentShape"):
        if re.search(r"(?<![\w$?])" + re.escape(keyword) + r"\b", select, re.I):
            raise ValueError(f"{where}: {keyword} in sh:select is not supported")
    if re.search(r"\bAS\s*[$?]this\b", select, re.I):
        raise ValueError(f"{where}: sh:select must not rebind $this")
    if len(re.findall(r"\bSELECT\b", select, re.I)) != 1:
        raise ValueError(f"{where}: a sub-SELECT in sh:select is not supported")
    if re.search(r"[$?]PATH\b", select):
        if path is None:
            raise ValueError(f"{where}: $PATH in a shape without sh:path")
        select = re.sub(r"[$?]PATH\b", lambda _: path, select)
    head, brace, body = select.partition("{")
    projection = re.search(r"\bSELECT\b(.*)", head, re.I | re.S)
    if not brace or projection is None or re.search(r"[\"']|EXISTS", head, re.I):
        raise ValueError(f"{where}: cannot find the WHERE group of sh:select")
    if not re.search(r"[$?]this\b|\*", projection.group(1)):
        raise ValueError(f"{where}: sh:select must SELECT $this")
    return f"{head}{brace} {focus('?this')}{body}"


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


# Lexical checks: the literal must survive the engine's cast from its lexical form. SHACL requires
# this for the datatypes of SPARQL 1.1 operators; we also check the dates, times and durations the
# engine can cast, as pySHACL does, so "2020-02-30"^^xsd:date is refused. (Oxigraph cannot cast a
# valid xsd:gMonthDay, so that one, like any other datatype, matches by its datatype IRI alone.)
_CASTS = {
    XSD.integer,
    XSD.decimal,
    XSD.float,
    XSD.double,
    XSD.boolean,
    XSD.dateTime,
    XSD.date,
    XSD.time,
    XSD.gYear,
    XSD.gYearMonth,
    XSD.gMonth,
    XSD.gDay,
    XSD.duration,
    XSD.dayTimeDuration,
    XSD.yearMonthDuration,
}
# pyoxigraph stores literals of these datatypes as xsd:integer (or xsd:dateTime): their IRI is lost.
_NOT_STORED = {
    XSD.long,
    XSD.int,
    XSD.short,
    XSD.byte,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.unsignedLong,
    XSD.unsignedInt,
    XSD.unsignedShort,
    XSD.unsignedByte,
    XSD.nonPositiveInteger,
    XSD.negativeInteger,
    XSD.dateTimeStamp,
}


def _datatype(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:datatype"
    datatype = _term(value, where)
    if value in _NOT_STORED:
        raise ValueError(f"{where} {datatype} is not supported: pyoxigraph keeps no literal of that datatype")
    well_formed = f" && isLiteral({datatype}(STR({{v}})))" if value in _CASTS else ""
    return _per_value(
        SH.DatatypeConstraintComponent,
        f"Value is not a literal of datatype {datatype}",
        lambda v: f"!COALESCE(sameTerm(DATATYPE({v}), {datatype}){well_formed.format(v=v)}, false)",
    )


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
        raise ValueError(f"shape {_name(shape.node)}: sh:nodeKind {_name(value)} is not a node kind")
    return _per_value(
        SH.NodeKindConstraintComponent,
        f"Value is not of node kind {_name(value)}",
        lambda v: "!" + _NODE_KINDS[value].format(v=v),
    )


def _pattern(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:pattern"
    flags = c.one(shape.node, SH.flags)
    args = _string(value, where) + (", " + _string(flags, where) if flags is not None else "")
    _check_regex(args, where)
    return _per_value(
        SH.PatternConstraintComponent,
        f"Value does not match the pattern {value}",
        lambda v: f"!COALESCE(!isBlank({v}) && REGEX(STR({v}), {args}), false)",
    )


def _language_in(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:languageIn"
    ranges = [_string(item, where) for item in _list(c, value, where)]

    def bad(v: str) -> str:
        matches = " || ".join(f"langMatches(LANG({v}), {r})" for r in ranges) or "false"
        return f"!COALESCE({matches}, false)"

    return _per_value(SH.LanguageInConstraintComponent, f"Language tag is not one of {', '.join(ranges)}", bad)


def _in(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:in"
    members = [_term(item, where) for item in _list(c, value, where)]
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
        return _per_value(component, generic, lambda v: f"!COALESCE({test.format(m=m, v=v)}, false)")

    return build


def _has_value(c: Compiler, shape: Shape, value) -> list[Constraint]:
    term = _term(value, f"shape {_name(shape.node)}: sh:hasValue")
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
        return f"{f} {shape.path} {v} . {f} {other} {o} . FILTER(!COALESCE({v} {operator} {o}, false))"

    generic = f"Value is not {operator} the values of {other}"
    return [Constraint(component, generic, pattern=pattern, has_value=True)]


def _unique_lang(c: Compiler, shape: Shape, value) -> list[Constraint]:
    where = f"shape {_name(shape.node)}: sh:uniqueLang"
    _property_shape_only(shape, where)
    if not (isinstance(value, Literal) and isinstance(value.value, bool)):
        raise ValueError(f"{where} must be a boolean")
    if not value.value:
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
            raise ValueError(f"shape {_name(shape.node)}: a count above {MAX_NESTED_COUNT} in a nested shape")
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
    where = f"shape {_name(shape.node)}: sh:qualifiedValueShape"
    _property_shape_only(shape, where)
    low, high = c.one(shape.node, SH.qualifiedMinCount), c.one(shape.node, SH.qualifiedMaxCount)
    if low is None and high is None:
        raise ValueError(f"{where} needs sh:qualifiedMinCount or sh:qualifiedMaxCount")
    test = lambda v: c.conforms(value, v)  # noqa: E731
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


def _sparql(c: Compiler, shape: Shape, value) -> list[Constraint]:
    return []  # compiled by Compiler.sparql_check: it keeps its own query


COMPONENTS: dict[URIRef, Callable[[Compiler, Shape, object], list[Constraint]]] = {
    SH["class"]: _class,
    SH.datatype: _datatype,
    SH.nodeKind: _node_kind,
    SH.pattern: _pattern,
    SH.languageIn: _language_in,
    SH["in"]: _in,
    SH.minInclusive: _range(SH.minInclusive),
    SH.minExclusive: _range(SH.minExclusive),
    SH.maxInclusive: _range(SH.maxInclusive),
    SH.maxExclusive: _range(SH.maxExclusive),
    SH.hasValue: _has_value,
    SH.lessThan: lambda c, s, v: _less_than(c, s, v, SH.LessThanConstraintComponent, "<"),
    SH.lessThanOrEquals: lambda c, s, v: _less_than(c, s, v, SH.LessThanOrEqualsConstraintComponent, "<="),
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
    SH.sparql: _sparql,
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
            raise ValueError(f"{where}: IRI {term!r} cannot be written in SPARQL")
        return f"<{term}>"
    if isinstance(term, Literal):
        text = _string(term, where)
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^{_term(term.datatype, where)}" if term.datatype else text
    raise ValueError(f"{where}: blank node {term!r} cannot be named in a query")


def _terms(terms, where: str) -> str:
    return " ".join(_term(term, where) for term in sorted(terms))


def _string(term, where: str) -> str:
    """The lexical form of a literal as a SPARQL string literal."""
    if not isinstance(term, Literal):
        raise ValueError(f"{where}: {term!r} must be a literal")
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
    return '"' + "".join(escapes.get(ch, ch) for ch in str(term)) + '"'


def _list(c: Compiler, node, where: str) -> list:
    if node != RDF.nil and c.graph.value(node, RDF.first) is None:
        raise ValueError(f"{where}: {node!r} is not an RDF list")
    return list(Collection(c.graph, node))


def _count_value(shape: Shape, parameter, value) -> int:
    if not (isinstance(value, Literal) and isinstance(value.value, int) and value.value >= 0):
        raise ValueError(f"shape {_name(shape.node)}: {_name(parameter)} must be a non-negative integer")
    return int(value.value)


def _property_shape_only(shape: Shape, where: str) -> None:
    if shape.path is None:
        raise ValueError(f"{where} is allowed on property shapes only")


def _check_regex(args: str, where: str) -> None:
    """Refuse a pattern (or flags) the store cannot compile: REGEX would fail on every value."""
    solution = next(iter(pyoxigraph.Store().query(f'SELECT (REGEX("", {args}) AS ?ok) {{}}')))
    if solution["ok"] is None:
        raise ValueError(f"{where}: the store cannot compile {args}")
