"""Our validator against pySHACL on random mutations of the bundled graph: same verdict, same results.

The graph is a slice of the bundled one (the ontology's rdfs:subClassOf statements and the passage
graphs of SLICE: meetings, a summit, a declaration and its numbered annexes, a memorandum, people and
posts, a fund, a Diet session with its legislation and budget, trends, frameworks: about 440
statements), small enough for pySHACL to validate a case in about 0.2 s; the whole test takes about
8 s of CPU. Each of CASES cases (seed SEED) applies one to MAX_MUTATIONS random mutations:

- drop: remove a statement;
- duplicate: give a statement's subject and predicate a second value (another object of that
  predicate in the slice, or a variant of a text);
- retype: give a literal another datatype of its family in which its form is valid (a number
  becomes xsd:int, xsd:decimal, xsd:double..., which the store keeps in another form than written;
  a text becomes xsd:string, a language-tagged string or xsd:anyURI), or an rdf:type another class;
- relabel: change a text's language tag or its text, or point a statement at another node.

Ill-typed literals are left to the W3C suite and tests/test_shacl.py: pySHACL compares a literal it
cannot read by its text and order of datatypes, where SHACL counts a failed comparison as a violation
(the first seed tried found it: a date retyped as xsd:double, compared with sh:lessThanOrEquals).

The mutated graph is written as N-Triples and loaded as a build loads its sources (literals as written);
pySHACL gets the same graph as written. Both must give the same sh:conforms and the same set of
(focus node, result path, value, severity, constraint component); a failure names the case's mutations.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import pytest
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Quad
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from pyoxigraph import serialize
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import XSD

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from test_shacl import results  # noqa: E402

from server.builder.pipeline import load_dataset  # noqa: E402
from server.builder.reference import validate_graph  # noqa: E402
from server.builder.report import load_shapes  # noqa: E402
from server.builder.shacl import validate_store  # noqa: E402
from server.builder.xsd import well_formed  # noqa: E402
from server.common.config import Config  # noqa: E402
from server.sources.find import Source  # noqa: E402
from server.sources.find import find_shapes  # noqa: E402
from server.sources.load import load_sources  # noqa: E402

CONFIG = Config(root=ROOT)
BASE = CONFIG.base_iri
SLICE = ("A3", "B1", "B2", "B3", "C3", "C4", "D2", "F5")
SEED = 19
CASES = 25  # about 8 s of CPU; `python tests/test_shacl_differential.py --cases 400` runs more
MAX_MUTATIONS = 3
NUMBERS = [XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger, XSD.decimal, XSD.double, XSD.float]
TEXTS = [XSD.string, XSD.anyURI]
LANGUAGES = ["ja", "en", "fr", "EN", "en-GB"]


@pytest.fixture(scope="module")
def base() -> list[Quad]:
    return base_slice()


def base_slice() -> list[Quad]:
    store = load_dataset(CONFIG)
    graphs = {BASE + "graph/" + name for name in SLICE}
    subclass = str(RDFS.subClassOf)
    return sorted(
        (q for q in store if q.graph_name.value in graphs or q.predicate.value == subclass),
        key=str,
    )


@pytest.fixture(scope="module")
def shapes():
    return project_shapes()


def project_shapes():
    return load_shapes(find_shapes(CONFIG), base_iri=BASE)


def mutate(quads: list[Quad], rng: random.Random) -> tuple[list[Quad], list[str]]:
    """One to MAX_MUTATIONS random mutations of `quads`, and what each did."""
    quads = list(quads)
    done = []
    for _ in range(rng.randint(1, MAX_MUTATIONS)):
        kind = rng.choice(["drop", "duplicate", "retype", "relabel"])
        index = rng.randrange(len(quads))
        s, p, o, g = quads[index].subject, quads[index].predicate, quads[index].object, quads[index].graph_name
        if kind == "drop":
            del quads[index]
            done.append(f"drop {s} {p} {o}")
            continue
        if kind == "duplicate":
            others = [q.object for q in quads if q.predicate == p and q.object != o]
            new = rng.choice(others) if others and (rng.random() < 0.7 or not text(o)) else variant(o, rng)
            quads.append(Quad(s, p, new, g))
        elif kind == "retype":
            if isinstance(o, Literal):
                new = retyped(o, rng)
            elif p.value == str(RDF.type):
                classes = sorted({q.object for q in quads if q.predicate.value == str(RDF.type)}, key=str)
                new = rng.choice(classes)
            else:
                new = Literal(o.value)
            quads[index] = Quad(s, p, new, g)
        else:
            if text(o):
                new = variant(o, rng)
            else:
                nodes = sorted({q.subject for q in quads if isinstance(q.subject, NamedNode)}, key=str)
                new = rng.choice(nodes)
            quads[index] = Quad(s, p, new, g)
        done.append(f"{kind} {s} {p} {o} -> {new}")
    return quads, done


def text(term) -> bool:
    return isinstance(term, Literal) and (term.language is not None or term.datatype.value == str(XSD.string))


def variant(term, rng: random.Random):
    """Another text like `term`: another language, no language, or other words (with a full-width letter)."""
    if not text(term):
        return Literal("not a node")
    choice = rng.randrange(3)
    if choice == 0:
        return Literal(term.value, language=rng.choice(LANGUAGES))
    if choice == 1:
        return Literal(term.value)
    return Literal(term.value.upper() + " Ｘ", language=term.language)


def retyped(term: Literal, rng: random.Random) -> Literal:
    """`term` under another datatype of its family in which its lexical form is valid."""
    if text(term):
        if rng.random() < 0.5:
            return Literal(term.value, language=rng.choice(LANGUAGES))
        return Literal(term.value, datatype=NamedNode(str(rng.choice(TEXTS))))
    if term.datatype.value in {str(t) for t in NUMBERS}:
        valid = [t for t in NUMBERS if well_formed(str(t), term.value)]
        return Literal(term.value, datatype=NamedNode(str(rng.choice(valid))))
    return term


def validate_both(quads: list[Quad], shapes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.nt"
        serialize([Quad(q.subject, q.predicate, q.object) for q in quads], path, format=RdfFormat.N_TRIPLES)
        source = Source(path, RdfFormat.N_TRIPLES, BASE + "graph/case")
        store = Store()
        ours = validate_store(store, shapes, written=load_sources([source], store, base_iri=BASE))
        theirs = validate_graph(load_shapes([path], base_iri=BASE), shapes)
    return ours, theirs


def test_the_base_slice_gives_the_same_results(base, shapes):
    ours, theirs = validate_both(base, shapes)
    assert results(ours, messages=False) == results(theirs, messages=False)
    assert len(ours.problems) > 10  # the slice leaves out what its resources point to: shapes fire


def test_random_mutations_give_the_results_of_pyshacl(base, shapes):
    for failure in disagreements(base, shapes, cases=CASES, seed=SEED):
        pytest.fail(failure)


def disagreements(base: list[Quad], shapes, *, cases: int, seed: int):
    """For each case where ours and pySHACL differ: its mutations and the results only one of them gives."""
    rng = random.Random(seed)
    for case in range(cases):
        quads, done = mutate(base, rng)
        ours, theirs = validate_both(quads, shapes)
        ours_results, theirs_results = results(ours, messages=False), results(theirs, messages=False)
        if (ours.conforms, ours_results) != (theirs.conforms, theirs_results):
            yield (
                f"case {case} (seed {seed}): {'; '.join(done)}\n"
                f"only ours: {ours_results - theirs_results}\nonly pySHACL: {theirs_results - ours_results}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="More random cases than the test runs.")
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    failures = list(disagreements(base_slice(), project_shapes(), cases=args.cases, seed=args.seed))
    print("\n\n".join(failures))
    print(f"{args.cases} cases (seed {args.seed}): {args.cases - len(failures)} agree, {len(failures)} differ")
    sys.exit(1 if failures else 0)
