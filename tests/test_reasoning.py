"""The ontology and the data under an OWL RL reasoner (owlrl, on rdflib): what they entail is what we mean.

The closure is computed once, over every named graph of the bundled graph (ontology included) and DCMI's own
schema of its terms (tests/data/vocabularies/dcterms.ttl), so that a subproperty of a DCMI term inherits that
term's range: a concept must not become a class, the dataset must not gain a second licence, and no resource
may be an instance of two classes the ontology declares disjoint.
"""

from __future__ import annotations

from pathlib import Path

import owlrl
import pytest
from pyoxigraph import RdfFormat
from rdflib import Graph
from rdflib import Namespace
from rdflib import URIRef
from rdflib.namespace import DCAT
from rdflib.namespace import DCTERMS
from rdflib.namespace import OWL
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS

from server.builder.pipeline import load_dataset
from server.common.config import Config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Config(root=ROOT)
BASE = CONFIG.base_iri
DCTERMS_SCHEMA = Path(__file__).resolve().parent / "data" / "vocabularies" / "dcterms.ttl"
ERRORS = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")  # where owlrl reports inconsistencies


@pytest.fixture(scope="module")
def entailed() -> Graph:
    """The OWL RL closure of the bundled graph and DCMI's schema (about 2.5 s)."""
    store = load_dataset(CONFIG)
    graph = Graph()
    for name in store.named_graphs():
        graph.parse(data=store.dump(format=RdfFormat.N_TRIPLES, from_graph=name), format="nt")
    graph.parse(DCTERMS_SCHEMA, format="turtle")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return graph


def ours(node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(BASE)


def test_the_closure_adds_what_the_axioms_say(entailed):
    """The reasoner ran: subclass and subproperty axioms of the ontology are applied."""
    fund = URIRef(BASE + "id/fund/beyond-5g")
    assert (fund, RDF.type, URIRef("http://www.w3.org/ns/prov#Entity")) in entailed  # mic:Fund ⊑ prov:Entity
    plan = URIRef(BASE + "id/plan/overseas-expansion-action-plan-2025")
    assert (plan, DCTERMS.created, None) in entailed  # mic:formulatedIn ⊑ dct:created


def test_no_concept_becomes_a_class(entailed):
    concepts = {c for c in entailed.subjects(RDF.type, SKOS.Concept) if ours(c)}
    assert len(concepts) > 40
    classes = {c for c in concepts for k in (OWL.Class, RDFS.Class) if (c, RDF.type, k) in entailed}
    assert not classes, sorted(classes)


def test_every_dataset_of_ours_has_exactly_one_licence(entailed):
    datasets = {d for d in entailed.subjects(RDF.type, DCAT.Dataset) if ours(d)}
    assert datasets
    for dataset in datasets:
        licences = set(entailed.objects(dataset, DCTERMS.license))
        assert len(licences) == 1, (str(dataset), sorted(map(str, licences)))


def test_nothing_is_an_instance_of_two_disjoint_classes(entailed):
    pairs = list(entailed.subject_objects(OWL.disjointWith))
    assert len([p for p in pairs if ours(p[0])]) >= 4  # the ontology's own disjointness axioms are there
    clashes = {
        (str(node), str(a), str(b))
        for a, b in pairs
        for node in set(entailed.subjects(RDF.type, a)) & set(entailed.subjects(RDF.type, b))
    }
    assert not clashes, sorted(clashes)
    errors = [str(entailed.value(m, ERRORS.error)) for m in entailed.subjects(RDF.type, ERRORS.ErrorMessage)]
    assert not errors, errors
